import { deadLetterItems, deadLetterItemsInput, deadLetters, deadLettersInput } from "../../services/sync/console/dead-letters";
import { getRun, getRunInput } from "../../services/sync/console/get-run";
import { listRuns, listRunsInput } from "../../services/sync/console/list-runs";
import { syncCharts, syncChartsInput } from "../../services/sync/console/sync-charts";
import { requireRole, router } from "../trpc";

/** The sync console's read side: admins, and finance ops (who may look, and replay through `sync`). */
const consoleProcedure = requireRole("admin", "finance_ops");

export const syncConsoleRouter = router({
  /** run history, newest first: by connector, kind, status, trigger; keyset-paged (cursor) */
  runs: consoleProcedure.input(listRunsInput).query(({ ctx, input }) => listRuns({ ctx: ctx.svc, input })),
  /** one run: timeline, log lines (paged by cursor, from a level up), what it touched, failures in plain words */
  run: consoleProcedure.input(getRunInput).query(({ ctx, input }) => getRun({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** dead-lettered and refused postings in the viewer's scope, grouped by cause, with totals */
  deadLetters: consoleProcedure.input(deadLettersInput).query(({ ctx, input }) => deadLetters({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the postings of one dead-letter group, keyset-paged (cursor) */
  deadLetterItems: consoleProcedure.input(deadLetterItemsInput).query(({ ctx, input }) => deadLetterItems({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** postings per bucket, latency p50/p95, errors by class and backlog for one ERP connector over 1h, 24h or 7d */
  charts: consoleProcedure.input(syncChartsInput).query(({ ctx, input }) => syncCharts({ ctx: ctx.svc, input })),
});
