import type { Task } from "graphile-worker";
import { evaluateAlerts } from "@/server/services/alerts/evaluate";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Every five minutes: evaluates the teams' alert rules; a rule that starts firing notifies once. */
export const evaluateAlertsTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  parsePayload("evaluate-alerts", raw);
  await evaluateAlerts({ ctx: jobCtx(deps, helpers) });
};
