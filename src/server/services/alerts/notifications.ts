import { and, desc, eq, inArray, isNull, lt, or, sql } from "drizzle-orm";
import { z } from "zod";
import { teamsOf } from "../../auth/teams";
import type { Role } from "../../auth/roles";
import { withTx } from "../../db/client";
import { notificationReads, notifications } from "../../db/schema";
import type { OwnerTeam } from "../../domain/enums";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { invalid, notFound } from "../errors";
import { parseInput } from "./rules";

/**
 * The in-app list of what alerts said. A person sees the notifications of the teams their
 * roles act for (admin: all teams) and marks them read for themselves.
 */
export type Reader = { userId: string; roles: readonly Role[] };

const teamsCondition = (teams: OwnerTeam[]) => (teams.length ? inArray(notifications.ownerTeam, teams) : sql`false`);

/** (with the reads joined for one person) not read by them */
const unread = () => isNull(notificationReads.userId);
const readsJoin = (userId: string) => and(eq(notificationReads.notificationId, notifications.id), eq(notificationReads.userId, userId));

export const listNotificationsInput = z
  .object({
    /** only those this person has not read */
    unreadOnly: z.boolean({ error: "unreadOnly must be true or false" }).default(false),
    cursor: z
      .object({ createdAt: z.coerce.date({ error: "cursor.createdAt must be a time" }), id: z.uuid({ error: "cursor.id must be a notification id" }) })
      .nullish(),
    limit: z.number().int().min(1, { error: "limit must be at least 1" }).max(200, { error: "limit can be at most 200" }).default(50),
  })
  .default({ unreadOnly: false, limit: 50 });

/** Newest first, keyset-paged, each with whether this person has read it. */
export async function listNotifications({ ctx, reader, input }: { ctx: ServiceCtx; reader: Reader; input?: z.input<typeof listNotificationsInput> }) {
  const q = parseInput(listNotificationsInput, input);
  const rows = await ctx.db
    .select({
      id: notifications.id,
      ruleId: notifications.ruleId,
      ownerTeam: notifications.ownerTeam,
      title: notifications.title,
      body: notifications.body,
      link: notifications.link,
      createdAt: notifications.createdAt,
      readAt: notificationReads.readAt,
    })
    .from(notifications)
    .leftJoin(notificationReads, readsJoin(reader.userId))
    .where(
      and(
        teamsCondition(teamsOf(reader.roles)),
        q.unreadOnly ? unread() : undefined,
        q.cursor
          ? or(lt(notifications.createdAt, q.cursor.createdAt), and(eq(notifications.createdAt, q.cursor.createdAt), lt(notifications.id, q.cursor.id)))
          : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit).map(({ readAt, ...n }) => ({ ...n, read: readAt !== null, readAt }));
  const last = items.at(-1);
  return { items, nextCursor: rows.length > q.limit && last ? { createdAt: last.createdAt, id: last.id } : null };
}

/** How many of this person's notifications are unread (the badge in the shell). */
export async function unreadCount({ ctx, reader }: { ctx: ServiceCtx; reader: Reader }): Promise<{ count: number }> {
  const [row] = await ctx.db
    .select({ count: sql<number>`count(*)::int` })
    .from(notifications)
    .leftJoin(notificationReads, readsJoin(reader.userId))
    .where(and(teamsCondition(teamsOf(reader.roles)), unread()));
  return { count: row?.count ?? 0 };
}

export const markReadInput = z
  .object({
    ids: z
      .array(z.uuid({ error: "each id must be a notification id" }), { error: "ids: the notifications to mark read" })
      .min(1, { error: "name at least one notification" })
      .max(200, { error: "at most 200 notifications at once" }),
  })
  .strict();

/** Marks notifications read for this person; one of another team's is refused as not found. */
export async function markRead({ ctx, reader, input }: { ctx: ServiceCtx; reader: Reader; input: z.input<typeof markReadInput> }): Promise<{ marked: number }> {
  const { ids } = parseInput(markReadInput, input);
  const unique = [...new Set(ids)];
  const visible = await ctx.db
    .select({ id: notifications.id })
    .from(notifications)
    .where(and(inArray(notifications.id, unique), teamsCondition(teamsOf(reader.roles))));
  if (visible.length !== unique.length) {
    const known = new Set(visible.map((v) => v.id));
    const missing = unique.filter((id) => !known.has(id));
    throw missing.length === unique.length && unique.length === 1
      ? notFound("There is no such notification among your teams'.")
      : invalid(`${missing.length} of these notifications are not among your teams'; nothing was marked.`, { ids: missing });
  }
  return withTx(ctx.db, async (tx) => {
    const marked = await tx
      .insert(notificationReads)
      .values(unique.map((id) => ({ notificationId: id, userId: reader.userId })))
      .onConflictDoNothing()
      .returning({ id: notificationReads.notificationId });
    if (marked.length) await writeAudit({ ...ctx, db: tx }, { action: "notification.read", entityType: "notification", entityId: marked.length === 1 ? marked[0]!.id : null, after: { ids: marked.map((m) => m.id) } });
    return { marked: marked.length };
  });
}

/** Marks every unread notification of this person's teams read. */
export async function markAllRead({ ctx, reader }: { ctx: ServiceCtx; reader: Reader }): Promise<{ marked: number }> {
  const teams = teamsOf(reader.roles);
  if (teams.length === 0) return { marked: 0 };
  return withTx(ctx.db, async (tx) => {
    const rows = (await tx.execute(sql`
      insert into ${notificationReads} (notification_id, user_id)
      select n.id, ${reader.userId}::uuid from ${notifications} n
      where n.owner_team in ${teams}
        and not exists (select 1 from ${notificationReads} r where r.notification_id = n.id and r.user_id = ${reader.userId}::uuid)
      on conflict do nothing
      returning notification_id`)) as unknown as { notification_id: string }[];
    if (rows.length) await writeAudit({ ...ctx, db: tx }, { action: "notification.read_all", entityType: "notification", after: { count: rows.length } });
    return { marked: rows.length };
  });
}
