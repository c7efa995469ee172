import type { Task } from "graphile-worker";
import { z } from "zod";
import { activeConnectors, erpConnectorFor } from "@/server/services/connectors/build";
import { runReconciliation, scheduleReconciliations, type ErpSide } from "@/server/services/reconciliation/run";
import { jobCtx, type TaskDeps } from "./context";

/** A queued run (from the console or the schedule), or `{ schedule: true }` to queue the schedule's runs. */
const payload = z.union([z.object({ runId: z.uuid() }), z.object({ schedule: z.literal(true) })]);

/**
 * Reconciliation: runs one queued reconciliation run — the ERP's side read back through the ERP
 * connector (the first active one, as posting uses), then compared and stored — or, on the daily
 * schedule, queues a run for every entity's current periods. A paused or missing ERP connector
 * does not stop a run: it compares with the last read-back and says so in the run.
 */
export const reconcileTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const p = payload.parse(raw);
  const ctx = jobCtx(deps, helpers);
  if ("schedule" in p) {
    const runs = await scheduleReconciliations({ ctx });
    ctx.log!.info(`reconciliations queued: ${runs.filter((r) => !r.alreadyQueued).length} (already queued: ${runs.filter((r) => r.alreadyQueued).length})`);
    return;
  }
  const [row] = await activeConnectors(deps.db, "erp");
  const erp: ErpSide = row
    ? { connector: erpConnectorFor(row, deps.secretsKey), connectorId: row.id, connectorName: row.name }
    : { connector: null, reason: "No active ERP connector (none set up, or paused), so the ERP was not read again." };
  await runReconciliation({ ctx, runId: p.runId, erp });
};
