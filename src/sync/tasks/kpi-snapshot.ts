import type { Task } from "graphile-worker";
import { z } from "zod";
import { refreshKpiSnapshots } from "@/server/services/kpis/snapshot";
import { jobCtx, type TaskDeps } from "./context";

const payload = z
  .object({
    /** days of flows recomputed (approvals' SLA outcomes settle, late events land) */
    trailingDays: z.number().int().min(1).max(60).default(7),
    /** how far back a first run reconstructs history */
    backfillDays: z.number().int().min(0).max(1000).default(180),
  })
  .passthrough()
  .nullable()
  .default({ trailingDays: 7, backfillDays: 180 });

/**
 * The KPI dashboard's daily history (kpi_daily_snapshots): backfills days never computed, then
 * replaces today's stock figures and the trailing days' flows. Every 15 minutes; idempotent.
 */
export const kpiSnapshotTask = (deps: TaskDeps): Task => async (raw, helpers) => {
  const p = payload.parse(raw ?? {}) ?? { trailingDays: 7, backfillDays: 180 };
  const ctx = jobCtx(deps, helpers);
  const s = await refreshKpiSnapshots({ ctx, trailingDays: p.trailingDays, backfillDays: p.backfillDays });
  ctx.log!.info(`kpi snapshots refreshed for ${s.today} (${s.slicesToday} slices${s.backfilledDays ? `, ${s.backfilledDays} day(s) backfilled` : ""}) in ${s.ms} ms`, { ...s });
};
