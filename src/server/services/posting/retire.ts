import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../../db/client";
import { erpPostings, timeEntries } from "../../db/schema";
import { idempotencyKey } from "../../domain/idempotency";
import { recordEntryEvents } from "../entries/events";

type Entry = Pick<typeof timeEntries.$inferSelect, "id" | "sourceSystem" | "sourceId" | "legalEntityId" | "currency" | "state" | "postedVersion" | "erpId" | "hours" | "billAmount">;

export type Retired = {
  /** queued creates (or refused ones) that will never be sent now */
  superseded: number;
  /** reversals queued for versions the ERP holds */
  reversals: number;
  /** creates whose outcome is unknown (in flight, or waiting to be looked up): the sender settles them */
  unknown: number;
};

/**
 * Takes every version of an entry out of the way before it changes or leaves approved, in the
 * caller's transaction (the entry row locked by the caller):
 *
 * - creates not sent yet, and creates the ERP refused, are superseded: they never leave;
 * - every version the ERP accepted and that is not already being reversed gets a reversal
 *   queued (keyed by source, id and version, so a second call queues nothing);
 * - creates whose outcome is unknown (claimed by a sender, or waiting to be looked up) are left
 *   to the sender: it looks them up by key first, and a version found in the ERP that the entry
 *   no longer wants is reversed at once, one found absent is superseded (see send-due.ts).
 *
 * The sender sends nothing else for the entry while a reversal is unfinished or an outcome is
 * unknown, so at most one version of an entry is ever live in the ERP.
 */
export async function retireLiveVersions(tx: Tx, entry: Entry, correlationId: string): Promise<Retired> {
  const superseded = await tx
    .update(erpPostings)
    .set({ status: "superseded", claimToken: null, updatedAt: sql`now()` })
    .where(and(eq(erpPostings.timeEntryId, entry.id), eq(erpPostings.kind, "create"), inArray(erpPostings.status, ["pending", "rejected"])))
    .returning({ id: erpPostings.id });

  const postings = await tx
    .select({ kind: erpPostings.kind, status: erpPostings.status, entryVersion: erpPostings.entryVersion, erpId: erpPostings.erpId, hours: erpPostings.hours, amount: erpPostings.amount, currency: erpPostings.currency, legalEntityId: erpPostings.legalEntityId })
    .from(erpPostings)
    .where(eq(erpPostings.timeEntryId, entry.id));
  const reversing = new Set(postings.filter((p) => p.kind === "reverse" && p.status !== "superseded").map((p) => p.entryVersion));
  const live = postings.filter((p) => p.kind === "create" && p.status === "accepted" && !reversing.has(p.entryVersion));
  // a version posted before the outbox kept its postings (or loaded as posted) is live too
  if (
    (entry.state === "posted" || entry.state === "billed") &&
    entry.postedVersion !== null &&
    entry.erpId !== null &&
    !reversing.has(entry.postedVersion) &&
    !postings.some((p) => p.kind === "create" && p.entryVersion === entry.postedVersion)
  ) {
    live.push({ kind: "create", status: "accepted", entryVersion: entry.postedVersion, erpId: entry.erpId, hours: entry.hours, amount: entry.billAmount, currency: entry.currency, legalEntityId: entry.legalEntityId });
  }
  let reversals = 0;
  for (const c of live) {
    reversals += await queueReversal(tx, entry, c, correlationId);
  }
  return { superseded: superseded.length, reversals, unknown: postings.filter((p) => p.kind === "create" && (p.status === "sent" || p.status === "dead")).length };
}

/** Queues the reversal of one accepted version of an entry (nothing if one is queued already). Returns 1 when queued. */
export async function queueReversal(
  tx: Tx,
  entry: Entry,
  create: { entryVersion: number; erpId: string | null; hours: string | null; amount: string | null; currency: string | null; legalEntityId: string | null },
  correlationId: string,
): Promise<number> {
  const queued = await tx
    .insert(erpPostings)
    .values({
      timeEntryId: entry.id,
      kind: "reverse",
      entryVersion: create.entryVersion,
      idempotencyKey: idempotencyKey({ sourceSystem: entry.sourceSystem, sourceId: entry.sourceId, version: create.entryVersion, kind: "reverse" }),
      request: { entry: { sourceSystem: entry.sourceSystem, sourceId: entry.sourceId, version: create.entryVersion }, erpId: create.erpId },
      legalEntityId: create.legalEntityId ?? entry.legalEntityId,
      hours: create.hours,
      amount: create.amount,
      currency: create.currency ?? entry.currency,
      correlationId,
    })
    // a reversal withdrawn earlier (a person kept the invoiced version) is queued again
    .onConflictDoUpdate({
      target: erpPostings.idempotencyKey,
      set: { status: "pending", attempts: 0, nextAttemptAt: sql`now()`, response: null, lastError: null, claimToken: null, correlationId, updatedAt: sql`now()` },
      setWhere: sql`${erpPostings.status} = 'superseded'`,
    })
    .returning({ id: erpPostings.id });
  return queued.length;
}

/**
 * A person's decision on a refused reversal: the ERP keeps the version it holds (it was
 * invoiced, or its period is closed, and no credit note is coming). The refused reversal and
 * any newer version waiting behind it are withdrawn; an entry that was waiting to post its
 * newer version is posted again as the ERP holds it, so it does not go back to the outbox.
 * Returns the entries settled. In the caller's transaction.
 */
export async function keepErpVersions(tx: Tx, entryIds: string[], actorLabel: string, correlationId: string, reason: string): Promise<number> {
  if (entryIds.length === 0) return 0;
  const refused = await tx
    .update(erpPostings)
    .set({ status: "superseded", claimToken: null, updatedAt: sql`now()` })
    .where(and(inArray(erpPostings.timeEntryId, entryIds), eq(erpPostings.kind, "reverse"), eq(erpPostings.status, "rejected")))
    .returning({ timeEntryId: erpPostings.timeEntryId, entryVersion: erpPostings.entryVersion, request: erpPostings.request });
  let settled = 0;
  for (const r of refused) {
    const id = r.timeEntryId!;
    await tx
      .update(erpPostings)
      .set({ status: "superseded", claimToken: null, updatedAt: sql`now()` })
      .where(and(eq(erpPostings.timeEntryId, id), eq(erpPostings.kind, "create"), inArray(erpPostings.status, ["pending", "rejected"])));
    const [create] = await tx
      .select({ erpId: erpPostings.erpId })
      .from(erpPostings)
      .where(and(eq(erpPostings.timeEntryId, id), eq(erpPostings.kind, "create"), eq(erpPostings.entryVersion, r.entryVersion), eq(erpPostings.status, "accepted")));
    const erpId = create?.erpId ?? (r.request as { erpId?: string | null }).erpId ?? null;
    const [e] = await tx.select({ state: timeEntries.state }).from(timeEntries).where(eq(timeEntries.id, id)).for("update");
    if (e?.state === "approved") {
      await tx.update(timeEntries).set({ state: "posted", erpId, postedVersion: r.entryVersion, postedAt: sql`now()`, updatedAt: sql`now()` }).where(eq(timeEntries.id, id));
    }
    await recordEntryEvents(tx, actorLabel, correlationId, [
      {
        timeEntryId: id,
        kind: "kept_erp_version",
        fromState: e?.state ?? null,
        toState: e?.state === "approved" ? "posted" : (e?.state ?? null),
        version: r.entryVersion,
        message: `Decided to keep version ${r.entryVersion} as the ERP holds it${erpId ? ` (time record ${erpId})` : ""}: its reversal and anything newer are withdrawn. ${reason}`,
        data: { erpId },
      },
    ]);
    settled += 1;
  }
  return settled;
}
