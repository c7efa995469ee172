import type { Task } from "graphile-worker";
import { refreshKpiSnapshots } from "@/server/services/kpis/snapshot";
import { jobCtx, parsePayload, type TaskDeps } from "./context";

/**
 * The KPI dashboard's daily history (kpi_daily_snapshots): backfills days never computed, then
 * replaces today's stock figures and the trailing days' flows. Every 15 minutes; idempotent.
 */
export const kpiSnapshotTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const p = parsePayload("kpi-snapshot", raw) ?? { trailingDays: 7, backfillDays: 180 };
  const ctx = jobCtx(deps, helpers);
  const s = await refreshKpiSnapshots({ ctx, trailingDays: p.trailingDays, backfillDays: p.backfillDays });
  ctx.log!.info(`kpi snapshots refreshed for ${s.today} (${s.slicesToday} slices${s.backfilledDays ? `, ${s.backfilledDays} day(s) backfilled` : ""}) in ${s.ms} ms`, { ...s });
};
