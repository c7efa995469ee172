import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, eq, sql } from "drizzle-orm";
import { auditLog, signInThrottle, users } from "../db/schema";
import { authenticate } from "./credentials";
import { accountKey, ipKey } from "./throttle";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { makeUser, uniqueEmail, type TestUser } from "../../../test/factories";

let t: TestDatabase;
const PASSWORD = "correct horse battery staple";

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

/** One sign-in attempt; each gets its own correlation id, so its audit entry can be found. */
async function signIn(email: string, password: string, ip: string | null = null) {
  const correlationId = randomUUID();
  const outcome = await authenticate(t.db, { email, password, ip, correlationId });
  const audit = await t.db.select().from(auditLog).where(eq(auditLog.correlationId, correlationId));
  return { outcome, audit };
}

const throttleRow = async (key: string) =>
  (await t.db.select().from(signInThrottle).where(eq(signInThrottle.key, key)))[0];

describe("authenticate", () => {
  let user: TestUser;
  beforeAll(async () => {
    user = await makeUser(t.db, { roles: ["finance_ops", "pmo"], password: PASSWORD });
  });

  it("signs in with the right password: audited, last sign-in recorded", async () => {
    const before = await t.db.select().from(users).where(eq(users.id, user.id));
    expect(before[0]!.lastSignInAt).toBeNull();

    // the e-mail is matched whatever its case and surrounding spaces
    const { outcome, audit } = await signIn(`  ${user.email.toUpperCase()} `, PASSWORD, "198.51.100.7");
    expect(outcome).toEqual({
      ok: true,
      user: { id: user.id, email: user.email, name: user.name, roles: ["finance_ops", "pmo"], sessionEpoch: 0 },
    });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "auth.sign_in",
      entityType: "user",
      entityId: user.id,
      actorId: user.id,
      actorLabel: user.email,
      actorRoles: ["finance_ops", "pmo"],
      after: { method: "password" },
      ip: "198.51.100.7",
    });

    const [row] = await t.db.select().from(users).where(eq(users.id, user.id));
    expect(row!.lastSignInAt).toBeInstanceOf(Date);
    expect(Math.abs(row!.lastSignInAt!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it("refuses a wrong password with the generic answer and audits why", async () => {
    const { outcome, audit } = await signIn(user.email, "wrong horse battery staple");
    expect(outcome).toEqual({ ok: false, reason: "invalid" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "auth.sign_in_failed",
      actorId: null,
      actorLabel: `system:sign-in:${user.email}`,
      entityId: user.id,
      after: { email: user.email, why: "wrong_password" },
    });
    expect(JSON.stringify(audit[0])).not.toContain("wrong horse");
  });

  it("refuses an unknown e-mail with the same answer", async () => {
    const email = uniqueEmail("nobody");
    const { outcome, audit } = await signIn(email, PASSWORD);
    expect(outcome).toEqual({ ok: false, reason: "invalid" });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "auth.sign_in_failed",
      entityId: null,
      after: { email, why: "unknown_account" },
    });
  });

  it("refuses a disabled account with the same answer, even with the right password", async () => {
    const disabled = await makeUser(t.db, { roles: ["executive"], password: PASSWORD, disabled: true });
    const { outcome, audit } = await signIn(disabled.email, PASSWORD);
    expect(outcome).toEqual({ ok: false, reason: "invalid" });
    expect(audit[0]).toMatchObject({
      action: "auth.sign_in_failed",
      entityId: disabled.id,
      after: { email: disabled.email, why: "account_disabled" },
    });
    const [row] = await t.db.select().from(users).where(eq(users.id, disabled.id));
    expect(row!.lastSignInAt).toBeNull();
  });

  it("refuses a user who has no password (single sign-on only)", async () => {
    const sso = await makeUser(t.db, { roles: ["pmo"] });
    const { outcome, audit } = await signIn(sso.email, "anything at all here");
    expect(outcome).toEqual({ ok: false, reason: "invalid" });
    expect(audit[0]).toMatchObject({ action: "auth.sign_in_failed", after: { why: "wrong_password" } });
  });
});

describe("throttling", () => {
  it("after 5 failures for one account, the next attempt is throttled, even with the right password", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"], password: PASSWORD });
    for (let i = 1; i <= 4; i++) {
      const { outcome, audit } = await signIn(user.email, `wrong password ${i}!`);
      expect(outcome).toEqual({ ok: false, reason: "invalid" });
      expect(audit[0]!.after).not.toHaveProperty("blockedForSeconds");
      expect((await throttleRow(accountKey(user.email)))!.failures).toBe(i);
    }
    // the 5th failure starts the block, and says so in its audit entry
    const fifth = await signIn(user.email, "wrong password 5!");
    expect(fifth.outcome).toEqual({ ok: false, reason: "invalid" });
    expect(fifth.audit[0]!.after).toMatchObject({ why: "wrong_password", blockedForSeconds: 30 });

    const { outcome, audit } = await signIn(user.email, PASSWORD);
    expect(outcome.ok).toBe(false);
    if (outcome.ok || outcome.reason !== "throttled") throw new Error(`expected throttled, got ${JSON.stringify(outcome)}`);
    expect(outcome.retryAfterSeconds).toBeGreaterThanOrEqual(28);
    expect(outcome.retryAfterSeconds).toBeLessThanOrEqual(30);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: "auth.sign_in_throttled",
      actorLabel: `system:sign-in:${user.email}`,
      after: { email: user.email, retryAfterSeconds: outcome.retryAfterSeconds },
    });

    // the throttled attempt neither signed in nor counted as another failure
    const [row] = await t.db.select().from(users).where(eq(users.id, user.id));
    expect(row!.lastSignInAt).toBeNull();
    expect((await throttleRow(accountKey(user.email)))!.failures).toBe(5);

    // the same account written differently is the same account
    const shouted = await signIn(user.email.toUpperCase(), PASSWORD);
    expect(shouted.outcome).toMatchObject({ ok: false, reason: "throttled" });

    // another account is not affected
    const other = await makeUser(t.db, { roles: ["pmo"], password: PASSWORD });
    expect((await signIn(other.email, PASSWORD)).outcome.ok).toBe(true);
  });

  it("lets the account in again once the block has passed, and the next failure doubles the wait", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"], password: PASSWORD });
    for (let i = 0; i < 5; i++) await signIn(user.email, "not the password!");
    expect((await signIn(user.email, PASSWORD)).outcome).toMatchObject({ reason: "throttled" });

    // let the block expire (the window of 15 minutes has not)
    await t.db
      .update(signInThrottle)
      .set({ blockedUntil: sql`now() - interval '1 second'` })
      .where(eq(signInThrottle.key, accountKey(user.email)));
    const sixth = await signIn(user.email, "still not the password");
    expect(sixth.outcome).toEqual({ ok: false, reason: "invalid" });
    expect(sixth.audit[0]!.after).toMatchObject({ blockedForSeconds: 60 });
    const again = await signIn(user.email, PASSWORD);
    expect(again.outcome).toMatchObject({ reason: "throttled" });
    if (!again.outcome.ok && again.outcome.reason === "throttled") {
      expect(again.outcome.retryAfterSeconds).toBeGreaterThan(55);
    }
  });

  it("a failure after the 15-minute window starts counting from one again", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    for (let i = 0; i < 4; i++) await signIn(user.email, "not the password!");
    await t.db
      .update(signInThrottle)
      .set({ windowStartedAt: sql`now() - interval '16 minutes'` })
      .where(eq(signInThrottle.key, accountKey(user.email)));
    const { audit } = await signIn(user.email, "not the password!");
    expect(audit[0]!.after).not.toHaveProperty("blockedForSeconds");
    expect((await throttleRow(accountKey(user.email)))!.failures).toBe(1);
  });

  it("a successful sign-in clears the account's counter but not the address's", async () => {
    const user = await makeUser(t.db, { roles: ["executive"], password: PASSWORD });
    const ip = "192.0.2.44";
    for (let i = 0; i < 3; i++) await signIn(user.email, "not the password!", ip);
    expect((await throttleRow(accountKey(user.email)))!.failures).toBe(3);
    expect((await throttleRow(ipKey(ip)))!.failures).toBe(3);

    expect((await signIn(user.email, PASSWORD, ip)).outcome.ok).toBe(true);
    expect(await throttleRow(accountKey(user.email))).toBeUndefined();
    expect((await throttleRow(ipKey(ip)))!.failures).toBe(3);

    // counting starts from zero: four more failures do not block
    for (let i = 0; i < 4; i++) await signIn(user.email, "not the password!", ip);
    expect((await signIn(user.email, PASSWORD, ip)).outcome.ok).toBe(true);
  });

  it("20 failures from one address block that address for every account", async () => {
    const ip = "203.0.113.200";
    const run = randomUUID().slice(0, 8);
    const victim = await makeUser(t.db, { roles: ["pmo"], password: PASSWORD });
    // spread over unknown accounts, so no single account reaches its own threshold
    for (let i = 0; i < 20; i++) {
      const { outcome } = await signIn(`spray-${i % 5}-${run}@example.com`, "guess", ip);
      expect(outcome).toMatchObject({ ok: false });
    }
    const row = await throttleRow(ipKey(ip));
    expect(row!.failures).toBe(20);
    expect(row!.blockedUntil).not.toBeNull();

    const fromThatAddress = await signIn(victim.email, PASSWORD, ip);
    expect(fromThatAddress.outcome).toMatchObject({ ok: false, reason: "throttled" });
    const fromElsewhere = await signIn(victim.email, PASSWORD, "203.0.113.201");
    expect(fromElsewhere.outcome.ok).toBe(true);

    const throttled = await t.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, "auth.sign_in_throttled"), eq(auditLog.ip, ip)));
    expect(throttled).toHaveLength(1);
  });
});
