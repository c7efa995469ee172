import { and, between, eq, inArray, ne, sql } from "drizzle-orm";
import type { SourceConnector, SourcePage, SourcePullOptions } from "@/sync/connectors/types";
import { SUBJECTS } from "@/sync/rules/types";
import { withTx, type Db } from "../../db/client";
import { exceptions, syncCursors, syncRuns, timeEntries } from "../../db/schema";
import type { EntryState, SourceSystem } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { ingestTimeEntries, type IngestItem } from "../entries/ingest";
import { canonicalTimeEntry } from "../entries/schemas";
import { validateEntries } from "../validation/validate-entries";

/**
 * A page as a connector that can prove a walk complete reports it: the source's count of the
 * matching entries as of this page's answer, and how many items the walk has yielded so far.
 * (The Harvest connector's pages carry both; a connector that reports neither cannot be used
 * to find deletions, as a missing id would prove nothing.)
 */
type CountedPage = SourcePage & { totalEntries?: number; received?: number };

/** What became of one calendar-month window of the walk. */
export type FullWalkWindow = {
  /** "2026-10" for a whole month, "2026-10-05 to 2026-10-31" when clipped */
  label: string;
  from: string;
  to: string;
  /** checked: the walk was complete and deletions were acted on; skipped: the walk failed or was inconsistent; refused: too many would have gone */
  status: "checked" | "skipped" | "refused";
  /** distinct entries the source listed in the window */
  listed: number;
  /** canonical entries of this source in the window (not void) after the walk */
  known: number;
  /** known entries the walk did not list */
  missing: number;
  voided: number;
  reversalsQueued: number;
  changedAfterInvoice: number;
  /** missing, but the source listed them among its recent changes (moved to another date): kept */
  movedAway: number;
  /** billed entries whose deletion was already reported (CHANGED_AFTER_INVOICE): not raised again */
  alreadyReported: number;
  /** missing, but their canonical row does not read as a source entry, so ingest cannot void them: their source ids */
  unreadable: string[];
  /** why the window was skipped or refused, as a sentence */
  reason?: string;
};

export type FullWalkSummary = {
  runId: string;
  status: "succeeded" | "partial" | "failed";
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  corrected: number;
  refused: number;
  validated: number;
  postingsCreated: number;
  voided: number;
  reversalsQueued: number;
  changedAfterInvoice: number;
  windows: FullWalkWindow[];
  /** the run's reason, when it is partial or failed */
  error: string | null;
};

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** how far before the incremental pull's cursor the recent-changes check starts (clock skew) */
const OVERLAP_MS = 10 * 60_000;
/** deletions ingested per transaction */
const DELETE_CHUNK = 500;
/** below this many, missing entries are never thought implausible */
const GUARD_FLOOR = 20;

/** Calendar months from `from` to `to` (inclusive, YYYY-MM-DD), each clipped to the range. */
export function monthWindows(from: string, to: string): { from: string; to: string; label: string }[] {
  const out: { from: string; to: string; label: string }[] = [];
  let start = from;
  while (start <= to) {
    const [y, m] = start.split("-").map(Number) as [number, number];
    const monthEnd = new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
    const end = monthEnd < to ? monthEnd : to;
    const month = start.slice(0, 7);
    const whole = start.endsWith("-01") && end === monthEnd;
    out.push({ from: start, to: end, label: whole ? month : `${start} to ${end}` });
    start = new Date(Date.UTC(y, m, 1)).toISOString().slice(0, 10);
  }
  return out;
}

/** The source id a listed item stands for: its canonical reading's, else the payload's own id. */
function listedId(item: { payload: unknown; entry: unknown }): string | null {
  const fromEntry = (item.entry as { sourceId?: unknown } | null)?.sourceId;
  if (typeof fromEntry === "string" && fromEntry) return fromEntry;
  const fromPayload = (item.payload as { id?: unknown } | null)?.id;
  if (typeof fromPayload === "string" || typeof fromPayload === "number") return String(fromPayload);
  return null;
}

const statusOf = (state: EntryState): "submitted" | "approved" | "rejected" =>
  state === "submitted" ? "submitted" : state === "rejected" ? "rejected" : "approved";

type WalkOutcome = { ok: true; listed: number } | { ok: false; reason: string };

/**
 * A full walk of a source's time entries over a date range, month by month, to find the
 * entries the source deleted (a source such as Harvest never lists them; they only show as
 * ids missing from a complete walk).
 *
 * Every page goes through ingest like any pull (nothing received is lost; unchanged entries
 * stay unchanged). Once a month's walk is proven complete — the source's count of the
 * window agrees on the first and last pages, that many were received, and as many distinct
 * ids — the canonical entries of the window that it did not list are handed to ingest as
 * deletions: voided (reversed first when posted), or CHANGED_AFTER_INVOICE when billed.
 * Before that, the entries the source changed since the incremental pull last caught up are
 * listed, so an entry moved to another date is not mistaken for a deleted one. A month whose
 * walk failed or was inconsistent is skipped; a month where more than `maxMissingShare` of
 * the known entries (and more than 20) went missing is refused as implausible. Memory holds
 * one month's ids at a time. Recorded as a `full_walk` sync run.
 */
export async function fullWalk({
  ctx,
  connector,
  connectorId,
  sourceSystem,
  from,
  to,
  trigger = "manual",
  perPage,
  maxMissingShare = 0.5,
}: {
  ctx: ServiceCtx & { db: Db };
  connector: SourceConnector;
  connectorId: string;
  sourceSystem: SourceSystem;
  from: string;
  to: string;
  trigger?: "schedule" | "manual" | "replay" | "webhook";
  perPage?: number;
  maxMissingShare?: number;
}): Promise<FullWalkSummary> {
  if (!ISO_DATE.test(from) || !ISO_DATE.test(to) || Number.isNaN(Date.parse(from)) || Number.isNaN(Date.parse(to))) {
    throw new Error(`A full walk needs dates as YYYY-MM-DD, not "${from}" to "${to}".`);
  }
  if (from > to) throw new Error(`A full walk cannot run from ${from} back to ${to}.`);
  if (connector.system !== sourceSystem) {
    throw new Error(`The connector reads ${connector.system}, not ${sourceSystem}: a full walk must compare entries of the same source.`);
  }
  if (!(maxMissingShare > 0 && maxMissingShare <= 1)) throw new Error(`maxMissingShare must be above 0 and at most 1, not ${maxMissingShare}.`);

  const db = ctx.db;
  const startedAt = new Date();
  const [run] = await db
    .insert(syncRuns)
    .values({ connectorId, kind: "full_walk", trigger, cursorBefore: JSON.stringify({ from, to }), correlationId: ctx.correlationId })
    .returning({ id: syncRuns.id });
  const runId = run!.id;
  const summary: FullWalkSummary = {
    runId,
    status: "succeeded",
    pages: 0,
    fetched: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    corrected: 0,
    refused: 0,
    validated: 0,
    postingsCreated: 0,
    voided: 0,
    reversalsQueued: 0,
    changedAfterInvoice: 0,
    windows: [],
    error: null,
  };

  /** Walks once, ingesting every page; reports each page's listed ids; proves the walk complete or says why not. */
  async function walk(opts: SourcePullOptions, what: string, onIds: (ids: string[]) => void): Promise<WalkOutcome> {
    const pages = connector.timeEntries({ ...opts, perPage })[Symbol.asyncIterator]();
    let first: CountedPage | null = null;
    let last: CountedPage | null = null;
    let pagesRead = 0;
    let unidentified = 0;
    const seen = new Set<string>();
    try {
      for (;;) {
        let step: IteratorResult<SourcePage>;
        try {
          step = await pages.next();
        } catch (err) {
          return { ok: false, reason: `${what} stopped after ${pagesRead} page(s): ${(err as Error).message}` };
        }
        if (step.done) break;
        const page = step.value as CountedPage;
        pagesRead += 1;
        first ??= page;
        last = page;
        const r = await ingestTimeEntries({ ctx, input: { sourceSystem, items: page.items, syncRunId: runId } });
        summary.pages += 1;
        summary.fetched += r.received;
        summary.created += r.created;
        summary.updated += r.updated + r.voided;
        summary.unchanged += r.unchanged;
        summary.corrected += r.corrected;
        summary.refused += r.refused.length;
        if (r.toValidate.length) {
          const v = await validateEntries({ ctx, input: { entryIds: r.toValidate } });
          summary.validated += v.validated;
          summary.postingsCreated += v.postingsCreated;
        }
        const ids: string[] = [];
        for (const item of page.items) {
          const id = listedId(item);
          if (id === null) unidentified += 1;
          else {
            ids.push(id);
            seen.add(id);
          }
        }
        onIds(ids);
        if (!page.hasMore) break;
      }
    } finally {
      await pages.return?.(undefined);
    }
    if (!first || !last) return { ok: false, reason: `${what} received no page` };
    if (last.hasMore) return { ok: false, reason: `${what} ended before its last page` };
    const total = first.totalEntries;
    if (typeof total !== "number" || total < 0 || typeof last.received !== "number") {
      return { ok: false, reason: `${what} cannot be proven complete: the connector does not report how many entries it lists` };
    }
    if (last.totalEntries !== total) {
      return { ok: false, reason: `${what} was inconsistent: the source counted ${total} entries on the first page and ${last.totalEntries} on the last (entries changed during the walk)` };
    }
    if (last.received !== total) return { ok: false, reason: `${what} was inconsistent: the source counted ${total} entries but ${last.received} were received` };
    if (unidentified > 0) return { ok: false, reason: `${what} listed ${unidentified} entr${unidentified === 1 ? "y" : "ies"} without an id` };
    // fewer distinct ids than received: pages shifted under the walk (one read twice, another missed)
    if (seen.size !== total) return { ok: false, reason: `${what} was inconsistent: ${total} entries received but only ${seen.size} distinct (pages shifted during the walk)` };
    return { ok: true, listed: seen.size };
  }

  /** Where the recent-changes check starts: when the incremental pull last caught up, or null (it never did: check everything). */
  async function recentChangesSince(): Promise<string | null> {
    const [row] = await db
      .select({ cursor: syncCursors.cursor })
      .from(syncCursors)
      .where(and(eq(syncCursors.connectorId, connectorId), eq(syncCursors.objectType, "time_entries")));
    let since: unknown = null;
    try {
      since = row ? (JSON.parse(row.cursor) as { since?: unknown }).since : null;
    } catch {
      since = null;
    }
    if (typeof since !== "string" || Number.isNaN(Date.parse(since))) return null;
    const at = Math.min(Date.parse(since), startedAt.getTime()) - OVERLAP_MS;
    return new Date(at).toISOString();
  }

  /** Hands the missing entries to ingest as deletions, one transaction per chunk. */
  async function ingestDeletions(window: FullWalkWindow, sourceIds: string[]) {
    for (let i = 0; i < sourceIds.length; i += DELETE_CHUNK) {
      const chunk = sourceIds.slice(i, i + DELETE_CHUNK);
      await withTx(db, async (tx) => {
        const rows = await tx
          .select()
          .from(timeEntries)
          .where(and(eq(timeEntries.sourceSystem, sourceSystem), inArray(timeEntries.sourceId, chunk), ne(timeEntries.state, "void")))
          .for("update");
        // a billed entry whose deletion is already reported stays as the finance team left it
        const billed = rows.filter((r) => r.state === "billed");
        const reported = billed.length
          ? new Set(
              (
                await tx
                  .select({ subjectKey: exceptions.subjectKey })
                  .from(exceptions)
                  .where(
                    and(
                      eq(exceptions.code, "CHANGED_AFTER_INVOICE"),
                      inArray(exceptions.subjectKey, billed.map((r) => SUBJECTS.entry(sourceSystem, r.sourceId))),
                      sql`${exceptions.details}->>'deleted' = 'true'`,
                    ),
                  )
              ).map((e) => e.subjectKey),
            )
          : new Set<string>();
        const items: IngestItem[] = [];
        const posted: string[] = [];
        for (const r of rows) {
          if (r.state === "billed" && reported.has(SUBJECTS.entry(sourceSystem, r.sourceId))) {
            window.alreadyReported += 1;
            continue;
          }
          const entry = canonicalTimeEntry.safeParse({
            sourceId: r.sourceId,
            sourceUserId: r.sourceUserId,
            sourceProjectId: r.sourceProjectId,
            sourceTaskId: r.sourceTaskId,
            workDate: r.workDate,
            hours: r.hours,
            billable: r.billable,
            notes: r.notes,
            status: statusOf(r.state),
            submittedAt: r.submittedAt?.toISOString() ?? null,
            approvedAt: r.approvedAt?.toISOString() ?? null,
            approvedBy: r.approvedBy,
            sourceBillRate: r.sourceBillRate,
            sourceCurrency: r.sourceCurrency,
            deleted: true,
          });
          if (!entry.success) {
            // a row no source could have sent (written by hand or by an old import): left for a person to judge
            window.unreadable.push(r.sourceId);
            continue;
          }
          items.push({ payload: { id: r.sourceId, deleted: true, detectedBy: "full walk", window: { from: window.from, to: window.to }, runId }, entry: entry.data });
          if (r.state === "posted" && r.postedVersion !== null) posted.push(r.id);
        }
        if (items.length === 0) return;
        const result = await ingestTimeEntries({ ctx: { ...ctx, db: tx }, input: { sourceSystem, items, syncRunId: runId } });
        window.voided += result.voided;
        window.changedAfterInvoice += result.changedAfterInvoice.length;
        if (posted.length) {
          const [{ n }] = (await tx
            .select({ n: sql<number>`count(*)::int` })
            .from(timeEntries)
            .where(and(inArray(timeEntries.id, posted), eq(timeEntries.state, "void")))) as [{ n: number }];
          window.reversalsQueued += n;
        }
      });
    }
  }

  try {
    for (const w of monthWindows(from, to)) {
      const window: FullWalkWindow = {
        ...w,
        status: "skipped",
        listed: 0,
        known: 0,
        missing: 0,
        voided: 0,
        reversalsQueued: 0,
        changedAfterInvoice: 0,
        movedAway: 0,
        alreadyReported: 0,
        unreadable: [],
      };
      summary.windows.push(window);

      const listed = new Set<string>();
      const walked = await walk({ from: w.from, to: w.to }, `The walk of ${w.label}`, (ids) => ids.forEach((id) => listed.add(id)));
      if (!walked.ok) {
        window.reason = `${walked.reason}; nothing was voided in ${w.label}.`;
        continue;
      }
      window.listed = walked.listed;

      // the canonical entries of the window, as they stand after the walk's own ingest
      const known = await db
        .select({ sourceId: timeEntries.sourceId })
        .from(timeEntries)
        .where(and(eq(timeEntries.sourceSystem, sourceSystem), ne(timeEntries.state, "void"), between(timeEntries.workDate, w.from, w.to)));
      window.known = known.length;
      const missing = new Set(known.map((k) => k.sourceId).filter((id) => !listed.has(id)));
      listed.clear();
      window.missing = missing.size;

      if (missing.size > GUARD_FLOOR && missing.size / Math.max(known.length, 1) > maxMissingShare) {
        window.status = "refused";
        window.reason = `The full walk would void ${missing.size} of ${known.length} entries of ${w.label}; refused as implausible — check the connector's access.`;
        continue;
      }
      if (missing.size > 0) {
        // an entry whose date moved out of the window is listed among the source's recent changes
        const since = await recentChangesSince();
        const checked = await walk(
          since ? { updatedSince: since } : {},
          `The check of recent changes for ${w.label}`,
          (ids) => ids.forEach((id) => {
            if (missing.delete(id)) window.movedAway += 1;
          }),
        );
        if (!checked.ok) {
          window.reason = `${checked.reason}; nothing was voided in ${w.label}.`;
          continue;
        }
        await ingestDeletions(window, [...missing]);
      }
      window.status = "checked";
      summary.voided += window.voided;
      summary.reversalsQueued += window.reversalsQueued;
      summary.changedAfterInvoice += window.changedAfterInvoice;
    }
  } catch (err) {
    summary.status = "failed";
    summary.error = `The full walk stopped in ${summary.windows.at(-1)?.label ?? "its first window"}: ${(err as Error).message}`;
    await record(db, summary, from, to);
    throw err;
  }

  const notChecked = summary.windows.filter((w) => w.status !== "checked");
  if (notChecked.length === 0) summary.status = "succeeded";
  else if (notChecked.length < summary.windows.length) summary.status = "partial";
  else summary.status = "failed";
  if (notChecked.length) summary.error = notChecked.map((w) => w.reason).join(" ");
  await record(db, summary, from, to);
  return summary;
}

async function record(db: Db, s: FullWalkSummary, from: string, to: string) {
  const checked = s.windows.filter((w) => w.status === "checked").length;
  await db
    .update(syncRuns)
    .set({
      status: s.status,
      finishedAt: sql`now()`,
      cursorAfter: JSON.stringify({ from, to }),
      fetched: s.fetched,
      created: s.created,
      updated: s.updated + s.corrected,
      unchanged: s.unchanged,
      failed: s.refused,
      posted: 0,
      error: s.error,
      details: {
        from,
        to,
        pages: s.pages,
        corrected: s.corrected,
        voided: s.voided,
        reversalsQueued: s.reversalsQueued,
        changedAfterInvoice: s.changedAfterInvoice,
        validated: s.validated,
        postingsCreated: s.postingsCreated,
        windowsChecked: checked,
        windowsSkipped: s.windows.length - checked,
        windows: s.windows,
      },
    })
    .where(eq(syncRuns.id, s.runId));
}
