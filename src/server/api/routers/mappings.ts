import { acceptInput, acceptSuggestions } from "../../services/mappings/accept";
import { changeInput, previewChange, saveInput, saveMapping } from "../../services/mappings/change";
import { historyInput, mappingHistory } from "../../services/mappings/history";
import { listInput, listMappings } from "../../services/mappings/list";
import { getRecovery, getRecoveryInput, recentRecoveries } from "../../services/mappings/recovery";
import { targetOptions, targetOptionsInput } from "../../services/mappings/targets";
import { listUnmapped, unmappedInput, unmappedOverview } from "../../services/mappings/unmapped";
import { requireRole, router } from "../trpc";

/** The mapping layer is the PMO's (and admins'): the same roles as the Mappings area. */
const mappingsProcedure = requireRole("admin", "pmo");

export const mappingsRouter = router({
  /** per kind: source objects blocking approved time, and what that time is worth */
  overview: mappingsProcedure.query(({ ctx }) => unmappedOverview({ ctx: ctx.svc, scope: ctx.user.scope })),
  /** what is unmapped in a kind, ranked by what it blocks, with suggested targets */
  unmapped: mappingsProcedure.input(unmappedInput).query(({ ctx, input }) => listUnmapped({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the kind's mappings: searchable, by status, keyset-paged (cursor) */
  list: mappingsProcedure.input(listInput).query(({ ctx, input }) => listMappings({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** ERP records a mapping may point at (the editor's picker) */
  targets: mappingsProcedure.input(targetOptionsInput).query(({ ctx, input }) => targetOptions({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** what a change would do (entries, exceptions, value, corrections) and why it may be refused; changes nothing */
  preview: mappingsProcedure.input(changeInput).query(({ ctx, input }) => previewChange({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** create, change, end-date, deactivate, reactivate or restore a mapping; corrections only when asked */
  save: mappingsProcedure.input(saveInput).mutation(({ ctx, input }) => saveMapping({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** accept suggested targets, one or many */
  accept: mappingsProcedure.input(acceptInput).mutation(({ ctx, input }) => acceptSuggestions({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** a mapping's versions: who, when, before, after, why */
  history: mappingsProcedure.input(historyInput).query(({ ctx, input }) => mappingHistory({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** a background re-validation's progress and outcome */
  recovery: mappingsProcedure.input(getRecoveryInput).query(({ ctx, input }) => getRecovery({ ctx: ctx.svc, input, scope: ctx.user.scope })),
  /** the latest re-validations */
  recoveries: mappingsProcedure.query(({ ctx }) => recentRecoveries({ ctx: ctx.svc, scope: ctx.user.scope })),
});
