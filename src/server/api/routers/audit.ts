import { router, adminProcedure } from "../trpc";
import { auditFacets, listAudit, listAuditInput } from "../../services/audit/list";

export const auditRouter = router({
  list: adminProcedure.input(listAuditInput).query(({ ctx, input }) => listAudit({ ctx: ctx.svc, input })),
  facets: adminProcedure.query(({ ctx }) => auditFacets({ ctx: ctx.svc })),
});
