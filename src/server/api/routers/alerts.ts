import { TRPCError } from "@trpc/server";
import { isUnrestricted } from "../../auth/scope";
import { ALERTS_NEED_FULL_SCOPE } from "../../services/alerts/catalog";
import { adminProcedure, requireRole, router, type SessionUser } from "../trpc";
import { evaluateAlertsNow } from "../../services/alerts/evaluate";
import { listNotifications, listNotificationsInput, markAllRead, markRead, markReadInput, unreadCount, type Reader } from "../../services/alerts/notifications";
import {
  createRule,
  createRuleInput,
  deleteRule,
  deleteRuleInput,
  listRules,
  setRuleActive,
  setRuleActiveInput,
  updateRule,
  updateRuleInput,
} from "../../services/alerts/rules";

/**
 * The queue's people: they read every rule; each manages its own teams' rules (the service
 * checks). Alerts measure the whole firm, so they are for people who may see all of it: a
 * user limited to some legal entities or regions would learn other entities' totals.
 */
const queueProcedure = requireRole("admin", "finance_ops", "pmo").use(({ ctx, next }) => {
  if (!isUnrestricted(ctx.user.scope)) {
    throw new TRPCError({ code: "FORBIDDEN", message: ALERTS_NEED_FULL_SCOPE });
  }
  return next();
});

const readerOf = (user: SessionUser): Reader => ({ userId: user.id, roles: user.roles });

export const alertsRouter = router({
  /** every alert rule, with whether the viewer may manage it and its latest webhook delivery */
  rules: queueProcedure.query(({ ctx }) => listRules({ ctx: ctx.svc })),
  createRule: queueProcedure.input(createRuleInput).mutation(({ ctx, input }) => createRule({ ctx: ctx.svc, input })),
  /** the whole rule, version-checked; the signing secret is kept unless a new one is given */
  updateRule: queueProcedure.input(updateRuleInput).mutation(({ ctx, input }) => updateRule({ ctx: ctx.svc, input })),
  /** deactivate (stops and re-arms) or reactivate, version-checked */
  setRuleActive: queueProcedure.input(setRuleActiveInput).mutation(({ ctx, input }) => setRuleActive({ ctx: ctx.svc, input })),
  deleteRule: queueProcedure.input(deleteRuleInput).mutation(({ ctx, input }) => deleteRule({ ctx: ctx.svc, input })),
  /** evaluates every active rule now, as the five-minute schedule does */
  evaluateNow: adminProcedure.mutation(({ ctx }) => evaluateAlertsNow({ ctx: ctx.svc })),
  /** the viewer's teams' notifications, newest first */
  notifications: queueProcedure.input(listNotificationsInput).query(({ ctx, input }) => listNotifications({ ctx: ctx.svc, reader: readerOf(ctx.user), input })),
  unreadCount: queueProcedure.query(({ ctx }) => unreadCount({ ctx: ctx.svc, reader: readerOf(ctx.user) })),
  markRead: queueProcedure.input(markReadInput).mutation(({ ctx, input }) => markRead({ ctx: ctx.svc, reader: readerOf(ctx.user), input })),
  markAllRead: queueProcedure.mutation(({ ctx }) => markAllRead({ ctx: ctx.svc, reader: readerOf(ctx.user) })),
});
