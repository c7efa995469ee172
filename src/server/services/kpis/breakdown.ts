import { sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import type { Scope } from "../../auth/scope";
import type { ServiceCtx } from "../context";
import { sliceCondition, unbilledRows, unpostedRows } from "./definitions";
import { share, snapshotFacts } from "./dashboard";
import { resolveSelection, selectionInput } from "./selection";

export const BREAKDOWN_DIMENSIONS = ["entity", "region", "businessUnit", "practice", "period"] as const;
export type BreakdownDimension = (typeof BREAKDOWN_DIMENSIONS)[number];

export const breakdownInput = selectionInput.extend({
  by: z.enum(BREAKDOWN_DIMENSIONS, { error: `by must be one of ${BREAKDOWN_DIMENSIONS.join(", ")}` }),
});
export type BreakdownInput = z.input<typeof breakdownInput>;

export type BreakdownRow = {
  /** the dimension's value as the filter takes it (entity code, region, …, YYYY-MM); null = not assigned */
  key: string | null;
  unbilledCount: number;
  unbilledHours: string;
  unbilledValue: string;
  atRiskValue: string;
  unpostedHours: string;
  approved: number;
  slaShare: string | null;
  latencyP50Seconds: number | null;
  cycleMedianDays: string | null;
};
export type KpiBreakdown = { by: BreakdownDimension; reportingCurrency: string; window: { from: string; to: string; label: string }; rows: BreakdownRow[]; note: string | null };

type Raw = Record<string, string | number | null>;

/** One row from its parts: unbilled (count, hours, value, at_risk), unposted hours, flows (approved, met, missed), latency and cycle medians. */
function rowOf(key: string | null, u: Raw | undefined, unpostedHours: string | number | null | undefined, f: Raw | undefined, l: Raw | undefined, c: Raw | undefined): BreakdownRow {
  return {
    key,
    unbilledCount: Number(u?.count ?? 0),
    unbilledHours: String(u?.hours ?? "0"),
    unbilledValue: String(u?.value ?? "0"),
    atRiskValue: String(u?.at_risk ?? "0"),
    unpostedHours: String(unpostedHours ?? "0"),
    approved: Number(f?.approved ?? 0),
    slaShare: share(Number(f?.met ?? 0), Number(f?.met ?? 0) + Number(f?.missed ?? 0)),
    latencyP50Seconds: l ? Math.round(Number(l.p50)) : null,
    cycleMedianDays: c ? (Number(c.p50) / 86_400).toFixed(1) : null,
  };
}

const COLUMN: Record<Exclude<BreakdownDimension, "period">, string> = { entity: "entity_code", region: "region", businessUnit: "business_unit", practice: "practice" };

/**
 * The dashboard's figures split by legal entity, region, business unit or practice (stock
 * figures now, window figures over the selection's window), or by accounting period (each of
 * the last six months: stock as it stood on the month's last snapshot, flows over the month).
 * The same row sets as the tiles, so the rows add up to them.
 */
export async function kpiBreakdown({ ctx, input, scope, now = new Date() }: { ctx: ServiceCtx; input: BreakdownInput; scope: Scope; now?: Date }): Promise<KpiBreakdown> {
  const q = breakdownInput.parse(input);
  const rc = env.REPORTING_CURRENCY;
  const sel = await resolveSelection(ctx.db, scope, q, now);
  const where = sliceCondition(scope, sel.slice);

  if (q.by === "period") {
    const to = sel.window.to;
    const from = `${new Date(Date.UTC(Number(to.slice(0, 4)), Number(to.slice(5, 7)) - 6, 1)).toISOString().slice(0, 7)}-01`;
    const snap = snapshotFacts({ from, to });
    const flows = (await ctx.db.execute(sql`
      select to_char(f.day, 'YYYY-MM') as key, sum(f.approved_count)::int as approved, sum(f.sla_met)::int as met, sum(f.sla_missed)::int as missed
      from (${snap}) f where ${where} group by 1`)) as unknown as Raw[];
    const stock = (await ctx.db.execute(sql`
      with last_day as (select to_char(day, 'YYYY-MM') as key, max(day) as day from kpi_daily_snapshots where slice_key = '*' and day between ${from}::date and ${to}::date group by 1)
      select l.key, coalesce(sum(f.unbilled_count), 0)::int as count, coalesce(sum(f.unbilled_hours), 0)::text as hours,
             coalesce(sum(f.unbilled_value), 0)::text as value, coalesce(sum(f.blocked_exception_value), 0)::text as at_risk,
             coalesce(sum(f.unposted_hours), 0)::text as unposted_hours
      from last_day l left join (${snap}) f on f.day = l.day and ${where}
      group by l.key`)) as unknown as Raw[];
    const lat = (await ctx.db.execute(sql`
      select to_char(f.day, 'YYYY-MM') as key, percentile_cont(0.5) within group (order by s) as p50
      from (${snap}) f cross join lateral unnest(f.latency_seconds) s where ${where} group by 1`)) as unknown as Raw[];
    const cyc = (await ctx.db.execute(sql`
      select to_char(f.day, 'YYYY-MM') as key, percentile_cont(0.5) within group (order by s) as p50
      from (${snap}) f cross join lateral unnest(f.cycle_seconds) s where ${where} group by 1`)) as unknown as Raw[];
    const keys = [...new Set([...flows, ...stock].map((r) => String(r.key)))].sort().reverse();
    return {
      by: q.by,
      reportingCurrency: rc,
      window: { from, to, label: "last six months" },
      note: "Unbilled and unposted as they stood on each month's last day with a snapshot; SLA, latency and cycle time over the month.",
      rows: keys.map((key) => {
        const find = (list: Raw[]) => list.find((r) => r.key === key);
        const s = find(stock);
        return rowOf(key, s, s?.unposted_hours, find(flows), find(lat), find(cyc));
      }),
    };
  }

  const col = sql.raw(`f.${COLUMN[q.by]}`);
  const unbilled = (await ctx.db.execute(sql`
    select ${col} as key, count(*)::int as count, coalesce(sum(f.hours), 0)::text as hours, coalesce(sum(f.value_reporting), 0)::text as value,
           coalesce(sum(f.value_reporting) filter (where f.blocker = 'exception'), 0)::text as at_risk
    from (${unbilledRows(now, rc)}) f where ${where} group by 1`)) as unknown as Raw[];
  const unposted = (await ctx.db.execute(sql`
    select ${col} as key, coalesce(sum(f.hours), 0)::text as hours from (${unpostedRows(now, rc)}) f where ${where} group by 1`)) as unknown as Raw[];
  const snap = snapshotFacts(sel.window);
  const flows = (await ctx.db.execute(sql`
    select ${col} as key, sum(f.approved_count)::int as approved, sum(f.sla_met)::int as met, sum(f.sla_missed)::int as missed
    from (${snap}) f where ${where} and f.slice_key <> '*' group by 1`)) as unknown as Raw[];
  const lat = (await ctx.db.execute(sql`
    select ${col} as key, percentile_cont(0.5) within group (order by s) as p50 from (${snap}) f cross join lateral unnest(f.latency_seconds) s where ${where} group by 1`)) as unknown as Raw[];
  const cyc = (await ctx.db.execute(sql`
    select ${col} as key, percentile_cont(0.5) within group (order by s) as p50 from (${snap}) f cross join lateral unnest(f.cycle_seconds) s where ${where} group by 1`)) as unknown as Raw[];

  const keyOf = (r: Raw) => (r.key === null ? null : String(r.key));
  const keys = [...new Set([...unbilled, ...unposted, ...flows].map(keyOf))];
  const rows = keys.map((key): BreakdownRow => {
    const find = (list: Raw[]) => list.find((r) => keyOf(r) === key);
    return rowOf(key, find(unbilled), find(unposted)?.hours, find(flows), find(lat), find(cyc));
  });
  rows.sort((a, b) => Number(b.unbilledValue) - Number(a.unbilledValue) || String(a.key).localeCompare(String(b.key)));
  return {
    by: q.by,
    reportingCurrency: rc,
    window: sel.window,
    note: keys.includes(null) ? "“Not assigned” holds entries whose project maps to no ERP job yet, so they have no legal entity, business unit or practice." : null,
    rows,
  };
}
