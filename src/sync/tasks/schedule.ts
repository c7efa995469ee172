import type { Task } from "graphile-worker";
import { activeConnectors } from "@/server/services/connectors/build";
import { snapshotQueue } from "@/server/services/sync/snapshot-queue";
import { enqueueJob, type JobName } from "@/server/services/jobs/enqueue";
import { cronMatches, parseCron } from "../cron";
import { schedulesOf } from "../schedules";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** The scheduled jobs about one connector: queued with the connector's id, one job key per connector and job. */
const CONNECTOR_JOBS = ["pull-time", "full-walk", "pull-master-data", "read-back"] as const satisfies readonly JobName[];
const isConnectorJob = (job: JobName): job is (typeof CONNECTOR_JOBS)[number] => (CONNECTOR_JOBS as readonly JobName[]).includes(job);

/**
 * Every minute: queues each connector's jobs whose schedule fires this minute. Paused
 * connectors are skipped (they run nothing, scheduled or not). One job key per connector and
 * job, so a run still waiting is not queued twice. Then records the outbox's depth for this
 * minute (the backlog over time); a failure there is logged and never stops the scheduling.
 */
export const schedule = (deps: TaskDeps): Task => async (raw, helpers) => {
  parsePayload("schedule", raw);
  const ctx = jobCtx(deps, helpers);
  const now = new Date();
  for (const role of ["source", "erp"] as const) {
    for (const c of await activeConnectors(deps.db, role)) {
      for (const s of schedulesOf(c)) {
        if (!s.cron) continue;
        let due = false;
        try {
          due = cronMatches(parseCron(s.cron), now);
        } catch (err) {
          ctx.log!.error(`connector ${c.key}: the ${s.name} schedule "${s.cron}" is not valid: ${(err as Error).message}`, { connector: c.key });
        }
        if (!due) continue;
        const job = s.job;
        if (job === "send-postings") await enqueueJob(deps.db, job, { trigger: "schedule" }, { maxAttempts: 3 });
        else if (isConnectorJob(job)) await enqueueJob(deps.db, job, { connectorId: c.id, trigger: "schedule" }, { jobKey: `${job}:${c.id}`, maxAttempts: 3 });
        else ctx.log!.error(`connector ${c.key}: the ${s.name} schedule names the job "${job}", which is not scheduled per connector`, { connector: c.key });
      }
    }
  }
  try {
    await snapshotQueue({ db: deps.db, at: now });
  } catch (err) {
    ctx.log!.warn(`the outbox snapshot of this minute was not recorded: ${(err as Error).message}`);
  }
};
