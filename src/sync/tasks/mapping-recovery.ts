import type { Task } from "graphile-worker";
import { z } from "zod";
import { OUTBOX_JOB } from "@/server/services/jobs/enqueue";
import { failRecovery, runRecovery } from "@/server/services/mappings/recovery";
import { jobCtx, type TaskDeps } from "./context";

const payload = z.object({ recoveryId: z.uuid() });

/**
 * Re-validates the entries a mapping change may have unblocked (progress kept on the recovery
 * row, so the console can follow it), then wakes the outbox sender so their postings go out.
 * A failed attempt is retried by the queue and resumes where it stopped; after the last one
 * the recovery is marked failed with the reason.
 */
export const mappingRecovery = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { recoveryId } = payload.parse(raw);
  const ctx = jobCtx(deps, helpers);
  try {
    const r = await runRecovery({ ctx, input: { recoveryId } });
    if (r.postingsCreated > 0) await helpers.addJob("send-postings", { trigger: "schedule" }, OUTBOX_JOB);
  } catch (err) {
    if (helpers.job.attempts >= helpers.job.max_attempts) await failRecovery(deps.db, recoveryId, (err as Error).message);
    throw err;
  }
};
