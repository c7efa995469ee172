/**
 * The dashboard on the demo firm: its unbilled-approved-hours figure equals an independent SQL
 * count over the entries (the query docs/kpis.md quotes), and its parts add up to it.
 */
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { seedDemoData } from "@/server/demo/load";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { validateEntries } from "../validation/validate-entries";
import { kpiDashboard } from "./dashboard";
import { kpiEntries } from "./entries";
import { refreshKpiSnapshots } from "./snapshot";

const OPTS = { seed: 42, consultants: 40, projects: 30, months: 3, endDate: "2026-05-14" };
const NOW = new Date("2026-05-14T18:00:00Z");
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedDemoData(t.db, OPTS);
  await validateEntries({ ctx: systemCtx(t.db, "validation") });
  await refreshKpiSnapshots({ ctx: systemCtx(t.db), now: NOW });
}, 180_000);
afterAll(async () => {
  await t?.drop();
});

it("shows as unbilled approved hours exactly what an independent count over the entries finds", async () => {
  // independent: billable entries approved (not yet accepted by the ERP) or posted (not yet invoiced)
  const [expected] = (await t.db.execute(sql`
    select count(*)::int as n, sum(hours)::text as hours from time_entries where billable and state in ('approved', 'posted')`)) as unknown as { n: number; hours: string }[];
  const d = await kpiDashboard({ ctx: systemCtx(t.db), input: {}, scope: { entities: [], regions: [] }, now: NOW });
  expect(expected!.n).toBeGreaterThan(100);
  expect(d.unbilled.count).toBe(expected!.n);
  expect(d.unbilled.hours).toBe(expected!.hours);

  // its parts add up to it
  const sum = (xs: { hours: string }[]) => xs.reduce((a, x) => a + Number(x.hours) * 100, 0) / 100;
  expect(sum(d.unbilled.byBlocker)).toBe(Number(expected!.hours));
  expect(sum(d.unbilled.byAge)).toBe(Number(expected!.hours));

  // blocked by exceptions: approved billable entries linked to an open exception
  const [blocked] = (await t.db.execute(sql`
    select count(distinct te.id)::int as n from time_entries te join exception_entries ee on ee.time_entry_id = te.id join exceptions x on x.id = ee.exception_id
    where te.billable and te.state = 'approved' and x.status = 'open'`)) as unknown as { n: number }[];
  expect(d.revenueAtRisk.count).toBe(blocked!.n);
  expect(blocked!.n).toBeGreaterThan(0);

  // the drill-down behind the tile lists the same entries
  const drill = await kpiEntries({ ctx: systemCtx(t.db), input: { metric: "unbilled", limit: 1 }, scope: { entities: [], regions: [] }, now: NOW });
  expect(drill.totals).toEqual({ count: d.unbilled.count, hours: d.unbilled.hours, value: d.unbilled.value, unvalued: d.unbilled.unvalued });
});
