import { and, asc, eq, or } from "drizzle-orm";
import { z } from "zod";
import { savedViews } from "../../db/schema";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { conflict, forbidden, invalid, notFound } from "../errors";
import type { Viewer } from "./list";
import { teamsOf } from "../../auth/teams";
import { OWNER_TEAMS } from "../../domain/enums";

const AREA = "exceptions";

/** The views everyone starts with; "{period}" is this month when the view is opened. */
export const BUILT_IN_VIEWS = [
  { key: "my-open", name: "My open", query: "assignee=me" },
  { key: "finance-over-3d", name: "Finance — older than 3 days", query: "owner=finance&age=d3_7,d7_30,d30p&sort=age" },
  { key: "blocking-period", name: "Blocking this period's billing", query: "period={period}&sort=value" },
  { key: "over-sla", name: "Past their SLA", query: "overSla=1&sort=age" },
  { key: "unassigned", name: "Unassigned", query: "assignee=none" },
] as const;

const name = z.string().trim().min(1, { error: "a view needs a name" }).max(80, { error: "a view name can be at most 80 characters" });
const query = z.string().max(2000, { error: "the view's filter is too long" }).refine((q) => !q.includes("cursor="), { error: "a saved view does not keep a page position" });

export const saveViewInput = z.object({ name, query, shared: z.boolean().default(false) });
export const deleteViewInput = z.object({ id: z.uuid() });

/** The built-in views, the person's own, and those others shared. */
export async function listViews({ ctx, viewer }: { ctx: ServiceCtx; viewer: Viewer }) {
  const rows = await ctx.db
    .select({ id: savedViews.id, name: savedViews.name, query: savedViews.query, shared: savedViews.shared, ownerId: savedViews.ownerId })
    .from(savedViews)
    .where(and(eq(savedViews.area, AREA), or(eq(savedViews.ownerId, viewer.userId ?? ""), eq(savedViews.shared, true))))
    .orderBy(asc(savedViews.name));
  const teams = teamsOf(viewer.roles);
  const mine = teams.length && teams.length < OWNER_TEAMS.length ? [{ key: "my-teams", name: "My teams", query: `owner=${teams.join(",")}` }] : [];
  return {
    builtIn: [...mine, ...BUILT_IN_VIEWS.map((v) => ({ ...v, query: v.query.replace("{period}", new Date().toISOString().slice(0, 7)) }))] as { key: string; name: string; query: string }[],
    saved: rows.map((r) => ({ ...r, mine: r.ownerId === viewer.userId })),
  };
}

export async function saveView({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: z.input<typeof saveViewInput> }) {
  const v = saveViewInput.parse(input);
  if (!viewer.userId) throw forbidden("Sign in to save a view.");
  if (BUILT_IN_VIEWS.some((b) => b.name.toLowerCase() === v.name.toLowerCase())) throw invalid(`"${v.name}" is a built-in view: pick another name.`);
  const [row] = await ctx.db
    .insert(savedViews)
    .values({ area: AREA, ownerId: viewer.userId, name: v.name, query: v.query, shared: v.shared })
    .onConflictDoNothing()
    .returning({ id: savedViews.id });
  if (!row) throw conflict(`You already have a view called "${v.name}".`);
  await writeAudit(ctx, { action: "saved_view.create", entityType: "saved_view", entityId: row.id, after: v });
  return { id: row.id };
}

export async function deleteView({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: z.input<typeof deleteViewInput> }) {
  const { id } = deleteViewInput.parse(input);
  const [row] = await ctx.db
    .delete(savedViews)
    .where(and(eq(savedViews.id, id), eq(savedViews.ownerId, viewer.userId ?? "")))
    .returning({ id: savedViews.id, name: savedViews.name, query: savedViews.query });
  if (!row) throw notFound("No such view of yours.");
  await writeAudit(ctx, { action: "saved_view.delete", entityType: "saved_view", entityId: id, before: row });
  return { id };
}
