import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";

/** The worker's jobs that the console may queue. */
export type JobName = "pull-time" | "send-postings" | "validate" | "pull-master-data" | "read-back" | "full-walk" | "reverse-sync" | "exceptions-bulk" | "deliver-webhook" | "evaluate-alerts" | "mapping-recovery" | "reconcile" | "kpi-snapshot";

/**
 * The outbox's sender: one job key, so a send waiting to run is not queued twice. (Not a named
 * queue: a worker that dies holding a queue's lock would stall the queue for hours; a sender
 * runs once per worker process instead, see tasks/send-postings.ts.)
 */
export const OUTBOX_JOB = { jobKey: "send-postings" } as const;

/**
 * Queues a job for the worker through the queue's own SQL API (graphile_worker.add_job), in
 * the caller's transaction when given one, so a job is queued if and only if the change that
 * calls for it commits. A job key makes repeated requests one job (the latest payload wins).
 */
export async function enqueueJob(db: DbOrTx, task: JobName, payload: Record<string, unknown> = {}, opts: { jobKey?: string; maxAttempts?: number } = {}): Promise<string> {
  const jobKey = task === "send-postings" ? OUTBOX_JOB.jobKey : (opts.jobKey ?? null);
  const rows = (await db.execute(sql`
    select (graphile_worker.add_job(${task}, ${JSON.stringify(payload)}::json, job_key => ${jobKey}, max_attempts => ${opts.maxAttempts ?? 3})).id::text as id`)) as unknown as { id: string }[];
  return rows[0]!.id;
}
