import { closeReadiness } from "../../services/reconciliation/close-readiness";
import { entityPeriodInput, requestReconciliation } from "../../services/reconciliation/run";
import { comparableRuns, compareInput, compareRuns, overviewInput, reconciliationOverview, reconciliationRun, runInput, varianceLines, variancesInput } from "../../services/reconciliation/view";
import { requireRole, router } from "../trpc";

/** Reading reconciliations: finance ops, executives (read-only) and admins, each within their scope. */
const readProcedure = requireRole("admin", "finance_ops", "executive");
/** Running one: finance ops and admins. */
const runProcedure = requireRole("admin", "finance_ops");

export const reconciliationRouter = router({
  /** the entities and periods in scope, the selected one and its runs */
  overview: readProcedure.input(overviewInput).query(({ ctx, input }) => reconciliationOverview({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** one run: totals by side and class, breakdowns by project and person */
  run: readProcedure.input(runInput).query(({ ctx, input }) => reconciliationRun({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** a run's variance lines, by class, keyset-paged (cursor) */
  variances: readProcedure.input(variancesInput).query(({ ctx, input }) => varianceLines({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the runs a run may be compared with */
  comparable: readProcedure.input(runInput).query(({ ctx, input }) => comparableRuns(ctx.svc.db, ctx.user.scope, input.runId)),
  /** two runs (two periods, or two runs of one period) side by side */
  compare: readProcedure.input(compareInput).query(({ ctx, input }) => compareRuns({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the period-close checklist and a dry run of what would be posted now (writes nothing) */
  closeReadiness: readProcedure.input(entityPeriodInput).query(({ ctx, input }) => closeReadiness({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** queues a reconciliation run for the worker (audited) */
  request: runProcedure.input(entityPeriodInput).mutation(({ ctx, input }) => requestReconciliation({ ctx: ctx.svc, input, scope: ctx.user.scope })),
});
