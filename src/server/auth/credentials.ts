import { eq, sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import { writeAudit } from "../services/audit/write";
import { systemActor, type ServiceCtx } from "../services/context";
import { verifyPassword } from "./password";
import { isRole, type Role } from "./roles";
import { accountKey, blockedFor, clearFailures, ipKey, recordFailure, THROTTLE_POLICY } from "./throttle";

export type AuthenticatedUser = {
  id: string;
  email: string;
  name: string;
  roles: Role[];
  /** the session epoch the password was checked against: the new session token carries it */
  sessionEpoch: number;
};

export type AuthOutcome =
  | { ok: true; user: AuthenticatedUser }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "throttled"; retryAfterSeconds: number };

/**
 * Checks an e-mail and password against the users table. Every outcome is audited; a
 * wrong password, an unknown e-mail and a disabled account look the same from outside.
 */
export async function authenticate(
  db: Db,
  input: { email: string; password: string; ip: string | null; correlationId: string },
): Promise<AuthOutcome> {
  const email = input.email.trim().toLowerCase();
  const keys = [accountKey(email), ...(input.ip ? [ipKey(input.ip)] : [])];
  const anonymous: ServiceCtx = { db, actor: systemActor("sign-in"), correlationId: input.correlationId, ip: input.ip };

  const wait = await blockedFor(db, keys);
  if (wait > 0) {
    await writeAudit(
      { ...anonymous, actor: systemActor(`sign-in:${email}`) },
      { action: "auth.sign_in_throttled", entityType: "user", entityId: null, after: { email, retryAfterSeconds: wait } },
    );
    return { ok: false, reason: "throttled", retryAfterSeconds: wait };
  }

  const [user] = await db.select().from(users).where(eq(sql`lower(${users.email})`, email)).limit(1);
  const passwordOk = await verifyPassword(user?.passwordHash, input.password);

  if (!user || !passwordOk || user.disabledAt) {
    const why = !user ? "unknown_account" : !passwordOk ? "wrong_password" : "account_disabled";
    const blocked = await recordFailure(db, [
      { key: accountKey(email), threshold: THROTTLE_POLICY.accountThreshold },
      ...(input.ip ? [{ key: ipKey(input.ip), threshold: THROTTLE_POLICY.ipThreshold }] : []),
    ]);
    await writeAudit(
      { ...anonymous, actor: systemActor(`sign-in:${email}`) },
      {
        action: "auth.sign_in_failed",
        entityType: "user",
        entityId: user?.id ?? null,
        after: { email, why, ...(blocked > 0 && { blockedForSeconds: blocked }) },
      },
    );
    return { ok: false, reason: "invalid" };
  }

  const roles = user.roles.filter(isRole);
  await clearFailures(db, accountKey(email));
  await db.update(users).set({ lastSignInAt: sql`now()` }).where(eq(users.id, user.id));
  await writeAudit(
    { ...anonymous, actor: { kind: "user", userId: user.id, email: user.email, roles } },
    { action: "auth.sign_in", entityType: "user", entityId: user.id, after: { method: "password" } },
  );
  return { ok: true, user: { id: user.id, email: user.email, name: user.name, roles, sessionEpoch: user.sessionEpoch } };
}
