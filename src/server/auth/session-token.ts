import { eq } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { isRole, type Role } from "./roles";

/** What the signed session token carries between requests. */
export type TokenClaims = {
  uid?: string;
  /** when the user signed in (epoch seconds): the absolute session limit counts from here */
  authTime?: number;
  roles?: Role[];
  scopeEntities?: string[];
  scopeRegions?: string[];
  name?: string | null;
  email?: string | null;
};

export type SessionLimits = { idleMinutes: number; maxHours: number };

/**
 * Called on every request that reads the session. Reloads the user, so that disabling
 * them or changing their roles or scopes takes effect on their next request; ends the
 * session (null) when the user is gone, disabled, or past the absolute limit. The idle
 * limit is the token's own expiry (maxAge), renewed only when the user is active.
 */
export async function refreshClaims<T extends TokenClaims>(
  db: Db,
  token: T,
  limits: SessionLimits,
  nowSeconds = Math.floor(Date.now() / 1000),
): Promise<T | null> {
  if (!token.uid || !token.authTime) return null;
  if (nowSeconds - token.authTime > limits.maxHours * 3600) return null;
  const [user] = await db
    .select({
      email: users.email,
      name: users.name,
      roles: users.roles,
      scopeEntities: users.scopeEntities,
      scopeRegions: users.scopeRegions,
      disabledAt: users.disabledAt,
    })
    .from(users)
    .where(eq(users.id, token.uid))
    .limit(1);
  if (!user || user.disabledAt) return null;
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
