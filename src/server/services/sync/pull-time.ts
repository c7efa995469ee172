import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { SourceConnector } from "@/sync/connectors/types";
import { withTx, type Db } from "../../db/client";
import { syncCursors, syncRuns } from "../../db/schema";
import type { ServiceCtx } from "../context";
import { ingestTimeEntries } from "../entries/ingest";
import { validateEntries } from "../validation/validate-entries";

/**
 * Where a connector's time pull stands. `since` is the instant the last complete walk
 * started; a walk in progress keeps its own `updatedSince` and the next page to fetch, so a
 * crash resumes it (re-reading at most one page) instead of moving the cursor past pages
 * never read. The source sorts by work date, not update time: only a finished walk may
 * advance `since`.
 */
const cursorState = z.object({
  since: z.iso.datetime({ offset: true }).nullable(),
  walk: z
    .object({ updatedSince: z.iso.datetime({ offset: true }).nullable(), startedAt: z.iso.datetime({ offset: true }), nextPage: z.number().int().min(1) })
    .nullable(),
});
type CursorState = z.infer<typeof cursorState>;
const EMPTY: CursorState = { since: null, walk: null };

export type PullSummary = {
  runId: string;
  pages: number;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  corrected: number;
  voided: number;
  refused: number;
  validated: number;
  postingsCreated: number;
};

const OBJECT = "time_entries";

/**
 * One incremental pull of a source's time entries: each page's raw records, canonical
 * entries and cursor advance commit in one transaction; the approved entries it touched are
 * validated right after. Recorded as a sync run with its counts, or its failure in a sentence.
 */
export async function pullTimeEntries({
  ctx,
  connector,
  connectorId,
  trigger = "manual",
  overlapMinutes = 10,
  perPage,
  now = () => new Date(),
}: {
  ctx: ServiceCtx & { db: Db };
  connector: SourceConnector;
  connectorId: string;
  trigger?: "schedule" | "manual" | "replay" | "webhook";
  overlapMinutes?: number;
  perPage?: number;
  now?: () => Date;
}): Promise<PullSummary> {
  const db = ctx.db;
  const [row] = await db.select().from(syncCursors).where(and(eq(syncCursors.connectorId, connectorId), eq(syncCursors.objectType, OBJECT)));
  const state = row ? cursorState.parse(JSON.parse(row.cursor)) : EMPTY;
  const walk =
    state.walk ??
    {
      updatedSince: state.since ? new Date(new Date(state.since).getTime() - overlapMinutes * 60_000).toISOString() : null,
      startedAt: now().toISOString(),
      nextPage: 1,
    };

  const [run] = await db
    .insert(syncRuns)
    .values({ connectorId, kind: "time_pull", trigger, cursorBefore: JSON.stringify(state), correlationId: ctx.correlationId })
    .returning({ id: syncRuns.id });
  const summary: PullSummary = { runId: run!.id, pages: 0, fetched: 0, created: 0, updated: 0, unchanged: 0, corrected: 0, voided: 0, refused: 0, validated: 0, postingsCreated: 0 };

  const saveCursor = (tx: Parameters<Parameters<typeof withTx>[1]>[0], next: CursorState) =>
    tx
      .insert(syncCursors)
      .values({ connectorId, objectType: OBJECT, cursor: JSON.stringify(next) })
      .onConflictDoUpdate({ target: [syncCursors.connectorId, syncCursors.objectType], set: { cursor: JSON.stringify(next), updatedAt: sql`now()` } });

  try {
    for await (const page of connector.timeEntries({ updatedSince: walk.updatedSince ?? undefined, perPage, startPage: walk.nextPage })) {
      const result = await withTx(db, async (tx) => {
        const r = await ingestTimeEntries({ ctx: { ...ctx, db: tx }, input: { sourceSystem: connector.system, items: page.items, syncRunId: run!.id } });
        const next: CursorState = page.hasMore
          ? { since: state.since, walk: { ...walk, nextPage: page.page + 1 } }
          : { since: walk.startedAt, walk: null };
        await saveCursor(tx, next);
        return r;
      });
      summary.pages += 1;
      summary.fetched += result.received;
      summary.created += result.created;
      summary.updated += result.updated;
      summary.unchanged += result.unchanged;
      summary.corrected += result.corrected;
      summary.voided += result.voided;
      summary.refused += result.refused.length;
      if (result.toValidate.length) {
        const v = await validateEntries({ ctx, input: { entryIds: result.toValidate } });
        summary.validated += v.validated;
        summary.postingsCreated += v.postingsCreated;
      }
    }
    await db
      .update(syncRuns)
      .set({
        status: "succeeded",
        finishedAt: sql`now()`,
        cursorAfter: sql`(select cursor from sync_cursors where connector_id = ${connectorId} and object_type = ${OBJECT})`,
        fetched: summary.fetched,
        created: summary.created,
        updated: summary.updated + summary.corrected + summary.voided,
        unchanged: summary.unchanged,
        failed: summary.refused,
        posted: 0,
      })
      .where(eq(syncRuns.id, run!.id));
    return summary;
  } catch (err) {
    await db
      .update(syncRuns)
      .set({
        status: summary.pages > 0 ? "partial" : "failed",
        finishedAt: sql`now()`,
        error: `The pull stopped after ${summary.pages} page(s): ${(err as Error).message}`,
        cursorAfter: sql`(select cursor from sync_cursors where connector_id = ${connectorId} and object_type = ${OBJECT})`,
        fetched: summary.fetched,
        created: summary.created,
        updated: summary.updated,
        unchanged: summary.unchanged,
        failed: summary.refused,
      })
      .where(eq(syncRuns.id, run!.id));
    throw err;
  }
}
