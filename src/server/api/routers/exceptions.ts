import { requireRole, router } from "../trpc";
import { exceptionsSummary } from "../../services/exceptions/summary";

const triageProcedure = requireRole("admin", "finance_ops", "pmo");

export const exceptionsRouter = router({
  summary: triageProcedure.query(({ ctx }) => exceptionsSummary({ ctx: ctx.svc, scope: ctx.user.scope })),
});
