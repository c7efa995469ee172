// npm run bench:kpis [-- --entries 100000 | 1000000] [--minutes N] [--repeat N]
//
// How the KPI dashboard and reconciliation cost grows with the data: a fresh embedded
// PostgreSQL (BENCH_PG_PORT), the demo firm sized to about N time entries with its history
// (posted and invoiced entries, their postings and invoices) loaded by the demo loader, its
// approved entries validated; the NetSuite simulator seeded from the same generator (with the
// demo's planted ERP variances) in the same database and served in-process over HTTP. Then:
//   1. the KPI snapshot job: first run (backfill of --backfill-days days) and a steady-state run;
//   2. the dashboard's queries, each --repeat times (median and max): tiles for the whole firm and
//      for one legal entity and period, 90 days of trends, a breakdown, a drill-down page;
//   3. one reconciliation of the planted entity and period: read-back of the month over HTTP,
//      then the comparison, timed apart; and the comparison alone over the stored ERP side.
// The whole run is capped at --minutes (default 40): a stage not reached is recorded as skipped.
// Figures go to stdout and to bench/results/kpis-<size>.json; when both sizes exist, the 1M file
// also records the ratio of each figure to the 100k one.
import { readFile } from "node:fs/promises";
import type { Server } from "node:http";
import path from "node:path";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { createDb } from "../src/server/db/client";
import { connectors } from "../src/server/db/schema";
import { planErpVariances } from "../src/server/demo/erp-variances";
import { generateDemo } from "../src/server/demo/generate";
import { loadDemo } from "../src/server/demo/load";
import { systemActor } from "../src/server/services/context";
import { kpiBreakdown } from "../src/server/services/kpis/breakdown";
import { kpiDashboard } from "../src/server/services/kpis/dashboard";
import { kpiEntries } from "../src/server/services/kpis/entries";
import { refreshKpiSnapshots } from "../src/server/services/kpis/snapshot";
import { kpiTrends } from "../src/server/services/kpis/trends";
import { compareEntityPeriod } from "../src/server/services/reconciliation/compare";
import { requestReconciliation, runReconciliation } from "../src/server/services/reconciliation/run";
import { validateEntries } from "../src/server/services/validation/validate-entries";
import { ensureSchema } from "../src/simulators/netsuite/schema";
import { seedIfEmpty } from "../src/simulators/netsuite/seed";
import { createNetSuiteSimulator } from "../src/simulators/netsuite/server";
import { FaultInjector } from "../src/simulators/shared/faults";
import { createNetSuiteConnector } from "../src/sync/connectors/netsuite/connector";
import { benchDatabase, ms, record } from "./lib";

const { values: args } = parseArgs({
  options: {
    entries: { type: "string", default: "100000" },
    minutes: { type: "string", default: "40" },
    repeat: { type: "string", default: "5" },
    "backfill-days": { type: "string", default: "90" },
  },
});
const target = Number(args.entries);
if (!Number.isInteger(target) || target < 1000) throw new Error(`--entries must be a whole number of at least 1000, not ${args.entries}.`);
const capMs = Number(args.minutes) * 60_000;
const repeat = Math.max(1, Number(args.repeat));
const backfillDays = Number(args["backfill-days"]);
// the same sizing as bench/sync.ts: about 39 entries per consultant and month
const months = target >= 500_000 ? 12 : 6;
const consultants = Math.min(20_000, Math.max(20, Math.round(target / (months * 39))));
const projects = Math.min(20_000, Math.max(15, Math.round(consultants * 0.75)));
const END_DATE = new Date().toISOString().slice(0, 10);
const OPTS = { seed: 42, consultants, projects, months, endDate: END_DATE };
const size = target >= 1_000_000 ? "1m" : `${Math.round(target / 1000)}k`;
const started = performance.now();
const left = () => capMs - (performance.now() - started);
const log = (m: string) => console.error(`[bench:kpis ${Math.round((performance.now() - started) / 1000)}s] ${m}`);

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const t = performance.now();
  const result = await fn();
  return { ms: ms(t), result };
}

/** Runs fn `repeat` times: median and max in ms (the first run warms the cache like any page view would). */
async function latency(fn: () => Promise<unknown>) {
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) times.push((await timed(fn)).ms);
  const sorted = [...times].sort((a, b) => a - b);
  return { medianMs: sorted[Math.floor((sorted.length - 1) / 2)]!, maxMs: sorted.at(-1)!, runs: times };
}

const pg = await benchDatabase("kpis");
const { db, sql: client } = createDb(pg.url, { max: 6 });
const simSql = postgres(pg.url, { max: 8, onnotice: () => {} });
let server: Server | null = null;
const figures: Record<string, unknown> = { options: { ...OPTS, targetEntries: target, capMinutes: Number(args.minutes), repeat, backfillDays } };
const ctx = { db, actor: systemActor("bench"), correlationId: crypto.randomUUID() };
const all = { entities: [], regions: [] };

try {
  log(`target ${target.toLocaleString("en")} entries: ${consultants} consultants, ${projects} projects, ${months} months to ${END_DATE}`);
  // ---- data set (not measured as the KPIs' cost) ----
  const gen = await timed(async () => generateDemo(OPTS));
  const data = gen.result;
  const load = await timed(() => loadDemo(db, data));
  const validate = await timed(() => validateEntries({ ctx }));
  log(`loaded ${data.counts.timeEntries} entries in ${load.ms} ms`);
  const sim = await timed(async () => {
    await ensureSchema(simSql);
    return seedIfEmpty(simSql, { ...OPTS, erpVariances: true });
  });
  log(`NetSuite simulator seeded (${sim.result.counts?.timebill} time bills) in ${sim.ms} ms`);
  const [{ n: entries }] = (await db.execute(sql`select count(*)::int as n from time_entries`)) as unknown as [{ n: number }];
  figures.dataSet = {
    timeEntries: entries,
    byState: data.counts.timeEntriesByState,
    setupMs: { generate: gen.ms, load: load.ms, validate: validate.ms, seedErpSimulator: sim.ms },
    erpTimeBills: sim.result.counts?.timebill,
  };

  // ---- 1. snapshots ----
  if (left() > 0) {
    const first = await timed(() => refreshKpiSnapshots({ ctx, backfillDays }));
    log(`snapshot first run (${first.result.backfilledDays} days backfilled) ${first.ms} ms`);
    const steady = await timed(() => refreshKpiSnapshots({ ctx, backfillDays }));
    const [{ n: rows }] = (await db.execute(sql`select count(*)::int as n from kpi_daily_snapshots`)) as unknown as [{ n: number }];
    figures.snapshots = { firstRunMs: first.ms, backfilledDays: first.result.backfilledDays, steadyStateRunMs: steady.ms, snapshotRows: rows };
  } else figures.snapshots = { skipped: "the run's time cap was reached" };

  // ---- 2. the dashboard ----
  const [entity] = (await db.execute(sql`select code from legal_entities order by code limit 1`)) as unknown as { code: string }[];
  const period = END_DATE.slice(0, 7);
  if (left() > 0) {
    figures.dashboardMs = {
      tilesWholeFirm: await latency(() => kpiDashboard({ ctx, input: {}, scope: all })),
      tilesOneEntityAndPeriod: await latency(() => kpiDashboard({ ctx, input: { entity: entity!.code, period }, scope: all })),
      trends90Days: await latency(() => kpiTrends({ ctx, input: { days: 90 }, scope: all })),
      breakdownByPractice: await latency(() => kpiBreakdown({ ctx, input: { by: "practice" }, scope: all })),
      drillDownFirstPage: await latency(() => kpiEntries({ ctx, input: { metric: "unbilled", limit: 50 }, scope: all })),
    };
    const d = await kpiDashboard({ ctx, input: {}, scope: all });
    figures.dashboardFigures = { unbilledEntries: d.unbilled.count, unbilledHours: d.unbilled.hours, unposted: d.unposted.count, openExceptions: d.exceptions.open };
    log("dashboard measured");
  } else figures.dashboardMs = { skipped: "the run's time cap was reached" };

  // ---- 3. reconciliation of the planted entity and period ----
  const plan = planErpVariances(data);
  if (left() > 0 && plan) {
    const [c] = await db.insert(connectors).values({ key: "netsuite-bench", role: "erp", system: "netsuite", name: "NetSuite (simulator)", baseUrl: "http://127.0.0.1" }).returning();
    server = createNetSuiteSimulator({ sql: simSql, accountId: "TSTDRV100001", token: "bench", faults: new FaultInjector(), concurrencyLimit: 5 });
    const port = await new Promise<number>((resolve) => server!.listen(0, "127.0.0.1", () => resolve((server!.address() as { port: number }).port)));
    const connector = createNetSuiteConnector({ baseUrl: `http://127.0.0.1:${port}/services/rest`, accountId: "TSTDRV100001", token: "bench", concurrency: 5, timeoutMs: 120_000 });
    const [ent] = (await db.execute(sql`select code from legal_entities where id = ${plan.entityId}`)) as unknown as { code: string }[];
    const req = await requestReconciliation({ ctx, input: { entity: ent!.code, period: plan.period }, scope: all });
    const run = await timed(() => runReconciliation({ ctx, runId: req.runId, erp: { connector, connectorId: c!.id, connectorName: "NetSuite (simulator)" } }));
    const [r] = (await db.execute(sql`
      select r.total_lines, r.matched_lines, s.fetched from reconciliation_runs r left join sync_runs s on s.id = r.read_back_run_id where r.id = ${req.runId}`)) as unknown as {
      total_lines: number; matched_lines: number; fetched: number;
    }[];
    // the comparison alone, again, over the stored ERP side (rolled back)
    const compareOnly = await latency(async () => {
      await db
        .transaction(async (tx) => {
          await compareEntityPeriod(tx, { runId: req.runId, legalEntityId: plan.entityId, from: `${plan.period}-01`, to: lastDay(plan.period), reportingCurrency: "USD" });
          tx.rollback();
        })
        .catch((e: unknown) => {
          if (!(e instanceof Error && e.message.includes("Rollback"))) throw e;
        });
    });
    // the same period again: the ERP side is read again (nothing new) and compared again
    const req2 = await requestReconciliation({ ctx, input: { entity: ent!.code, period: plan.period }, scope: all });
    const again = await timed(() => runReconciliation({ ctx, runId: req2.runId, erp: { connector, connectorId: c!.id, connectorName: "NetSuite (simulator)" } }));
    const variances = run.result && "totals" in run.result ? Object.fromEntries(Object.entries(run.result.totals.variances).map(([k, v]) => [k, v.count])) : null;
    figures.reconciliation = {
      entity: ent!.code,
      period: plan.period,
      lines: r!.total_lines,
      matched: r!.matched_lines,
      erpRecordsRead: r!.fetched,
      endToEndMs: run.ms,
      // the comparison and the storing of its lines, run again over the stored ERP side and rolled back
      compareOnlyMs: compareOnly,
      // the rest of a run: reading the ERP back over HTTP (time records and invoices, stored), claiming and closing the run
      readBackAndRestMs: run.ms - compareOnly.medianMs,
      secondRunEndToEndMs: again.ms,
      variances,
    };
    log(`reconciliation ${run.ms} ms (comparison ${compareOnly.medianMs} ms)`);
  } else figures.reconciliation = { skipped: plan ? "the run's time cap was reached" : "the demo planted no ERP variances at this size" };

  figures.wallTimeMs = ms(started);
  figures.capped = left() <= 0;
  if (size === "1m") figures.versus100k = await ratios(figures);
  await record(`kpis-${size}`, figures);
} finally {
  server?.close();
  await simSql.end({ timeout: 5 });
  await client.end({ timeout: 5 });
  await pg.stop();
}

function lastDay(period: string): string {
  const [y, m] = period.split("-").map(Number);
  return new Date(Date.UTC(y!, m!, 0)).toISOString().slice(0, 10);
}

/** Each 1M figure against the 100k one (bench/results/kpis-100k.json), when that file exists. */
async function ratios(big: Record<string, unknown>): Promise<Record<string, string> | string> {
  let small: Record<string, unknown>;
  try {
    small = JSON.parse(await readFile(path.resolve("bench/results/kpis-100k.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return "no 100k result to compare with: run npm run bench:kpis first";
  }
  const out: Record<string, string> = {};
  const pick = (o: Record<string, unknown>, p: string) => p.split(".").reduce<unknown>((a, k) => (a as Record<string, unknown> | undefined)?.[k], o) as number | undefined;
  for (const p of [
    "dataSet.timeEntries",
    "snapshots.firstRunMs",
    "snapshots.steadyStateRunMs",
    "dashboardMs.tilesWholeFirm.medianMs",
    "dashboardMs.tilesOneEntityAndPeriod.medianMs",
    "dashboardMs.trends90Days.medianMs",
    "dashboardMs.breakdownByPractice.medianMs",
    "dashboardMs.drillDownFirstPage.medianMs",
    "reconciliation.lines",
    "reconciliation.readBackAndRestMs",
    "reconciliation.compareOnlyMs.medianMs",
    "reconciliation.secondRunEndToEndMs",
  ]) {
    const a = pick(small, p);
    const b = pick(big, p);
    if (typeof a === "number" && typeof b === "number" && a > 0) out[p] = `${(b / a).toFixed(2)}× (${a} → ${b})`;
  }
  return out;
}
