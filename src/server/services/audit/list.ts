import { and, desc, eq, getTableColumns, gte, ilike, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { auditLog, users } from "../../db/schema";
import { escapeLike } from "../../db/like";
import type { Scope } from "../../auth/scope";
import type { ServiceCtx } from "../context";
import { auditVisibleTo } from "./visibility";

export const listAuditInput = z.object({
  actor: z.string().trim().max(254).optional(),
  action: z.string().trim().max(100).optional(),
  entityType: z.string().trim().max(100).optional(),
  entityId: z.string().trim().max(200).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  /** keyset cursor: the id of the last row already shown */
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type ListAuditInput = z.infer<typeof listAuditInput>;

/**
 * Newest first, paged by keyset on id (ids grow with time), so deep pages stay cheap. A
 * viewer limited to some legal entities or regions sees only the entries attributed within
 * their scope (see visibility.ts).
 */
export async function listAudit({ ctx, input, scope }: { ctx: ServiceCtx; input: ListAuditInput; scope: Scope }) {
  const where: (SQL | undefined)[] = [auditVisibleTo(scope)];
  if (input.actor) where.push(ilike(auditLog.actorLabel, `%${escapeLike(input.actor)}%`));
  if (input.action) where.push(or(eq(auditLog.action, input.action), ilike(auditLog.action, `${escapeLike(input.action)}%`)));
  if (input.entityType) where.push(eq(auditLog.entityType, input.entityType));
  if (input.entityId) where.push(eq(auditLog.entityId, input.entityId));
  if (input.from) where.push(gte(auditLog.at, new Date(input.from)));
  if (input.to) where.push(lt(auditLog.at, new Date(input.to)));
  if (input.cursor) where.push(lt(auditLog.id, input.cursor));
  const rows = await ctx.db
    .select({
      ...getTableColumns(auditLog),
      /** a readable name for the entity where one is known (a user's e-mail) */
      entityLabel: users.email,
    })
    .from(auditLog)
    .leftJoin(users, and(eq(auditLog.entityType, "user"), eq(auditLog.entityId, sql`${users.id}::text`)))
    .where(and(...where))
    .orderBy(desc(auditLog.id))
    .limit(input.limit + 1);
  const more = rows.length > input.limit;
  const items = more ? rows.slice(0, input.limit) : rows;
  return { items, nextCursor: more ? items[items.length - 1]!.id : null };
}

/** The distinct actions and entity types of the entries the viewer may see, for the filter pickers. */
export async function auditFacets({ ctx, scope }: { ctx: ServiceCtx; scope: Scope }) {
  const visible = auditVisibleTo(scope);
  const actions = await ctx.db.selectDistinct({ v: auditLog.action }).from(auditLog).where(visible).orderBy(auditLog.action);
  const entityTypes = await ctx.db
    .selectDistinct({ v: auditLog.entityType })
    .from(auditLog)
    .where(visible)
    .orderBy(auditLog.entityType);
  return { actions: actions.map((r) => r.v), entityTypes: entityTypes.map((r) => r.v) };
}
