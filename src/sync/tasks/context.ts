import type { JobHelpers } from "graphile-worker";
import type { Db } from "@/server/db/client";
import type { Log } from "@/server/log";
import { systemActor, type ServiceCtx } from "@/server/services/context";

export type TaskDeps = { db: Db; secretsKey: Buffer; log: Log };

/** Every job's service context: the system as actor, and the job as correlation id (runs, audit, logs). */
export function jobCtx(deps: TaskDeps, helpers: JobHelpers): ServiceCtx & { db: Db } {
  const correlationId = `job-${helpers.job.id}`;
  return {
    db: deps.db,
    actor: systemActor(`worker:${helpers.job.task_identifier}`),
    correlationId,
    log: deps.log.child({ correlationId, task: helpers.job.task_identifier, jobId: helpers.job.id, attempt: helpers.job.attempts }),
  };
}

/** The jobs' payload schemas live with the enqueue helper, so both sides use the same one. */
export { TRIGGERS, trigger, connectorPayload, emptyPayload, parsePayload } from "@/server/services/jobs/payloads";
