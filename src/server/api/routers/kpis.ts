import { breakdownInput, kpiBreakdown } from "../../services/kpis/breakdown";
import { dashboardInput, kpiDashboard } from "../../services/kpis/dashboard";
import { entriesInput, kpiEntries } from "../../services/kpis/entries";
import { kpiTrends, trendsInput } from "../../services/kpis/trends";
import { authedProcedure, router } from "../trpc";

/** The KPI dashboard: every role may read it, each within their scope (enforced in the services). */
const kpiProcedure = authedProcedure;

export const kpisRouter = router({
  /** the tiles for a selection (entity, region, business unit, practice, period) */
  dashboard: kpiProcedure.input(dashboardInput).query(({ ctx, input }) => kpiDashboard({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** one point per day from the daily snapshots */
  trends: kpiProcedure.input(trendsInput).query(({ ctx, input }) => kpiTrends({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the figures split by legal entity, region, business unit, practice or period */
  breakdown: kpiProcedure.input(breakdownInput).query(({ ctx, input }) => kpiBreakdown({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the entries behind a figure, keyset-paged (cursor) */
  entries: kpiProcedure.input(entriesInput).query(({ ctx, input }) => kpiEntries({ ctx: ctx.svc, input, scope: ctx.user.scope })),
});
