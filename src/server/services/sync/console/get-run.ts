import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { isUnrestricted, scopeCondition, type Scope } from "../../../auth/scope";
import { erpPostingAttempts, erpPostings, legalEntities, logLines, rawRecords, syncRuns, timeEntries } from "../../../db/schema";
import { LOG_LEVELS } from "../../../log";
import type { ServiceCtx } from "../../context";
import { invalid, notFound } from "../../errors";
import { isoMicros, limitInput } from "./keyset";
import { describeErrorClass, errorClassLabel, formatDuration } from "./labels";
import { selectRuns, toRunRow, type RunRow } from "./list-runs";

export const getRunInput = z.object({
  id: z.uuid({ error: "id must be a run's id (a UUID)" }),
  /** the least severe log level shown (info shows info, warn and error) */
  logLevel: z.enum(LOG_LEVELS, { error: `logLevel must be one of: ${LOG_LEVELS.join(", ")}` }).default("debug"),
  /** the log page: the nextCursor of the previous page of log lines */
  cursor: z
    .string()
    .regex(/^\d{1,19}$/, { error: "cursor must be the log nextCursor a previous page returned" })
    .nullish(),
  logLimit: limitInput(500, 100),
});
export type GetRunInput = z.input<typeof getRunInput>;

/** How many records a run's page names: the rest are counted. */
export const TOUCHED_SOURCE_IDS = 50;
export const TOUCHED_POSTINGS = 200;

export type TimelineEvent = {
  /** null for a step the run reports without a time (its details count pages, rounds, windows) */
  at: Date | null;
  kind: "started" | "step" | "warning" | "error" | "finished" | "running";
  label: string;
};

export type RunLogLine = { id: number; at: Date; level: string; msg: string; fields: Record<string, unknown> };

export type RunPostingItem = {
  postingId: string;
  kind: "create" | "reverse";
  /** the posting's status now (it may have changed since the run) */
  statusNow: string;
  entryId: string | null;
  sourceSystem: string | null;
  sourceId: string | null;
  legalEntityCode: string | null;
  hours: string | null;
  /** attempts made for it in this run */
  attempts: number;
  /** the outcome of its last attempt in this run: accepted | found | rejected | transient */
  outcome: string;
  errorClass: string | null;
  error: string | null;
  httpStatus: number | null;
  lastDurationMs: number;
  firstAttemptAt: Date;
};

export type RunFailureClass = {
  errorClass: string;
  label: string;
  /** failed attempts of this class in the run */
  attempts: number;
  /** distinct postings they concern */
  postings: number;
  latestError: string | null;
  sentence: string;
};

export type RunDetail = {
  run: RunRow & { details: Record<string, unknown> };
  timeline: TimelineEvent[];
  logs: { lines: RunLogLine[]; nextCursor: string | null };
  touched: {
    /** what a pull, walk or import received (null when the run kept no raw records) */
    rawRecords: { count: number; byObjectType: { objectType: string; count: number }[]; firstSourceIds: string[] } | null;
    /** what a posting run sent (null for other kinds) */
    postings: {
      count: number;
      byOutcome: Record<string, number>;
      /** the first TOUCHED_POSTINGS, in the order they were first tried, within the viewer's scope */
      items: RunPostingItem[];
      /** postings of the run outside the viewer's scope: counted, not shown */
      hiddenByScope: number;
    } | null;
  };
  failures: {
    /** the run's own reason, when it failed or stopped short */
    error: string | null;
    /** failed attempts by class, most frequent first, each with a sentence */
    byClass: RunFailureClass[];
    /** what the run's details list as not taken in (master data records, CSV lines), if anything; only for a viewer with no scope limit */
    listed: unknown[];
    /** how many of those a scoped viewer is not shown */
    listedHiddenByScope: number;
  };
};

const LISTED_DETAIL_KEYS = ["failures", "errors"] as const;

function detailSteps(kind: string, d: Record<string, unknown>): string[] {
  const steps: string[] = [];
  const num = (k: string) => (typeof d[k] === "number" ? (d[k] as number) : null);
  if (typeof d.from === "string" && typeof d.to === "string") steps.push(`Covered ${d.from} to ${d.to}`);
  if (typeof d.fileName === "string") steps.push(`File ${d.fileName}${num("rows") !== null ? ` (${num("rows")} rows)` : ""}`);
  const pages = num("pages");
  if (pages !== null) steps.push(`Read ${pages} page${pages === 1 ? "" : "s"}`);
  if (Array.isArray(d.windows)) {
    for (const w of d.windows as { label?: string; status?: string; listed?: number; voided?: number }[]) {
      steps.push(`Walked ${w.label ?? "a window"}: ${w.status ?? "?"}${typeof w.listed === "number" ? `, ${w.listed} listed` : ""}${w.voided ? `, ${w.voided} deleted at the source` : ""}`);
    }
  }
  const rounds = num("rounds");
  if (kind === "posting" && rounds !== null) steps.push(`Sent in ${rounds} round${rounds === 1 ? "" : "s"}`);
  if (typeof d.circuit === "string" && d.circuit !== "closed") steps.push(`The ERP's circuit breaker was ${d.circuit.replace("_", "-")}`);
  const validated = num("validated");
  if (validated) steps.push(`Validated ${validated} entr${validated === 1 ? "y" : "ies"}${num("postingsCreated") ? `, ${num("postingsCreated")} queued to post` : ""}`);
  return steps;
}

/**
 * One run: its timeline, its log lines (by correlation id, paged, from a level up), what it
 * touched (for pulls, the raw records received; for posting runs, the postings it tried,
 * found through the attempts' correlation id within the run's time), and its failures in
 * plain words. Runs are not scoped; the postings listed are limited to the viewer's scope.
 */
export async function getRun({ ctx, input, scope }: { ctx: ServiceCtx; input: GetRunInput; scope: Scope }): Promise<RunDetail> {
  const q = getRunInput.parse(input);
  const [r] = await selectRuns(ctx.db).where(eq(syncRuns.id, q.id));
  if (!r) throw notFound("No sync run has this id.");
  const run = { ...toRunRow(r), details: r.details };

  // log lines: oldest first, by id (the order they were written)
  const levels = LOG_LEVELS.slice(LOG_LEVELS.indexOf(q.logLevel));
  let afterId: number | null = null;
  if (q.cursor) {
    afterId = Number(q.cursor);
    if (!Number.isSafeInteger(afterId)) throw invalid("cursor must be the log nextCursor a previous page returned");
  }
  const lineRows = await ctx.db
    .select({ id: logLines.id, at: logLines.at, level: logLines.level, msg: logLines.msg, fields: logLines.fields })
    .from(logLines)
    .where(and(eq(logLines.correlationId, run.correlationId), inArray(logLines.level, levels), afterId !== null ? gt(logLines.id, afterId) : undefined))
    .orderBy(asc(logLines.id))
    .limit(q.logLimit + 1);
  const lines = lineRows.slice(0, q.logLimit);
  const logs = { lines, nextCursor: lineRows.length > q.logLimit ? String(lines.at(-1)!.id) : null };

  // raw records the run received
  const rawByType = await ctx.db
    .select({ objectType: rawRecords.objectType, count: sql<number>`count(*)::int` })
    .from(rawRecords)
    .where(eq(rawRecords.syncRunId, run.id))
    .groupBy(rawRecords.objectType)
    .orderBy(rawRecords.objectType);
  let raw: RunDetail["touched"]["rawRecords"] = null;
  if (rawByType.length) {
    const first = await ctx.db
      .select({ sourceId: rawRecords.sourceId })
      .from(rawRecords)
      .where(eq(rawRecords.syncRunId, run.id))
      .orderBy(asc(rawRecords.id))
      .limit(TOUCHED_SOURCE_IDS);
    raw = { count: rawByType.reduce((n, t) => n + t.count, 0), byObjectType: rawByType, firstSourceIds: first.map((f) => f.sourceId) };
  }

  // attempts made by a posting run: its correlation id, within its time (a retried job keeps its id)
  let postings: RunDetail["touched"]["postings"] = null;
  let byClass: RunFailureClass[] = [];
  const timeline: TimelineEvent[] = [{ at: run.startedAt, kind: "started", label: `Started (${run.trigger})` }];
  for (const s of detailSteps(run.kind, run.details)) timeline.push({ at: null, kind: "step", label: s });
  const timed: TimelineEvent[] = [];

  if (run.kind === "posting") {
    const inRun = and(
      eq(erpPostingAttempts.correlationId, run.correlationId),
      run.connectorId ? eq(erpPostingAttempts.connectorId, run.connectorId) : undefined,
      sql`${erpPostingAttempts.startedAt} >= ${r.startedAtKey}::timestamptz`,
      r.finishedAtKey ? sql`${erpPostingAttempts.startedAt} <= ${r.finishedAtKey}::timestamptz` : undefined,
    );
    const [totals] = await ctx.db
      .select({
        attempts: sql<number>`count(*)::int`,
        postings: sql<number>`count(distinct ${erpPostingAttempts.postingId})::int`,
        first: sql<Date | null>`min(${erpPostingAttempts.startedAt})`.mapWith(erpPostingAttempts.startedAt),
        last: sql<Date | null>`max(${erpPostingAttempts.startedAt})`.mapWith(erpPostingAttempts.startedAt),
      })
      .from(erpPostingAttempts)
      .where(inRun);
    // each posting's last attempt in the run decides its outcome in the run
    const perPosting = ctx.db
      .select({
        postingId: erpPostingAttempts.postingId,
        attempts: sql<number>`count(*) over (partition by ${erpPostingAttempts.postingId})`.as("attempts_in_run"),
        rn: sql<number>`row_number() over (partition by ${erpPostingAttempts.postingId} order by ${erpPostingAttempts.startedAt} desc, ${erpPostingAttempts.attempt} desc)`.as("rn"),
        firstAt: isoMicros(sql`min(${erpPostingAttempts.startedAt}) over (partition by ${erpPostingAttempts.postingId})`).as("first_at"),
        outcome: erpPostingAttempts.outcome,
        errorClass: erpPostingAttempts.errorClass,
        error: erpPostingAttempts.error,
        httpStatus: erpPostingAttempts.httpStatus,
        durationMs: erpPostingAttempts.durationMs,
      })
      .from(erpPostingAttempts)
      .where(inRun)
      .as("per_posting");
    const outcomes = await ctx.db
      .select({ outcome: perPosting.outcome, count: sql<number>`count(*)::int` })
      .from(perPosting)
      .where(eq(perPosting.rn, 1))
      .groupBy(perPosting.outcome);
    const visible = scopeCondition(scope, { entity: legalEntities.code, region: legalEntities.region });
    const [shown] = await ctx.db
      .select({ n: sql<number>`count(*)::int` })
      .from(perPosting)
      .innerJoin(erpPostings, eq(erpPostings.id, perPosting.postingId))
      .leftJoin(legalEntities, eq(legalEntities.id, erpPostings.legalEntityId))
      .where(and(eq(perPosting.rn, 1), visible));
    const items = await ctx.db
      .select({
        postingId: perPosting.postingId,
        kind: erpPostings.kind,
        statusNow: erpPostings.status,
        entryId: erpPostings.timeEntryId,
        sourceSystem: timeEntries.sourceSystem,
        sourceId: timeEntries.sourceId,
        legalEntityCode: legalEntities.code,
        hours: erpPostings.hours,
        attempts: perPosting.attempts,
        outcome: perPosting.outcome,
        errorClass: perPosting.errorClass,
        error: perPosting.error,
        httpStatus: perPosting.httpStatus,
        lastDurationMs: perPosting.durationMs,
        firstAttemptAt: perPosting.firstAt,
      })
      .from(perPosting)
      .innerJoin(erpPostings, eq(erpPostings.id, perPosting.postingId))
      .leftJoin(legalEntities, eq(legalEntities.id, erpPostings.legalEntityId))
      .leftJoin(timeEntries, eq(timeEntries.id, erpPostings.timeEntryId))
      .where(and(eq(perPosting.rn, 1), visible))
      .orderBy(asc(perPosting.firstAt), asc(perPosting.postingId))
      .limit(TOUCHED_POSTINGS);
    postings = {
      count: totals?.postings ?? 0,
      byOutcome: Object.fromEntries(outcomes.map((o) => [o.outcome, o.count])),
      items: items.map((i) => ({ ...i, attempts: Number(i.attempts), firstAttemptAt: new Date(i.firstAttemptAt) })),
      hiddenByScope: (totals?.postings ?? 0) - (shown?.n ?? 0),
    };

    // failures by class, of the postings the viewer may see: an error's text names the
    // posting's entry, which another legal entity's viewer must not read
    const classes = await ctx.db
      .select({
        errorClass: sql<string>`${erpPostingAttempts.errorClass}`,
        attempts: sql<number>`count(*)::int`,
        postings: sql<number>`count(distinct ${erpPostingAttempts.postingId})::int`,
        latestError: sql<string | null>`(array_agg(${erpPostingAttempts.error} order by ${erpPostingAttempts.startedAt} desc))[1]`,
      })
      .from(erpPostingAttempts)
      .innerJoin(erpPostings, eq(erpPostings.id, erpPostingAttempts.postingId))
      .leftJoin(legalEntities, eq(legalEntities.id, erpPostings.legalEntityId))
      .where(and(inRun, sql`${erpPostingAttempts.errorClass} is not null`, visible))
      .groupBy(erpPostingAttempts.errorClass)
      .orderBy(sql`count(*) desc`, erpPostingAttempts.errorClass);
    byClass = classes.map((c) => ({ ...c, label: errorClassLabel(c.errorClass), sentence: describeErrorClass(c.errorClass, c.attempts, c.postings) }));
    if (totals?.first) timed.push({ at: totals.first, kind: "step", label: "First posting sent" });
    if (totals?.last && totals.attempts > 1) timed.push({ at: totals.last, kind: "step", label: `Last of ${totals.attempts} attempts sent` });
  }

  // the run's warnings and errors on the timeline (the first 20)
  const loud = await ctx.db
    .select({ at: logLines.at, level: logLines.level, msg: logLines.msg })
    .from(logLines)
    .where(and(eq(logLines.correlationId, run.correlationId), inArray(logLines.level, ["warn", "error"])))
    .orderBy(asc(logLines.id))
    .limit(20);
  for (const l of loud) timed.push({ at: l.at, kind: l.level === "error" ? "error" : "warning", label: l.msg });
  timed.sort((a, b) => a.at!.getTime() - b.at!.getTime());
  timeline.push(...timed);
  timeline.push(
    run.finishedAt
      ? { at: run.finishedAt, kind: "finished", label: `Finished ${run.status} after ${formatDuration(run.durationMs)}${run.error ? `: ${run.error}` : ""}` }
      : { at: null, kind: "running", label: `Still running (${formatDuration(run.durationMs)} so far)` },
  );

  // what the run lists as not taken in (master data records, CSV lines) names no legal entity
  // it could be judged by: only a viewer with no scope limit reads it; others get its count
  const all: unknown[] = [];
  for (const k of LISTED_DETAIL_KEYS) if (Array.isArray(run.details[k])) all.push(...(run.details[k] as unknown[]).slice(0, 50));
  const unrestricted = isUnrestricted(scope);
  const listed = unrestricted ? all : [];
  if (!unrestricted) {
    // the run's details carry the same lists: keep them from a scoped viewer too
    run.details = Object.fromEntries(Object.entries(run.details).filter(([k]) => !(LISTED_DETAIL_KEYS as readonly string[]).includes(k)));
  }

  return {
    run,
    timeline,
    logs,
    touched: { rawRecords: raw, postings },
    failures: { error: run.error, byClass, listed, listedHiddenByScope: all.length - listed.length },
  };
}
