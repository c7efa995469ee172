import { sql, type SQL } from "drizzle-orm";
import { env } from "@/env";
import { withTx, type DbOrTx } from "../../db/client";
import type { ServiceCtx } from "../context";
import { logOf } from "../context";
import {
  cycleRows,
  latencyRows,
  openExceptionRows,
  openExceptionsAsOfRows,
  slaRows,
  unbilledAsOfRows,
  unbilledRows,
  unpostedAsOfRows,
  unpostedRows,
  type Window,
} from "./definitions";

/**
 * The KPI dashboard's daily history (kpi_daily_snapshots), kept by the worker's `kpi-snapshot`
 * job so the dashboard's trends read a few hundred rows whatever the size of the history:
 *
 * 1. Backfill: every day from the first approval (at most `backfillDays` back) to yesterday that
 *    has no row yet is reconstructed from the entries' life-cycle timestamps (method `backfill`).
 * 2. Today's stock (unbilled, unposted, open exceptions) with the live definitions — the very
 *    queries behind the dashboard's tiles (method `live`). Each run replaces today's stock, so a
 *    past day keeps what stood at its last run.
 * 3. The flows (approvals and their SLA outcome, acceptances, invoices) of the trailing
 *    `trailingDays` days are recomputed: an SLA outcome still pending settles, late events land.
 *
 * Idempotent: a second run with the same clock changes nothing. One transaction per step.
 */
export type SnapshotSummary = { backfilledDays: number; today: string; slicesToday: number; flowDays: number; ms: number };

const STOCK_COLUMNS = [
  "unbilled_count",
  "unbilled_hours",
  "unbilled_value",
  "unbilled_unvalued",
  "blocked_exception_hours",
  "blocked_exception_value",
  "awaiting_posting_hours",
  "awaiting_posting_value",
  "awaiting_invoice_hours",
  "awaiting_invoice_value",
  "age_0_7_hours",
  "age_8_30_hours",
  "age_31_60_hours",
  "age_over_60_hours",
  "unposted_count",
  "unposted_hours",
  "open_exceptions",
] as const;
const FLOW_COLUMNS = ["approved_count", "sla_met", "sla_missed", "sla_pending", "latency_seconds", "cycle_seconds", "billed_hours"] as const;
const COLUMN_TYPES: Record<string, string> = {
  unbilled_count: "int",
  unbilled_unvalued: "int",
  unposted_count: "int",
  open_exceptions: "int",
  approved_count: "int",
  sla_met: "int",
  sla_missed: "int",
  sla_pending: "int",
  latency_seconds: "int[]",
  cycle_seconds: "int[]",
};
const typeOf = (c: string) => COLUMN_TYPES[c] ?? "numeric";

type SliceRow = { day: string; entity_id: string | null; region: string | null; business_unit: string | null; practice: string | null } & Record<string, unknown>;

const sliceKey = (r: Pick<SliceRow, "entity_id" | "region" | "business_unit" | "practice">) =>
  [r.entity_id ?? "-", r.region ?? "-", r.business_unit ?? "-", r.practice ?? "-"].join("|");

const SLICE = sql`entity_id, region, business_unit, practice`;

/** Stock figures per slice from an unbilled row set, an unposted row set and an open-exception row set. */
async function stockBySlice(db: DbOrTx, unbilled: SQL, unposted: SQL, openExceptions: SQL): Promise<SliceRow[]> {
  const rows = (await db.execute(sql`
    with u as (${unbilled}), n as (${unposted}), x as (${openExceptions}),
    us as (
      select ${SLICE}, count(*)::int as unbilled_count, sum(hours) as unbilled_hours, coalesce(sum(value_reporting), 0) as unbilled_value,
             count(*) filter (where value_reporting is null)::int as unbilled_unvalued,
             coalesce(sum(hours) filter (where blocker = 'exception'), 0) as blocked_exception_hours,
             coalesce(sum(value_reporting) filter (where blocker = 'exception'), 0) as blocked_exception_value,
             coalesce(sum(hours) filter (where blocker = 'awaiting_posting'), 0) as awaiting_posting_hours,
             coalesce(sum(value_reporting) filter (where blocker = 'awaiting_posting'), 0) as awaiting_posting_value,
             coalesce(sum(hours) filter (where blocker = 'awaiting_invoice'), 0) as awaiting_invoice_hours,
             coalesce(sum(value_reporting) filter (where blocker = 'awaiting_invoice'), 0) as awaiting_invoice_value,
             coalesce(sum(hours) filter (where age_bucket = '0-7'), 0) as age_0_7_hours,
             coalesce(sum(hours) filter (where age_bucket = '8-30'), 0) as age_8_30_hours,
             coalesce(sum(hours) filter (where age_bucket = '31-60'), 0) as age_31_60_hours,
             coalesce(sum(hours) filter (where age_bucket = 'over-60'), 0) as age_over_60_hours
      from u group by ${SLICE}),
    ns as (select ${SLICE}, count(*)::int as unposted_count, sum(hours) as unposted_hours from n group by ${SLICE}),
    xs as (select ${SLICE}, count(*)::int as open_exceptions from x group by ${SLICE}),
    keys as (select ${SLICE} from us union select ${SLICE} from ns union select ${SLICE} from xs)
    select k.entity_id, k.region, k.business_unit, k.practice,
           coalesce(us.unbilled_count, 0) as unbilled_count, coalesce(us.unbilled_hours, 0)::text as unbilled_hours, coalesce(us.unbilled_value, 0)::text as unbilled_value,
           coalesce(us.unbilled_unvalued, 0) as unbilled_unvalued,
           coalesce(us.blocked_exception_hours, 0)::text as blocked_exception_hours, coalesce(us.blocked_exception_value, 0)::text as blocked_exception_value,
           coalesce(us.awaiting_posting_hours, 0)::text as awaiting_posting_hours, coalesce(us.awaiting_posting_value, 0)::text as awaiting_posting_value,
           coalesce(us.awaiting_invoice_hours, 0)::text as awaiting_invoice_hours, coalesce(us.awaiting_invoice_value, 0)::text as awaiting_invoice_value,
           coalesce(us.age_0_7_hours, 0)::text as age_0_7_hours, coalesce(us.age_8_30_hours, 0)::text as age_8_30_hours,
           coalesce(us.age_31_60_hours, 0)::text as age_31_60_hours, coalesce(us.age_over_60_hours, 0)::text as age_over_60_hours,
           coalesce(ns.unposted_count, 0) as unposted_count, coalesce(ns.unposted_hours, 0)::text as unposted_hours,
           coalesce(xs.open_exceptions, 0) as open_exceptions
    from keys k
    left join us on us.entity_id is not distinct from k.entity_id and us.region is not distinct from k.region and us.business_unit is not distinct from k.business_unit and us.practice is not distinct from k.practice
    left join ns on ns.entity_id is not distinct from k.entity_id and ns.region is not distinct from k.region and ns.business_unit is not distinct from k.business_unit and ns.practice is not distinct from k.practice
    left join xs on xs.entity_id is not distinct from k.entity_id and xs.region is not distinct from k.region and xs.business_unit is not distinct from k.business_unit and xs.practice is not distinct from k.practice`)) as unknown as SliceRow[];
  return rows;
}

/** Flow figures per (event day, slice) over a window. */
async function flowsBySlice(db: DbOrTx, window: Window, now: Date, rc: string): Promise<SliceRow[]> {
  const rows = (await db.execute(sql`
    with s as (${slaRows(window, now, rc)}), l as (${latencyRows(window, rc)}), c as (${cycleRows(window, rc)}),
    ss as (select event_day, ${SLICE}, count(*)::int as approved_count, count(*) filter (where outcome = 'met')::int as sla_met,
                  count(*) filter (where outcome = 'missed')::int as sla_missed, count(*) filter (where outcome = 'pending')::int as sla_pending
           from s group by event_day, ${SLICE}),
    ls as (select event_day, ${SLICE}, array_agg(seconds order by seconds) as latency_seconds from l group by event_day, ${SLICE}),
    cs as (select event_day, ${SLICE}, array_agg(seconds order by seconds) as cycle_seconds, sum(hours) as billed_hours from c group by event_day, ${SLICE}),
    keys as (select event_day, ${SLICE} from ss union select event_day, ${SLICE} from ls union select event_day, ${SLICE} from cs)
    select k.event_day::text as day, k.entity_id, k.region, k.business_unit, k.practice,
           coalesce(ss.approved_count, 0) as approved_count, coalesce(ss.sla_met, 0) as sla_met, coalesce(ss.sla_missed, 0) as sla_missed, coalesce(ss.sla_pending, 0) as sla_pending,
           coalesce(ls.latency_seconds, '{}') as latency_seconds, coalesce(cs.cycle_seconds, '{}') as cycle_seconds, coalesce(cs.billed_hours, 0)::text as billed_hours
    from keys k
    left join ss on ss.event_day = k.event_day and ss.entity_id is not distinct from k.entity_id and ss.region is not distinct from k.region and ss.business_unit is not distinct from k.business_unit and ss.practice is not distinct from k.practice
    left join ls on ls.event_day = k.event_day and ls.entity_id is not distinct from k.entity_id and ls.region is not distinct from k.region and ls.business_unit is not distinct from k.business_unit and ls.practice is not distinct from k.practice
    left join cs on cs.event_day = k.event_day and cs.entity_id is not distinct from k.entity_id and cs.region is not distinct from k.region and cs.business_unit is not distinct from k.business_unit and cs.practice is not distinct from k.practice`)) as unknown as SliceRow[];
  return rows;
}

/**
 * Writes rows for their (day, slice), setting `columns` (and the method when given); rows that
 * do not exist yet are created with zeros elsewhere. postgres.js hands int[] back as arrays.
 */
async function upsert(db: DbOrTx, rows: SliceRow[], columns: readonly string[], method: "live" | "backfill" | null, rc: string) {
  if (rows.length === 0) return;
  const payload = rows.map((r) => ({
    day: r.day,
    slice_key: r.marker ? MARKER : sliceKey(r),
    legal_entity_id: r.entity_id,
    region: r.region,
    business_unit: r.business_unit,
    practice: r.practice,
    method: method ?? "live",
    ...Object.fromEntries(columns.map((c) => [c, r[c]])),
  }));
  const cols = ["day", "slice_key", "legal_entity_id", "region", "business_unit", "practice", "method", ...columns];
  const selected = cols.map((c) => ((columns as readonly string[]).includes(c) ? `coalesce(${c}, ${typeOf(c) === "int[]" ? "'{}'" : "0"})` : c)).join(", ");
  const defs = cols.map((c) => `${c} ${c === "day" ? "date" : c === "legal_entity_id" ? "uuid" : ["slice_key", "region", "business_unit", "practice", "method"].includes(c) ? "text" : typeOf(c)}`).join(", ");
  const sets = [...columns.map((c) => `${c} = excluded.${c}`), "computed_at = now()", ...(method ? ["method = excluded.method"] : [])].join(", ");
  for (let i = 0; i < payload.length; i += 2000) {
    const chunk = payload.slice(i, i + 2000);
    await db.execute(sql`
      insert into kpi_daily_snapshots (${sql.raw(cols.join(", "))}, reporting_currency)
      select ${sql.raw(selected)}, ${rc} from json_to_recordset(${JSON.stringify(chunk)}::json) as x(${sql.raw(defs)})
      on conflict (day, slice_key) do update set ${sql.raw(sets)}`);
  }
}

const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const addDays = (day: string, n: number) => isoDay(new Date(Date.parse(`${day}T00:00:00Z`) + n * 86_400_000));

/** A day's placeholder row (the firm, no slice), so a day with nothing open still counts as computed. */
/** A day's marker row (no slice, zeros): the day has been computed, even if nothing stood open on it. */
const MARKER = "*";
const markerRow = (day: string): SliceRow => ({ day, entity_id: null, region: null, business_unit: null, practice: null, marker: true });

export async function refreshKpiSnapshots({
  ctx,
  now = new Date(),
  trailingDays = 7,
  backfillDays = 180,
}: {
  ctx: Pick<ServiceCtx, "db" | "log" | "correlationId">;
  now?: Date;
  trailingDays?: number;
  backfillDays?: number;
}): Promise<SnapshotSummary> {
  const started = performance.now();
  const rc = env.REPORTING_CURRENCY;
  const today = isoDay(now);
  const log = logOf(ctx);

  // 1. backfill the days never computed (no marker row yet), oldest first: their flows in one
  //    pass, then each day's stock and its marker in one transaction — a run that stops half-way
  //    leaves the remaining days unmarked, and the next run does them again
  const [first] = (await ctx.db.execute(sql`select min(approved_at)::date::text as d from time_entries`)) as unknown as { d: string | null }[];
  const floor = addDays(today, -backfillDays);
  const from = first?.d ? (first.d < floor ? floor : first.d) : today;
  const missing = (await ctx.db.execute(sql`
    select d::date::text as day from generate_series(${from}::date, ${today}::date - 1, interval '1 day') d
    where not exists (select 1 from kpi_daily_snapshots k where k.day = d::date and k.slice_key = ${MARKER}) order by 1`)) as unknown as { day: string }[];
  if (missing.length) {
    await withTx(ctx.db, async (tx) => {
      const flows = await flowsBySlice(tx, { from: missing[0]!.day, to: missing.at(-1)!.day }, now, rc);
      const days = new Set(missing.map((m) => m.day));
      await upsert(tx, flows.filter((f) => days.has(f.day)), FLOW_COLUMNS, null, rc);
    });
  }
  for (const { day } of missing) {
    await withTx(ctx.db, async (tx) => {
      const at = new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);
      const stock = (await stockBySlice(tx, unbilledAsOfRows(at, rc), unpostedAsOfRows(at), openExceptionsAsOfRows(at))).map((r) => ({ ...r, day }));
      await upsert(tx, [...stock, markerRow(day)], STOCK_COLUMNS, "backfill", rc);
    });
  }
  if (missing.length) log.info(`kpi snapshots backfilled ${missing.length} day(s)`, { from: missing[0]!.day, to: missing.at(-1)!.day });

  // 2. today's stock, live
  let slicesToday = 0;
  await withTx(ctx.db, async (tx) => {
    const stock = (await stockBySlice(tx, unbilledRows(now, rc), unpostedRows(now, rc), openExceptionRows(now))).map((r) => ({ ...r, day: today }));
    slicesToday = stock.length;
    await tx.execute(sql.raw(`update kpi_daily_snapshots set ${STOCK_COLUMNS.map((c) => `${c} = 0`).join(", ")}, method = 'live', computed_at = now() where day = '${today}'`));
    await upsert(tx, [...stock, markerRow(today)], STOCK_COLUMNS, "live", rc);
  });

  // 3. the trailing days' flows, recomputed whole
  const window = { from: addDays(today, -(trailingDays - 1)), to: today };
  await withTx(ctx.db, async (tx) => {
    const flows = await flowsBySlice(tx, window, now, rc);
    await tx.execute(sql`update kpi_daily_snapshots set approved_count = 0, sla_met = 0, sla_missed = 0, sla_pending = 0, latency_seconds = '{}', cycle_seconds = '{}', billed_hours = 0
      where day between ${window.from}::date and ${window.to}::date`);
    await upsert(tx, flows, FLOW_COLUMNS, null, rc);
  });

  return { backfilledDays: missing.length, today, slicesToday, flowDays: trailingDays, ms: Math.round(performance.now() - started) };
}

/** When the snapshot behind today's trend point was computed (null: never). */
export async function lastSnapshotAt(db: DbOrTx): Promise<Date | null> {
  const [r] = (await db.execute(sql`select max(computed_at) as at from kpi_daily_snapshots`)) as unknown as { at: Date | string | null }[];
  return r?.at ? new Date(r.at) : null;
}
