import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { randomUUID } from "node:crypto";
import { auditLog, users } from "../db/schema";
import { endSessions, refreshClaims, type TokenClaims } from "./session-token";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { makeUser } from "../../../test/factories";

let t: TestDatabase;
const limits = { idleMinutes: 30, maxHours: 12 };
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

describe("refreshClaims", () => {
  it("reloads roles, scope, name and e-mail from the database, keeping the rest of the token", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"], scope: { entities: ["US01"], regions: [] } });
    const token: TokenClaims & { sub: string; jti: string } = {
      sub: user.id,
      jti: "token-1",
      uid: user.id,
      authTime: now() - 60,
      sv: 0,
      roles: ["pmo"],
      scopeEntities: ["US01"],
      scopeRegions: [],
      name: user.name,
      email: user.email,
    };
    const same = await refreshClaims(t.db, token, limits);
    expect(same).toEqual(token);

    await t.db
      .update(users)
      .set({
        roles: ["executive", "finance_ops"],
        scopeEntities: ["DE01", "UK02"],
        scopeRegions: ["EMEA"],
        name: "Renamed Person",
      })
      .where(eq(users.id, user.id));

    const refreshed = await refreshClaims(t.db, token, limits);
    expect(refreshed).toEqual({
      ...token,
      roles: ["executive", "finance_ops"],
      scopeEntities: ["DE01", "UK02"],
      scopeRegions: ["EMEA"],
      name: "Renamed Person",
    });
    // the token given is not changed in place
    expect(token.roles).toEqual(["pmo"]);
  });

  it("ends the session of a disabled user", async () => {
    const user = await makeUser(t.db, { roles: ["finance_ops"] });
    const token = { uid: user.id, authTime: now(), sv: 0 };
    expect(await refreshClaims(t.db, token, limits)).not.toBeNull();
    await t.db.update(users).set({ disabledAt: sql`now()` }).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, token, limits)).toBeNull();
  });

  it("ends the session of a deleted user", async () => {
    const user = await makeUser(t.db, { roles: ["executive"] });
    const token = { uid: user.id, authTime: now(), sv: 0 };
    expect(await refreshClaims(t.db, token, limits)).not.toBeNull();
    await t.db.delete(users).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, token, limits)).toBeNull();
  });

  it("ends the session of a user left without roles", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    await t.db.update(users).set({ roles: [] }).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, { uid: user.id, authTime: now(), sv: 0 }, limits)).toBeNull();
  });

  it("ends a session older than the absolute limit, whatever the user's state", async () => {
    const user = await makeUser(t.db, { roles: ["admin"] });
    const at = now();
    const signedIn = at - 12 * 3600;
    expect(await refreshClaims(t.db, { uid: user.id, authTime: signedIn, sv: 0 }, limits, at)).not.toBeNull();
    expect(await refreshClaims(t.db, { uid: user.id, authTime: signedIn - 1, sv: 0 }, limits, at)).toBeNull();
    expect(await refreshClaims(t.db, { uid: user.id, authTime: at - 2 * 3600, sv: 0 }, { idleMinutes: 30, maxHours: 1 }, at)).toBeNull();
  });

  it("refuses a token without a user id, sign-in time or session epoch", async () => {
    const user = await makeUser(t.db, { roles: ["admin"] });
    expect(await refreshClaims(t.db, { uid: user.id, authTime: now(), sv: 0 }, limits)).not.toBeNull();
    expect(await refreshClaims(t.db, { authTime: now(), sv: 0 }, limits)).toBeNull();
    expect(await refreshClaims(t.db, { uid: user.id, sv: 0 }, limits)).toBeNull();
    // a token issued before sessions carried an epoch
    expect(await refreshClaims(t.db, { uid: user.id, authTime: now() }, limits)).toBeNull();
  });

  it("refuses a token whose session epoch is not the user's any more, in either direction", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    const token = { uid: user.id, authTime: now(), sv: 0 };
    expect(await refreshClaims(t.db, token, limits)).not.toBeNull();
    await t.db.update(users).set({ sessionEpoch: 1 }).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, token, limits)).toBeNull();
    expect(await refreshClaims(t.db, { ...token, sv: 2 }, limits)).toBeNull();
    expect(await refreshClaims(t.db, { ...token, sv: 1 }, limits)).not.toBeNull();
  });
});

describe("endSessions (sign-out)", () => {
  const meta = () => ({ correlationId: randomUUID(), ip: "192.0.2.4" });
  const epochOf = async (id: string) => (await t.db.select({ v: users.sessionEpoch }).from(users).where(eq(users.id, id)))[0]!.v;

  it("ends every session of the user at once, and records the sign-out", async () => {
    const user = await makeUser(t.db, { roles: ["finance_ops"] });
    const laptop = { uid: user.id, authTime: now() - 600, sv: 0 };
    const phone = { uid: user.id, authTime: now() - 60, sv: 0 };
    const m = meta();
    expect(await endSessions(t.db, laptop, limits, m)).toBe(true);
    expect(await epochOf(user.id)).toBe(1);
    expect(await refreshClaims(t.db, laptop, limits)).toBeNull();
    expect(await refreshClaims(t.db, phone, limits)).toBeNull();
    const entries = await t.db.select().from(auditLog).where(eq(auditLog.correlationId, m.correlationId));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ action: "auth.sign_out", entityType: "user", entityId: user.id, actorId: user.id, actorLabel: user.email, actorRoles: ["finance_ops"], ip: "192.0.2.4" });
  });

  it("does nothing with a token that is already refused, so a stale copy cannot end the current session", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    const old = { uid: user.id, authTime: now() - 600, sv: 0 };
    expect(await endSessions(t.db, old, limits, meta())).toBe(true);
    const current = { uid: user.id, authTime: now(), sv: 1 };
    const m = meta();
    expect(await endSessions(t.db, old, limits, m)).toBe(false);
    expect(await endSessions(t.db, { uid: user.id, authTime: now() - 13 * 3600, sv: 1 }, limits, m)).toBe(false);
    expect(await endSessions(t.db, { uid: user.id, authTime: now() }, limits, m)).toBe(false);
    expect(await epochOf(user.id)).toBe(1);
    expect(await refreshClaims(t.db, current, limits)).not.toBeNull();
    expect(await t.db.select().from(auditLog).where(eq(auditLog.correlationId, m.correlationId))).toEqual([]);
  });
});
