import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";

/** How long the sync console's history is kept, in days. */
export const RETENTION_DAYS = { logLines: 14, queueSnapshots: 30, postingAttempts: 90 } as const;

export type PruneSummary = { logLines: number; queueSnapshots: number; postingAttempts: number; complete: boolean };

const DAY_MS = 86_400_000;

/**
 * Deletes the sync console's history past its retention: run log lines after 14 days, outbox
 * snapshots after 30, posting attempts after 90 — only those of postings that are finished
 * (accepted, rejected, dead, superseded), so a posting still on its way keeps its whole history.
 * In batches of `batchSize` rows (short transactions, no long lock), at most `maxBatches` per
 * table per call; `complete` is false when a table had more to delete (the next run goes on).
 */
export async function pruneHistory({
  db,
  now = new Date(),
  batchSize = 5000,
  maxBatches = 50,
}: {
  db: DbOrTx;
  now?: Date;
  batchSize?: number;
  maxBatches?: number;
}): Promise<PruneSummary> {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS).toISOString();
  const logCut = before(RETENTION_DAYS.logLines);
  const snapCut = before(RETENTION_DAYS.queueSnapshots);
  const attemptCut = before(RETENTION_DAYS.postingAttempts);

  const logs = await inBatches(db, maxBatches, batchSize, (n) => sql`
    delete from log_lines where id in (select id from log_lines where at < ${logCut}::timestamptz order by at limit ${n})`);
  const snaps = await inBatches(db, maxBatches, batchSize, (n) => sql`
    delete from queue_snapshots where (connector_id, at) in (
      select connector_id, at from queue_snapshots where at < ${snapCut}::timestamptz limit ${n})`);
  const attempts = await inBatches(db, maxBatches, batchSize, (n) => sql`
    delete from erp_posting_attempts where id in (
      select a.id from erp_posting_attempts a join erp_postings p on p.id = a.posting_id
      where a.started_at < ${attemptCut}::timestamptz and p.status in ('accepted', 'rejected', 'dead', 'superseded')
      limit ${n})`);
  return { logLines: logs.deleted, queueSnapshots: snaps.deleted, postingAttempts: attempts.deleted, complete: logs.complete && snaps.complete && attempts.complete };
}

async function inBatches(db: DbOrTx, maxBatches: number, batchSize: number, statement: (n: number) => SQL): Promise<{ deleted: number; complete: boolean }> {
  let deleted = 0;
  for (let i = 0; i < maxBatches; i++) {
    const result = (await db.execute(statement(batchSize))) as unknown as { count?: number };
    const n = Number(result.count ?? 0);
    deleted += n;
    if (n < batchSize) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}
