import type { Task } from "graphile-worker";
import { runBulkAction } from "@/server/services/exceptions/bulk";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Applies a bulk action on exceptions (queued from the console), recording progress as it goes. */
export const exceptionsBulk = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { bulkId } = parsePayload("exceptions-bulk", raw);
  await runBulkAction({ ctx: jobCtx(deps, helpers), bulkId });
};
