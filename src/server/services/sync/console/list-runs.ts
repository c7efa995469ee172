import { and, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { connectors, syncRuns } from "../../../db/schema";
import { SYNC_RUN_STATUSES } from "../../../domain/enums";
import type { ServiceCtx } from "../../context";
import { afterKeyset, cursorInput, decodeCursor, isoMicros, limitInput, pageOf } from "./keyset";
import { RUN_KINDS, RUN_TRIGGERS, summarizeRun, type RunCounts } from "./labels";

export const listRunsInput = z.object({
  connectorId: z.uuid({ error: "connectorId must be a connector's id (a UUID)" }).optional(),
  kind: z.enum(RUN_KINDS, { error: `kind must be one of: ${RUN_KINDS.join(", ")}` }).optional(),
  status: z.enum(SYNC_RUN_STATUSES, { error: `status must be one of: ${SYNC_RUN_STATUSES.join(", ")}` }).optional(),
  trigger: z.enum(RUN_TRIGGERS, { error: `trigger must be one of: ${RUN_TRIGGERS.join(", ")}` }).optional(),
  limit: limitInput(200, 50),
  cursor: cursorInput,
});
export type ListRunsInput = z.input<typeof listRunsInput>;

export type RunRow = {
  id: string;
  connectorId: string | null;
  connectorName: string | null;
  connectorKey: string | null;
  kind: string;
  trigger: string;
  status: (typeof SYNC_RUN_STATUSES)[number];
  startedAt: Date;
  finishedAt: Date | null;
  /** finished − started; for a run still going, the time it has run so far */
  durationMs: number;
  cursorBefore: string | null;
  cursorAfter: string | null;
  counts: RunCounts;
  /** the counts in one line, in the words of the run's kind */
  summary: string;
  /** why it failed or stopped short, in a sentence */
  error: string | null;
  correlationId: string;
};

/** The columns every run row is read with (shared with the run page). */
export const runColumns = {
  id: syncRuns.id,
  connectorId: syncRuns.connectorId,
  connectorName: connectors.name,
  connectorKey: connectors.key,
  kind: syncRuns.kind,
  trigger: syncRuns.trigger,
  status: syncRuns.status,
  startedAt: syncRuns.startedAt,
  startedAtKey: isoMicros(syncRuns.startedAt),
  finishedAt: syncRuns.finishedAt,
  finishedAtKey: isoMicros(syncRuns.finishedAt),
  durationMs: sql<number>`round(extract(epoch from (coalesce(${syncRuns.finishedAt}, now()) - ${syncRuns.startedAt})) * 1000)::float8`,
  cursorBefore: syncRuns.cursorBefore,
  cursorAfter: syncRuns.cursorAfter,
  fetched: syncRuns.fetched,
  created: syncRuns.created,
  updated: syncRuns.updated,
  unchanged: syncRuns.unchanged,
  posted: syncRuns.posted,
  rejected: syncRuns.rejected,
  failed: syncRuns.failed,
  duplicatesSkipped: syncRuns.duplicatesSkipped,
  details: syncRuns.details,
  error: syncRuns.error,
  correlationId: syncRuns.correlationId,
};

/** Runs with their connector's name, as every run query reads them. */
export const selectRuns = (db: ServiceCtx["db"]) => db.select(runColumns).from(syncRuns).leftJoin(connectors, eq(connectors.id, syncRuns.connectorId));
export type RunSelected = Awaited<ReturnType<typeof selectRuns>>[number];

export function toRunRow(r: RunSelected): RunRow {
  const counts: RunCounts = {
    fetched: r.fetched,
    created: r.created,
    updated: r.updated,
    unchanged: r.unchanged,
    posted: r.posted,
    rejected: r.rejected,
    failed: r.failed,
    duplicatesSkipped: r.duplicatesSkipped,
  };
  return {
    id: r.id,
    connectorId: r.connectorId,
    connectorName: r.connectorName,
    connectorKey: r.connectorKey,
    kind: r.kind,
    trigger: r.trigger,
    status: r.status,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: Number(r.durationMs),
    cursorBefore: r.cursorBefore,
    cursorAfter: r.cursorAfter,
    counts,
    summary: summarizeRun(r.kind, counts, r.details),
    error: r.error,
    correlationId: r.correlationId,
  };
}

/**
 * The runs of one connector (or of all, CSV imports included), newest first, filtered by
 * kind, status and trigger; keyset-paged on (started at, id). Runs are not scoped: they
 * belong to connectors, not to legal entities.
 */
export async function listRuns({ ctx, input }: { ctx: ServiceCtx; input: ListRunsInput }): Promise<{ items: RunRow[]; nextCursor: string | null }> {
  const q = listRunsInput.parse(input);
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const rows = await selectRuns(ctx.db)
    .where(
      and(
        q.connectorId ? eq(syncRuns.connectorId, q.connectorId) : undefined,
        q.kind ? eq(syncRuns.kind, q.kind) : undefined,
        q.status ? eq(syncRuns.status, q.status) : undefined,
        q.trigger ? eq(syncRuns.trigger, q.trigger) : undefined,
        after ? afterKeyset(syncRuns.startedAt, syncRuns.id, after) : undefined,
      ),
    )
    .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
    .limit(q.limit + 1);
  const page = pageOf(rows, q.limit, (r) => ({ t: r.startedAtKey, id: r.id }));
  return { items: page.items.map(toRunRow), nextCursor: page.nextCursor };
}
