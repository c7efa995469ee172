import { and, eq, sql } from "drizzle-orm";
import { withTx, type Db } from "../db/client";
import { users } from "../db/schema";
import { writeAudit } from "../services/audit/write";
import { isRole, type Role } from "./roles";

/** What the signed session token carries between requests. */
export type TokenClaims = {
  uid?: string;
  /** when the user signed in (epoch seconds): the absolute session limit counts from here */
  authTime?: number;
  /**
   * the user's session epoch when the token was issued: a token whose epoch is no longer the
   * user's is refused, which is how every session of a user is ended at once
   */
  sv?: number;
  roles?: Role[];
  scopeEntities?: string[];
  scopeRegions?: string[];
  name?: string | null;
  email?: string | null;
};

export type SessionLimits = { idleMinutes: number; maxHours: number };

/**
 * The new value of `users.session_epoch` when something ends every session of a user: sign-out,
 * a new password, being disabled, a change of roles or scope. Set it in the same statement as
 * the change, so that the change and the end of the sessions commit together.
 */
export const nextSessionEpoch = sql<number>`${users.sessionEpoch} + 1`;

const withinAbsoluteLimit = (token: TokenClaims, limits: SessionLimits, nowSeconds: number) =>
  Boolean(token.authTime) && nowSeconds - token.authTime! <= limits.maxHours * 3600;

/**
 * Called on every request that reads the session. Reloads the user, so that renaming them
 * shows on their next request; ends the session (null) when the user is gone, disabled,
 * without roles, past the absolute limit, or when the token's session epoch is not the
 * user's any more (they signed out, got a new password, or had their roles or scope
 * changed since it was issued). The idle limit is the token's own expiry (maxAge),
 * renewed only when the user is active.
 */
export async function refreshClaims<T extends TokenClaims>(
  db: Db,
  token: T,
  limits: SessionLimits,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<T | null> {
  if (!token.uid || typeof token.sv !== "number") return null;
  if (!withinAbsoluteLimit(token, limits, nowSeconds)) return null;
  const [user] = await db
    .select({
      email: users.email,
      name: users.name,
      roles: users.roles,
      scopeEntities: users.scopeEntities,
      scopeRegions: users.scopeRegions,
      disabledAt: users.disabledAt,
      sessionEpoch: users.sessionEpoch,
    })
    .from(users)
    .where(eq(users.id, token.uid))
    .limit(1);
  if (!user || user.disabledAt || user.sessionEpoch !== token.sv) return null;
  const roles = user.roles.filter(isRole);
  if (roles.length === 0) return null;
  return {
    ...token,
    email: user.email,
    name: user.name,
    roles,
    scopeEntities: user.scopeEntities,
    scopeRegions: user.scopeRegions,
  };
}

/**
 * Sign-out: ends every session of the token's user, and records it. Only a token that would
 * still be accepted does this: one already refused (an older epoch, past the absolute limit)
 * changes nothing, so a copied cookie that no longer works cannot sign the person out of the
 * session they have now. Returns whether the sessions were ended.
 */
export async function endSessions(
  db: Db,
  token: TokenClaims,
  limits: SessionLimits,
  meta: { correlationId: string; ip?: string | null },
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<boolean> {
  if (!token.uid || typeof token.sv !== "number") return false;
  if (!withinAbsoluteLimit(token, limits, nowSeconds)) return false;
  const { uid, sv } = token;
  return withTx(db, async (tx) => {
    const [user] = await tx
      .update(users)
      .set({ sessionEpoch: nextSessionEpoch })
      .where(and(eq(users.id, uid), eq(users.sessionEpoch, sv)))
      .returning({ email: users.email, roles: users.roles });
    if (!user) return false;
    await writeAudit(
      { db: tx, actor: { kind: "user", userId: uid, email: user.email, roles: user.roles.filter(isRole) }, correlationId: meta.correlationId, ip: meta.ip ?? null },
      { action: "auth.sign_out", entityType: "user", entityId: uid },
    );
    return true;
  });
}
