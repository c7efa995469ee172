import type { Task } from "graphile-worker";
import { z } from "zod";
import { runBulkAction } from "@/server/services/exceptions/bulk";
import { jobCtx, type TaskDeps } from "./context";

const payload = z.object({ bulkId: z.uuid() });

/** Applies a bulk action on exceptions (queued from the console), recording progress as it goes. */
export const exceptionsBulk = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { bulkId } = payload.parse(raw);
  await runBulkAction({ ctx: jobCtx(deps, helpers), bulkId });
};
