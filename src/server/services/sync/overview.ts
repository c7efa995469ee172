import { sql } from "drizzle-orm";
import { parseCron, nextFire } from "@/sync/cron";
import { schedulesOf } from "@/sync/schedules";
import { HARVEST_RATE_LIMIT } from "@/sync/connectors/harvest/config";
import type { DbOrTx } from "../../db/client";
import { connectors } from "../../db/schema";
import { DEFAULT_POSTING_POLICY } from "../posting/send-due";
import { outboxDepth } from "./snapshot-queue";
import type { ServiceCtx } from "../context";

export type ConnectorStatus = "healthy" | "degraded" | "down" | "paused";
export type StatusCause = "paused" | "breaker_open" | "runs_failing" | "breaker_probing" | "last_run_failed" | "error_rate" | "stale" | "backlog_old";

/** One sentence per cause, quoting nothing from the vendor (the public health endpoint uses these). */
export const CAUSE_SENTENCES: Record<StatusCause, string> = {
  paused: "Paused by an operator: nothing runs until it is resumed.",
  breaker_open: "The circuit breaker is open after repeated failures: nothing is sent until the next probe.",
  runs_failing: "The last two runs of its main job failed.",
  breaker_probing: "The circuit breaker is probing after repeated failures: one posting at a time.",
  last_run_failed: "The last run of its main job failed or did not finish everything.",
  error_rate: "More than a fifth of the last hour's work failed.",
  stale: "No successful pull for more than three hours.",
  backlog_old: "Postings have been waiting for more than an hour.",
};

export type ConnectorOverview = {
  id: string;
  key: string;
  name: string;
  role: "source" | "erp";
  system: string;
  baseUrl: string;
  accountId: string | null;
  /** the row's version, for edits that must not overwrite someone else's (optimistic check) */
  updatedAt: string;
  /** whether credentials are stored (they are never shown) */
  hasCredentials: boolean;
  status: ConnectorStatus;
  /** why, in one sentence, when not healthy (may quote the vendor's error: for signed-in operators) */
  statusReason: string | null;
  /** the finding behind the status, as a code (for places that must not quote vendor text) */
  statusCause: StatusCause | null;
  paused: { at: string | null; by: string | null; reason: string | null } | null;
  schedules: { name: string; job: string; cron: string | null; next: string | null; problem: string | null }[];
  lastRun: { id: string; kind: string; trigger: string; status: string; startedAt: string; finishedAt: string | null; error: string | null } | null;
  lastSuccessAt: string | null;
  lastSuccessAgeSeconds: number | null;
  /** ERP: postings waiting to be sent (pending + retrying), the oldest, and those needing a person */
  backlog: { waiting: number; retrying: number; oldestWaitingAt: string | null; dead: number; rejected: number } | null;
  /**
   * last hour and last day: work done and the share of it that failed — for the ERP, posting
   * attempts (a 429 is the ERP pacing us, not a failure: those attempts are left out); for a
   * source, entries fetched, and the share of runs that failed
   */
  lastHour: { done: number; failed: number; errorRate: number | null };
  lastDay: { done: number; failed: number; errorRate: number | null };
  limits: { concurrency: number; inFlight: number | null; rateLimit: string | null };
  breaker: { state: string; consecutiveFailures: number; probeAt: string | null; lastError: string | null } | null;
  lastTest: { at: string; ok: boolean; message: string | null } | null;
  settings: Record<string, unknown>;
};

/** the kind of run that is a connector's main work, by role */
const MAIN_KIND = { source: "time_pull", erp: "posting" } as const;

const iso = (d: Date | string | null | undefined) => (d ? new Date(d).toISOString() : null);

/**
 * Every connector with what an operator needs to tell within seconds whether it is well:
 * its status and why, last successful run and its age, next scheduled runs, backlog, error
 * rate and throughput over the last hour and day, limits and in-flight work, the circuit
 * breaker, the last connection test. Secrets never leave the server. A handful of grouped
 * queries, whatever the number of runs and postings (indexes on their time columns).
 */
export async function connectorsOverview({ ctx, now = new Date() }: { ctx: Pick<ServiceCtx, "db">; now?: Date }): Promise<ConnectorOverview[]> {
  const db: DbOrTx = ctx.db;
  const at = now.toISOString();
  const rows = await db.select().from(connectors).orderBy(connectors.role, connectors.name);
  if (rows.length === 0) return [];

  const lastRuns = (await db.execute(sql`
    select distinct on (connector_id) connector_id, id, kind, trigger, status, started_at, finished_at, error
    from sync_runs where connector_id is not null order by connector_id, started_at desc`)) as unknown as {
    connector_id: string; id: string; kind: string; trigger: string; status: string; started_at: Date; finished_at: Date | null; error: string | null;
  }[];
  const lastSuccess = (await db.execute(sql`
    select connector_id, kind, max(finished_at) as at from sync_runs
    where connector_id is not null and status = 'succeeded' group by connector_id, kind`)) as unknown as { connector_id: string; kind: string; at: Date }[];
  // the main kind's last runs, newest first: two failures in a row is down, one is degraded
  const recentMain = (await db.execute(sql`
    select connector_id, status, error from (
      select connector_id, status, error, kind, row_number() over (partition by connector_id order by started_at desc) as n
      from sync_runs where connector_id is not null and kind in ('time_pull', 'posting') and status <> 'running') r
    where n <= 2`)) as unknown as { connector_id: string; status: string; error: string | null }[];
  const runWork = (await db.execute(sql`
    select connector_id,
           coalesce(sum(fetched) filter (where started_at > ${at}::timestamptz - interval '1 hour'), 0)::int as hour_done,
           count(*) filter (where status = 'failed' and started_at > ${at}::timestamptz - interval '1 hour')::int as hour_failed,
           count(*) filter (where started_at > ${at}::timestamptz - interval '1 hour')::int as hour_runs,
           coalesce(sum(fetched), 0)::int as day_done,
           count(*) filter (where status = 'failed')::int as day_failed,
           count(*)::int as day_runs
    from sync_runs where connector_id is not null and started_at > ${at}::timestamptz - interval '1 day' and kind <> 'posting'
    group by connector_id`)) as unknown as { connector_id: string; hour_done: number; hour_failed: number; hour_runs: number; day_done: number; day_failed: number; day_runs: number }[];
  const attempts = (await db.execute(sql`
    select connector_id,
           count(*) filter (where outcome in ('accepted', 'found') and started_at > ${at}::timestamptz - interval '1 hour')::int as hour_ok,
           count(*) filter (where outcome not in ('accepted', 'found') and error_class is distinct from '429' and started_at > ${at}::timestamptz - interval '1 hour')::int as hour_failed,
           count(*) filter (where outcome in ('accepted', 'found'))::int as day_ok,
           count(*) filter (where outcome not in ('accepted', 'found') and error_class is distinct from '429')::int as day_failed
    from erp_posting_attempts where connector_id is not null and started_at > ${at}::timestamptz - interval '1 day'
    group by connector_id`)) as unknown as { connector_id: string; hour_ok: number; hour_failed: number; day_ok: number; day_failed: number }[];
  // the same counts as the backlog chart and the queue-depth metric
  const queue = await outboxDepth(db);
  const breakers = (await db.execute(sql`select connector_id, state, consecutive_failures, probe_at, last_error from circuit_breakers`)) as unknown as {
    connector_id: string; state: string; consecutive_failures: number; probe_at: Date | null; last_error: string | null;
  }[];

  return rows.map((c): ConnectorOverview => {
    const role = c.role as "source" | "erp";
    const mainKind = MAIN_KIND[role];
    const last = lastRuns.find((r) => r.connector_id === c.id) ?? null;
    const success = lastSuccess.filter((s) => s.connector_id === c.id && s.kind === mainKind)[0]?.at ?? null;
    const main = recentMain.filter((r) => r.connector_id === c.id);
    const breaker = breakers.find((b) => b.connector_id === c.id) ?? null;
    const settings = (c.settings ?? {}) as Record<string, unknown>;
    const concurrency = typeof settings.concurrency === "number" ? settings.concurrency : role === "erp" ? DEFAULT_POSTING_POLICY.concurrency : 4;

    const schedules = schedulesOf(c).map((s) => {
      if (!s.cron) return { ...s, next: null, problem: null };
      try {
        return { ...s, next: c.paused ? null : iso(nextFire(parseCron(s.cron), now)), problem: null };
      } catch (err) {
        return { ...s, next: null, problem: (err as Error).message };
      }
    });

    let lastHour: ConnectorOverview["lastHour"];
    let lastDay: ConnectorOverview["lastDay"];
    const rate = (failed: number, total: number) => (total === 0 ? null : Math.round((failed / total) * 1000) / 1000);
    if (role === "erp") {
      const a = attempts.find((x) => x.connector_id === c.id);
      lastHour = { done: a?.hour_ok ?? 0, failed: a?.hour_failed ?? 0, errorRate: rate(a?.hour_failed ?? 0, (a?.hour_ok ?? 0) + (a?.hour_failed ?? 0)) };
      lastDay = { done: a?.day_ok ?? 0, failed: a?.day_failed ?? 0, errorRate: rate(a?.day_failed ?? 0, (a?.day_ok ?? 0) + (a?.day_failed ?? 0)) };
    } else {
      const w = runWork.find((x) => x.connector_id === c.id);
      lastHour = { done: w?.hour_done ?? 0, failed: w?.hour_failed ?? 0, errorRate: rate(w?.hour_failed ?? 0, w?.hour_runs ?? 0) };
      lastDay = { done: w?.day_done ?? 0, failed: w?.day_failed ?? 0, errorRate: rate(w?.day_failed ?? 0, w?.day_runs ?? 0) };
    }

    const backlog =
      role === "erp"
        ? { waiting: queue.pending + queue.retrying, retrying: queue.retrying, oldestWaitingAt: iso(queue.oldestWaitingAt), dead: queue.dead, rejected: queue.rejected }
        : null;

    // status, the most serious finding first
    let status: ConnectorStatus = "healthy";
    let statusReason: string | null = null;
    let statusCause: StatusCause | null = null;
    const ageOf = (d: Date | null) => (d ? Math.round((now.getTime() - new Date(d).getTime()) / 1000) : null);
    const successAge = ageOf(success);
    const mainCron = schedules[0]?.cron ?? null;
    if (c.paused) {
      statusCause = "paused";
      status = "paused";
      statusReason = `Paused${c.pausedBy ? ` by ${c.pausedBy}` : ""}${c.pauseReason ? `: ${c.pauseReason}` : ""}. Nothing runs until it is resumed.`;
    } else if (breaker?.state === "open") {
      statusCause = "breaker_open";
      status = "down";
      statusReason = `The ERP stopped answering${breaker.last_error ? ` (${breaker.last_error})` : ""}; nothing is sent until it is probed again${breaker.probe_at ? ` at ${iso(breaker.probe_at)!.slice(11, 16)} UTC` : ""}.`;
    } else if (main.length >= 2 && main.every((r) => r.status === "failed")) {
      statusCause = "runs_failing";
      status = "down";
      statusReason = `The last two ${role === "erp" ? "posting runs" : "pulls"} failed: ${main[0]!.error ?? "no reason recorded"}`;
    } else if (breaker?.state === "half_open") {
      statusCause = "breaker_probing";
      status = "degraded";
      statusReason = "The ERP is being probed after repeated failures; one posting at a time until it answers.";
    } else if (main[0]?.status === "failed" || main[0]?.status === "partial") {
      statusCause = "last_run_failed";
      status = "degraded";
      statusReason = `The last ${role === "erp" ? "posting run" : "pull"} ${main[0].status === "failed" ? "failed" : "did not finish everything"}: ${main[0].error ?? "no reason recorded"}`;
    } else if (lastHour.errorRate !== null && lastHour.errorRate > 0.2 && (role === "erp" ? lastHour.done + lastHour.failed >= 10 : (runWork.find((x) => x.connector_id === c.id)?.hour_runs ?? 0) >= 6)) {
      statusCause = "error_rate";
      status = "degraded";
      statusReason = `${Math.round(lastHour.errorRate * 100)}% of the last hour's ${role === "erp" ? "attempts" : "runs"} failed.`;
    } else if (role === "source" && mainCron && successAge !== null && successAge > 3 * 3600) {
      statusCause = "stale";
      status = "degraded";
      statusReason = `No successful pull for ${Math.round(successAge / 60)} minutes.`;
    } else if (role === "erp" && backlog && backlog.oldestWaitingAt && now.getTime() - Date.parse(backlog.oldestWaitingAt) > 3600_000) {
      statusCause = "backlog_old";
      status = "degraded";
      statusReason = `${backlog.waiting} postings are waiting; the oldest for ${Math.round((now.getTime() - Date.parse(backlog.oldestWaitingAt)) / 60_000)} minutes.`;
    }

    return {
      id: c.id,
      key: c.key,
      name: c.name,
      role,
      system: c.system,
      baseUrl: c.baseUrl,
      accountId: c.accountId,
      updatedAt: c.updatedAt.toISOString(),
      hasCredentials: Boolean(c.credentialsEncrypted),
      status,
      statusReason,
      statusCause,
      paused: c.paused ? { at: iso(c.pausedAt), by: c.pausedBy, reason: c.pauseReason } : null,
      schedules,
      lastRun: last ? { id: last.id, kind: last.kind, trigger: last.trigger, status: last.status, startedAt: iso(last.started_at)!, finishedAt: iso(last.finished_at), error: last.error } : null,
      lastSuccessAt: iso(success),
      lastSuccessAgeSeconds: successAge,
      backlog,
      lastHour,
      lastDay,
      limits: {
        concurrency,
        inFlight: role === "erp" ? queue.inFlight : null,
        rateLimit: role === "source" && c.system === "harvest" ? `${HARVEST_RATE_LIMIT.max} requests per ${HARVEST_RATE_LIMIT.windowMs / 1000} s` : null,
      },
      breaker: breaker ? { state: breaker.state, consecutiveFailures: breaker.consecutive_failures, probeAt: iso(breaker.probe_at), lastError: breaker.last_error } : role === "erp" ? { state: "closed", consecutiveFailures: 0, probeAt: null, lastError: null } : null,
      lastTest: c.lastTestedAt ? { at: iso(c.lastTestedAt)!, ok: Boolean(c.lastTestOk), message: c.lastTestMessage } : null,
      settings: { concurrency: settings.concurrency ?? null, posting: settings.posting ?? null, schedules: settings.schedules ?? null },
    };
  });
}
