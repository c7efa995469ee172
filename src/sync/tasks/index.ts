import type { TaskList } from "graphile-worker";
import type { TaskDeps } from "./context";
import { deliverWebhookTask } from "./deliver-webhook";
import { evaluateAlertsTask } from "./evaluate-alerts";
import { exceptionsBulk } from "./exceptions-bulk";
import { fullWalkTask } from "./full-walk";
import { kpiSnapshotTask } from "./kpi-snapshot";
import { mappingRecovery } from "./mapping-recovery";
import { pruneHistoryTask } from "./prune";
import { pullMasterDataTask } from "./pull-master-data";
import { pullTime } from "./pull-time";
import { readBackTask } from "./read-back";
import { reconcileTask } from "./reconcile";
import { reverseSync } from "./reverse-sync";
import { schedule } from "./schedule";
import { sendPostings } from "./send-postings";
import { validate } from "./validate";

export type { TaskDeps };

/**
 * The worker's jobs, one per file. Each is small and idempotent: a repeated pull re-reads
 * and changes nothing, a repeated send finds nothing due, a repeated validation decides
 * nothing new; payloads are checked with zod when the job runs (queued jobs outlive deploys).
 */
export function taskList(deps: TaskDeps): TaskList {
  return {
    schedule: schedule(deps),
    "pull-time": pullTime(deps),
    "full-walk": fullWalkTask(deps),
    validate: validate(deps),
    "send-postings": sendPostings(deps),
    "pull-master-data": pullMasterDataTask(deps),
    "read-back": readBackTask(deps),
    "reverse-sync": reverseSync(deps),
    "prune-history": pruneHistoryTask(deps),
    reconcile: reconcileTask(deps),
    "kpi-snapshot": kpiSnapshotTask(deps),
    "exceptions-bulk": exceptionsBulk(deps),
    "evaluate-alerts": evaluateAlertsTask(deps),
    "deliver-webhook": deliverWebhookTask(deps),
    "mapping-recovery": mappingRecovery(deps),
  };
}

/** Scheduled jobs (graphile-worker crontab, UTC): the per-connector scheduler, reverse sync, the daily history pruning, and alert evaluation every five minutes. */
export const CRONTAB = [
  "* * * * * schedule ?jobKey=schedule",
  "*/15 * * * * reverse-sync ?jobKey=reverse-sync",
  "17 4 * * * prune-history ?jobKey=prune-history",
  // the KPI dashboard's daily history; the reconciliation of every entity's current periods, each morning
  "*/15 * * * * kpi-snapshot ?jobKey=kpi-snapshot",
  "40 5 * * * reconcile ?jobKey=reconcile-schedule {schedule:true}",
  "*/5 * * * * evaluate-alerts ?jobKey=evaluate-alerts",
  // the safety net for approved entries nothing decided about (see validateEntries' stragglers)
  "*/2 * * * * validate ?jobKey=validate-stragglers {stragglers:true}",
].join("\n");
