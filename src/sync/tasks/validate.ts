import type { Task } from "graphile-worker";
import { z } from "zod";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { OUTBOX_JOB } from "@/server/services/jobs/enqueue";
import { jobCtx, type TaskDeps } from "./context";

const payload = z.object({ entryIds: z.array(z.uuid()).optional() }).passthrough().nullable().default({});

/** Validates approved entries not yet queued (all, or the ones named). */
export const validate = (deps: TaskDeps): Task => async (raw, helpers) => {
  const input = payload.parse(raw ?? {}) ?? {};
  const s = await validateEntries({ ctx: jobCtx(deps, helpers), input: { entryIds: input.entryIds } });
  if (s.postingsCreated > 0) await helpers.addJob("send-postings", { trigger: "schedule" }, OUTBOX_JOB);
};
