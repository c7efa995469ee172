import { previewReplay, replayInput, replayPostings } from "../../services/posting/replay";
import { runNow, runNowInput } from "../../services/sync/run-now";
import { connectorsOverview } from "../../services/sync/overview";
import { adminProcedure, requireRole, router } from "../trpc";

/** Replay is for the people who answer for postings: finance ops and admins. */
const replayProcedure = requireRole("admin", "finance_ops");

export const syncRouter = router({
  /** every connector: status and why, last success, schedules, backlog, error rate, limits, breaker */
  overview: replayProcedure.query(({ ctx }) => connectorsOverview({ ctx: ctx.svc })),
  /** queue a pull, full walk, posting run, master-data pull or read-back now */
  runNow: adminProcedure.input(runNowInput).mutation(({ ctx, input }) => runNow({ ctx: ctx.svc, input })),
  /** what a replay of the selection would send (first 200 items listed), changing nothing */
  replayPreview: replayProcedure.input(replayInput).query(async ({ ctx, input }) => {
    const p = await previewReplay({ ctx: ctx.svc, input, scope: ctx.user.scope });
    return { ...p, items: p.items.slice(0, 200), listed: Math.min(200, p.items.length), total: p.items.length };
  }),
  /** replay one posting, a selection, the postings of some entries, or all dead-lettered since a time */
  replay: replayProcedure.input(replayInput).mutation(({ ctx, input }) => replayPostings({ ctx: ctx.svc, input, scope: ctx.user.scope })),
});
