/**
 * Reconciliations and read-backs at the same time give what they give one at a time.
 *
 * A small demo firm in Hourbridge and the NetSuite simulator seeded from the same generator,
 * with the demo's ERP-side variances planted, read back over real HTTP. Every legal entity's
 * reconciliation of one period is run at once (each with its own read-back of the period),
 * then each alone: the totals and every variance line must be the same. Read-backs of the
 * same range at once must leave no record marked missing that the ERP still holds, and find
 * the one it deleted.
 */
import { and, eq, isNotNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, erpTimeRecords, syncRuns } from "@/server/db/schema";
import { planErpVariances, type ErpVariancePlan } from "@/server/demo/erp-variances";
import { generateDemo } from "@/server/demo/generate";
import { seedDemoData } from "@/server/demo/load";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import type { ErpConnector } from "@/sync/connectors/types";
import { readBack, type ReadBackSummary } from "../sync/read-back";
import { validateEntries } from "../validation/validate-entries";
import { requestReconciliation, runReconciliation, type ErpSide } from "./run";

const OPTS = { seed: 31, consultants: 24, projects: 18, months: 2, endDate: "2026-11-20" };
const TOKEN = "concurrency-test-token";

let app: TestDatabase;
let erp: NetSuiteSimulator;
let connectorId: string;
let plan: ErpVariancePlan;
/** every legal entity with the planted period */
let entities: { id: string; code: string }[];
let period: { startsOn: string; endsOn: string };

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  erp = await startNetSuite({ ...OPTS, erpVariances: true }, { token: TOKEN, pool: 10, concurrencyLimit: 10 });
  const [c] = await app.db
    .insert(connectors)
    .values({ key: "netsuite-concurrency-test", role: "erp", system: "netsuite", name: "NetSuite (simulator)", baseUrl: erp.apiUrl, accountId: erp.accountId })
    .returning({ id: connectors.id });
  connectorId = c!.id;
  plan = planErpVariances(generateDemo(OPTS))!;
  entities = await rows<{ id: string; code: string }>(sql`
    select e.id, e.code from legal_entities e join accounting_periods ap on ap.legal_entity_id = e.id and ap.period = ${plan.period} order by e.code`);
  const [p] = await rows<{ starts_on: string; ends_on: string }>(sql`
    select min(starts_on)::text as starts_on, max(ends_on)::text as ends_on from accounting_periods where period = ${plan.period}`);
  period = { startsOn: p!.starts_on, endsOn: p!.ends_on };
}, 180_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

async function rows<T>(q: ReturnType<typeof sql>): Promise<T[]> {
  return (await app.db.execute(q)) as unknown as T[];
}

/** The simulator's connector, reading in pages of 50 so that reads running at once interleave page by page. */
function smallPages(): ErpConnector {
  const c = erp.connector({ timeoutMs: 10_000 });
  return {
    system: c.system,
    post: c.post.bind(c),
    findByIdempotencyKey: c.findByIdempotencyKey.bind(c),
    masterData: c.masterData.bind(c),
    timeRecords: (from, to, opts) => c.timeRecords(from, to, { ...opts, pageSize: 50 }),
    invoices: (from, to, opts) => c.invoices(from, to, { ...opts, pageSize: 50 }),
  };
}
const erpSide = (): ErpSide => ({ connector: smallPages(), connectorId, connectorName: "NetSuite (simulator)" });

/** Requests a reconciliation of the entity and the planted period, then runs it as the worker would. */
async function reconcile(entityCode: string) {
  const req = await requestReconciliation({ ctx: systemCtx(app.db, "finance"), input: { entity: entityCode, period: plan.period }, scope: { entities: [], regions: [] } });
  expect(req.alreadyQueued).toBe(false);
  const done = await runReconciliation({ ctx: { ...systemCtx(app.db, "worker:reconcile"), db: app.db }, runId: req.runId, erp: erpSide() });
  expect(done?.status, JSON.stringify(done)).toBe("succeeded");
  return req.runId;
}

/** What a run concluded: its totals, and every variance line by class, entry and ERP record (sorted). */
async function outcome(runId: string) {
  const [run] = await rows<{ totals: unknown; matched_lines: number; total_lines: number; read_back_run_id: string }>(sql`
    select totals, matched_lines, total_lines, read_back_run_id from reconciliation_runs where id = ${runId}`);
  const lines = await rows<Record<string, unknown>>(sql`
    select variance_class, time_entry_id, erp_record_id, erp_id, source_ref, work_date::text, hours_ours::text, hours_erp::text,
           amount_ours::text, amount_erp::text, currency, value_reporting::text, explanation
    from reconciliation_variances where run_id = ${runId}
    order by variance_class, time_entry_id nulls first, erp_id nulls first`);
  return { totals: run!.totals, matched: run!.matched_lines, lines: run!.total_lines, variances: lines, readBackRunId: run!.read_back_run_id };
}

/** The ERP's time bills dated in the range, by SQL on the simulator's own tables. */
async function erpTimeBills(from: string, to: string): Promise<Set<string>> {
  const tbs = await erp.sql<{ id: string }[]>`select id from sim_netsuite.timebill where trandate between ${from}::date and ${to}::date`;
  return new Set(tbs.map((t) => t.id));
}

/** The records of the range we hold as missing. */
async function missingHeld(from: string, to: string): Promise<string[]> {
  const held = await app.db
    .select({ erpId: erpTimeRecords.erpId })
    .from(erpTimeRecords)
    .where(and(eq(erpTimeRecords.connectorId, connectorId), isNotNull(erpTimeRecords.missingSince), sql`${erpTimeRecords.workDate} between ${from}::date and ${to}::date`));
  return held.map((h) => h.erpId).sort();
}

describe("every legal entity of one period reconciled at once", () => {
  it("finds exactly what each reconciliation finds alone: the same totals and the same variance lines", async () => {
    expect(entities.length).toBeGreaterThanOrEqual(3);

    // all at once, each with its own read-back of the period
    const together = await Promise.all(entities.map((e) => reconcile(e.code)));
    // then each alone
    const alone: string[] = [];
    for (const e of entities) alone.push(await reconcile(e.code));

    const planted = entities.findIndex((e) => e.id === plan.entityId);
    expect(planted).toBeGreaterThanOrEqual(0);
    for (const [i, e] of entities.entries()) {
      const a = await outcome(together[i]!);
      const b = await outcome(alone[i]!);
      expect(a.totals, e.code).toEqual(b.totals);
      expect([a.matched, a.lines], e.code).toEqual([b.matched, b.lines]);
      expect(a.variances, e.code).toEqual(b.variances);
      // what the planted entity holds: one of each ERP-side class, nothing missing beyond the deleted record
      if (i === planted) {
        const count = (c: string) => a.variances.filter((v) => v.variance_class === c).length;
        expect([count("amount_mismatch"), count("hours_mismatch"), count("duplicated_in_erp"), count("unknown_in_erp"), count("missing_in_erp")], e.code).toEqual([1, 1, 1, 1, 1]);
      } else {
        expect(a.variances.filter((v) => v.variance_class === "missing_in_erp" || v.variance_class === "duplicated_in_erp"), e.code).toEqual([]);
      }
    }

    // each read-back, together or alone, read every time bill of the period and found none gone
    const tbs = await erpTimeBills(period.startsOn, period.endsOn);
    for (const runId of [...together, ...alone]) {
      const { readBackRunId } = await outcome(runId);
      const [rb] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, readBackRunId));
      expect(rb).toMatchObject({ status: "succeeded", fetched: tbs.size });
      expect(rb!.details).toMatchObject({ newlyMissing: 0, missing: 0, duplicates: 1 });
    }
    expect(await missingHeld(period.startsOn, period.endsOn)).toEqual([]);
  }, 240_000);
});

describe("read-backs of the same range at once", () => {
  it("leave no record wrongly marked missing, mark the one the ERP deleted, and each counts what it read", async () => {
    // the ERP deletes one time bill of the period (one not on an invoice)
    const candidates = await erp.sql<{ id: string }[]>`
      select id from sim_netsuite.timebill where invoice is null and idempotencykey is not null
        and trandate between ${period.startsOn}::date and ${period.endsOn}::date order by trandate desc, id limit 20`;
    let deleted: string | null = null;
    for (const c of candidates) {
      const res = await fetch(`${erp.apiUrl}/record/v1/timeBill/${encodeURIComponent(c.id)}`, { method: "DELETE", headers: { Authorization: `Bearer ${TOKEN}` } });
      await res.text();
      if (res.status === 204) {
        deleted = c.id;
        break;
      }
    }
    expect(deleted).not.toBeNull();

    const [{ first } = { first: "" }] = await rows<{ first: string }>(sql`select min(work_date)::text as first from time_entries`);
    expect(first).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const read = (from: string, to: string) =>
      readBack({ ctx: { ...systemCtx(app.db, "read-back"), db: app.db }, connector: smallPages(), connectorId, trigger: "manual", from, to });
    // two of the period and one of the whole demo, with small pages so they interleave
    const runs: ReadBackSummary[] = await Promise.all([read(period.startsOn, period.endsOn), read(period.startsOn, period.endsOn), read(first, OPTS.endDate)]);
    for (const s of runs) expect(s.status, s.error ?? "").toBe("succeeded");

    const inPeriod = await erpTimeBills(period.startsOn, period.endsOn);
    const inWhole = await erpTimeBills(first, OPTS.endDate);
    expect(runs.map((s) => s.fetched)).toEqual([inPeriod.size, inPeriod.size, inWhole.size]);
    expect(runs.map((s) => s.matched + s.unmatched)).toEqual([inPeriod.size, inPeriod.size, inWhole.size]);
    // the deleted record was found gone by exactly one of them, and is the only record missing
    expect(runs.map((s) => s.newlyMissing).reduce((a, b) => a + b, 0)).toBe(1);
    expect(await missingHeld(first, OPTS.endDate)).toEqual([deleted]);
    for (const s of runs) expect(s.missing).toBe(1);
    // every record the ERP holds is held live
    const live = await app.db
      .select({ erpId: erpTimeRecords.erpId })
      .from(erpTimeRecords)
      .where(and(eq(erpTimeRecords.connectorId, connectorId), sql`${erpTimeRecords.missingSince} is null`, sql`${erpTimeRecords.workDate} between ${first}::date and ${OPTS.endDate}::date`));
    expect(new Set(live.map((l) => l.erpId))).toEqual(inWhole);
  }, 240_000);
});
