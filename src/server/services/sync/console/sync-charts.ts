import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { connectors } from "../../../db/schema";
import type { ServiceCtx } from "../../context";
import { notFound } from "../../errors";
import { errorClassLabel } from "./labels";

/** Each window and its bucket: the last hour by minute, the last day by 15 minutes, the last week by hour. */
export const CHART_WINDOWS = {
  "1h": { stepSeconds: 60, buckets: 60 },
  "24h": { stepSeconds: 15 * 60, buckets: 96 },
  "7d": { stepSeconds: 3600, buckets: 168 },
} as const;
export type ChartWindow = keyof typeof CHART_WINDOWS;

export const syncChartsInput = z.object({
  connectorId: z.uuid({ error: "connectorId must be a connector's id (a UUID)" }),
  window: z.enum(["1h", "24h", "7d"], { error: "window must be 1h, 24h or 7d" }).default("1h"),
  /** the end of the window (default now); the last bucket is the one holding it */
  until: z.iso.datetime({ offset: true, error: "until must be an ISO date-time with its zone" }).optional(),
});
export type SyncChartsInput = z.input<typeof syncChartsInput>;

export type ChartPoint = {
  /** the bucket's start */
  at: Date;
  /** attempts in the bucket: accepted (including found already in the ERP), refused, failed for a temporary reason */
  accepted: number;
  rejected: number;
  failed: number;
  /** attempt durations in the bucket (ms); null when nothing was sent in it */
  p50Ms: number | null;
  p95Ms: number | null;
  /** failed attempts by error class, every class of the window present (0 when none) */
  errors: Record<string, number>;
  /** the outbox at the bucket's last snapshot; null when no snapshot was taken in it */
  backlog: { pending: number; retrying: number; dead: number; rejected: number } | null;
};

export type SyncCharts = {
  connectorId: string;
  window: ChartWindow;
  stepSeconds: number;
  from: Date;
  to: Date;
  points: ChartPoint[];
  /** the error classes seen in the window, most frequent first, with their labels */
  errorClasses: { errorClass: string; label: string; count: number }[];
  totals: { accepted: number; rejected: number; failed: number };
};

const iso = (col: string) => sql.raw(`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

/**
 * The sync console's series for one ERP connector over a window, computed in the database:
 * a grid of buckets from generate_series, aligned to the bucket size, so a bucket where
 * nothing happened is there with zeros. Postings per bucket (attempts by outcome), latency
 * p50/p95 (percentile_cont over the attempts' durations), errors by class, and the backlog
 * from the outbox snapshots.
 */
export async function syncCharts({ ctx, input }: { ctx: ServiceCtx; input: SyncChartsInput }): Promise<SyncCharts> {
  const q = syncChartsInput.parse(input);
  const [connector] = await ctx.db.select({ id: connectors.id }).from(connectors).where(eq(connectors.id, q.connectorId));
  if (!connector) throw notFound("No connector has this id.");
  const { stepSeconds: step, buckets } = CHART_WINDOWS[q.window];
  // one end for all three queries, so their grids are the same
  const until = q.until ? new Date(q.until) : new Date();
  const grid = sql`
    bounds as (
      select to_timestamp(floor(extract(epoch from ${until.toISOString()}::timestamptz) / ${step}) * ${step} + ${step}) as e
    ),
    grid as (
      select g as b, g + make_interval(secs => ${step}) as b_end
      from bounds, generate_series(bounds.e - make_interval(secs => ${step * buckets}), bounds.e - make_interval(secs => ${step}), make_interval(secs => ${step})) g
    ),
    a as (
      select x.started_at, x.duration_ms, x.outcome, x.error_class
      from erp_posting_attempts x, bounds
      where x.connector_id = ${q.connectorId}
        and x.started_at >= bounds.e - make_interval(secs => ${step * buckets})
        and x.started_at < bounds.e
    )`;

  const [sent, errors, backlog] = await Promise.all([
    ctx.db.execute(sql`
      with ${grid}
      select ${iso("grid.b")} as at,
             count(a.started_at) filter (where a.outcome in ('accepted', 'found'))::int as accepted,
             count(a.started_at) filter (where a.outcome = 'rejected')::int as rejected,
             count(a.started_at) filter (where a.outcome = 'transient')::int as failed,
             percentile_cont(0.5) within group (order by a.duration_ms) as p50,
             percentile_cont(0.95) within group (order by a.duration_ms) as p95
      from grid
      left join a on a.started_at >= grid.b and a.started_at < grid.b_end
      group by grid.b
      order by grid.b
    `) as unknown as Promise<{ at: string; accepted: number; rejected: number; failed: number; p50: number | null; p95: number | null }[]>,
    ctx.db.execute(sql`
      with ${grid},
      classes as (select distinct error_class from a where error_class is not null)
      select ${iso("grid.b")} as at, classes.error_class, count(a.started_at)::int as count
      from grid
      cross join classes
      left join a on a.error_class = classes.error_class and a.started_at >= grid.b and a.started_at < grid.b_end
      group by grid.b, classes.error_class
      order by grid.b, classes.error_class
    `) as unknown as Promise<{ at: string; error_class: string; count: number }[]>,
    ctx.db.execute(sql`
      with ${grid}
      select ${iso("grid.b")} as at, s.pending, s.retrying, s.dead, s.rejected
      from grid
      left join lateral (
        select q.pending, q.retrying, q.dead, q.rejected
        from queue_snapshots q
        where q.connector_id = ${q.connectorId} and q.at >= grid.b and q.at < grid.b_end
        order by q.at desc
        limit 1
      ) s on true
      order by grid.b
    `) as unknown as Promise<{ at: string; pending: number | null; retrying: number | null; dead: number | null; rejected: number | null }[]>,
  ]);

  const classTotals = new Map<string, number>();
  const errorsAt = new Map<string, Record<string, number>>();
  for (const e of errors) {
    classTotals.set(e.error_class, (classTotals.get(e.error_class) ?? 0) + e.count);
    const rec = errorsAt.get(e.at) ?? {};
    rec[e.error_class] = e.count;
    errorsAt.set(e.at, rec);
  }
  const backlogAt = new Map(backlog.map((b) => [b.at, b]));
  const round = (v: number | null) => (v === null ? null : Math.round(Number(v) * 100) / 100);
  const points: ChartPoint[] = sent.map((s) => {
    const b = backlogAt.get(s.at);
    return {
      at: new Date(s.at),
      accepted: s.accepted,
      rejected: s.rejected,
      failed: s.failed,
      p50Ms: round(s.p50),
      p95Ms: round(s.p95),
      errors: errorsAt.get(s.at) ?? {},
      backlog: b && b.pending !== null ? { pending: b.pending, retrying: b.retrying!, dead: b.dead!, rejected: b.rejected! } : null,
    };
  });
  const from = points[0]?.at ?? until;
  return {
    connectorId: q.connectorId,
    window: q.window,
    stepSeconds: step,
    from,
    to: new Date(from.getTime() + step * buckets * 1000),
    points,
    errorClasses: [...classTotals]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .map(([errorClass, count]) => ({ errorClass, label: errorClassLabel(errorClass), count })),
    totals: points.reduce((t, p) => ({ accepted: t.accepted + p.accepted, rejected: t.rejected + p.rejected, failed: t.failed + p.failed }), { accepted: 0, rejected: 0, failed: 0 }),
  };
}
