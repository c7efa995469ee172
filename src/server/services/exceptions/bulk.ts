import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { exceptionBulkActions, exceptions, users } from "../../db/schema";
import { isRole, type Role } from "../../auth/roles";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { DomainError, invalid, notFound } from "../errors";
import { enqueueJob } from "../jobs/enqueue";
import { actOnException, exceptionAction, type ExceptionAction } from "./act";
import { queueFrom, type Viewer } from "./list";
import { checkFilterValues, filterCondition, queueFilter } from "./query";

/** More than this in one request is refused: narrow the filter instead. */
export const BULK_MAX = 10_000;

export const bulkInput = z
  .object({
    act: exceptionAction,
    /** the selected rows with the versions the person saw */
    items: z
      .array(z.object({ id: z.uuid({ error: "each item id must be an exception id" }), version: z.number().int().min(1) }))
      .min(1, { error: "select at least one exception" })
      .max(BULK_MAX, { error: `at most ${BULK_MAX.toLocaleString("en-US")} exceptions in one action` })
      .optional(),
    /** or: every exception matching this filter, as it stands now */
    filter: queueFilter.optional(),
  })
  .refine((v) => (v.items ? 1 : 0) + (v.filter ? 1 : 0) === 1, { message: "Say what to act on: items or filter (exactly one)." });
export type BulkInput = z.input<typeof bulkInput>;

const describe = (act: ExceptionAction) => {
  const { action, ...params } = act;
  return { action, params };
};

/**
 * Queues an action on many exceptions as one worker job and returns its id; the job applies
 * the action to each exception exactly as a single action would (scope, team, version and
 * state checked per row) and records its progress and every row it could not act on.
 */
export async function startBulkAction({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: BulkInput }) {
  const q = bulkInput.parse(input);
  if (ctx.actor.kind !== "user") throw invalid("Bulk actions are started by a person.");
  let items = q.items;
  if (!items) {
    await checkFilterValues(ctx.db, q.filter!);
    items = (await queueFrom(ctx.db, { id: exceptions.id, version: exceptions.version })
      .where(filterCondition(q.filter!, viewer.scope, viewer.userId))
      .orderBy(exceptions.id)
      .limit(BULK_MAX + 1)) as unknown as { id: string; version: number }[];
    if (items.length === 0) throw invalid("No exceptions match this filter.");
    if (items.length > BULK_MAX) throw invalid(`More than ${BULK_MAX.toLocaleString("en-US")} exceptions match: narrow the filter first.`);
  }
  const uniq = [...new Map(items.map((i) => [i.id, i])).values()];
  const { action, params } = describe(q.act);
  const [row] = await ctx.db
    .insert(exceptionBulkActions)
    .values({
      action,
      params,
      items: uniq,
      requestedById: ctx.actor.userId,
      requestedBy: ctx.actor.email,
      correlationId: ctx.correlationId,
      total: uniq.length,
    })
    .returning({ id: exceptionBulkActions.id });
  await enqueueJob(ctx.db, "exceptions-bulk", { bulkId: row!.id }, { jobKey: `exceptions-bulk:${row!.id}` });
  await writeAudit(ctx, { action: "exception.bulk_requested", entityType: "exception_bulk_action", entityId: row!.id, after: { action, params, count: uniq.length } });
  return { id: row!.id, total: uniq.length };
}

const CHUNK = 25;

/**
 * Runs a queued bulk action (the worker's job). The requester's roles and scope are read
 * again now: someone whose access was withdrawn meanwhile acts on nothing. Progress is
 * written after each chunk; a re-run after a crash continues where the last one stopped.
 */
export async function runBulkAction({ ctx, bulkId }: { ctx: ServiceCtx; bulkId: string }) {
  const [job] = await ctx.db.select().from(exceptionBulkActions).where(eq(exceptionBulkActions.id, bulkId));
  if (!job) throw notFound(`No bulk action ${bulkId}.`);
  if (job.status === "done" || job.status === "failed") return job;
  const [u] = await ctx.db
    .select({ id: users.id, email: users.email, roles: users.roles, entities: users.scopeEntities, regions: users.scopeRegions, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.id, job.requestedById));
  if (!u || u.disabledAt) {
    await ctx.db
      .update(exceptionBulkActions)
      .set({ status: "failed", error: "The person who asked for it can no longer sign in.", finishedAt: sql`now()` })
      .where(eq(exceptionBulkActions.id, bulkId));
    return;
  }
  const roles = u.roles.filter(isRole) as Role[];
  const viewer: Viewer = { userId: u.id, roles, scope: { entities: u.entities, regions: u.regions } };
  const asUser: ServiceCtx = { ...ctx, actor: { kind: "user", userId: u.id, email: u.email, roles }, correlationId: job.correlationId };
  await ctx.db.update(exceptionBulkActions).set({ status: "running", startedAt: sql`coalesce(${exceptionBulkActions.startedAt}, now())` }).where(eq(exceptionBulkActions.id, bulkId));

  const act = exceptionAction.parse({ action: job.action, ...job.params });
  const problems = [...job.problems];
  let { processed, succeeded, skipped, failed } = job;
  for (let i = processed; i < job.items.length; i += CHUNK) {
    for (const item of job.items.slice(i, i + CHUNK)) {
      try {
        await actOnException({ ctx: asUser, viewer, input: { id: item.id, expectedVersion: item.version, act } });
        succeeded++;
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        if (err.kind === "conflict") skipped++;
        else failed++;
        problems.push({ id: item.id, outcome: err.kind === "conflict" ? "changed" : "refused", message: err.message });
      }
      processed++;
    }
    await ctx.db
      .update(exceptionBulkActions)
      .set({ processed, succeeded, skipped, failed, problems: problems.slice(0, 1000) })
      .where(eq(exceptionBulkActions.id, bulkId));
  }
  await ctx.db.update(exceptionBulkActions).set({ status: "done", finishedAt: sql`now()` }).where(eq(exceptionBulkActions.id, bulkId));
  await writeAudit(asUser, { action: "exception.bulk_done", entityType: "exception_bulk_action", entityId: bulkId, after: { action: job.action, processed, succeeded, skipped, failed } });
}

/** A bulk action's progress, for the person who started it (or an admin). */
export async function getBulkAction({ ctx, viewer, id }: { ctx: ServiceCtx; viewer: Viewer; id: string }) {
  const [row] = await ctx.db
    .select({
      id: exceptionBulkActions.id,
      action: exceptionBulkActions.action,
      status: exceptionBulkActions.status,
      total: exceptionBulkActions.total,
      processed: exceptionBulkActions.processed,
      succeeded: exceptionBulkActions.succeeded,
      skipped: exceptionBulkActions.skipped,
      failed: exceptionBulkActions.failed,
      problems: exceptionBulkActions.problems,
      error: exceptionBulkActions.error,
      createdAt: exceptionBulkActions.createdAt,
      finishedAt: exceptionBulkActions.finishedAt,
    })
    .from(exceptionBulkActions)
    .where(and(eq(exceptionBulkActions.id, id), viewer.roles.includes("admin") ? undefined : eq(exceptionBulkActions.requestedById, viewer.userId ?? "")))
    .orderBy(desc(exceptionBulkActions.createdAt));
  if (!row) throw notFound("No such bulk action among yours.");
  return row;
}
