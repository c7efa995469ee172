import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { ZodError } from "zod";
import { describeZodError } from "@/server/api/trpc";
import { sql } from "drizzle-orm";
import { createCaller } from "@/server/api/root";
import { connectors, erpPostings, exceptionEntries, exceptions, fxRates, legalEntities, reconciliationRuns, timeEntries } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, systemCtx, type TestUser } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { kpiBreakdown } from "./breakdown";
import { kpiDashboard } from "./dashboard";
import { kpiEntries } from "./entries";
import { refreshKpiSnapshots } from "./snapshot";
import { kpiTrends } from "./trends";

/*
 * A hand-built firm (test/world.ts: US01-like "US" in USD, "UK" in GBP; FX GBP→USD 1.25 on
 * 11 May … 1.29 on 15 May, plus 1.20 on 6 April added here) and ten entries, "now" being
 * 20 May 2026 12:00 UTC. Every expected figure below is worked out by hand in the comments,
 * from the rows as written here — never by calling the code under test.
 *
 *   E1  US acme, Ana, billable, approved, 4 h, USD 720.00, worked 12 May, approved 18 May 09:00; open exception X2
 *   E2  US acme, Ana, billable, approved, 2 h, USD 380.00, worked 13 May, approved 29 Apr 09:00; a pending posting
 *   E3  UK beta, Ben, billable, posted,   5 h, GBP 700.00, worked 7 Apr,  approved 8 Apr 08:00, accepted 9 Apr 06:00
 *   E4  UK beta, Ben, billable, posted,   3 h, GBP 420.00, worked 2 Mar,  approved 10 Mar 00:00, accepted 12 Mar 00:00 (no FX rate near 2 Mar)
 *   E5  US acme, Ana, billable, billed,   8 h, USD 1,520.00, worked 4 May, approved 5 May 10:00, accepted 5 May 12:00, invoiced 15 May
 *   E6  US acme, Ana, internal, approved, 1 h, worked 19 May, approved 19 May 12:00
 *   E7  US capped, billable, submitted (never approved)
 *   E8  US acme, billable, void
 *   E9  unmapped project (no entity), billable, approved, 6 h at the source's USD 150/h, approved 15 May 00:00; open exception X1
 *   E10 UK beta, Ben, billable, billed,   2 h, GBP 280.00, worked 11 May, approved 11 May 18:00, accepted 13 May 18:00, invoiced 18 May
 */
const NOW = new Date("2026-05-20T12:00:00Z");
const at = (s: string) => new Date(s);

let t: TestDatabase;
let w: World;
let exec: TestUser;
let usOnly: TestUser;
const ids: Record<string, string> = {};

beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
  // legal entity codes are upper case, as user scopes hold them (the world's carry a lower-case tag)
  await t.db.execute(sql`update legal_entities set code = upper(code)`);
  w.us.code = w.us.code.toUpperCase();
  w.uk.code = w.uk.code.toUpperCase();
  await t.db.insert(fxRates).values({ rateDate: "2026-04-06", fromCurrency: "GBP", toCurrency: "USD", rate: "1.20000000" });
  const us = { projectId: w.acme.id, legalEntityId: w.us.id, employeeId: w.ana.id, laborCategoryId: w.senior.id, currency: "USD" };
  const uk = { projectId: w.beta.id, legalEntityId: w.uk.id, employeeId: w.ben.id, laborCategoryId: w.senior.id, currency: "GBP", sourceUserId: w.ext.ben, sourceProjectId: w.ext.beta };
  const rows = {
    E1: await w.entry({ ...us, hours: "4.00", billRate: "180.00", billAmount: "720.00", workDate: "2026-05-12", approvedAt: at("2026-05-18T09:00:00Z") }),
    E2: await w.entry({ ...us, hours: "2.00", billRate: "190.00", billAmount: "380.00", workDate: "2026-05-13", approvedAt: at("2026-04-29T09:00:00Z") }),
    E3: await w.entry({ ...uk, state: "posted", hours: "5.00", billRate: "140.00", billAmount: "700.00", workDate: "2026-04-07", approvedAt: at("2026-04-08T08:00:00Z"), postedAt: at("2026-04-09T06:00:00Z"), erpId: "TB-3" }),
    E4: await w.entry({ ...uk, state: "posted", hours: "3.00", billRate: "140.00", billAmount: "420.00", workDate: "2026-03-02", approvedAt: at("2026-03-10T00:00:00Z"), postedAt: at("2026-03-12T00:00:00Z"), erpId: "TB-4" }),
    E5: await w.entry({ ...us, state: "billed", hours: "8.00", billRate: "190.00", billAmount: "1520.00", workDate: "2026-05-04", approvedAt: at("2026-05-05T10:00:00Z"), postedAt: at("2026-05-05T12:00:00Z"), billedAt: at("2026-05-15T00:00:00Z"), erpId: "TB-5" }),
    E6: await w.entry({ ...us, billable: false, sourceTaskId: w.ext.internal, laborCategoryId: w.internal.id, hours: "1.00", workDate: "2026-05-19", approvedAt: at("2026-05-19T12:00:00Z") }),
    E7: await w.entry({ projectId: w.capped.id, legalEntityId: w.us.id, state: "submitted", hours: "3.00", approvedAt: null, sourceProjectId: w.ext.capped }),
    E8: await w.entry({ ...us, state: "void", hours: "2.50", billAmount: "450.00", voidedAt: at("2026-05-16T00:00:00Z") }),
    E9: await w.entry({ sourceProjectId: w.ext.unmapped, hours: "6.00", sourceBillRate: "150.00", sourceCurrency: "USD", workDate: "2026-05-14", approvedAt: at("2026-05-15T00:00:00Z") }),
    E10: await w.entry({ ...uk, state: "billed", hours: "2.00", billRate: "140.00", billAmount: "280.00", workDate: "2026-05-11", approvedAt: at("2026-05-11T18:00:00Z"), postedAt: at("2026-05-13T18:00:00Z"), billedAt: at("2026-05-18T00:00:00Z"), erpId: "TB-10" }),
  };
  for (const [k, v] of Object.entries(rows)) ids[k] = v.id;

  const posting = (entry: string, status: "accepted" | "pending", acceptedAt: Date | null) => ({
    timeEntryId: ids[entry]!,
    kind: "create" as const,
    entryVersion: 1,
    idempotencyKey: `hb-create-${entry}-${w.tag}`,
    status,
    request: {},
    correlationId: "test",
    acceptedAt,
  });
  await t.db.insert(erpPostings).values([
    posting("E2", "pending", null),
    posting("E3", "accepted", at("2026-04-09T06:00:00Z")),
    posting("E4", "accepted", at("2026-03-12T00:00:00Z")),
    posting("E5", "accepted", at("2026-05-05T12:00:00Z")),
    posting("E10", "accepted", at("2026-05-13T18:00:00Z")),
  ]);

  const exception = (code: string, owner: "pmo" | "finance" | "hr", firstSeenAt: Date, more: Partial<typeof exceptions.$inferInsert> = {}) => ({
    code,
    owner,
    severity: "high" as const,
    subjectType: "test",
    subjectKey: `${code}-${randomUUID()}`,
    subjectLabel: code,
    message: code,
    suggestedFix: "fix it",
    firstSeenAt,
    ...more,
  });
  const [x1, x2] = await t.db
    .insert(exceptions)
    .values([
      exception("PROJECT_UNMAPPED", "pmo", at("2026-05-15T00:00:00Z")),
      exception("BILL_RATE_MISSING", "finance", at("2026-05-18T10:00:00Z"), { legalEntityId: w.us.id, region: "NA", businessUnit: "Consulting", projectId: w.acme.id }),
      exception("COST_RATE_MISSING", "hr", at("2026-04-01T00:00:00Z"), { legalEntityId: w.uk.id, region: "EMEA", businessUnit: "Digital", projectId: w.beta.id }),
      exception("TASK_UNMAPPED", "pmo", at("2026-05-10T00:00:00Z"), { status: "resolved", resolvedAt: at("2026-05-12T12:00:00Z"), legalEntityId: w.us.id, region: "NA" }),
      exception("TASK_UNMAPPED", "pmo", at("2026-05-01T00:00:00Z"), { status: "resolved", resolvedAt: at("2026-05-02T00:00:00Z"), legalEntityId: w.us.id, region: "NA" }),
    ])
    .returning();
  await t.db.insert(exceptionEntries).values([
    { exceptionId: x1!.id, timeEntryId: ids.E9!, hours: "6.00" },
    { exceptionId: x2!.id, timeEntryId: ids.E1!, hours: "4.00" },
  ]);

  exec = await makeUser(t.db, { roles: ["executive"] });
  usOnly = await makeUser(t.db, { roles: ["executive"], scope: { entities: [w.us.code], regions: [] } });
  await refreshKpiSnapshots({ ctx: systemCtx(t.db), now: NOW });
});
afterAll(async () => {
  await t?.drop();
});

const all = { entities: [], regions: [] };
const dashboard = (input = {}, scope: { entities: string[]; regions: string[] } = all) => kpiDashboard({ ctx: systemCtx(t.db), input, scope, now: NOW });

describe("unbilled approved hours and value", () => {
  it("counts billable entries approved or posted, never billed, submitted, void or internal", async () => {
    const d = await dashboard();
    // E1 4 + E2 2 + E3 5 + E4 3 + E9 6 = 20.00 h in 5 entries
    // value: E1 720.00 + E2 380.00 + E3 700 GBP × 1.20 (6 Apr, the latest rate within 3 days of 7 Apr) = 840.00 + E9 6 × 150 = 900.00
    //      = 2,840.00 USD; E4 (2 Mar) has no rate within three days: not valued, counted apart
    expect(d.unbilled).toMatchObject({ count: 5, hours: "20.00", value: "2840.00", unvalued: 1 });
  });

  it("splits by blocker: exception, awaiting posting, posted awaiting invoice", async () => {
    const d = await dashboard();
    const by = Object.fromEntries(d.unbilled.byBlocker.map((b) => [b.blocker, b]));
    // E1 (X2) + E9 (X1): 10.00 h, 720.00 + 900.00 = 1,620.00
    expect(by.exception).toMatchObject({ count: 2, hours: "10.00", value: "1620.00", unvalued: 0 });
    // E2: 2.00 h, 380.00
    expect(by.awaiting_posting).toMatchObject({ count: 1, hours: "2.00", value: "380.00" });
    // E3 + E4: 8.00 h, 840.00 (+ E4 not valued)
    expect(by.awaiting_invoice).toMatchObject({ count: 2, hours: "8.00", value: "840.00", unvalued: 1 });
  });

  it("splits by age since approval: 0–7, 8–30, 31–60, over 60 days", async () => {
    const d = await dashboard();
    const by = Object.fromEntries(d.unbilled.byAge.map((b) => [b.bucket, b]));
    // E1: 18 May 09:00 → 20 May 12:00 = 2.1 days; E9: 15 May 00:00 → 5.5 days
    expect(by["0-7"]).toMatchObject({ count: 2, hours: "10.00", value: "1620.00" });
    // E2: 29 Apr 09:00 → 21.1 days
    expect(by["8-30"]).toMatchObject({ count: 1, hours: "2.00", value: "380.00" });
    // E3: 8 Apr 08:00 → 42.2 days
    expect(by["31-60"]).toMatchObject({ count: 1, hours: "5.00", value: "840.00" });
    // E4: 10 Mar → 71.5 days
    expect(by["over-60"]).toMatchObject({ count: 1, hours: "3.00", value: "0", unvalued: 1 });
  });

  it("respects the scope: a US-only user sees E1 and E2, never the entry without an entity", async () => {
    const d = await dashboard({}, { entities: [w.us.code], regions: [] });
    // E1 4 + E2 2 = 6.00 h; 720.00 + 380.00 = 1,100.00
    expect(d.unbilled).toMatchObject({ count: 2, hours: "6.00", value: "1100.00", unvalued: 0 });
    // an EMEA-only user: E3 and E4
    const emea = await dashboard({}, { entities: [], regions: ["EMEA"] });
    expect(emea.unbilled).toMatchObject({ count: 2, hours: "8.00", value: "840.00", unvalued: 1 });
  });

  it("filters by business unit and practice (of the project)", async () => {
    // acme is Consulting / Finance Transformation: E1 + E2
    expect((await dashboard({ businessUnit: "Consulting" })).unbilled.hours).toBe("6.00");
    // beta is Digital / Cloud: E3 + E4
    expect((await dashboard({ practice: "Cloud" })).unbilled.hours).toBe("8.00");
  });
});

describe("unposted approved hours", () => {
  it("counts approved entries, billable or not, with no accepted posting", async () => {
    const d = await dashboard();
    // E1 4 + E2 2 (its posting is only pending) + E6 1 (internal) + E9 6 = 13.00 h
    expect(d.unposted).toMatchObject({ count: 4, hours: "13.00" });
  });
});

describe("revenue at risk", () => {
  it("is the value of billable approved entries blocked by open exceptions", async () => {
    const d = await dashboard();
    // E1 720.00 + E9 900.00 = 1,620.00 USD over 10.00 h
    expect(d.revenueAtRisk).toMatchObject({ count: 2, hours: "10.00", value: "1620.00" });
  });
});

describe("window figures, from the daily snapshots (period 2026-05 = 1 to 20 May)", () => {
  it("posted within SLA: met ÷ (met + missed) of the entries approved in the window", async () => {
    const d = await dashboard({ period: "2026-05" });
    // approved 1–20 May: E1 (18 May, nothing accepted, 24 h ran out 19 May 09:00: missed),
    // E5 (accepted 2 h after: met), E6 (19 May 12:00, SLA runs until exactly now: pending),
    // E9 (no entity → 24 h default, nothing accepted: missed), E10 (accepted after 48 h: missed)
    expect(d.sla).toMatchObject({ approved: 5, met: 1, missed: 3, pending: 1, share: "0.2500" });
  });

  it("posting latency p50 / p95 over the postings accepted in the window", async () => {
    const d = await dashboard({ period: "2026-05" });
    // accepted 1–20 May: E5 2 h = 7,200 s; E10 48 h = 172,800 s
    // p50 = (7,200 + 172,800) / 2 = 90,000 s; p95 = 7,200 + 0.95 × (172,800 − 7,200) = 164,520 s
    expect(d.latency).toEqual({ postings: 2, p50Seconds: 90_000, p95Seconds: 164_520 });
  });

  it("invoice cycle time: median days from approval to invoice date", async () => {
    const d = await dashboard({ period: "2026-05" });
    // E5: 5 May 10:00 → 15 May 00:00 = 9 d 14 h = 828,000 s; E10: 11 May 18:00 → 18 May 00:00 = 6 d 6 h = 540,000 s
    // median = 684,000 s = 7.92 days → "7.9"
    expect(d.invoiceCycle).toMatchObject({ entries: 2, medianDays: "7.9", hours: "10.00" });
  });
});

describe("exception backlog and aging", () => {
  it("counts open exceptions by owner and age, and the median time to resolve in the window", async () => {
    const d = await dashboard({ period: "2026-05" });
    const by = Object.fromEntries(d.exceptions.byOwner.map((o) => [o.owner, o]));
    expect(d.exceptions.open).toBe(3);
    // X1 first seen 15 May (5.5 days), X2 18 May 10:00 (2.1 days), X3 1 Apr (49.5 days)
    expect(by.pmo!.buckets).toEqual({ "0-7": 1, "8-30": 0, "31-60": 0, "over-60": 0 });
    expect(by.finance!.buckets).toEqual({ "0-7": 1, "8-30": 0, "31-60": 0, "over-60": 0 });
    expect(by.hr!.buckets).toEqual({ "0-7": 0, "8-30": 0, "31-60": 1, "over-60": 0 });
    expect(by.integration!.open).toBe(0);
    // resolved in May: 10 May → 12 May 12:00 = 60 h; 1 May → 2 May = 24 h; median (24 + 60) / 2 = 42.0 h
    expect(d.exceptions).toMatchObject({ resolvedInWindow: 2, medianHoursToResolve: "42.0" });
  });
});

describe("utilization", () => {
  it("is billable hours worked ÷ capacity hours of the people in the selection", async () => {
    const d = await dashboard({ period: "2026-05" });
    // 1–20 May 2026 has 14 weekdays (2, 3, 9, 10, 16, 17 are weekend days); 40 h / 5 × 14 = 112.00 h each, Ana + Ben = 224.00
    // billable hours worked 1–20 May: Ana E1 4 + E2 2 + E5 8 + E9 6 (its project is unmapped, but its person is Ana
    // through her mapping) = 20; Ben E10 2 → 22.00; 22 / 224 = 0.09821… → 0.0982
    expect(d.utilization).toEqual({ applicable: true, people: 2, billableHours: "22.00", capacityHours: "224.00", share: "0.0982" });
  });

  it("has no business-unit split: capacity belongs to people", async () => {
    expect((await dashboard({ period: "2026-05", businessUnit: "Consulting" })).utilization).toMatchObject({ applicable: false, share: null });
  });
});

describe("reconciliation completeness and sync health", () => {
  it("is Σ matched ÷ Σ lines of each entity's latest run of the period", async () => {
    const run = (legalEntityId: string, period: string, matched: number, lines: number, finishedAt: Date) => ({
      legalEntityId, period, status: "succeeded" as const, trigger: "manual", requestedBy: "test", reportingCurrency: "USD", matchedLines: matched, totalLines: lines, finishedAt, correlationId: "t",
    });
    await t.db.insert(reconciliationRuns).values([
      run(w.us.id, "2026-05", 7, 10, at("2026-05-19T00:00:00Z")), // superseded by the next one
      run(w.us.id, "2026-05", 9, 10, at("2026-05-20T00:00:00Z")),
      run(w.uk.id, "2026-05", 3, 4, at("2026-05-20T00:00:00Z")),
    ]);
    const d = await dashboard({ period: "2026-05" });
    // (9 + 3) / (10 + 4) = 12 / 14 = 0.8571
    expect(d.reconciliation).toMatchObject({ matched: 12, lines: 14, completeness: "0.8571" });
    const us = await dashboard({ period: "2026-05" }, { entities: [w.us.code], regions: [] });
    expect(us.reconciliation).toMatchObject({ matched: 9, lines: 10, completeness: "0.9000" });
  });

  it("lists every connector with the sync overview's own status", async () => {
    await t.db.insert(connectors).values({ key: `erp-${w.tag}`, role: "erp", system: "netsuite", name: "NetSuite test", baseUrl: "http://127.0.0.1:9" });
    const d = await dashboard();
    expect(d.syncHealth).toEqual([expect.objectContaining({ name: "NetSuite test", role: "erp", status: expect.stringMatching(/healthy|degraded|down|paused/) })]);
  });
});

describe("drill-down to the entries behind a figure", () => {
  it("lists exactly the entries of a tile, with the tile's totals, page by page", async () => {
    const input = { metric: "unbilled" as const, blocker: "exception" as const };
    const first = await kpiEntries({ ctx: systemCtx(t.db), input: { ...input, limit: 1 }, scope: all, now: NOW });
    expect(first.totals).toEqual({ count: 2, hours: "10.00", value: "1620.00", unvalued: 0 });
    // newest work date first: E9 (14 May) then E1 (12 May)
    expect(first.items.map((i) => i.id)).toEqual([ids.E9]);
    const second = await kpiEntries({ ctx: systemCtx(t.db), input: { ...input, limit: 1, cursor: first.nextCursor }, scope: all, now: NOW });
    expect(second.items.map((i) => i.id)).toEqual([ids.E1]);
    expect(second.nextCursor).toBeNull();
  });

  it("drills into SLA misses, latency, invoice cycle, hours worked and blocked entries", async () => {
    const get = async (input: Parameters<typeof kpiEntries>[0]["input"]) => (await kpiEntries({ ctx: systemCtx(t.db), input, scope: all, now: NOW })).items.map((i) => i.id).sort();
    expect(await get({ metric: "sla", outcome: "missed", period: "2026-05" })).toEqual([ids.E1, ids.E9, ids.E10].sort());
    expect(await get({ metric: "latency", period: "2026-05" })).toEqual([ids.E5, ids.E10].sort());
    expect(await get({ metric: "cycle", period: "2026-05" })).toEqual([ids.E5, ids.E10].sort());
    expect(await get({ metric: "worked", period: "2026-05", employee: w.ben.id })).toEqual([ids.E10]);
    expect(await get({ metric: "worked", period: "2026-05", employee: w.ana.id })).toEqual([ids.E1, ids.E2, ids.E5, ids.E9].sort());
    expect(await get({ metric: "exceptions", owner: "pmo" })).toEqual([ids.E9]);
    expect(await get({ metric: "unposted" })).toEqual([ids.E1, ids.E2, ids.E6, ids.E9].sort());
  });

  it("refuses a person outside the scope with the words it uses for one that does not exist", async () => {
    const run = (employee: string) => kpiEntries({ ctx: systemCtx(t.db), input: { metric: "worked", employee }, scope: { entities: [w.us.code], regions: [] }, now: NOW });
    await expect(run(w.ben.id)).rejects.toThrow("No person with that id is in your scope.");
    await expect(run(randomUUID())).rejects.toThrow("No person with that id is in your scope.");
  });
});

describe("breakdowns and trends", () => {
  it("splits by legal entity so the rows add up to the tile", async () => {
    const b = await kpiBreakdown({ ctx: systemCtx(t.db), input: { by: "entity" }, scope: all, now: NOW });
    const by = Object.fromEntries(b.rows.map((r) => [r.key ?? "none", r]));
    expect(by[w.us.code]).toMatchObject({ unbilledHours: "6.00", unbilledValue: "1100.00", atRiskValue: "720.00", unpostedHours: "7.00" });
    expect(by[w.uk.code]).toMatchObject({ unbilledHours: "8.00", unbilledValue: "840.00", atRiskValue: "0" });
    expect(by.none).toMatchObject({ unbilledHours: "6.00", unbilledValue: "900.00", atRiskValue: "900.00", unpostedHours: "6.00" });
  });

  it("keeps a daily history: today live, earlier days reconstructed", async () => {
    const tr = await kpiTrends({ ctx: systemCtx(t.db), input: { days: 10 }, scope: all, now: NOW });
    expect(tr.points.map((p) => p.day)).toEqual(["2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14", "2026-05-15", "2026-05-16", "2026-05-17", "2026-05-18", "2026-05-19", "2026-05-20"]);
    const day = Object.fromEntries(tr.points.map((p) => [p.day, p]));
    // today: the live figure, 20.00 h
    expect(day["2026-05-20"]).toMatchObject({ method: "live", unbilledHours: "20.00", unbilledValue: "2840.00" });
    // end of 16 May: approved before 17 May and not yet invoiced: E2 2 + E3 5 + E4 3 + E9 6 + E10 2 (invoiced 18 May) = 18.00 h
    // (E1 approved 18 May; E5 invoiced 15 May). Value: 380 + 840 + E9 900 + E10 280 GBP × 1.25 (11 May) = 350.00 → 2,470.00
    expect(day["2026-05-16"]).toMatchObject({ method: "backfill", unbilledHours: "18.00", unbilledValue: "2470.00", awaitingInvoiceValue: "1190.00" });
    // approvals on 11 May: E10, accepted after 48 h: missed
    expect(day["2026-05-11"]).toMatchObject({ approved: 1, slaMet: 0, slaMissed: 1, latencyP50Seconds: null });
    // 13 May: E10's acceptance, 172,800 s
    expect(day["2026-05-13"]).toMatchObject({ latencyP50Seconds: 172_800, latencyP95Seconds: 172_800 });
  });

  it("a second snapshot run with the same clock changes nothing", async () => {
    const before = await t.db.execute(sql`select day, slice_key, unbilled_hours, sla_met, latency_seconds from kpi_daily_snapshots order by day, slice_key`);
    const s = await refreshKpiSnapshots({ ctx: systemCtx(t.db), now: NOW });
    expect(s.backfilledDays).toBe(0);
    expect(await t.db.execute(sql`select day, slice_key, unbilled_hours, sla_met, latency_seconds from kpi_daily_snapshots order by day, slice_key`)).toEqual(before);
  });
});

describe("bad input through the API", () => {
  const call = async (user: TestUser, input: Record<string, unknown>) => {
    try {
      await createCaller(ctxFor(t.db, user)).kpis.dashboard(input as never);
      return "ok";
    } catch (err) {
      // input errors carry zod's issues; the HTTP layer words them (describeZodError)
      if (err instanceof TRPCError && err.cause instanceof ZodError) return `${err.code}: ${describeZodError(err.cause)}`;
      if (err instanceof TRPCError) return `${err.code}: ${err.message}`;
      throw err;
    }
  };

  it("answers a period that does not exist with the range that does", async () => {
    // the world's periods: US 2026-04 and 2026-05, UK 2026-05
    expect(await call(exec, { period: "2031-01" })).toBe("NOT_FOUND: There is no accounting period 2031-01. Periods run from 2026-04 to 2026-05.");
    expect(await call(exec, { period: "2026-13" })).toBe("BAD_REQUEST: period: period must be an accounting period as YYYY-MM, e.g. 2026-05");
  });

  it("answers an entity outside the scope exactly as one that does not exist", async () => {
    const outside = await call(usOnly, { entity: w.uk.code });
    const missing = await call(usOnly, { entity: "ZZ99" });
    expect(outside).toBe(`FORBIDDEN: No legal entity "${w.uk.code}" is in your scope.`);
    expect(missing).toBe(`FORBIDDEN: No legal entity "ZZ99" is in your scope.`);
    expect(await call(usOnly, { entity: w.us.code })).toBe("ok");
    // the legal entity exists for an unrestricted user
    expect((await t.db.select().from(legalEntities)).map((e) => e.code)).toContain(w.uk.code);
  });
});

// entries that are never counted anywhere stay out of every figure
it("never counts submitted or void entries", async () => {
  const d = await dashboard();
  const counted = await kpiEntries({ ctx: systemCtx(t.db), input: { metric: "unbilled", limit: 200 }, scope: all, now: NOW });
  expect(counted.items.map((i) => i.id)).not.toContain(ids.E7);
  expect(counted.items.map((i) => i.id)).not.toContain(ids.E8);
  expect(counted.totals.count).toBe(d.unbilled.count);
  expect((await t.db.select().from(timeEntries)).length).toBe(10);
});
