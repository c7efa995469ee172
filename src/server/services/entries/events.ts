import type { Tx } from "../../db/client";
import { timeEntryEvents } from "../../db/schema";

export type EntryEventInput = {
  timeEntryId: string;
  kind: string;
  fromState?: string | null;
  toState?: string | null;
  version?: number | null;
  message: string;
  data?: Record<string, unknown>;
};

/** Writes transitions into the entries' lineage (time_entry_events), in the caller's transaction. */
export async function recordEntryEvents(tx: Tx, actorLabel: string, correlationId: string | null, events: EntryEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await tx.insert(timeEntryEvents).values(
    events.map((e) => ({
      timeEntryId: e.timeEntryId,
      kind: e.kind,
      fromState: e.fromState ?? null,
      toState: e.toState ?? null,
      version: e.version ?? null,
      message: e.message,
      data: e.data ?? {},
      actorLabel,
      correlationId,
    })),
  );
}
