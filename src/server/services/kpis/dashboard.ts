import Big from "big.js";
import { sql, type SQL } from "drizzle-orm";
import { env } from "@/env";
import type { Scope } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import { OWNER_TEAMS, type OwnerTeam } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { connectorsOverview } from "../sync/overview";
import {
  AGE_BUCKETS,
  BLOCKERS,
  openExceptionRows,
  resolvedExceptionRows,
  sliceCondition,
  unbilledRows,
  unpostedRows,
  utilizationRows,
  type AgeBucket,
  type Blocker,
  type Slice,
  type Window,
} from "./definitions";
import { resolveSelection, scopeOnEntities, selectionInput, type Selection, type SelectionInput } from "./selection";
import { lastSnapshotAt } from "./snapshot";

export const dashboardInput = selectionInput;

/** Count, hours and value in the reporting currency; `unvalued` entries had no rate and are not in the value. */
export type Figure = { count: number; hours: string; value: string; unvalued: number };

export type KpiDashboard = {
  asOf: string;
  reportingCurrency: string;
  selection: { slice: Slice; window: Selection["window"]; entity: Selection["entity"] };
  /** when the daily history the window figures come from was last computed (null: never) */
  snapshotAt: string | null;
  unbilled: Figure & { byBlocker: (Figure & { blocker: Blocker })[]; byAge: (Figure & { bucket: AgeBucket })[] };
  unposted: Figure & { byAge: (Figure & { bucket: AgeBucket })[] };
  revenueAtRisk: Figure;
  sla: { approved: number; met: number; missed: number; pending: number; share: string | null };
  latency: { postings: number; p50Seconds: number | null; p95Seconds: number | null };
  invoiceCycle: { entries: number; medianDays: string | null; hours: string };
  exceptions: {
    open: number;
    byOwner: { owner: OwnerTeam; open: number; hours: string; value: string; buckets: Record<AgeBucket, number> }[];
    resolvedInWindow: number;
    medianHoursToResolve: string | null;
  };
  utilization: { applicable: boolean; people: number; billableHours: string; capacityHours: string; share: string | null };
  reconciliation: {
    runs: { runId: string; entityCode: string; period: string; matched: number; lines: number; finishedAt: string }[];
    matched: number;
    lines: number;
    completeness: string | null;
  };
  /** the choices of the filter bar, within the user's scope */
  facets: { entities: { code: string; name: string }[]; regions: string[]; businessUnits: string[]; practices: string[]; periods: string[] };
  syncHealth: {
    id: string;
    name: string;
    role: "source" | "erp";
    status: string;
    statusReason: string | null;
    lastSuccessAgeSeconds: number | null;
    backlog: number | null;
    errorRateLastHour: number | null;
    doneLastHour: number;
  }[];
};

type Row = Record<string, unknown>;
const rows = async <T = Row>(db: DbOrTx, q: SQL) => (await db.execute(q)) as unknown as T[];
const figureOf = (r: Row | undefined): Figure => ({
  count: Number(r?.count ?? 0),
  hours: String(r?.hours ?? "0"),
  value: String(r?.value ?? "0"),
  unvalued: Number(r?.unvalued ?? 0),
});
const FIGURE = sql`count(*)::int as count, coalesce(sum(hours), 0)::text as hours, coalesce(sum(value_reporting), 0)::text as value, count(*) filter (where value_reporting is null)::int as unvalued`;

/** A share as a decimal string with four places ("0.9375"), or null when there is nothing to divide by. */
export const share = (num: number | string, den: number | string): string | null =>
  Number(den) === 0 ? null : (Math.round((Number(num) / Number(den)) * 10_000) / 10_000).toFixed(4);

/** The snapshot rows of a window, with the slicing columns every condition expects. */
export const snapshotFacts = (window: Window) => sql`
  select k.*, k.legal_entity_id as entity_id, e.code as entity_code from kpi_daily_snapshots k
  left join legal_entities e on e.id = k.legal_entity_id
  where k.day between ${window.from}::date and ${window.to}::date`;

/**
 * The KPI dashboard's tiles for a selection: the stock figures (unbilled, unposted, revenue at
 * risk, open exceptions) live, as they stand now; the window figures (SLA, latency, invoice
 * cycle time) from the daily snapshots; utilization live over the window; reconciliation
 * completeness from the latest runs; sync health from the sync overview.
 */
export async function kpiDashboard({ ctx, input, scope, now = new Date() }: { ctx: ServiceCtx; input: SelectionInput; scope: Scope; now?: Date }): Promise<KpiDashboard> {
  const db = ctx.db;
  const rc = env.REPORTING_CURRENCY;
  const sel = await resolveSelection(db, scope, input, now);
  const where = sliceCondition(scope, sel.slice);

  const unbilled = await rows(db, sql`
    with f as (${unbilledRows(now, rc)})
    select case when grouping(blocker) = 1 then 'all' else blocker end as blocker,
           case when grouping(age_bucket) = 1 then 'all' else coalesce(age_bucket, 'unknown') end as bucket, ${FIGURE}
    from f where ${where} group by grouping sets ((), (blocker), (age_bucket))`);
  const total = unbilled.find((r) => r.blocker === "all" && r.bucket === "all");
  const unposted = await rows(db, sql`
    with f as (${unpostedRows(now, rc)})
    select case when grouping(age_bucket) = 1 then 'all' else coalesce(age_bucket, 'unknown') end as bucket, ${FIGURE}
    from f where ${where} group by grouping sets ((), (age_bucket))`);

  const snap = snapshotFacts(sel.window);
  const [flow] = await rows(db, sql`
    select coalesce(sum(approved_count), 0)::int as approved, coalesce(sum(sla_met), 0)::int as met, coalesce(sum(sla_missed), 0)::int as missed,
           coalesce(sum(sla_pending), 0)::int as pending, coalesce(sum(billed_hours), 0)::text as billed_hours
    from (${snap}) f where ${where}`);
  const [lat] = await rows(db, sql`
    select count(*)::int as n, percentile_cont(0.5) within group (order by s) as p50, percentile_cont(0.95) within group (order by s) as p95
    from (${snap}) f cross join lateral unnest(f.latency_seconds) s where ${where}`);
  const [cyc] = await rows(db, sql`
    select count(*)::int as n, percentile_cont(0.5) within group (order by s) as p50
    from (${snap}) f cross join lateral unnest(f.cycle_seconds) s where ${where}`);

  const openX = await rows(db, sql`
    with f as (${openExceptionRows(now)})
    select owner, age_bucket, count(*)::int as n, coalesce(sum(hours_at_stake), 0)::text as hours, coalesce(sum(value_reporting), 0)::text as value
    from f where ${where} group by owner, age_bucket`);
  const [resolved] = await rows(db, sql`
    select count(*)::int as n, percentile_cont(0.5) within group (order by hours_to_resolve) as median
    from (${resolvedExceptionRows(sel.window)}) f where ${where}`);

  const utilizationApplicable = !sel.slice.businessUnit && !sel.slice.practice;
  const [util] = utilizationApplicable
    ? await rows(db, sql`
        select count(*)::int as people, coalesce(sum(billable_hours), 0)::text as billable, coalesce(sum(capacity_hours), 0)::text as capacity
        from (${utilizationRows(sel.window)}) f where ${where}`)
    : [undefined];

  const recon = await reconciliationCompleteness(db, scope, sel);
  const sync = await connectorsOverview({ ctx, now });
  const snapshotAt = await lastSnapshotAt(db);
  const facets = await facetsOf(db, scope);

  const byOwner = OWNER_TEAMS.map((owner) => {
    const mine = openX.filter((r) => r.owner === owner);
    const sum = (k: string) => mine.reduce((a, r) => a + Number(r[k]), 0);
    return {
      owner,
      open: sum("n"),
      hours: mine.reduce((a, r) => a.plus(String(r.hours)), big0()).toFixed(2),
      value: mine.reduce((a, r) => a.plus(String(r.value)), big0()).toFixed(2),
      buckets: Object.fromEntries(AGE_BUCKETS.map((b) => [b, Number(mine.find((r) => r.age_bucket === b)?.n ?? 0)])) as Record<AgeBucket, number>,
    };
  });

  const riskRow = unbilled.find((r) => r.blocker === "exception" && r.bucket === "all");
  return {
    asOf: now.toISOString(),
    reportingCurrency: rc,
    selection: { slice: sel.slice, window: sel.window, entity: sel.entity },
    snapshotAt: snapshotAt?.toISOString() ?? null,
    unbilled: {
      ...figureOf(total),
      byBlocker: BLOCKERS.map((b) => ({ blocker: b, ...figureOf(unbilled.find((r) => r.blocker === b && r.bucket === "all")) })),
      byAge: AGE_BUCKETS.map((b) => ({ bucket: b, ...figureOf(unbilled.find((r) => r.bucket === b && r.blocker === "all")) })),
    },
    unposted: {
      ...figureOf(unposted.find((r) => r.bucket === "all")),
      byAge: AGE_BUCKETS.map((b) => ({ bucket: b, ...figureOf(unposted.find((r) => r.bucket === b)) })),
    },
    revenueAtRisk: figureOf(riskRow),
    sla: { approved: Number(flow?.approved ?? 0), met: Number(flow?.met ?? 0), missed: Number(flow?.missed ?? 0), pending: Number(flow?.pending ?? 0), share: share(Number(flow?.met ?? 0), Number(flow?.met ?? 0) + Number(flow?.missed ?? 0)) },
    latency: { postings: Number(lat?.n ?? 0), p50Seconds: lat?.p50 == null ? null : Math.round(Number(lat.p50)), p95Seconds: lat?.p95 == null ? null : Math.round(Number(lat.p95)) },
    invoiceCycle: { entries: Number(cyc?.n ?? 0), medianDays: cyc?.p50 == null ? null : (Number(cyc.p50) / 86_400).toFixed(1), hours: String(flow?.billed_hours ?? "0") },
    exceptions: {
      open: byOwner.reduce((a, o) => a + o.open, 0),
      byOwner,
      resolvedInWindow: Number(resolved?.n ?? 0),
      medianHoursToResolve: resolved?.median == null ? null : Number(resolved.median).toFixed(1),
    },
    utilization: {
      applicable: utilizationApplicable,
      people: Number(util?.people ?? 0),
      billableHours: String(util?.billable ?? "0"),
      capacityHours: String(util?.capacity ?? "0"),
      share: util ? share(String(util.billable), String(util.capacity)) : null,
    },
    reconciliation: recon,
    facets,
    syncHealth: sync.map((c) => ({
      id: c.id,
      name: c.name,
      role: c.role,
      status: c.status,
      statusReason: c.statusReason,
      lastSuccessAgeSeconds: c.lastSuccessAgeSeconds,
      backlog: c.backlog ? c.backlog.waiting + c.backlog.retrying : null,
      errorRateLastHour: c.lastHour.errorRate,
      doneLastHour: c.lastHour.done,
    })),
  };
}

const big0 = () => new Big(0);

/** The filter bar's choices: legal entities, regions, business units, practices and periods in the user's scope. */
async function facetsOf(db: DbOrTx, scope: Scope): Promise<KpiDashboard["facets"]> {
  const entities = await rows<{ code: string; name: string; region: string }>(db, sql`select code, name, region from legal_entities e where ${scopeOnEntities(scope)} order by code`);
  const projects = await rows<{ business_unit: string; practice: string }>(
    db,
    sql`select distinct p.business_unit, p.practice from projects p join legal_entities e on e.id = p.legal_entity_id where ${scopeOnEntities(scope)}${
      scope.regions.length ? sql` and p.region in (${sql.join(scope.regions.map((r) => sql`${r}`), sql`, `)})` : sql``
    }`,
  );
  const periods = await rows<{ period: string }>(db, sql`select distinct ap.period from accounting_periods ap join legal_entities e on e.id = ap.legal_entity_id where ${scopeOnEntities(scope)} order by 1 desc`);
  return {
    entities: entities.map((e) => ({ code: e.code, name: e.name })),
    regions: [...new Set(entities.map((e) => e.region))].filter((r) => scope.regions.length === 0 || scope.regions.includes(r)).sort(),
    businessUnits: [...new Set(projects.map((p) => p.business_unit))].sort(),
    practices: [...new Set(projects.map((p) => p.practice))].sort(),
    periods: periods.map((p) => p.period),
  };
}

/**
 * RECONCILIATION COMPLETENESS — per legal entity and period, the latest finished run's matched
 * lines ÷ all its lines; rolled up as Σ matched ÷ Σ lines. The selection's period when one is
 * chosen, else each entity's latest period that has a run.
 */
export async function reconciliationCompleteness(db: DbOrTx, scope: Scope, sel: Selection): Promise<KpiDashboard["reconciliation"]> {
  const conditions = [scopeOnEntities(scope)];
  if (sel.entity) conditions.push(sql`e.id = ${sel.entity.id}`);
  if (sel.slice.region) conditions.push(sql`e.region = ${sel.slice.region}`);
  if (sel.window.period) conditions.push(sql`r.period = ${sel.window.period}`);
  const runs = await rows<{ run_id: string; entity_code: string; period: string; matched: number; lines: number; finished_at: Date }>(
    db,
    sql`
    select distinct on (r.legal_entity_id) r.id as run_id, e.code as entity_code, r.period, r.matched_lines as matched, r.total_lines as lines, r.finished_at
    from reconciliation_runs r join legal_entities e on e.id = r.legal_entity_id
    where r.status = 'succeeded' and ${sql.join(conditions, sql` and `)}
    order by r.legal_entity_id, r.period desc, r.finished_at desc`,
  );
  const matched = runs.reduce((a, r) => a + Number(r.matched), 0);
  const lines = runs.reduce((a, r) => a + Number(r.lines), 0);
  return {
    runs: runs.map((r) => ({ runId: r.run_id, entityCode: r.entity_code, period: r.period, matched: Number(r.matched), lines: Number(r.lines), finishedAt: new Date(r.finished_at).toISOString() })),
    matched,
    lines,
    completeness: share(matched, lines),
  };
}
