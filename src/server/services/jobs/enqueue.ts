import { sql } from "drizzle-orm";
import { z } from "zod";
import type { DbOrTx } from "../../db/client";
import { JOB_PAYLOADS, type JobName, type JobPayload } from "./payloads";

export type { JobName, JobPayload, TaskName } from "./payloads";

/**
 * The outbox's sender: one job key, so a send waiting to run is not queued twice. (Not a named
 * queue: a worker that dies holding a queue's lock would stall the queue until the lock is
 * released; a sender runs once per worker process instead, see tasks/send-postings.ts.)
 */
export const OUTBOX_JOB = { jobKey: "send-postings" } as const;

export type JobOptions = { jobKey?: string; maxAttempts?: number };

/** The members of a union as one intersection: what satisfies every one of them. */
type AllOf<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The payload `enqueueJob` takes for `K`. For one task, that task's payload. When the task is
 * known only as a union (a table of run kinds, say), a payload every one of them accepts: the
 * job may turn out to be any of them.
 */
export type PayloadFor<K extends JobName> = AllOf<K extends JobName ? { payload: JobPayload<K> } : never> extends { payload: infer P } ? P : never;

/** A payload the task's schema refuses, caught before it is queued (it would only fail in the worker). */
export class JobPayloadRefused extends Error {
  constructor(
    readonly task: JobName,
    readonly issues: string,
  ) {
    super(`The ${task} job's payload is refused by its task: ${issues}`);
    this.name = "JobPayloadRefused";
  }
}

/**
 * Queues a job for the worker: the one way code queues work (a service from the console, or a job
 * queueing another). The payload's type is the task's own schema's (src/server/services/jobs/
 * payloads.ts), and it is parsed with that schema before it is queued, so a payload the task
 * would refuse fails the type check, and, if it gets past one (a cast), fails here rather than
 * in the worker. Goes through the queue's own SQL API (graphile_worker.add_job), in the caller's
 * transaction when given one, so a job is queued if and only if the change that calls for it
 * commits. A job key makes repeated requests one job (the latest payload wins); the sender
 * always has its own.
 */
export async function enqueueJob<K extends JobName>(db: DbOrTx, task: K, payload: PayloadFor<K>, opts: JobOptions = {}): Promise<string> {
  const parsed = JOB_PAYLOADS[task].safeParse(payload ?? undefined);
  if (!parsed.success) throw new JobPayloadRefused(task, z.prettifyError(parsed.error).replace(/\n\s*/g, " "));
  const jobKey = task === "send-postings" ? OUTBOX_JOB.jobKey : (opts.jobKey ?? null);
  const rows = (await db.execute(sql`
    select (graphile_worker.add_job(${task}, ${JSON.stringify(parsed.data ?? {})}::json, job_key => ${jobKey}, max_attempts => ${opts.maxAttempts ?? 3})).id::text as id`)) as unknown as { id: string }[];
  return rows[0]!.id;
}
