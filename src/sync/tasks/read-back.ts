import type { Task } from "graphile-worker";
import { eq } from "drizzle-orm";
import { connectors } from "@/server/db/schema";
import { erpConnectorFor } from "@/server/services/connectors/build";
import { readBack } from "@/server/services/sync/read-back";
import { openWindow } from "@/server/services/sync/window";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** What the ERP holds (time records, invoices) over the open periods; marks invoiced entries billed. */
export const readBackTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { connectorId, trigger } = parsePayload("read-back", raw);
  const [row] = await deps.db.select().from(connectors).where(eq(connectors.id, connectorId));
  if (!row || row.paused || row.role !== "erp") return;
  const ctx = jobCtx(deps, helpers);
  const { from, to } = await openWindow(deps.db);
  const s = await readBack({ ctx, connector: erpConnectorFor(row, deps.secretsKey), connectorId, trigger: trigger === "webhook" ? "schedule" : trigger, from, to });
  ctx.log!.info(`read back ${row.key} ${from}…${to}`, { runId: s.runId });
};
