import type { Task } from "graphile-worker";
import { eq } from "drizzle-orm";
import { connectors } from "@/server/db/schema";
import { erpConnectorFor } from "@/server/services/connectors/build";
import { pullMasterData } from "@/server/services/sync/pull-master-data";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/** Entities, customers, projects, employees, service items and periods from the ERP into the canonical tables. */
export const pullMasterDataTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const { connectorId, trigger } = parsePayload("pull-master-data", raw);
  const [row] = await deps.db.select().from(connectors).where(eq(connectors.id, connectorId));
  if (!row || row.paused || row.role !== "erp") return;
  const ctx = jobCtx(deps, helpers);
  const s = await pullMasterData({ ctx, connector: erpConnectorFor(row, deps.secretsKey), connectorId, trigger: trigger === "webhook" ? "schedule" : trigger });
  ctx.log!.info(`master data from ${row.key}`, { runId: s.runId });
};
