import { router, adminProcedure } from "../trpc";
import { auditFacets, listAudit, listAuditInput } from "../../services/audit/list";

/** The audit log, for admins: each sees the entries attributed within their own scope. */
export const auditRouter = router({
  list: adminProcedure.input(listAuditInput).query(({ ctx, input }) => listAudit({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  facets: adminProcedure.query(({ ctx }) => auditFacets({ ctx: ctx.svc, scope: ctx.user.scope })),
});
