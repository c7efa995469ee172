import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { projects } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { validateEntries } from "../validation/validate-entries";
import { exceptionsSummary } from "./summary";

describe("the exceptions overview", () => {
  let t: TestDatabase;
  let w: World;
  beforeAll(async () => {
    t = await createTestDatabase();
    w = await buildWorld(t.db);
    // one problem in each entity: a US project on hold, a UK project closed
    await t.db.update(projects).set({ status: "on_hold" }).where(eq(projects.id, w.acme.id));
    await t.db.update(projects).set({ status: "closed" }).where(eq(projects.id, w.beta.id));
    await w.entry({ hours: "2.00" });
    await w.entry({ sourceProjectId: w.ext.beta, sourceUserId: w.ext.ben, hours: "3.00", workDate: "2026-05-13" });
    await validateEntries({ ctx: systemCtx(t.db, "validation") });
  });
  afterAll(async () => t?.drop());

  it("totals open exceptions by code and owner, in the reporting currency", async () => {
    const s = await exceptionsSummary({ ctx: systemCtx(t.db), scope: { entities: [], regions: [] } });
    expect(s.reportingCurrency).toBe("USD");
    expect(s.byCode).toEqual([
      expect.objectContaining({ code: "PROJECT_NOT_ACTIVE", owner: "pmo", open: 2, entries: 2, hours: "5.00", valueReporting: "893.40" }),
    ]);
    expect(s.top.map((x) => x.entityCode).sort()).toEqual([w.uk.code, w.us.code].sort());
  });

  it("shows a user only the legal entities and regions in their scope", async () => {
    const uk = await exceptionsSummary({ ctx: systemCtx(t.db), scope: { entities: [w.uk.code], regions: [] } });
    expect(uk.top.map((x) => x.entityCode)).toEqual([w.uk.code]);
    expect(uk.byCode[0]).toMatchObject({ open: 1, hours: "3.00" });
    const na = await exceptionsSummary({ ctx: systemCtx(t.db), scope: { entities: [], regions: ["NA"] } });
    expect(na.top.map((x) => x.entityCode)).toEqual([w.us.code]);
    const none = await exceptionsSummary({ ctx: systemCtx(t.db), scope: { entities: ["SG01"], regions: [] } });
    expect(none.byCode).toEqual([]);
  });
});
