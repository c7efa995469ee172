import type { Task } from "graphile-worker";
import { eq } from "drizzle-orm";
import { connectors } from "@/server/db/schema";
import { activeConnectors, erpConnectorFor, sourceConnectorFor } from "@/server/services/connectors/build";
import { runReconciliation, scheduleReconciliations, type ErpSide } from "@/server/services/reconciliation/run";
import type { ApprovalSources } from "@/server/services/reconciliation/source-approvals";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/**
 * Reconciliation: runs one queued reconciliation run — the ERP's side read back through the ERP
 * connector (the first active one, as posting uses), every running source connector asked for its
 * entries' approval now, then compared and stored — or, on the daily schedule, queues a run for
 * every entity's current periods. A paused or missing ERP connector does not stop a run: it
 * compares with the last read-back and says so in the run. Neither does a source that is paused,
 * not set up or failing: the approval differences are then "not checked", with the reason.
 */
export const reconcileTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const p = parsePayload("reconcile", raw);
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
  await runReconciliation({ ctx, runId: p.runId, erp, sources: await approvalSources(deps) });
};

/** Every source connector: the running ones built to be asked, the others with why not (paused, not set up). */
async function approvalSources(deps: TaskDeps): Promise<ApprovalSources> {
  const rows = await deps.db.select().from(connectors).where(eq(connectors.role, "source")).orderBy(connectors.key);
  const out: ApprovalSources = { usable: [], notUsed: [] };
  for (const r of rows) {
    if (r.paused) {
      out.notUsed.push({ name: r.name, system: r.system, reason: `paused${r.pauseReason ? `: ${r.pauseReason}` : ""}` });
      continue;
    }
    try {
      out.usable.push({ connector: sourceConnectorFor(r, deps.secretsKey), connectorId: r.id, connectorName: r.name });
    } catch (err) {
      out.notUsed.push({ name: r.name, system: r.system, reason: `not usable: ${(err as Error).message}` });
    }
  }
  return out;
}
