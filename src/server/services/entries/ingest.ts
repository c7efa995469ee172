import Big from "big.js";
import { and, eq, inArray, sql } from "drizzle-orm";
import { withTx, type Tx } from "../../db/client";
import { invoices, rawRecords, timeEntries } from "../../db/schema";
import type { SourceSystem } from "../../domain/enums";
import { payloadHash, timeEntryMaterialHash } from "../../domain/idempotency";
import { transition, type EntryEvent } from "../../domain/entry-state";
import type { EntryState } from "../../domain/enums";
import { SUBJECTS } from "@/sync/rules/types";
import { systemName } from "@/sync/rules/rules";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { raiseException } from "../exceptions/raise";
import { retireLiveVersions, type Retired } from "../posting/retire";
import { recordEntryEvents, type EntryEventInput } from "./events";
import { canonicalTimeEntry, describeIssues, type CanonicalTimeEntry } from "./schemas";
import { escapedNote, keepPayload, storableId } from "./raw-payload";

export type IngestItem = {
  /** the payload exactly as received */
  payload: unknown;
  /** the connector's canonical reading of it (validated here) */
  entry: unknown;
};

export type IngestResult = {
  received: number;
  created: number;
  updated: number;
  unchanged: number;
  corrected: number;
  voided: number;
  /** reversals queued for versions the ERP holds (corrections, withdrawals, deletions) */
  reversalsQueued: number;
  refused: { sourceId: string; reason: string }[];
  changedAfterInvoice: string[];
  /** entries now approved whose current version awaits validation */
  toValidate: string[];
};

/** The fields whose change makes a new version (and, once posted, a correction). Notes are not among them. */
export const materialHash = (e: CanonicalTimeEntry): string => timeEntryMaterialHash(e);

function guessSourceId(item: IngestItem): string {
  const fromEntry = (item.entry as { sourceId?: unknown } | null)?.sourceId;
  if (typeof fromEntry === "string" && fromEntry) return fromEntry;
  const fromPayload = (item.payload as { id?: unknown } | null)?.id;
  if (typeof fromPayload === "string" || typeof fromPayload === "number") return String(fromPayload);
  return `unidentified-${payloadHash(item.payload).slice(0, 12)}`;
}

/**
 * Normalizes one page of source time entries into the canonical model, in one transaction:
 * every payload is kept in raw_records first (nothing received is lost); a payload that
 * fails the canonical schema is refused with its source id and recorded as PAYLOAD_INVALID;
 * the rest are created, versioned, corrected (reversal queued) or voided through the entry
 * state machine, and a change to an invoiced entry raises CHANGED_AFTER_INVOICE instead.
 */
export async function ingestTimeEntries({
  ctx,
  input,
}: {
  ctx: ServiceCtx;
  input: { sourceSystem: SourceSystem; items: IngestItem[]; syncRunId?: string | null };
}): Promise<IngestResult> {
  const { sourceSystem, items } = input;
  const actorLabel = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  const result: IngestResult = { received: items.length, created: 0, updated: 0, unchanged: 0, corrected: 0, voided: 0, reversalsQueued: 0, refused: [], changedAfterInvoice: [], toValidate: [] };
  if (items.length === 0) return result;

  return withTx(ctx.db, async (tx) => {
    // 1. keep every payload, as received (escaped when it holds text jsonb cannot hold)
    const raws = items.map((item) => {
      const kept = keepPayload(item.payload ?? null, item.entry);
      return { sourceId: storableId(guessSourceId(item)), hash: payloadHash(item.payload ?? null), body: kept.body, kept };
    });
    await tx
      .insert(rawRecords)
      .values(raws.map((r) => ({ sourceSystem, objectType: "time_entry", sourceId: r.sourceId, contentHash: r.hash, body: r.body as object, syncRunId: input.syncRunId ?? null })))
      .onConflictDoNothing();
    const rawRows = await tx
      .select({ id: rawRecords.id, sourceId: rawRecords.sourceId, hash: rawRecords.contentHash })
      .from(rawRecords)
      .where(and(eq(rawRecords.sourceSystem, sourceSystem), eq(rawRecords.objectType, "time_entry"), inArray(rawRecords.sourceId, raws.map((r) => r.sourceId))));
    const rawId = new Map(rawRows.map((r) => [`${r.sourceId}|${r.hash}`, r.id]));

    // 2. the canonical schema
    const valid: { entry: CanonicalTimeEntry; rawRecordId: number }[] = [];
    for (const [i, item] of items.entries()) {
      const raw = raws[i]!;
      const rawRecordId = rawId.get(`${raw.sourceId}|${raw.hash}`)!;
      // a character no text column may hold refuses the record before the schema reads it
      const parsed = raw.kept.problem ? null : canonicalTimeEntry.safeParse(item.entry);
      if (parsed?.success) {
        valid.push({ entry: parsed.data, rawRecordId });
        continue;
      }
      const reason = raw.kept.problem ?? describeIssues(parsed!.error);
      result.refused.push({ sourceId: raw.sourceId, reason });
      await raiseException(tx, actorLabel, {
        code: "PAYLOAD_INVALID",
        subjectType: "raw_record",
        subjectKey: SUBJECTS.raw(sourceSystem, "time_entry", raw.sourceId),
        subjectLabel: `${systemName(sourceSystem)} time entry ${raw.sourceId}`,
        message: `${systemName(sourceSystem)} time entry ${raw.sourceId} was refused: ${reason}.${escapedNote(raw.kept)}`,
        suggestedFix: `Correct the entry in ${systemName(sourceSystem)}; the payload as received is kept in the entry's lineage.`,
        sourceSystem,
        details: { reason, rawRecordId, ...(raw.kept.escaped && { payloadEscaped: true }) },
        link: { rawRecordId },
      });
    }

    // 3. create, version, correct or void (the same entry twice in a page: the later copy wins)
    const latest = [...new Map(valid.map((v) => [v.entry.sourceId, v])).values()];
    valid.length = 0;
    valid.push(...latest);
    const existing = valid.length
      ? await tx
          .select()
          .from(timeEntries)
          .where(and(eq(timeEntries.sourceSystem, sourceSystem), inArray(timeEntries.sourceId, valid.map((v) => v.entry.sourceId))))
          .for("update")
      : [];
    const bySourceId = new Map(existing.map((e) => [e.sourceId, e]));
    const toCreate: (typeof timeEntries.$inferInsert)[] = [];

    for (const { entry: e, rawRecordId } of valid) {
      const hash = materialHash(e);
      const current = bySourceId.get(e.sourceId);
      if (!current) {
        if (e.deleted) {
          result.unchanged += 1;
          continue;
        }
        let state: EntryState = "submitted";
        if (e.status !== "submitted") state = transition(state, e.status === "approved" ? "approve" : "reject");
        // new entries are inserted together after the loop (one statement per page)
        toCreate.push({
          sourceSystem,
          sourceId: e.sourceId,
          state,
          contentHash: hash,
          sourceUserId: e.sourceUserId,
          sourceProjectId: e.sourceProjectId,
          sourceTaskId: e.sourceTaskId,
          workDate: e.workDate,
          hours: new Big(e.hours).toFixed(2),
          billable: e.billable,
          notes: e.notes,
          sourceBillRate: e.sourceBillRate,
          sourceCurrency: e.sourceCurrency,
          submittedAt: e.submittedAt ? new Date(e.submittedAt) : null,
          approvedAt: state === "approved" ? new Date(e.approvedAt ?? Date.now()) : null,
          approvedBy: state === "approved" ? e.approvedBy : null,
          rejectedAt: state === "rejected" ? new Date() : null,
          rawRecordId,
        });
        continue;
      }

      // the very payload this entry already reflects: nothing to learn from it (a re-read, an
      // overlap window, a full walk). Sources that cannot show every state (Harvest shows no
      // rejection) would otherwise move the entry back to what the payload seems to say.
      if (!e.deleted && current.rawRecordId === rawRecordId && current.contentHash === hash) {
        result.unchanged += 1;
        continue;
      }
      const changed = current.contentHash !== hash;
      const label = `${systemName(sourceSystem)} entry ${e.sourceId}`;

      const withdrawn = !e.deleted && e.status !== "approved" && (current.state === "approved" || current.state === "posted" || current.state === "billed");

      if ((changed || e.deleted || withdrawn) && current.state === "billed") {
        const invoice = await invoiceOf(tx, current.invoiceId);
        const what = e.deleted ? "deleted" : changed ? "changed" : e.status === "rejected" ? "rejected" : "un-approved";
        await raiseException(tx, actorLabel, {
          code: "CHANGED_AFTER_INVOICE",
          subjectType: "entry",
          subjectKey: SUBJECTS.entry(sourceSystem, e.sourceId),
          subjectLabel: label,
          message: `${label} was ${what} in ${systemName(sourceSystem)} after it was invoiced${invoice ? ` on ${invoice}` : ""}: the invoice still shows the old ${changed ? "hours" : "entry"}.`,
          suggestedFix: `Decide with the engagement lead: issue a credit note${invoice ? ` against ${invoice}` : ""} and rebill, or restore the entry in ${systemName(sourceSystem)}.`,
          sourceSystem,
          legalEntityId: current.legalEntityId,
          projectId: current.projectId,
          employeeId: current.employeeId,
          details: { deleted: e.deleted, withdrawn, invoice, before: { workDate: current.workDate, hours: current.hours }, after: { workDate: e.workDate, hours: e.hours, status: e.status }, rawRecordId },
          link: { timeEntryId: current.id, workDate: current.workDate, hours: current.hours, value: current.billAmount, currency: current.currency },
        });
        await recordEntryEvents(tx, actorLabel, ctx.correlationId, [
          { timeEntryId: current.id, kind: "changed_after_invoice", fromState: "billed", toState: "billed", version: current.version, message: `${what[0]!.toUpperCase()}${what.slice(1)} in ${systemName(sourceSystem)} after invoicing${invoice ? ` (${invoice})` : ""}: left as invoiced, CHANGED_AFTER_INVOICE raised.`, data: { rawRecordId } },
        ]);
        result.changedAfterInvoice.push(e.sourceId);
        continue;
      }
      if (current.state === "void") {
        result.unchanged += 1;
        continue;
      }

      if (e.deleted) {
        const r = await retireLiveVersions(tx, current, ctx.correlationId);
        const to = transition(current.state, "void");
        await tx.update(timeEntries).set({ state: to, voidedAt: sql`now()`, rawRecordId, updatedAt: sql`now()` }).where(eq(timeEntries.id, current.id));
        await recordEntryEvents(tx, actorLabel, ctx.correlationId, [
          { timeEntryId: current.id, kind: "voided", fromState: current.state, toState: to, version: current.version, message: `Deleted in ${systemName(sourceSystem)}${describeRetired(r)}.`, data: { rawRecordId, ...r } },
        ]);
        result.voided += 1;
        result.reversalsQueued += r.reversals;
        continue;
      }

      let state: EntryState = current.state;
      let version = current.version;
      const events: EntryEventInput[] = [];
      if (changed || withdrawn) {
        // every version the ERP may hold is taken back (or settled by the sender) before anything replaces it
        const r = await retireLiveVersions(tx, current, ctx.correlationId);
        result.reversalsQueued += r.reversals;
        version += 1;
        if (state === "posted") {
          state = transition(state, withdrawn ? (e.status === "rejected" ? "reject" : "reopen") : "correct");
          if (!withdrawn) result.corrected += 1;
        } else if (changed) {
          result.updated += 1;
        }
        if (changed) {
          events.push({
            timeEntryId: current.id,
            kind: current.state === "posted" ? "corrected" : "changed",
            fromState: current.state,
            toState: state,
            version,
            message: `Changed in ${systemName(sourceSystem)} (${current.hours} h on ${current.workDate} → ${new Big(e.hours).toFixed(2)} h on ${e.workDate}): version ${version}${describeRetired(r)}.`,
            data: { rawRecordId, ...r },
          });
        }
        if (withdrawn) {
          events.push({
            timeEntryId: current.id,
            kind: e.status === "rejected" ? "rejected" : "withdrawn",
            fromState: current.state,
            toState: e.status === "rejected" ? "rejected" : "submitted",
            version,
            message: `Approval ${e.status === "rejected" ? "rejected" : "withdrawn"} in ${systemName(sourceSystem)}${describeRetired(r)}.`,
            data: { rawRecordId, ...r },
          });
        }
      }
      const before = state;
      for (const event of statusEvents(state, e.status)) state = transition(state, event);
      if (state === "approved" && before !== "approved") {
        events.push({ timeEntryId: current.id, kind: "approved", fromState: before, toState: state, version, message: `Approved in ${systemName(sourceSystem)}${e.approvedBy ? ` by ${e.approvedBy}` : ""}.`, data: { rawRecordId } });
      }
      await recordEntryEvents(tx, actorLabel, ctx.correlationId, events);

      if (!changed && state === current.state && (e.notes ?? null) === current.notes) {
        result.unchanged += 1;
        continue;
      }
      await tx
        .update(timeEntries)
        .set({
          state,
          version,
          contentHash: hash,
          workDate: e.workDate,
          hours: new Big(e.hours).toFixed(2),
          billable: e.billable,
          notes: e.notes,
          sourceUserId: e.sourceUserId,
          sourceProjectId: e.sourceProjectId,
          sourceTaskId: e.sourceTaskId,
          sourceBillRate: e.sourceBillRate,
          sourceCurrency: e.sourceCurrency,
          approvedAt: state === "approved" ? new Date(e.approvedAt ?? Date.now()) : current.approvedAt,
          approvedBy: state === "approved" ? e.approvedBy : current.approvedBy,
          rejectedAt: state === "rejected" && current.state !== "rejected" ? sql`now()` : current.rejectedAt,
          rawRecordId,
          updatedAt: sql`now()`,
        })
        .where(eq(timeEntries.id, current.id));
      if (!changed && state === current.state) result.unchanged += 1;
      else if (!changed) result.updated += 1;
      if (state === "approved") result.toValidate.push(current.id);
    }

    if (toCreate.length) {
      const created = await tx.insert(timeEntries).values(toCreate).returning({ id: timeEntries.id, state: timeEntries.state });
      result.created += created.length;
      await recordEntryEvents(
        tx,
        actorLabel,
        ctx.correlationId,
        created.map((c) => ({ timeEntryId: c.id, kind: "received", toState: c.state, version: 1, message: `Received from ${systemName(sourceSystem)} as ${c.state}.` })),
      );
      for (const c of created) if (c.state === "approved") result.toValidate.push(c.id);
    }

    await writeAudit(
      { ...ctx, db: tx },
      {
        action: "entries.ingest",
        entityType: "time_entries",
        entityId: input.syncRunId ?? null,
        after: { sourceSystem, ...result, refused: result.refused.length, toValidate: result.toValidate.length },
      },
    );
    return result;
  });
}

/** The events that bring an entry in line with the source's approval state (none past posting). */
function statusEvents(state: EntryState, status: CanonicalTimeEntry["status"]): EntryEvent[] {
  if (state === "posted" || state === "billed" || state === "void") return [];
  if (status === "approved") return state === "approved" ? [] : ["approve"];
  if (status === "rejected") return state === "rejected" ? [] : ["reject"];
  if (state === "approved") return ["reopen"];
  if (state === "rejected") return ["submit"];
  return [];
}

/** "; the ERP's version reversed…" — what retiring an entry's versions did, for its lineage. */
function describeRetired(r: Retired): string {
  const parts: string[] = [];
  if (r.reversals) parts.push(`${r.reversals === 1 ? "a reversal" : `${r.reversals} reversals`} of what the ERP holds queued`);
  if (r.superseded) parts.push(`${r.superseded === 1 ? "a queued posting" : `${r.superseded} queued postings`} withdrawn`);
  if (r.unknown) parts.push(`${r.unknown === 1 ? "a posting" : `${r.unknown} postings`} of unknown outcome to be looked up first`);
  return parts.length ? `; ${parts.join(", ")}` : "";
}

/** The invoice an entry is billed on, as people know it (its number), or null. */
async function invoiceOf(tx: Tx, invoiceId: string | null): Promise<string | null> {
  if (!invoiceId) return null;
  const [inv] = await tx.select({ number: invoices.number }).from(invoices).where(eq(invoices.id, invoiceId));
  return inv ? `invoice ${inv.number}` : null;
}
