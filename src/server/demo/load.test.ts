import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accountingPeriods,
  auditLog,
  billRates,
  costRates,
  customers,
  employees,
  erpPostings,
  exceptions,
  expenseEntries,
  fxRates,
  idMappings,
  invoiceLines,
  invoices,
  laborCategories,
  legalEntities,
  milestones,
  projects,
  rawRecords,
  sourceRefs,
  timeEntries,
} from "@/server/db/schema";
import { ingestTimeEntries } from "@/server/services/entries/ingest";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { systemCtx } from "../../../test/factories";
import { generateDemo, type DemoData } from "./generate";
import { loadDemo, seedDemoData, type SeedResult } from "./load";
import type { TimeEntryBundle } from "./types";

const OPTS = { seed: 11, consultants: 20, projects: 15, months: 2, endDate: "2026-05-14" };

describe("seedDemoData at a small size", () => {
  let t: TestDatabase;
  let data: DemoData;
  let bundles: TimeEntryBundle[];
  let seeded: SeedResult;

  beforeAll(async () => {
    t = await createTestDatabase();
    seeded = await seedDemoData(t.db, { ...OPTS, chunkSize: 700 });
    data = generateDemo(OPTS);
    bundles = [...data.timeEntryChunks(5000)].flat();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("loads every generated row", async () => {
    expect(seeded.skipped).toBe(false);
    if (seeded.skipped) return;
    expect(seeded.counts).toEqual(data.counts);
    expect(seeded.manifest).toEqual(data.manifest);
    const db = t.db;
    const c = data.counts;
    expect({
      legalEntities: await db.$count(legalEntities),
      customers: await db.$count(customers),
      projects: await db.$count(projects),
      milestones: await db.$count(milestones),
      employees: await db.$count(employees),
      laborCategories: await db.$count(laborCategories),
      billRates: await db.$count(billRates),
      costRates: await db.$count(costRates),
      accountingPeriods: await db.$count(accountingPeriods),
      fxRates: await db.$count(fxRates),
      sourceRefs: await db.$count(sourceRefs),
      idMappings: await db.$count(idMappings),
      invoices: await db.$count(invoices),
      invoiceLines: await db.$count(invoiceLines),
      timeEntries: await db.$count(timeEntries),
      expenseEntries: await db.$count(expenseEntries),
      rawRecords: await db.$count(rawRecords),
      erpPostings: await db.$count(erpPostings),
    }).toEqual({
      legalEntities: c.legalEntities,
      customers: c.customers,
      projects: c.projects,
      milestones: c.milestones,
      employees: c.employees,
      laborCategories: c.laborCategories,
      billRates: c.billRates,
      costRates: c.costRates,
      accountingPeriods: c.accountingPeriods,
      fxRates: c.fxRates,
      sourceRefs: c.sourceRefs,
      idMappings: c.idMappings,
      invoices: c.invoices,
      invoiceLines: c.invoiceLines,
      timeEntries: c.timeEntries,
      expenseEntries: c.expenseEntries,
      rawRecords: c.rawRecords,
      erpPostings: c.erpPostings,
    });
    const byState = await db.select({ state: timeEntries.state, n: sql<number>`count(*)::int` }).from(timeEntries).groupBy(timeEntries.state);
    expect(Object.fromEntries(byState.map((r) => [r.state, r.n]))).toEqual(
      Object.fromEntries(Object.entries(c.timeEntriesByState).filter(([, n]) => n > 0)),
    );
  });

  it("records the seed in the audit log, as the system", async () => {
    const rows = await t.db.select().from(auditLog).where(eq(auditLog.action, "demo.seed"));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actorLabel: "system:seed", actorId: null, entityType: "demo" });
    expect(rows[0]!.after).toMatchObject({ timeEntries: data.counts.timeEntries, rawRecords: data.counts.rawRecords });
  });

  it("does nothing the second time", async () => {
    expect(await seedDemoData(t.db, OPTS)).toEqual({ skipped: true });
    expect(await t.db.$count(timeEntries)).toBe(data.counts.timeEntries);
    expect(await t.db.$count(auditLog, eq(auditLog.action, "demo.seed"))).toBe(1);
  });

  it("keeps raw payloads as generated, linked from their entries (the last version)", async () => {
    const sample = [...bundles.filter((b) => b.raws.length === 2).slice(0, 5), ...bundles.filter((_, i) => i % 97 === 0)];
    const ids = sample.map((b) => b.entry.sourceId);
    const raws = await t.db
      .select()
      .from(rawRecords)
      .where(and(eq(rawRecords.objectType, "time_entry"), inArray(rawRecords.sourceId, ids)))
      .orderBy(asc(rawRecords.id));
    const entries = await t.db.select({ sourceId: timeEntries.sourceId, rawRecordId: timeEntries.rawRecordId }).from(timeEntries).where(inArray(timeEntries.sourceId, ids));
    const link = new Map(entries.map((e) => [e.sourceId, e.rawRecordId]));
    for (const b of sample) {
      const stored = raws.filter((r) => r.sourceId === b.entry.sourceId);
      expect(stored.map((r) => r.body)).toEqual(b.raws.map((r) => r.body));
      expect(stored.map((r) => r.contentHash)).toEqual(b.raws.map((r) => r.contentHash));
      expect(stored.map((r) => r.receivedAt.toISOString())).toEqual(b.raws.map((r) => r.receivedAt));
      expect(link.get(b.entry.sourceId)).toBe(stored[stored.length - 1]!.id);
    }
  });

  it("gives numbers back as decimal strings with two places, and timestamps as UTC instants", async () => {
    const [e] = await t.db.select().from(timeEntries).where(eq(timeEntries.state, "billed")).limit(1);
    for (const v of [e!.hours, e!.billRate, e!.costRate, e!.billAmount, e!.costAmount]) expect(v).toMatch(/^\d+\.\d{2}$/);
    const generated = bundles.find((b) => b.entry.sourceId === e!.sourceId)!.entry;
    expect(e!.billAmount).toBe(generated.billAmount);
    expect(e!.postedAt!.toISOString()).toBe(generated.postedAt);
    const [r] = await t.db.select().from(billRates).limit(1);
    expect(r!.rate).toMatch(/^\d+\.\d{2}$/);
    const [inv] = await t.db.select().from(invoices).limit(1);
    expect(inv!.total).toMatch(/^\d+\.\d{2}$/);
    const [p] = await t.db.select().from(projects).where(eq(projects.contractType, "capped")).limit(1);
    expect(p!.billingCap).toMatch(/^\d+\.\d{2}$/);
    const [fx] = await t.db.select().from(fxRates).limit(1);
    expect(fx!.rate).toMatch(/^\d+\.\d{8}$/);
  });

  it("takes a seeded payload pulled again as unchanged (same hashes as ingest)", async () => {
    const b = bundles.find((x) => x.entry.state === "billed")!;
    const e = b.entry;
    const raw = b.raws[b.raws.length - 1]!;
    const before = await t.db.$count(rawRecords);
    const result = await ingestTimeEntries({
      ctx: systemCtx(t.db, "test-resync"),
      input: {
        sourceSystem: "harvest",
        items: [
          {
            payload: raw.body,
            entry: {
              sourceId: e.sourceId,
              sourceUserId: e.sourceUserId,
              sourceProjectId: e.sourceProjectId,
              sourceTaskId: e.sourceTaskId,
              workDate: e.workDate,
              hours: e.hours,
              billable: e.billable,
              notes: e.notes,
              status: "approved",
              submittedAt: e.submittedAt,
              approvedAt: e.approvedAt,
              approvedBy: e.approvedBy,
              sourceBillRate: e.sourceBillRate,
              sourceCurrency: e.sourceCurrency,
            },
          },
        ],
      },
    });
    expect(result).toMatchObject({ received: 1, unchanged: 1, created: 0, updated: 0, corrected: 0, changedAfterInvoice: [] });
    expect(await t.db.$count(rawRecords)).toBe(before);
  });

  it("validates into exactly the planted exceptions", async () => {
    const summary = await validateEntries({ ctx: systemCtx(t.db, "validation") });
    expect(summary.validated).toBe(data.counts.timeEntriesByState.approved);
    const open = await t.db
      .select({ code: exceptions.code, owner: exceptions.owner, subjectKey: exceptions.subjectKey })
      .from(exceptions)
      .where(eq(exceptions.status, "open"));
    const subjects: Record<string, string[]> = {};
    const owners: Record<string, string> = {};
    for (const x of open) {
      (subjects[x.code] ??= []).push(x.subjectKey);
      owners[x.code] = x.owner;
    }
    for (const k of Object.keys(subjects)) subjects[k]!.sort();
    expect(subjects).toEqual(Object.fromEntries(Object.entries(data.manifest.subjects).map(([k, v]) => [k, [...v].sort()])));
    expect(owners).toEqual(data.manifest.owners);
    const planted = new Set(data.manifest.plants.flatMap((p) => p.sourceIds));
    expect(summary.failed).toBe(planted.size);
    expect(summary.passed).toBe(data.counts.timeEntriesByState.approved - planted.size);
  });
});
