import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";

/** The outbox's depth right now, by state: what the backlog chart and the queue-depth metric show. */
export type OutboxDepth = {
  /** never sent yet (or queued again by a replay) */
  pending: number;
  /** sent, outcome not yet final: in flight, or waiting for its next attempt */
  retrying: number;
  /** of those, on their first attempt and within their lease: being sent right now */
  inFlight: number;
  /** dead-lettered: transient failures exhausted the retries */
  dead: number;
  /** refused by the ERP for an accounting reason */
  rejected: number;
  /** the oldest posting still waiting (pending or retrying), if any */
  oldestWaitingAt: Date | null;
};

/**
 * Counts the outbox by state in one grouped query (the partial due index and the status index
 * serve it). The outbox has no connector column: one ERP connector posts in practice, so every
 * posting belongs to it.
 */
export async function outboxDepth(db: DbOrTx): Promise<OutboxDepth> {
  const [row] = (await db.execute(sql`
    select count(*) filter (where status = 'pending')::int as pending,
           count(*) filter (where status = 'sent')::int as retrying,
           count(*) filter (where status = 'sent' and next_attempt_at > now() and last_error is null)::int as in_flight,
           count(*) filter (where status = 'dead')::int as dead,
           count(*) filter (where status = 'rejected')::int as rejected,
           min(created_at) filter (where status in ('pending', 'sent')) as oldest
    from erp_postings where status in ('pending', 'sent', 'dead', 'rejected')`)) as unknown as [
    { pending: number; retrying: number; in_flight: number; dead: number; rejected: number; oldest: Date | string | null },
  ];
  return {
    pending: row?.pending ?? 0,
    retrying: row?.retrying ?? 0,
    inFlight: row?.in_flight ?? 0,
    dead: row?.dead ?? 0,
    rejected: row?.rejected ?? 0,
    oldestWaitingAt: row?.oldest ? new Date(row.oldest) : null,
  };
}

/** `at` truncated to its minute (UTC): the key of a snapshot. */
export function minuteOf(at: Date): Date {
  return new Date(Math.floor(at.getTime() / 60_000) * 60_000);
}

/**
 * Records the outbox's depth once a minute, one row per ERP connector (paused ones included:
 * a paused ERP's backlog growing is exactly what the chart must show). Every posting is
 * attributed to each ERP connector, since the outbox does not say which one will send it and
 * one ERP connector posts in practice. Idempotent per minute: a second call in the same
 * minute (another worker, a retried job) changes nothing.
 */
export async function snapshotQueue({ db, at = new Date() }: { db: DbOrTx; at?: Date }): Promise<{ at: Date; inserted: number }> {
  const minute = minuteOf(at);
  const depth = await outboxDepth(db);
  const rows = (await db.execute(sql`
    insert into queue_snapshots (connector_id, at, pending, retrying, dead, rejected, oldest_waiting_at)
    select c.id, ${minute.toISOString()}::timestamptz, ${depth.pending}, ${depth.retrying}, ${depth.dead}, ${depth.rejected},
           ${depth.oldestWaitingAt?.toISOString() ?? null}::timestamptz
    from connectors c where c.role = 'erp'
    on conflict (connector_id, at) do nothing
    returning connector_id`)) as unknown as unknown[];
  return { at: minute, inserted: rows.length };
}
