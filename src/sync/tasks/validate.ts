import type { Task } from "graphile-worker";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { enqueueJob } from "@/server/services/jobs/enqueue";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Validates approved entries not yet queued (all, the ones named, or — every few minutes — those nothing explains). */
export const validate = (deps: TaskDeps): Task => async (raw, helpers) => {
  const input = parsePayload("validate", raw) ?? {};
  const s = await validateEntries({ ctx: jobCtx(deps, helpers), input: { entryIds: input.entryIds, stragglers: input.stragglers, stragglersAfterSeconds: input.stragglersAfterSeconds } });
  if (s.postingsCreated > 0) await enqueueJob(deps.db, "send-postings", { trigger: "schedule" });
};
