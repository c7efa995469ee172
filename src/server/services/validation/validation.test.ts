import fc from "fast-check";
import { drizzle } from "drizzle-orm/postgres-js";
import { and, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterEach, describe, expect, it } from "vitest";
import * as schema from "@/server/db/schema";
import { erpPostings, exceptionEntries, exceptionEvents, exceptions, idMappings, projects, timeEntries } from "@/server/db/schema";
import type { Db } from "@/server/db/client";
import { idempotencyKey } from "@/server/domain/idempotency";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { validateEntries } from "./validate-entries";

const open: TestDatabase[] = [];
async function fresh(): Promise<{ t: TestDatabase; w: World; db: Db }> {
  const t = await createTestDatabase();
  open.push(t);
  const w = await buildWorld(t.db);
  return { t, w, db: t.db };
}
afterEach(async () => {
  while (open.length) await open.pop()!.drop();
});

const validate = (db: Db, entryIds?: string[]) => validateEntries({ ctx: systemCtx(db, "validation"), input: { entryIds } });

async function snapshot(db: Db) {
  const q = (s: ReturnType<typeof sql>) => db.execute(s).then((r) => Array.from(r));
  return {
    entries: await q(sql`select id, state, version, employee_id, project_id, labor_category_id, legal_entity_id, currency, bill_rate, cost_rate, bill_amount, cost_amount, updated_at from time_entries order by id`),
    postings: await q(sql`select idempotency_key, status, entry_version, request from erp_postings order by idempotency_key`),
    exceptions: await q(sql`select code, subject_key, status, occurrences, entries_count, hours_at_stake, value_at_stake, currency, value_reporting, first_seen_at, last_seen_at, version, updated_at from exceptions order by code, subject_key`),
    links: await q(sql`select exception_id, time_entry_id, hours, value, value_reporting from exception_entries order by exception_id, time_entry_id`),
    events: await q(sql`select count(*)::int as n from exception_events`),
  };
}

describe("a clean approved entry", () => {
  it("is enriched and queued for the ERP once, with a key derived from source, id and version", async () => {
    const { db, w } = await fresh();
    const e = await w.entry({ hours: "4.00" });
    const summary = await validate(db);
    expect(summary).toMatchObject({ validated: 1, passed: 1, failed: 0, postingsCreated: 1, exceptionsRaised: 0 });

    const [row] = await db.select().from(timeEntries).where(eq(timeEntries.id, e.id));
    expect(row).toMatchObject({ state: "approved", projectId: w.acme.id, employeeId: w.ana.id, laborCategoryId: w.senior.id, legalEntityId: w.us.id, currency: "USD", billRate: "180.00", costRate: "90.00", billAmount: "720.00", costAmount: "360.00" });
    const postings = await db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, e.id));
    expect(postings).toHaveLength(1);
    expect(postings[0]).toMatchObject({
      kind: "create",
      status: "pending",
      entryVersion: 1,
      idempotencyKey: idempotencyKey({ sourceSystem: "harvest", sourceId: e.sourceId, version: 1, kind: "create" }),
      hours: "4.00",
      amount: "720.00",
      currency: "USD",
    });
    expect(postings[0]!.request).toMatchObject({ erp: { jobId: w.acme.erpId, itemId: w.senior.erpItemId, employeeId: w.ana.erpId, subsidiaryId: w.us.erpSubsidiaryId } });
  });

  it("validating again changes nothing, and a new version gets a new key", async () => {
    const { db, w } = await fresh();
    const e = await w.entry();
    await validate(db);
    const before = await snapshot(db);
    const again = await validate(db, [e.id]);
    expect(again.validated).toBe(0); // already queued: nothing left to decide
    expect(await snapshot(db)).toEqual(before);

    await db.update(timeEntries).set({ version: 2, hours: "5.00" }).where(eq(timeEntries.id, e.id));
    await validate(db);
    const keys = (await db.select({ k: erpPostings.idempotencyKey, v: erpPostings.entryVersion }).from(erpPostings)).sort((a, b) => a.v - b.v);
    expect(keys.map((k) => k.k)).toEqual([
      idempotencyKey({ sourceSystem: "harvest", sourceId: e.sourceId, version: 1, kind: "create" }),
      idempotencyKey({ sourceSystem: "harvest", sourceId: e.sourceId, version: 2, kind: "create" }),
    ]);
  });
});

describe("the exception life cycle", () => {
  it("raises one exception per subject, counts repeats, resolves itself when fixed, and reopens when it fails again", async () => {
    const { db, w } = await fresh();
    const a = await w.entry({ sourceProjectId: w.ext.unmapped, hours: "30.00", sourceBillRate: "180.00", sourceCurrency: "USD" });
    const first = await validate(db);
    expect(first).toMatchObject({ failed: 1, exceptionsRaised: 2, postingsCreated: 0 });

    // raise
    const [x] = await db.select().from(exceptions).where(eq(exceptions.code, "PROJECT_UNMAPPED"));
    expect(x).toMatchObject({
      status: "open",
      owner: "pmo",
      severity: "high",
      subjectKey: `source-project:harvest:${w.ext.unmapped}`,
      message: "Project HV-2291 'Acme data platform' has no ERP job mapping.",
      occurrences: 1,
      entriesCount: 1,
      hoursAtStake: "30.00",
      valueAtStake: "5400.00",
      currency: "USD",
      valueReporting: "5400.00",
      oldestWorkDate: "2026-05-12",
    });
    // (30 h also makes the day invalid: that is another exception, on the entry)
    expect((await db.select().from(exceptions)).map((r) => r.code).sort()).toEqual(["HOURS_INVALID", "PROJECT_UNMAPPED"]);

    // repeat: a second entry of the same source project joins the same exception
    await db.update(timeEntries).set({ hours: "8.50" }).where(eq(timeEntries.id, a.id));
    const b = await w.entry({ sourceProjectId: w.ext.unmapped, hours: "2.00", workDate: "2026-05-13", sourceBillRate: "180.00", sourceCurrency: "USD" });
    await validate(db);
    const [x2] = await db.select().from(exceptions).where(eq(exceptions.id, x!.id));
    expect(x2).toMatchObject({ status: "open", occurrences: 2, entriesCount: 2, hoursAtStake: "10.50", valueAtStake: "1890.00" });
    const [hours] = await db.select().from(exceptions).where(eq(exceptions.code, "HOURS_INVALID"));
    expect(hours).toMatchObject({ status: "resolved", resolution: "auto", entriesCount: 0 });

    // auto-resolve: the PMO maps the project
    await db.insert(idMappings).values({ sourceSystem: "harvest", kind: "project", externalId: w.ext.unmapped, targetId: w.acme.id, targetErpId: w.acme.erpId, createdBy: "pmo@demo.test", updatedBy: "pmo@demo.test", reason: "same engagement" });
    const fixed = await validate(db);
    expect(fixed).toMatchObject({ passed: 2, postingsCreated: 2, exceptionsAutoResolved: 1 });
    const [x3] = await db.select().from(exceptions).where(eq(exceptions.id, x!.id));
    expect(x3).toMatchObject({ status: "resolved", resolution: "auto", resolvedBy: "system:validation", entriesCount: 0, hoursAtStake: "0.00" });
    const events = await db.select().from(exceptionEvents).where(eq(exceptionEvents.exceptionId, x!.id)).orderBy(exceptionEvents.id);
    expect(events.map((e) => e.kind)).toEqual(["raised", "auto_resolved"]);
    expect(events[1]!.message).toBe(`Resolved automatically: the project now maps to ERP job ${w.acme.erpId}. 2 entries re-validated.`);
    expect(await db.select().from(exceptionEntries).where(eq(exceptionEntries.exceptionId, x!.id))).toEqual([]);
    expect(b.id).toBeTruthy();

    // re-raise: the mapping is withdrawn and new time arrives for the project
    await db.update(idMappings).set({ active: false }).where(and(eq(idMappings.externalId, w.ext.unmapped)));
    await w.entry({ sourceProjectId: w.ext.unmapped, hours: "1.00", workDate: "2026-05-14" });
    const again = await validate(db);
    expect(again).toMatchObject({ exceptionsRaised: 0, exceptionsReopened: 1 });
    const [x4] = await db.select().from(exceptions).where(eq(exceptions.id, x!.id));
    expect(x4).toMatchObject({ status: "open", resolution: null, occurrences: 3, entriesCount: 1, hoursAtStake: "1.00" });
    const kinds = (await db.select().from(exceptionEvents).where(eq(exceptionEvents.exceptionId, x!.id)).orderBy(exceptionEvents.id)).map((e) => e.kind);
    expect(kinds).toEqual(["raised", "auto_resolved", "reopened"]);
  });

  it("values blocked GBP time in GBP and in the reporting currency at the work date's rate", async () => {
    const { db, w } = await fresh();
    await db.update(projects).set({ status: "on_hold" }).where(eq(projects.id, w.beta.id));
    await w.entry({ sourceProjectId: w.ext.beta, sourceUserId: w.ext.ben, hours: "3.00", workDate: "2026-05-13" });
    await validate(db);
    const [x] = await db.select().from(exceptions).where(eq(exceptions.code, "PROJECT_NOT_ACTIVE"));
    // 3 h × GBP 140 = GBP 420; GBP→USD on the 13th is 1.27 → USD 533.40
    expect(x).toMatchObject({ subjectKey: `project:${w.beta.id}`, valueAtStake: "420.00", currency: "GBP", valueReporting: "533.40", legalEntityId: w.uk.id, region: "EMEA", businessUnit: "Digital", projectId: w.beta.id });
  });

  it("keeps a capped project within its cap across batches", async () => {
    const { db, w } = await fresh();
    // cap 1,000 at 180/h: 5 h fit (900), the next hour does not
    const a = await w.entry({ sourceProjectId: w.ext.capped, hours: "5.00", workDate: "2026-05-11" });
    await validate(db);
    const b = await w.entry({ sourceProjectId: w.ext.capped, hours: "1.00", workDate: "2026-05-12" });
    await validate(db);
    const postings = await db.select({ id: erpPostings.timeEntryId }).from(erpPostings);
    expect(postings.map((p) => p.id)).toEqual([a.id]);
    const [x] = await db.select().from(exceptions).where(eq(exceptions.code, "BILLING_CAP_EXCEEDED"));
    expect(x).toMatchObject({ entriesCount: 1, hoursAtStake: "1.00" });
    expect(x!.message).toContain("USD 1,080.00");
    expect(b.id).toBeTruthy();
  });
});

/** The n-th day of 2026 as an ISO date (0 = 1 January). */
function day(n: number): string {
  return new Date(Date.UTC(2026, 0, 1 + n)).toISOString().slice(0, 10);
}

describe("cost of a batch", () => {
  it("takes the same number of queries for 5 entries as for 300", async () => {
    const count = async (n: number) => {
      const { t, w } = await fresh();
      // one entry a day from 1 January; every third on an unmapped project
      for (let i = 0; i < n; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, n - i) }, (_, j) =>
            w.entry({ workDate: day(i + j), hours: (1 + ((i + j) % 7) / 4).toFixed(2), sourceProjectId: (i + j) % 3 === 0 ? w.ext.unmapped : w.ext.acme }),
          ),
        );
      }
      let queries = 0;
      const client = postgres(t.url, { max: 1, onnotice: () => {}, debug: () => void (queries += 1) });
      const db = drizzle(client, { schema });
      const summary = await validateEntries({ ctx: systemCtx(db as unknown as Db, "validation"), input: { chunkSize: 1000 } });
      await client.end();
      expect(summary.validated).toBe(n);
      return queries;
    };
    const small = await count(5);
    const large = await count(300);
    expect(large).toBe(small);
    expect(small).toBeLessThan(40);
  });
});

describe("concurrent validation", () => {
  it("two validators on the same entries queue each entry once", async () => {
    const { db, w } = await fresh();
    const ids = [];
    for (let i = 0; i < 40; i++) ids.push((await w.entry({ hours: "1.00", workDate: day(i), sourceTaskId: i % 2 ? w.ext.senior : w.ext.internal })).id);
    await Promise.all([validate(db), validate(db), validate(db)]);
    const rows = await db.execute(sql`select time_entry_id, count(*)::int as n from erp_postings group by 1`);
    expect(rows.length).toBe(40);
    expect(Array.from(rows).every((r) => (r as { n: number }).n === 1)).toBe(true);
  });
});

describe("validating the same input twice changes nothing (property)", () => {
  it("holds for random batches of clean and dirty entries", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            p: fc.integer({ min: 0, max: 3 }),
            day: fc.integer({ min: 8, max: 15 }),
            q: fc.integer({ min: 0, max: 40 }),
            ben: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        async (rows) => {
          const { db, w, t } = await fresh();
          const pool = [w.ext.acme, w.ext.capped, w.ext.beta, w.ext.unmapped];
          for (const r of rows) {
            await w.entry({
              sourceProjectId: pool[r.p]!,
              sourceUserId: r.ben ? w.ext.ben : w.ext.ana,
              workDate: `2026-05-${String(r.day).padStart(2, "0")}`,
              hours: (r.q / 4).toFixed(2),
            });
          }
          await validate(db);
          const once = await snapshot(db);
          await validate(db);
          expect(await snapshot(db)).toEqual(once);
          open.splice(open.indexOf(t), 1);
          await t.drop();
        },
      ),
      { numRuns: 8 },
    );
  });
});
