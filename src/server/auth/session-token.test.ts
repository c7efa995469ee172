import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq, sql } from "drizzle-orm";
import { users } from "../db/schema";
import { refreshClaims, type TokenClaims } from "./session-token";
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
    const token = { uid: user.id, authTime: now() };
    expect(await refreshClaims(t.db, token, limits)).not.toBeNull();
    await t.db.update(users).set({ disabledAt: sql`now()` }).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, token, limits)).toBeNull();
  });

  it("ends the session of a deleted user", async () => {
    const user = await makeUser(t.db, { roles: ["executive"] });
    const token = { uid: user.id, authTime: now() };
    expect(await refreshClaims(t.db, token, limits)).not.toBeNull();
    await t.db.delete(users).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, token, limits)).toBeNull();
  });

  it("ends the session of a user left without roles", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    await t.db.update(users).set({ roles: [] }).where(eq(users.id, user.id));
    expect(await refreshClaims(t.db, { uid: user.id, authTime: now() }, limits)).toBeNull();
  });

  it("ends a session older than the absolute limit, whatever the user's state", async () => {
    const user = await makeUser(t.db, { roles: ["admin"] });
    const at = now();
    const signedIn = at - 12 * 3600;
    expect(await refreshClaims(t.db, { uid: user.id, authTime: signedIn }, limits, at)).not.toBeNull();
    expect(await refreshClaims(t.db, { uid: user.id, authTime: signedIn - 1 }, limits, at)).toBeNull();
    expect(await refreshClaims(t.db, { uid: user.id, authTime: at - 2 * 3600 }, { idleMinutes: 30, maxHours: 1 }, at)).toBeNull();
  });

  it("refuses a token without a user id or sign-in time", async () => {
    const user = await makeUser(t.db, { roles: ["admin"] });
    expect(await refreshClaims(t.db, { authTime: now() }, limits)).toBeNull();
    expect(await refreshClaims(t.db, { uid: user.id }, limits)).toBeNull();
  });
});
