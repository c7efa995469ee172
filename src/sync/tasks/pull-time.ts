import type { Task } from "graphile-worker";
import { eq } from "drizzle-orm";
import { connectors } from "@/server/db/schema";
import { sourceConnectorFor } from "@/server/services/connectors/build";
import { pullTimeEntries } from "@/server/services/sync/pull-time";
import { enqueueJob } from "@/server/services/jobs/enqueue";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** One incremental pull of a source connector's time; queues posting when it queued postings. */
export const pullTime = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { connectorId, trigger } = parsePayload("pull-time", raw);
  const [row] = await deps.db.select().from(connectors).where(eq(connectors.id, connectorId));
  if (!row || row.paused || row.role !== "source") return; // a paused or removed connector runs nothing
  const ctx = jobCtx(deps, helpers);
  const s = await pullTimeEntries({ ctx, connector: sourceConnectorFor(row, deps.secretsKey), connectorId, trigger });
  ctx.log!.info(`pull ${row.key}: ${s.fetched} fetched, ${s.created} new, ${s.corrected} corrected, ${s.postingsCreated} queued for the ERP`, { ...s });
  if (s.postingsCreated > 0 || s.corrected > 0 || s.voided > 0) await enqueueJob(deps.db, "send-postings", { trigger });
};
