import type { Task } from "graphile-worker";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { enqueueJob } from "@/server/services/jobs/enqueue";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Validates approved entries not yet queued (all, or the ones named). */
export const validate = (deps: TaskDeps): Task => async (raw, helpers) => {
  const input = parsePayload("validate", raw) ?? {};
  const s = await validateEntries({ ctx: jobCtx(deps, helpers), input: { entryIds: input.entryIds } });
  if (s.postingsCreated > 0) await enqueueJob(deps.db, "send-postings", { trigger: "schedule" });
};
