import type { JobHelpers, TaskList } from "graphile-worker";
import { eq } from "drizzle-orm";
import { z } from "zod";
import type { Db } from "@/server/db/client";
import { connectors } from "@/server/db/schema";
import { activeConnectors, erpConnectorFor, sourceConnectorFor } from "@/server/services/connectors/build";
import { systemActor, type ServiceCtx } from "@/server/services/context";
import { DEFAULT_BREAKER_POLICY } from "@/server/services/posting/breaker";
import { sendDuePostings } from "@/server/services/posting/send-due";
import { pullTimeEntries } from "@/server/services/sync/pull-time";
import { reverseSyncProjects } from "@/server/services/sync/reverse-sync";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { cronMatches, parseCron } from "../cron";

export type TaskDeps = { db: Db; secretsKey: Buffer };

const ctxFor = (deps: TaskDeps, helpers: JobHelpers): ServiceCtx & { db: Db } => ({
  db: deps.db,
  actor: systemActor(`worker:${helpers.job.task_identifier}`),
  correlationId: `job-${helpers.job.id}`,
});

/** Payloads are checked when the job runs: queued jobs outlive deploys. */
const pullPayload = z.object({ connectorId: z.uuid() });
const validatePayload = z.object({ entryIds: z.array(z.uuid()).optional() }).default({});
const emptyPayload = z.object({}).passthrough().nullable().default({});

/**
 * The worker's jobs. Each is small and idempotent: a repeated pull re-reads and changes
 * nothing, a repeated send finds nothing due, a repeated validation decides nothing new.
 */
export function taskList(deps: TaskDeps): TaskList {
  return {
    /** every minute: queue a pull for each source connector whose schedule fires now */
    "schedule-pulls": async (raw, helpers) => {
      emptyPayload.parse(raw);
      const now = new Date();
      for (const c of await activeConnectors(deps.db, "source")) {
        if (!c.scheduleCron) continue;
        let due = false;
        try {
          due = cronMatches(parseCron(c.scheduleCron), now);
        } catch (err) {
          helpers.logger.error(`connector ${c.key}: schedule "${c.scheduleCron}" is not valid: ${(err as Error).message}`);
        }
        if (due) await helpers.addJob("pull-time", { connectorId: c.id }, { jobKey: `pull-time:${c.id}`, maxAttempts: 3 });
      }
    },

    "pull-time": async (raw, helpers) => {
      const { connectorId } = pullPayload.parse(raw);
      const [row] = await deps.db.select().from(connectors).where(eq(connectors.id, connectorId));
      if (!row || row.paused) return; // a paused or removed connector runs nothing
      const summary = await pullTimeEntries({ ctx: ctxFor(deps, helpers), connector: sourceConnectorFor(row, deps.secretsKey), connectorId, trigger: "schedule" });
      helpers.logger.info(`pull ${row.key}: ${summary.fetched} fetched, ${summary.created} new, ${summary.postingsCreated} queued for the ERP`);
      if (summary.postingsCreated > 0) await helpers.addJob("send-postings", {}, { jobKey: "send-postings" });
    },

    validate: async (raw, helpers) => {
      const input = validatePayload.parse(raw ?? {});
      const s = await validateEntries({ ctx: ctxFor(deps, helpers), input });
      if (s.postingsCreated > 0) await helpers.addJob("send-postings", {}, { jobKey: "send-postings" });
    },

    /** deactivates in each source the projects the ERP has put on hold or closed (and back) */
    "reverse-sync": async (raw, helpers) => {
      emptyPayload.parse(raw);
      for (const c of await activeConnectors(deps.db, "source")) {
        const s = await reverseSyncProjects({ ctx: ctxFor(deps, helpers), connector: sourceConnectorFor(c, deps.secretsKey) });
        if (s.deactivated.length || s.reactivated.length || s.failed.length) {
          helpers.logger.info(`reverse sync ${c.key}: ${s.deactivated.length} deactivated, ${s.reactivated.length} reactivated, ${s.failed.length} failed`);
        }
      }
    },

    /** drains what is due to the ERP (bounded, so one job never runs forever) */
    "send-postings": async (raw, helpers) => {
      emptyPayload.parse(raw);
      const [erp] = await activeConnectors(deps.db, "erp");
      if (!erp) return;
      const connector = erpConnectorFor(erp, deps.secretsKey);
      for (let round = 0; round < 50; round++) {
        const s = await sendDuePostings({ ctx: ctxFor(deps, helpers), connector, breaker: { connectorId: erp.id, policy: DEFAULT_BREAKER_POLICY } });
        if (s.circuit !== "closed" && s.claimed === 0) helpers.logger.warn(`the ERP circuit is ${s.circuit}: nothing sent this time`);
        if (s.claimed > 0) helpers.logger.info(`sent ${s.claimed}: ${s.accepted} accepted, ${s.rejected} rejected, ${s.retrying} to retry, ${s.dead} dead`);
        if (s.claimed === 0) break;
      }
    },
  };
}

/** Scheduled jobs (graphile-worker crontab, UTC). */
export const CRONTAB = [
  "* * * * * schedule-pulls ?jobKey=schedule-pulls",
  "* * * * * send-postings ?jobKey=send-postings",
  "*/15 * * * * reverse-sync ?jobKey=reverse-sync",
].join("\n");
