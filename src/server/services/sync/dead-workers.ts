import { sql } from "drizzle-orm";
import { withTx } from "../../db/client";
import { writeAudit } from "../audit/write";
import { logOf, type ServiceCtx } from "../context";
import { deadQueueWorkers, STALE_AFTER_SECONDS } from "../jobs/presence";

/**
 * What a worker process leaves behind when it dies without shutting down (SIGKILL, a crash, its
 * machine gone): runs still "running" that nobody will finish, and jobs locked in its name that
 * the queue would otherwise hand to nobody for hours. A worker checks for them when it starts
 * and every half minute after; so does every other live worker, so one survivor is enough.
 *
 * A run is judged by its job (sync_runs.correlation_id is `job-<id>`, reconciliation runs are
 * queued under the job key `reconcile:<id>`): it is dead when its job is gone, no longer locked,
 * locked again after the run began (a later attempt), or locked by a queue worker whose process
 * is gone (see jobs/presence.ts). What looks dead is looked at again `confirmAfterMs` later and
 * acted on only if it still does, so a worker whose presence connection was being replaced at
 * that moment, or that had just started and locked a job a moment before its presence held
 * the lock, is not taken for dead. (`graceSeconds` leaves runs and locks younger than that
 * alone; none by default: the second look is what protects a live worker.)
 */

export const DEAD_RUN_ERROR =
  "The worker process running this run stopped before it finished (killed, crashed, or cut off from the database); the run was closed by a worker's check. Its job runs again if it has attempts left.";
const DEAD_JOB_ERROR = "The worker running this job stopped before it finished, and the job had no attempts left.";

export type DeadWorkSweep = {
  /** queue workers (graphile-worker ids) found gone, whose jobs were released */
  deadWorkers: string[];
  runsClosed: { id: string; kind: string; connectorId: string | null }[];
  reconciliationsClosed: string[];
  /** jobs unlocked so another worker takes them; `exhausted` ones had no attempts left and were failed */
  jobsReleased: { id: string; task: string; exhausted: boolean }[];
};

const json = (v: unknown) => JSON.stringify(v);
const inList = (ids: string[]) => sql`(select jsonb_array_elements_text(${json(ids)}::jsonb))`;

/** Running sync runs whose worker is gone (see above). */
async function deadRuns(db: ServiceCtx["db"], dead: string[], graceSeconds: number) {
  return (await db.execute(sql`
    select r.id, r.kind, r.connector_id
    from sync_runs r
    left join graphile_worker.jobs j
      on j.id = case when r.correlation_id ~ '^job-[0-9]{1,18}$' then substring(r.correlation_id from 5)::bigint end
    where r.status = 'running' and r.correlation_id ~ '^job-[0-9]{1,18}$'
      and r.started_at < now() - make_interval(secs => ${graceSeconds}::float8)
      and (j.id is null or j.locked_by is null or j.locked_at > r.started_at or j.locked_by in ${inList(dead)})`)) as unknown as { id: string; kind: string; connector_id: string | null }[];
}

/** Running reconciliation runs whose worker is gone: their job (max one attempt) would never run them again. */
async function deadReconciliations(db: ServiceCtx["db"], dead: string[], graceSeconds: number) {
  return (await db.execute(sql`
    select r.id
    from reconciliation_runs r
    left join graphile_worker.jobs j on j.key = 'reconcile:' || r.id::text
    where r.status = 'running' and coalesce(r.started_at, r.requested_at) < now() - make_interval(secs => ${graceSeconds}::float8)
      and (j.id is null or j.locked_by is null or j.locked_by in ${inList(dead)})`)) as unknown as { id: string }[];
}

/**
 * Finds the work of dead workers, looks again after `confirmAfterMs`, then closes the runs still
 * dead as failed (with the reason) and releases the dead workers' jobs (graphile-worker's
 * force_unlock_workers; a job that had used its last attempt is failed with the reason instead
 * of sitting locked). Safe to run from several workers at once: each change is conditional,
 * and each is logged by the worker that made it.
 */
export async function closeDeadWork({
  ctx,
  confirmAfterMs = 10_000,
  graceSeconds = 0,
  staleAfterSeconds = STALE_AFTER_SECONDS,
  sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
}: {
  ctx: ServiceCtx;
  confirmAfterMs?: number;
  graceSeconds?: number;
  staleAfterSeconds?: number;
  sleep?: (ms: number) => Promise<void>;
}): Promise<DeadWorkSweep> {
  const db = ctx.db;
  const log = logOf(ctx);
  const none: DeadWorkSweep = { deadWorkers: [], runsClosed: [], reconciliationsClosed: [], jobsReleased: [] };
  const look = async (dead: string[]) => ({ runs: await deadRuns(db, dead, graceSeconds), recs: await deadReconciliations(db, dead, graceSeconds) });

  const dead1 = await deadQueueWorkers(db, { graceSeconds, staleAfterSeconds });
  const first = await look(dead1);
  if (dead1.length === 0 && first.runs.length === 0 && first.recs.length === 0) return none;
  await sleep(confirmAfterMs);
  const dead2 = new Set(await deadQueueWorkers(db, { graceSeconds, staleAfterSeconds }));
  const dead = dead1.filter((d) => dead2.has(d));
  const second = await look(dead);
  const runIds = first.runs.map((r) => r.id).filter((id) => second.runs.some((r) => r.id === id));
  const recIds = first.recs.map((r) => r.id).filter((id) => second.recs.some((r) => r.id === id));

  const runsClosed = runIds.length
    ? ((await db.execute(sql`
        update sync_runs set status = 'failed', finished_at = now(), error = ${DEAD_RUN_ERROR},
          details = details || jsonb_build_object('workerStopped', true)
        where id::text in ${inList(runIds)} and status = 'running'
        returning id, kind, connector_id, correlation_id`)) as unknown as { id: string; kind: string; connector_id: string | null; correlation_id: string }[])
    : [];
  // under the run's own correlation id, so the line shows with the run's others in the console
  for (const r of runsClosed) log.child({ correlationId: r.correlation_id }).warn(`run ${r.id} (${r.kind}) closed as failed: its worker stopped before it finished`, { runId: r.id, kind: r.kind, connectorId: r.connector_id });

  const reconciliationsClosed: string[] = [];
  for (const id of recIds) {
    const closed = await withTx(db, async (tx) => {
      const rows = (await tx.execute(sql`
        update reconciliation_runs set status = 'failed', finished_at = now(), error = ${DEAD_RUN_ERROR}
        where id = ${id} and status = 'running' returning id`)) as unknown as { id: string }[];
      if (rows.length) await writeAudit({ ...ctx, db: tx }, { action: "reconciliation.failed", entityType: "reconciliation_run", entityId: id, after: { error: DEAD_RUN_ERROR } });
      return rows.length > 0;
    });
    if (closed) {
      reconciliationsClosed.push(id);
      log.warn(`reconciliation run ${id} closed as failed: its worker stopped before it finished`, { reconciliationRunId: id });
    }
  }

  const jobsReleased: DeadWorkSweep["jobsReleased"] = [];
  if (dead.length) {
    const locked = (await db.execute(sql`
      select id::text as id, task_identifier as task, attempts >= max_attempts as exhausted
      from graphile_worker.jobs where locked_by in ${inList(dead)}`)) as unknown as { id: string; task: string; exhausted: boolean }[];
    await db.execute(sql`select graphile_worker.force_unlock_workers(array(select jsonb_array_elements_text(${json(dead)}::jsonb)))`);
    const exhausted = locked.filter((j) => j.exhausted).map((j) => j.id);
    if (exhausted.length) {
      await db.execute(sql`select graphile_worker.permanently_fail_jobs(array(select jsonb_array_elements_text(${json(exhausted)}::jsonb)::bigint), ${DEAD_JOB_ERROR})`);
    }
    jobsReleased.push(...locked);
    for (const j of locked) {
      log.child({ correlationId: `job-${j.id}` }).warn(`job ${j.id} (${j.task}) released from a worker that stopped${j.exhausted ? "; it had no attempts left and is marked failed" : "; it runs again"}`, { jobId: j.id, task: j.task });
    }
  }
  return { deadWorkers: dead, runsClosed: runsClosed.map((r) => ({ id: r.id, kind: r.kind, connectorId: r.connector_id })), reconciliationsClosed, jobsReleased };
}
