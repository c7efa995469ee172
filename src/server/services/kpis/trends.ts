import { sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import type { Scope } from "../../auth/scope";
import type { ServiceCtx } from "../context";
import { sliceCondition } from "./definitions";
import { share, snapshotFacts } from "./dashboard";
import { resolveSelection, selectionInput } from "./selection";

export const trendsInput = selectionInput.extend({
  /** how many days back from the window's last day (default 90, at most 400) */
  days: z.number().int().min(7, "days must be at least 7").max(400, "days can be at most 400").default(90),
});
export type TrendsInput = z.input<typeof trendsInput>;

export type TrendPoint = {
  day: string;
  /** live: computed by the snapshot job that day; backfill: reconstructed later; null: never computed */
  method: "live" | "backfill" | null;
  unbilledHours: string | null;
  unbilledValue: string | null;
  blockedExceptionValue: string | null;
  awaitingPostingValue: string | null;
  awaitingInvoiceValue: string | null;
  unpostedHours: string | null;
  openExceptions: number | null;
  approved: number;
  slaMet: number;
  slaMissed: number;
  slaShare: string | null;
  latencyP50Seconds: number | null;
  latencyP95Seconds: number | null;
  cycleMedianDays: string | null;
};

export type KpiTrends = { reportingCurrency: string; from: string; to: string; points: TrendPoint[] };

/**
 * The dashboard's daily history from kpi_daily_snapshots: one point per day for the selection
 * (scope and filter applied to each slice), whatever the size of the history behind it.
 * Percentiles are exact: taken over the day's seconds, not averaged.
 */
export async function kpiTrends({ ctx, input, scope, now = new Date() }: { ctx: ServiceCtx; input: TrendsInput; scope: Scope; now?: Date }): Promise<KpiTrends> {
  const q = trendsInput.parse(input);
  const sel = await resolveSelection(ctx.db, scope, q, now);
  const to = sel.window.to;
  const from = new Date(Date.parse(`${to}T00:00:00Z`) - (q.days - 1) * 86_400_000).toISOString().slice(0, 10);
  const where = sliceCondition(scope, sel.slice);
  const snap = snapshotFacts({ from, to });

  const sums = (await ctx.db.execute(sql`
    select f.day::text as day,
           max(f.method) filter (where f.slice_key = '*') as method,
           sum(f.unbilled_hours)::text as unbilled_hours, sum(f.unbilled_value)::text as unbilled_value,
           sum(f.blocked_exception_value)::text as blocked_exception_value, sum(f.awaiting_posting_value)::text as awaiting_posting_value,
           sum(f.awaiting_invoice_value)::text as awaiting_invoice_value, sum(f.unposted_hours)::text as unposted_hours,
           sum(f.open_exceptions)::int as open_exceptions, sum(f.approved_count)::int as approved, sum(f.sla_met)::int as met, sum(f.sla_missed)::int as missed
    from (${snap}) f where ${where} or f.slice_key = '*'
    group by f.day`)) as unknown as Record<string, string | number | null>[];
  const lat = (await ctx.db.execute(sql`
    select f.day::text as day, percentile_cont(0.5) within group (order by s) as p50, percentile_cont(0.95) within group (order by s) as p95
    from (${snap}) f cross join lateral unnest(f.latency_seconds) s where ${where} group by f.day`)) as unknown as { day: string; p50: number; p95: number }[];
  const cyc = (await ctx.db.execute(sql`
    select f.day::text as day, percentile_cont(0.5) within group (order by s) as p50
    from (${snap}) f cross join lateral unnest(f.cycle_seconds) s where ${where} group by f.day`)) as unknown as { day: string; p50: number }[];

  const byDay = new Map(sums.map((r) => [String(r.day), r]));
  const points: TrendPoint[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const r = byDay.get(day);
    const computed = Boolean(r?.method);
    const l = lat.find((x) => x.day === day);
    const c = cyc.find((x) => x.day === day);
    const met = Number(r?.met ?? 0);
    const missed = Number(r?.missed ?? 0);
    points.push({
      day,
      method: computed ? (r!.method as "live" | "backfill") : null,
      unbilledHours: computed ? String(r!.unbilled_hours ?? "0") : null,
      unbilledValue: computed ? String(r!.unbilled_value ?? "0") : null,
      blockedExceptionValue: computed ? String(r!.blocked_exception_value ?? "0") : null,
      awaitingPostingValue: computed ? String(r!.awaiting_posting_value ?? "0") : null,
      awaitingInvoiceValue: computed ? String(r!.awaiting_invoice_value ?? "0") : null,
      unpostedHours: computed ? String(r!.unposted_hours ?? "0") : null,
      openExceptions: computed ? Number(r!.open_exceptions ?? 0) : null,
      approved: Number(r?.approved ?? 0),
      slaMet: met,
      slaMissed: missed,
      slaShare: share(met, met + missed),
      latencyP50Seconds: l ? Math.round(Number(l.p50)) : null,
      latencyP95Seconds: l ? Math.round(Number(l.p95)) : null,
      cycleMedianDays: c ? (Number(c.p50) / 86_400).toFixed(1) : null,
    });
  }
  return { reportingCurrency: env.REPORTING_CURRENCY, from, to, points };
}
