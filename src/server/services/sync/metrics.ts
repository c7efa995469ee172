import { createHash, timingSafeEqual } from "node:crypto";
import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { connectorHealth } from "../health";
import { outboxDepth } from "./snapshot-queue";

/**
 * The Prometheus exposition (text format 0.0.4) behind `/api/metrics`: sync runs, postings,
 * posting attempts, latency histograms, queue depth, connector and breaker state, open
 * exceptions. Every figure is aggregated in SQL on indexed columns; nothing is kept in memory
 * between scrapes, so any web replica answers the same.
 */

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Upper bounds of the posting latency buckets, in seconds. */
export const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] as const;
/** Upper bounds of the approval → acceptance buckets, in seconds (1 min … 7 days). */
export const APPROVAL_BUCKETS = [60, 300, 900, 3600, 4 * 3600, 12 * 3600, 86_400, 3 * 86_400, 7 * 86_400] as const;

type Labels = Record<string, string>;
type Sample = { labels: Labels; value: number; suffix?: string };
type Family = { name: string; help: string; type: "counter" | "gauge" | "histogram"; samples: Sample[] };

/** A label value as the text format wants it: backslash, double quote and line feed escaped. */
export function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

function escapeHelp(text: string): string {
  return text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "+Inf";
  if (v === -Infinity) return "-Inf";
  return String(v);
}

function formatLe(bound: number): string {
  return bound === Infinity ? "+Inf" : String(bound);
}

/** Families to text: HELP and TYPE lines, then one line per sample. */
export function renderExposition(families: Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    out.push(`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels);
      const text = labels.length ? `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}` : "";
      out.push(`${f.name}${s.suffix ?? ""}${text} ${formatValue(s.value)}`);
    }
  }
  return `${out.join("\n")}\n`;
}

/** A histogram's samples from cumulative bucket counts (one per bound, then +Inf = count), sum and count. */
function histogramSamples(bounds: readonly number[], cumulative: number[], sum: number, count: number): Sample[] {
  return [
    ...bounds.map((b, i) => ({ suffix: "_bucket", labels: { le: formatLe(b) }, value: cumulative[i] ?? 0 })),
    { suffix: "_bucket", labels: { le: "+Inf" }, value: count },
    { suffix: "_sum", labels: {}, value: sum },
    { suffix: "_count", labels: {}, value: count },
  ];
}

/** `count(*) filter (where <expr> <= bound)` for each bound, as one select list. */
function bucketColumns(expr: ReturnType<typeof sql.raw>, bounds: readonly number[]) {
  return sql.join(
    bounds.map((b, i) => sql`count(*) filter (where ${expr} <= ${sql.raw(String(b))})::bigint as ${sql.raw(`b${i}`)}`),
    sql`, `,
  );
}

const num = (v: unknown) => Number(v ?? 0);

/** Every metric, read from the database now. */
export async function collectMetrics({ db, now = new Date() }: { db: DbOrTx; now?: Date }): Promise<Family[]> {
  const at = now.toISOString();

  const runs = (await db.execute(sql`
    select coalesce(c.key, '') as connector, r.kind, r.status::text as status, r.n
    from (select connector_id, kind, status, count(*)::bigint as n from sync_runs where status <> 'running' group by 1, 2, 3) r
    left join connectors c on c.id = r.connector_id
    order by 1, 2, 3`)) as unknown as { connector: string; kind: string; status: string; n: string }[];

  const postings = (await db.execute(sql`
    select status::text as status, count(*)::bigint as n from erp_postings group by 1 order by 1`)) as unknown as { status: string; n: string }[];

  const attempts = (await db.execute(sql`
    select coalesce(c.key, '') as connector, a.outcome, a.error_class, a.n
    from (select connector_id, outcome, coalesce(error_class, '') as error_class, count(*)::bigint as n
          from erp_posting_attempts group by 1, 2, 3) a
    left join connectors c on c.id = a.connector_id
    order by 1, 2, 3`)) as unknown as { connector: string; outcome: string; error_class: string; n: string }[];

  // the last 24 h of attempts, on the (connector, started_at) index; attempts sent without a connector too
  const latencyExpr = sql.raw("duration_ms / 1000.0");
  const [latency] = (await db.execute(sql`
    select count(*)::bigint as n, coalesce(sum(duration_ms), 0)::bigint as sum_ms, ${bucketColumns(latencyExpr, LATENCY_BUCKETS)}
    from erp_posting_attempts
    where started_at > ${at}::timestamptz - interval '24 hours' and started_at <= ${at}::timestamptz`)) as unknown as [Record<string, string>];

  // postings the ERP accepted in the last 7 days (status index: accepted rows touched since then), from their entry's approval
  const waitExpr = sql.raw("s");
  const [approval] = (await db.execute(sql`
    with w as (
      select greatest(0, extract(epoch from p.accepted_at - e.approved_at))::float8 as s
      from erp_postings p join time_entries e on e.id = p.time_entry_id
      where p.status = 'accepted' and p.kind = 'create'
        and p.updated_at > ${at}::timestamptz - interval '7 days'
        and p.accepted_at > ${at}::timestamptz - interval '7 days' and p.accepted_at <= ${at}::timestamptz
        and e.approved_at is not null
    )
    select count(*)::bigint as n, coalesce(sum(s), 0)::float8 as sum_s, ${bucketColumns(waitExpr, APPROVAL_BUCKETS)} from w`)) as unknown as [Record<string, string>];

  const depth = await outboxDepth(db);
  const connectors = await connectorHealth(db, now);

  const exceptions = (await db.execute(sql`
    select code, owner::text as owner, count(*)::bigint as n from exceptions where status = 'open' group by 1, 2 order by 1, 2`)) as unknown as { code: string; owner: string; n: string }[];

  const erps = connectors.filter((c) => c.role === "erp");
  return [
    {
      name: "hourbridge_sync_runs_total",
      help: "Finished sync runs (runs still going are not counted), by connector (empty for a file import), kind and status.",
      type: "counter",
      samples: runs.map((r) => ({ labels: { connector: r.connector, kind: r.kind, status: r.status }, value: num(r.n) })),
    },
    {
      name: "hourbridge_postings",
      help: "ERP postings in the outbox now, by status (pending, sent, accepted, rejected, dead, superseded).",
      type: "gauge",
      samples: postings.map((p) => ({ labels: { status: p.status }, value: num(p.n) })),
    },
    {
      name: "hourbridge_posting_attempts_total",
      help: "Attempts to send a posting to the ERP, by connector, outcome (accepted, found, rejected, transient) and error class (empty when none). Attempts of finished postings are pruned after 90 days, which a scrape sees as a counter reset.",
      type: "counter",
      samples: attempts.map((a) => ({ labels: { connector: a.connector, outcome: a.outcome, error_class: a.error_class }, value: num(a.n) })),
    },
    {
      name: "hourbridge_posting_latency_seconds",
      help: "Duration of each attempt to send a posting to the ERP, over the attempts started in the last 24 hours (a sliding window, not a cumulative histogram).",
      type: "histogram",
      samples: histogramSamples(LATENCY_BUCKETS, LATENCY_BUCKETS.map((_, i) => num(latency?.[`b${i}`])), num(latency?.sum_ms) / 1000, num(latency?.n)),
    },
    {
      name: "hourbridge_approval_to_acceptance_seconds",
      help: "Time from a time entry's approval to the ERP accepting its posting, over the postings accepted in the last 7 days (a sliding window, not a cumulative histogram).",
      type: "histogram",
      samples: histogramSamples(APPROVAL_BUCKETS, APPROVAL_BUCKETS.map((_, i) => num(approval?.[`b${i}`])), num(approval?.sum_s), num(approval?.n)),
    },
    {
      name: "hourbridge_queue_depth",
      help: "Postings waiting in the outbox, by ERP connector and state: pending (not sent yet), retrying (sent, outcome not final), dead, rejected. The outbox has no connector column: every posting counts for each ERP connector.",
      type: "gauge",
      samples: erps.flatMap((c) =>
        (["pending", "retrying", "dead", "rejected"] as const).map((state) => ({ labels: { connector: c.key, state }, value: depth[state] })),
      ),
    },
    {
      name: "hourbridge_connector_up",
      help: "1 when the connector is healthy; 0 when it is paused, its circuit breaker is open or probing, or the latest run of some kind in the last 24 hours failed.",
      type: "gauge",
      samples: connectors.map((c) => ({ labels: { connector: c.key }, value: c.status === "healthy" ? 1 : 0 })),
    },
    {
      name: "hourbridge_circuit_breaker_state",
      help: "The ERP connector's circuit breaker: 1 for its current state (closed, open, half_open), 0 for the others.",
      type: "gauge",
      samples: erps.flatMap((c) =>
        (["closed", "open", "half_open"] as const).map((state) => ({ labels: { connector: c.key, state }, value: c.breaker === state ? 1 : 0 })),
      ),
    },
    {
      name: "hourbridge_exceptions_open",
      help: "Open exceptions, by code and owning team.",
      type: "gauge",
      samples: exceptions.map((e) => ({ labels: { code: e.code, owner: e.owner }, value: num(e.n) })),
    },
  ];
}

/** The whole exposition text. */
export async function metricsText(opts: { db: DbOrTx; now?: Date }): Promise<string> {
  return renderExposition(await collectMetrics(opts));
}

export type MetricsAccess = { ok: true } | { ok: false; status: 401 | 404; message: string };

/**
 * Who may read the metrics: nobody when no token is configured (404, as if the endpoint did not
 * exist), a scraper with `Authorization: Bearer <METRICS_TOKEN>` when one is (401 otherwise).
 * The token is compared in constant time.
 */
export function metricsAccess(configuredToken: string | undefined, authorization: string | null): MetricsAccess {
  if (!configuredToken) return { ok: false, status: 404, message: "metrics are not enabled" };
  const match = /^Bearer\s+(.+)$/i.exec((authorization ?? "").trim());
  const given = match?.[1]?.trim() ?? "";
  const digest = (s: string) => createHash("sha256").update(s).digest();
  if (!given || !timingSafeEqual(digest(given), digest(configuredToken))) {
    return { ok: false, status: 401, message: "a valid bearer token is required" };
  }
  return { ok: true };
}
