import type { Task } from "graphile-worker";
import { enqueueJob } from "@/server/services/jobs/enqueue";
import { failRecovery, runRecovery } from "@/server/services/mappings/recovery";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/**
 * Re-validates the entries a mapping change may have unblocked (progress kept on the recovery
 * row, so the console can follow it), then wakes the outbox sender so their postings go out.
 * A failed attempt is retried by the queue and resumes where it stopped; after the last one
 * the recovery is marked failed with the reason.
 */
export const mappingRecovery = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { recoveryId } = parsePayload("mapping-recovery", raw);
  const ctx = jobCtx(deps, helpers);
  try {
    const r = await runRecovery({ ctx, input: { recoveryId } });
    if (r.postingsCreated > 0) await enqueueJob(deps.db, "send-postings", { trigger: "schedule" });
  } catch (err) {
    if (helpers.job.attempts >= helpers.job.max_attempts) await failRecovery(deps.db, recoveryId, (err as Error).message);
    throw err;
  }
};
