import { z } from "zod";
import { adminProcedure, requireRole, router } from "../trpc";
import { exceptionsSummary } from "../../services/exceptions/summary";
import { listExceptions, listInput, type Viewer } from "../../services/exceptions/list";
import { figuresInput, queueFigures } from "../../services/exceptions/figures";
import { groupsInput, queueGroups } from "../../services/exceptions/groups";
import { detailInput, exceptionDetail } from "../../services/exceptions/detail";
import { actInput, actOnException } from "../../services/exceptions/act";
import { bulkInput, getBulkAction, startBulkAction } from "../../services/exceptions/bulk";
import { queueFacets } from "../../services/exceptions/facets";
import { deleteView, deleteViewInput, listViews, saveView, saveViewInput } from "../../services/exceptions/views";
import { listSlas, updateSla, updateSlaInput } from "../../services/exceptions/slas";
import type { SessionUser } from "../trpc";

/** Finance ops, PMO and admin see every exception in their scope; each acts on its own teams' (services check). */
const triageProcedure = requireRole("admin", "finance_ops", "pmo");

const viewerOf = (user: SessionUser): Viewer => ({ userId: user.id, roles: user.roles, scope: user.scope });

export const exceptionsRouter = router({
  /** open exceptions by code and owner, and the most valuable ones */
  summary: triageProcedure.query(({ ctx }) => exceptionsSummary({ ctx: ctx.svc, scope: ctx.user.scope })),
  /** a page of the queue: filters, sort, keyset cursor */
  list: triageProcedure.input(listInput).query(({ ctx, input }) => listExceptions({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** header figures for a filter: open, hours and value blocked, oldest, past SLA, resolved today */
  figures: triageProcedure.input(figuresInput).query(({ ctx, input }) => queueFigures({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** the filter's exceptions grouped by code or project with counts and totals */
  groups: triageProcedure.input(groupsInput).query(({ ctx, input }) => queueGroups({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** one exception with its history, blocked entries and an entry's lineage */
  detail: triageProcedure.input(detailInput).query(({ ctx, input }) => exceptionDetail({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** filter lists and possible assignees */
  facets: triageProcedure.query(({ ctx }) => queueFacets({ ctx: ctx.svc, viewer: viewerOf(ctx.user) })),
  /** assign, unassign, comment, retry, resolve, ignore or reopen one exception (version-checked) */
  act: triageProcedure.input(actInput).mutation(({ ctx, input }) => actOnException({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** the same action on many exceptions, as one worker job */
  bulk: triageProcedure.input(bulkInput).mutation(({ ctx, input }) => startBulkAction({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** a bulk action's progress */
  bulkStatus: triageProcedure
    .input(z.object({ id: z.uuid({ error: "id must be a bulk action id" }) }))
    .query(({ ctx, input }) => getBulkAction({ ctx: ctx.svc, viewer: viewerOf(ctx.user), id: input.id })),
  /** built-in, own and shared saved views */
  views: triageProcedure.query(({ ctx }) => listViews({ ctx: ctx.svc, viewer: viewerOf(ctx.user) })),
  saveView: triageProcedure.input(saveViewInput).mutation(({ ctx, input }) => saveView({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  deleteView: triageProcedure.input(deleteViewInput).mutation(({ ctx, input }) => deleteView({ ctx: ctx.svc, viewer: viewerOf(ctx.user), input })),
  /** each code's SLA (configured or default) */
  slas: triageProcedure.query(({ ctx }) => listSlas({ ctx: ctx.svc })),
  updateSla: adminProcedure.input(updateSlaInput).mutation(({ ctx, input }) => updateSla({ ctx: ctx.svc, input })),
});
