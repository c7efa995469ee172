import type { Task } from "graphile-worker";
import { activeConnectors } from "@/server/services/connectors/build";
import { snapshotQueue } from "@/server/services/sync/snapshot-queue";
import { OUTBOX_JOB } from "@/server/services/jobs/enqueue";
import { cronMatches, parseCron } from "../cron";
import { schedulesOf } from "../schedules";
import { emptyPayload, jobCtx, type TaskDeps } from "./context";

/**
 * Every minute: queues each connector's jobs whose schedule fires this minute. Paused
 * connectors are skipped (they run nothing, scheduled or not). One job key per connector and
 * job, so a run still waiting is not queued twice. Then records the outbox's depth for this
 * minute (the backlog over time); a failure there is logged and never stops the scheduling.
 */
export const schedule = (deps: TaskDeps): Task => async (raw, helpers) => {
  emptyPayload.parse(raw ?? {});
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
        const payload = s.job === "send-postings" ? { trigger: "schedule" } : { connectorId: c.id, trigger: "schedule" };
        const spec = s.job === "send-postings" ? OUTBOX_JOB : { jobKey: `${s.job}:${c.id}` };
        await helpers.addJob(s.job, payload, { ...spec, maxAttempts: 3 });
      }
    }
  }
  try {
    await snapshotQueue({ db: deps.db, at: now });
  } catch (err) {
    ctx.log!.warn(`the outbox snapshot of this minute was not recorded: ${(err as Error).message}`);
  }
};
