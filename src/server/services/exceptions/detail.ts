import { and, asc, desc, eq, inArray, isNotNull, or, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import {
  employees,
  erpPostingAttempts,
  erpPostings,
  exceptionEntries,
  exceptionEvents,
  exceptions,
  projects,
  rawRecords,
  sourceRefs,
  timeEntries,
  timeEntryEvents,
} from "../../db/schema";
import { alias } from "drizzle-orm/pg-core";
import { canActFor } from "../../auth/teams";
import { SUBJECTS } from "@/sync/rules/types";
import type { ServiceCtx } from "../context";
import type { JobName } from "../jobs/enqueue";
import { notFound } from "../errors";
import { inScope } from "./act";
import { queueFrom, rowColumns, type QueueRowBase, type Viewer } from "./list";

export const detailInput = z.object({
  id: z.uuid({ error: "id must be an exception id" }),
  /** whose lineage to show; the first blocked entry when absent */
  entryId: z.uuid({ error: "entryId must be an entry id" }).optional(),
});

const ENTRY_LIMIT = 100;
/** the latest transitions of an entry the lineage carries; more than this and the earliest are counted, not sent */
export const LIFE_CYCLE_LIMIT = 200;
const sourceProject = alias(sourceRefs, "source_project");
const sourceUser = alias(sourceRefs, "source_user");

/**
 * Everything the drawer shows about one exception: the row, its history and comments, the
 * entries it blocks, and for one of them the lineage — its life cycle (every transition, oldest
 * first, in words), every payload version received, what validation says about it now, its ERP
 * postings with each attempt's request and response, and the other exceptions about it, current
 * and past.
 */
export async function exceptionDetail({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: z.input<typeof detailInput> }) {
  const { id, entryId } = detailInput.parse(input);
  const [row] = (await queueFrom(ctx.db, {
    ...rowColumns,
    details: exceptions.details,
    subjectKey: exceptions.subjectKey,
    sourceSystem: exceptions.sourceSystem,
    blockedSince: sql<Date | null>`(select min(t.approved_at) from exception_entries l join time_entries t on t.id = l.time_entry_id
      where l.exception_id = ${exceptions.id} and t.state = 'approved')`.mapWith((v) => (v ? new Date(v) : null)),
  })
    .where(eq(exceptions.id, id))) as unknown as (QueueRowBase & { details: Record<string, unknown>; subjectKey: string; sourceSystem: string | null; blockedSince: Date | null })[];
  if (!row || !inScope(viewer.scope, row)) throw notFound("No such exception among those you can see.");

  const events = await ctx.db
    .select({ id: exceptionEvents.id, at: exceptionEvents.at, actor: exceptionEvents.actorLabel, kind: exceptionEvents.kind, message: exceptionEvents.message })
    .from(exceptionEvents)
    .where(eq(exceptionEvents.exceptionId, id))
    .orderBy(desc(exceptionEvents.at), desc(exceptionEvents.id))
    .limit(200);

  const entries = await ctx.db
    .select({
      id: timeEntries.id,
      sourceSystem: timeEntries.sourceSystem,
      sourceId: timeEntries.sourceId,
      version: timeEntries.version,
      state: timeEntries.state,
      workDate: sql<string>`${timeEntries.workDate}::text`,
      hours: timeEntries.hours,
      billable: timeEntries.billable,
      notes: timeEntries.notes,
      approvedAt: timeEntries.approvedAt,
      // the canonical project and person once mapped, else the source system's own code and name
      projectCode: sql<string>`coalesce(${projects.code}, ${sourceProject.code}, ${sourceProject.name}, ${timeEntries.sourceProjectId})`,
      employeeName: sql<string>`coalesce(${employees.name}, ${sourceUser.name}, ${timeEntries.sourceUserId})`,
      value: exceptionEntries.value,
      currency: exceptionEntries.currency,
      valueReporting: exceptionEntries.valueReporting,
      erpId: timeEntries.erpId,
    })
    .from(exceptionEntries)
    .innerJoin(timeEntries, eq(timeEntries.id, exceptionEntries.timeEntryId))
    .leftJoin(projects, eq(projects.id, timeEntries.projectId))
    .leftJoin(employees, eq(employees.id, timeEntries.employeeId))
    .leftJoin(sourceProject, and(eq(sourceProject.sourceSystem, timeEntries.sourceSystem), eq(sourceProject.kind, "project"), eq(sourceProject.externalId, timeEntries.sourceProjectId)))
    .leftJoin(sourceUser, and(eq(sourceUser.sourceSystem, timeEntries.sourceSystem), eq(sourceUser.kind, "user"), eq(sourceUser.externalId, timeEntries.sourceUserId)))
    .where(eq(exceptionEntries.exceptionId, id))
    .orderBy(asc(timeEntries.workDate), asc(timeEntries.id))
    .limit(ENTRY_LIMIT);

  const rawLinks = await ctx.db
    .select({ id: rawRecords.id, sourceSystem: rawRecords.sourceSystem, objectType: rawRecords.objectType, sourceId: rawRecords.sourceId, receivedAt: rawRecords.receivedAt, body: rawRecords.body })
    .from(exceptionEntries)
    .innerJoin(rawRecords, eq(rawRecords.id, exceptionEntries.rawRecordId))
    .where(eq(exceptionEntries.exceptionId, id))
    .orderBy(desc(rawRecords.receivedAt))
    .limit(20);

  const focus = entryId ? entries.find((e) => e.id === entryId) ?? (await entryInScope(ctx, viewer, entryId)) : entries[0];
  const lineage = focus ? await entryLineage(ctx, focus.id) : null;

  return {
    reportingCurrency: env.REPORTING_CURRENCY,
    exception: { ...row, canAct: canActFor(viewer.roles, row.owner) },
    events,
    entries,
    entriesShown: entries.length,
    rawRecords: rawLinks,
    lineage,
  };
}

/** An entry the exception no longer links (e.g. from a past exception) may still be opened when in scope. */
async function entryInScope(ctx: ServiceCtx, viewer: Viewer, entryId: string) {
  const [e] = (await ctx.db.execute(sql`
    select t.id, le.code as "entityCode", le.region as region from time_entries t
    left join legal_entities le on le.id = t.legal_entity_id where t.id = ${entryId}`)) as unknown as { id: string; entityCode: string | null; region: string | null }[];
  if (!e || !inScope(viewer.scope, e)) throw notFound("No such entry among those you can see.");
  return { id: e.id };
}

async function entryLineage(ctx: ServiceCtx, entryId: string) {
  const [entry] = await ctx.db
    .select({
      id: timeEntries.id,
      sourceSystem: timeEntries.sourceSystem,
      sourceId: timeEntries.sourceId,
      version: timeEntries.version,
      postedVersion: timeEntries.postedVersion,
      state: timeEntries.state,
      workDate: sql<string>`${timeEntries.workDate}::text`,
      hours: timeEntries.hours,
      erpId: timeEntries.erpId,
      approvedAt: timeEntries.approvedAt,
      postedAt: timeEntries.postedAt,
      billedAt: timeEntries.billedAt,
    })
    .from(timeEntries)
    .where(eq(timeEntries.id, entryId));
  if (!entry) return null;

  const payloads = await ctx.db
    .select({ id: rawRecords.id, receivedAt: rawRecords.receivedAt, contentHash: rawRecords.contentHash, syncRunId: rawRecords.syncRunId, body: rawRecords.body })
    .from(rawRecords)
    .where(and(eq(rawRecords.sourceSystem, entry.sourceSystem), eq(rawRecords.objectType, "time_entry"), eq(rawRecords.sourceId, entry.sourceId)))
    .orderBy(desc(rawRecords.receivedAt))
    .limit(20);

  const postings = await ctx.db
    .select({
      id: erpPostings.id,
      kind: erpPostings.kind,
      status: erpPostings.status,
      entryVersion: erpPostings.entryVersion,
      idempotencyKey: erpPostings.idempotencyKey,
      attempts: erpPostings.attempts,
      lastError: erpPostings.lastError,
      erpId: erpPostings.erpId,
      request: erpPostings.request,
      response: erpPostings.response,
      createdAt: erpPostings.createdAt,
      acceptedAt: erpPostings.acceptedAt,
    })
    .from(erpPostings)
    .where(eq(erpPostings.timeEntryId, entryId))
    .orderBy(asc(erpPostings.createdAt));
  const attempts = postings.length
    ? await ctx.db
        .select({
          postingId: erpPostingAttempts.postingId,
          attempt: erpPostingAttempts.attempt,
          startedAt: erpPostingAttempts.startedAt,
          durationMs: erpPostingAttempts.durationMs,
          outcome: erpPostingAttempts.outcome,
          httpStatus: erpPostingAttempts.httpStatus,
          errorClass: erpPostingAttempts.errorClass,
          error: erpPostingAttempts.error,
          response: erpPostingAttempts.response,
        })
        .from(erpPostingAttempts)
        .where(inArray(erpPostingAttempts.postingId, postings.map((p) => p.id)))
        .orderBy(asc(erpPostingAttempts.startedAt))
    : [];

  // what validation says now: the exceptions that block this entry; and every exception about it, past ones included
  const keys = [SUBJECTS.entry(entry.sourceSystem, entry.sourceId), SUBJECTS.raw(entry.sourceSystem, "time_entry", entry.sourceId)];
  // two indexed lookups (linked now; about this entry by subject) rather than one OR across tables
  const linkedIds = (await ctx.db.select({ id: exceptionEntries.exceptionId }).from(exceptionEntries).where(eq(exceptionEntries.timeEntryId, entryId))).map((r) => r.id);
  const related = await ctx.db
    .select({
      id: exceptions.id,
      code: exceptions.code,
      status: exceptions.status,
      message: exceptions.message,
      firstSeenAt: exceptions.firstSeenAt,
      resolvedAt: exceptions.resolvedAt,
    })
    .from(exceptions)
    .where(linkedIds.length ? or(inArray(exceptions.id, linkedIds), inArray(exceptions.subjectKey, keys)) : inArray(exceptions.subjectKey, keys))
    .orderBy(desc(exceptions.firstSeenAt))
    .limit(50);
  const blocking = new Set(linkedIds);

  const lifeCycle = await entryLifeCycle(ctx, entryId);

  return {
    entry,
    lifeCycle,
    payloads,
    postings: postings.map((p) => ({ ...p, attempts: attempts.filter((a) => a.postingId === p.id) })),
    blockedBy: related.filter((r) => blocking.has(r.id)),
    otherExceptions: related.map((r) => ({ ...r, blocking: blocking.has(r.id) })),
  };
}

/** Each transition of an entry (time_entry_events.kind) as a finance reader would say it. */
export const TRANSITION_WORDS: Record<string, string> = {
  received: "Received",
  approved: "Approved",
  withdrawn: "Approval withdrawn",
  rejected: "Rejected",
  changed: "Changed",
  corrected: "Corrected after posting",
  voided: "Deleted in the source",
  posted: "Posted to the ERP",
  refused: "Refused by the ERP",
  reversal_refused: "Reversal refused",
  found_superseded: "Found in the ERP, outdated",
  superseded: "Not sent: newer version",
  reversed: "Reversed in the ERP",
  kept_erp_version: "ERP's version kept",
  invoiced: "Invoiced",
  uninvoiced: "Taken off an invoice",
  changed_after_invoice: "Changed after invoicing",
};

/** The worker's jobs, named as the console names them elsewhere. */
const JOB_WORDS: Record<JobName, string> = {
  "pull-time": "Time pull",
  "send-postings": "Posting",
  validate: "Validation",
  "pull-master-data": "Master-data pull",
  "read-back": "Read-back",
  "full-walk": "Full walk",
  "reverse-sync": "Reverse sync",
  "exceptions-bulk": "Bulk action",
  "deliver-webhook": "Webhook delivery",
  "evaluate-alerts": "Alerts",
  "mapping-recovery": "Mapping recovery",
  reconcile: "Reconciliation",
  "kpi-snapshot": "KPI snapshot",
};

export type LifeCycleActor = { kind: "person" | "job" | "system"; name: string };

/**
 * Who or what made a transition, from its actor label: a person's e-mail as it is; a worker job
 * (`system:worker:<task>`) by the job's name; any other system actor (a seed, an import script)
 * by its own label.
 */
export function lifeCycleActor(label: string): LifeCycleActor {
  if (!label.startsWith("system:")) return { kind: "person", name: label };
  const system = label.slice("system:".length);
  if (system.startsWith("worker:")) {
    const task = system.slice("worker:".length);
    return { kind: "job", name: `${JOB_WORDS[task as JobName] ?? task} job` };
  }
  return { kind: "system", name: system };
}

const transitionWords = (kind: string) => TRANSITION_WORDS[kind] ?? `${kind.charAt(0).toUpperCase()}${kind.slice(1).replace(/_/g, " ")}`;

/**
 * The entry's life cycle: its transitions oldest first (so it reads as the story of the entry),
 * the latest LIFE_CYCLE_LIMIT of them, with how many there are in all.
 */
async function entryLifeCycle(ctx: ServiceCtx, entryId: string) {
  const latest = await ctx.db
    .select({
      id: timeEntryEvents.id,
      at: timeEntryEvents.at,
      kind: timeEntryEvents.kind,
      fromState: timeEntryEvents.fromState,
      toState: timeEntryEvents.toState,
      version: timeEntryEvents.version,
      message: timeEntryEvents.message,
      actor: timeEntryEvents.actorLabel,
    })
    .from(timeEntryEvents)
    .where(eq(timeEntryEvents.timeEntryId, entryId))
    .orderBy(desc(timeEntryEvents.at), desc(timeEntryEvents.id))
    .limit(LIFE_CYCLE_LIMIT);
  const total =
    latest.length < LIFE_CYCLE_LIMIT
      ? latest.length
      : (await ctx.db.select({ n: sql<number>`count(*)::int` }).from(timeEntryEvents).where(eq(timeEntryEvents.timeEntryId, entryId)))[0]!.n;
  return {
    total,
    events: latest.reverse().map((e) => ({ ...e, words: transitionWords(e.kind), by: lifeCycleActor(e.actor) })),
  };
}
