import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";

/** The worker's jobs that the console may queue. */
export type JobName = "pull-time" | "send-postings" | "validate" | "pull-master-data" | "read-back" | "full-walk" | "reverse-sync";

/**
 * The outbox's sender: one job key (a wait-listed send is not queued twice) and one named
 * queue, so one send runs at a time across every worker — the ERP connector's concurrency is
 * then the ERP's, however many workers run.
 */
export const OUTBOX_JOB = { jobKey: "send-postings", queueName: "erp-outbox" } as const;

/**
 * Queues a job for the worker through the queue's own SQL API (graphile_worker.add_job), in
 * the caller's transaction when given one, so a job is queued if and only if the change that
 * calls for it commits. A job key makes repeated requests one job (the latest payload wins).
 */
export async function enqueueJob(db: DbOrTx, task: JobName, payload: Record<string, unknown> = {}, opts: { jobKey?: string; maxAttempts?: number } = {}): Promise<string> {
  const outbox = task === "send-postings";
  const jobKey = outbox ? OUTBOX_JOB.jobKey : (opts.jobKey ?? null);
  const queue = outbox ? OUTBOX_JOB.queueName : null;
  const rows = (await db.execute(sql`
    select (graphile_worker.add_job(${task}, ${JSON.stringify(payload)}::json, queue_name => ${queue}, job_key => ${jobKey}, max_attempts => ${opts.maxAttempts ?? 3})).id::text as id`)) as unknown as { id: string }[];
  return rows[0]!.id;
}
