import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { exceptions, users } from "./schema";
import { DEMO_USERS, seedDemo } from "./seed";

/** What the dev start does on an empty database, at a smaller size than the default. */
describe("the dev start's demo seed", () => {
  let t: TestDatabase;
  let result: Awaited<ReturnType<typeof seedDemo>>;
  const lines: string[] = [];
  beforeAll(async () => {
    t = await createTestDatabase();
    result = await seedDemo(t.db, { seed: 7, consultants: 40, projects: 30, months: 3, endDate: "2026-09-30" }, (l) => lines.push(l));
  }, 120_000);
  afterAll(async () => t?.drop());

  it("creates the demo users, one per role", async () => {
    const rows = await t.db.select({ email: users.email, roles: users.roles }).from(users).orderBy(users.email);
    expect(rows.map((r) => r.email).sort()).toEqual(DEMO_USERS.map((u) => u.email).sort());
  });

  it("leaves exactly the exceptions the generator planted open, by code and owner", async () => {
    expect(result.data.skipped).toBe(false);
    if (result.data.skipped) return;
    const open = await t.db
      .select({ code: exceptions.code, owner: exceptions.owner, n: sql<number>`count(*)::int` })
      .from(exceptions)
      .where(eq(exceptions.status, "open"))
      .groupBy(exceptions.code, exceptions.owner);
    expect(Object.fromEntries(open.map((r) => [r.code, r.n]))).toEqual(result.data.manifest.expected);
    expect(Object.fromEntries(open.map((r) => [r.code, r.owner]))).toEqual(result.data.manifest.owners);
    expect(lines.some((l) => /validated \d+ approved entries/.test(l))).toBe(true);
  });

  it("does not seed the firm twice", async () => {
    const again = await seedDemo(t.db, { seed: 7, consultants: 40, projects: 30, months: 3, endDate: "2026-09-30" });
    expect(again.data).toEqual({ skipped: true });
    expect(again.validation).toBeNull();
  });
});
