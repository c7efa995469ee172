import type { Task } from "graphile-worker";
import { eq } from "drizzle-orm";
import { connectors } from "@/server/db/schema";
import { sourceConnectorFor } from "@/server/services/connectors/build";
import { fullWalk } from "@/server/services/sync/full-walk";
import { openWindow } from "@/server/services/sync/window";
import { enqueueJob } from "@/server/services/jobs/enqueue";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** A complete walk of a source's time over the open periods: finds entries deleted at the source. */
export const fullWalkTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { connectorId, trigger } = parsePayload("full-walk", raw);
  const [row] = await deps.db.select().from(connectors).where(eq(connectors.id, connectorId));
  if (!row || row.paused || row.role !== "source") return;
  const ctx = jobCtx(deps, helpers);
  const { from, to } = await openWindow(deps.db);
  const connector = sourceConnectorFor(row, deps.secretsKey);
  const s = await fullWalk({ ctx, connector, connectorId, sourceSystem: connector.system, from, to, trigger });
  ctx.log!.info(`full walk ${row.key} ${from}…${to}`, { runId: s.runId });
  await enqueueJob(deps.db, "send-postings", { trigger });
};
