import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../../auth/scope";
import { withTx, type DbOrTx, type Tx } from "../../db/client";
import { mappingVersions, sourceRefs, timeEntries } from "../../db/schema";
import type { MappingKind } from "../../domain/enums";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { retireLiveVersions } from "../posting/retire";
import { conflict, DomainError, forbidden, invalid, notFound } from "../errors";
import { governanceProblems, type Problem } from "./govern";
import { impactOf, type AffectedEntry, type Impact, type Range } from "./impact";
import { isoDay, kindInput, KINDS, rangeText, sourceSystemInput, SYSTEM_LABELS } from "./kinds";
import { queueRecovery } from "./recovery";
import { getMapping, insertMapping, lockKind, mappingsOfKey, recordVersion, updateMapping, type HistoryAction, type Mapping, type MappingState } from "./store";
import { targetText, type Target } from "./targets";

const uuid = (what: string) => z.uuid({ error: `${what} must be a UUID` });
const version = z.number({ error: "expectedVersion must be the version you saw" }).int().min(1);
const key = (field: string) =>
  z.string({ error: `${field} is required` }).trim().min(1, { error: `${field} is required` }).max(200, { error: `${field} is at most 200 characters` });
const reason = z.string().trim().max(500, { error: "reason is at most 500 characters" }).optional();

/**
 * A change to the mapping layer: create a mapping, change one (target and dates), end-date it
 * (from a day on it no longer applies: history before that day is untouched), deactivate or
 * reactivate it, or restore an earlier version (as a new change).
 */
export const changeInput = z.discriminatedUnion(
  "op",
  [
    z.object({
      op: z.literal("create"),
      kind: kindInput,
      sourceSystem: sourceSystemInput,
      sourceKey: key("sourceKey"),
      targetKey: key("targetKey"),
      validFrom: isoDay("validFrom").nullish(),
      validTo: isoDay("validTo").nullish(),
      reason,
    }),
    z.object({
      op: z.literal("update"),
      mappingId: uuid("mappingId"),
      expectedVersion: version,
      targetKey: key("targetKey"),
      validFrom: isoDay("validFrom").nullish(),
      validTo: isoDay("validTo").nullish(),
      reason,
    }),
    z.object({ op: z.literal("end_date"), mappingId: uuid("mappingId"), expectedVersion: version, validTo: isoDay("validTo"), reason }),
    z.object({ op: z.literal("deactivate"), mappingId: uuid("mappingId"), expectedVersion: version, reason }),
    z.object({ op: z.literal("reactivate"), mappingId: uuid("mappingId"), expectedVersion: version, reason }),
    z.object({ op: z.literal("restore"), mappingId: uuid("mappingId"), expectedVersion: version, version: z.number().int().min(1), reason }),
  ],
  { error: "op must be one of create, update, end_date, deactivate, reactivate, restore" },
);
export type ChangeInput = z.input<typeof changeInput>;

export const saveInput = z.object({
  change: changeInput,
  /**
   * also correct the entries already queued or posted under the old mapping (reverse in the
   * ERP, then repost under the new one). Never done unless asked.
   */
  correct: z.boolean().default(false),
});
export type SaveInput = z.input<typeof saveInput>;

type TargetLabel = { key: string; code: string | null; name: string; entityCode: string | null; active: boolean } | null;

export type Plan = {
  kind: MappingKind;
  action: HistoryAction;
  current: Mapping | null;
  next: MappingState;
  problems: Problem[];
  impact: Impact;
  entries: AffectedEntry[];
  target: TargetLabel;
  oldTarget: TargetLabel;
  /** the change in one sentence */
  summary: string;
};

const label = (t: Target | null): TargetLabel => (t ? { key: t.key, code: t.code, name: t.name, entityCode: t.entityCode, active: t.active } : null);
const toRange = (m: Pick<MappingState, "targetKey" | "validFrom" | "validTo">): Range => ({ targetKey: m.targetKey, validFrom: m.validFrom, validTo: m.validTo });

/** Works out what a change would set, what governance says of it, and what it would do to entries. */
export async function planChange(db: DbOrTx, change: z.output<typeof changeInput>, scope: Scope, lock = false): Promise<Plan> {
  let current: Mapping | null = null;
  let next: MappingState;
  let action: HistoryAction;
  if (change.op === "create") {
    next = {
      kind: change.kind,
      sourceSystem: change.sourceSystem,
      sourceKey: change.sourceKey,
      targetId: null,
      targetKey: change.targetKey,
      validFrom: change.validFrom ?? null,
      validTo: change.validTo ?? null,
      active: true,
      reason: change.reason ?? null,
    };
    action = "created";
  } else {
    current = await getMapping(db, change.mappingId, lock);
    if (!current) throw notFound("That mapping does not exist (any more).");
    if (current.version !== change.expectedVersion) {
      throw conflict(
        `${current.updatedBy} changed this mapping at ${current.updatedAt.toISOString().slice(0, 16).replace("T", " ")} UTC (it is now at version ${current.version}, you saw version ${change.expectedVersion}). Reload it and decide again.`,
        { version: current.version, updatedBy: current.updatedBy, updatedAt: current.updatedAt.toISOString() },
      );
    }
    const base: MappingState = { ...current, reason: change.reason ?? null };
    switch (change.op) {
      case "update":
        next = { ...base, targetKey: change.targetKey, validFrom: change.validFrom ?? null, validTo: change.validTo ?? null };
        action = "changed";
        break;
      case "end_date":
        next = { ...base, validTo: change.validTo };
        action = "end_dated";
        break;
      case "deactivate":
        if (!current.active) throw invalid("This mapping is already inactive.");
        next = { ...base, active: false };
        action = "deactivated";
        break;
      case "reactivate":
        if (current.active) throw invalid("This mapping is already active.");
        next = { ...base, active: true };
        action = "reactivated";
        break;
      case "restore": {
        const [v] = await db
          .select()
          .from(mappingVersions)
          .where(and(eq(mappingVersions.mappingId, current.id), eq(mappingVersions.version, change.version)));
        if (!v) throw notFound(`This mapping has no recorded version ${change.version}.`);
        if (change.version === current.version) throw invalid(`Version ${change.version} is the current one: there is nothing to restore.`);
        next = { ...base, targetKey: v.after.targetKey, validFrom: v.after.validFrom, validTo: v.after.validTo, active: v.after.active };
        action = "restored";
        break;
      }
    }
  }

  const siblings = await mappingsOfKey(db, next.kind, next.sourceSystem, next.sourceKey);
  const gov = await governanceProblems(db, { next, current, siblings, scope });
  if (gov.target) next.targetId = gov.target.id;
  else if (current && current.targetKey === next.targetKey) next.targetId = current.targetId;

  const before = siblings.filter((s) => s.active).map(toRange);
  const after = [...siblings.filter((s) => s.active && s.id !== current?.id).map(toRange), ...(next.active ? [toRange(next)] : [])];
  const { impact, entries } = await impactOf(db, next, before, after);
  return {
    kind: next.kind,
    action,
    current,
    next,
    problems: gov.problems,
    impact,
    entries,
    target: label(gov.target),
    oldTarget: label(gov.oldTarget),
    summary: summarize(action, current, next, gov.target, gov.oldTarget, await sourceLabel(db, next)),
  };
}

/** "HV-3516 'Changi Service desk transition'", or the bare key when the source never described it. */
async function sourceLabel(db: DbOrTx, s: MappingState): Promise<string> {
  const [ref] = await db
    .select({ code: sourceRefs.code, name: sourceRefs.name })
    .from(sourceRefs)
    .where(and(eq(sourceRefs.kind, s.kind), eq(sourceRefs.sourceSystem, s.sourceSystem), eq(sourceRefs.externalId, s.sourceKey)));
  if (!ref) return `#${s.sourceKey}`;
  return ref.code ? `${ref.code} '${ref.name}'` : `'${ref.name}'`;
}

function summarize(action: HistoryAction, current: Mapping | null, next: MappingState, target: Target | null, oldTarget: Target | null, label: string): string {
  const info = KINDS[next.kind];
  const source = `${SYSTEM_LABELS[next.sourceSystem]} ${info.sourceNoun.replace("source ", "")} ${label}`;
  const to = targetText(next.kind, next.targetKey, target);
  switch (action) {
    case "created":
      return `Map ${source} to ${to}, ${rangeText(next.validFrom, next.validTo)}.`;
    case "end_dated":
      return `End the mapping of ${source} to ${to} after ${next.validTo}; work after that day is no longer mapped by it.`;
    case "deactivated":
      return `Deactivate the mapping of ${source} to ${to}: it no longer maps any day.`;
    case "reactivated":
      return `Reactivate the mapping of ${source} to ${to}, ${rangeText(next.validFrom, next.validTo)}.`;
    default: {
      const was = current ? targetText(next.kind, current.targetKey, oldTarget) : "";
      const what = current && current.targetKey !== next.targetKey ? `from ${was} to ${to}` : `to ${to}`;
      return `${action === "restored" ? "Restore" : "Change"} the mapping of ${source} ${what}, ${rangeText(next.validFrom, next.validTo)}.`;
    }
  }
}

export type Preview = Omit<Plan, "entries" | "current" | "next"> & {
  current: Mapping | null;
  next: MappingState;
};

/** What a change would do, changing nothing: governance problems and the foresight. */
export async function previewChange({ ctx, input, scope }: { ctx: ServiceCtx; input: ChangeInput; scope: Scope }): Promise<Preview> {
  const change = changeInput.parse(input);
  const { entries: _entries, ...plan } = await planChange(ctx.db, change, scope);
  return plan;
}

export type SaveResult = {
  mapping: Mapping;
  action: HistoryAction;
  summary: string;
  impact: Impact;
  corrected: { reversed: number; requeued: number; billedLeft: number };
  recovery: { id: string; total: number } | null;
};

/** A refusal naming every problem, of the kind the first problem calls for. */
export function refusal(problems: Problem[]): DomainError {
  const message = problems.map((p) => p.message).join(" ");
  const details = { problems };
  const first = problems[0]!.kind;
  if (first === "scope") return forbidden(message);
  if (first === "overlap") return conflict(message, details);
  return invalid(message, details);
}

/**
 * Saves a change under governance: refused with every problem named when the target is
 * missing or inactive, the dates make no range, it overlaps another mapping of the same
 * source object, or it is outside the user's scope; refused when someone else changed the
 * mapping since it was read. The mapping, its new version in the history and the audit entry
 * commit together. Entries already queued or posted under the old mapping are corrected only
 * when asked (`correct`); then the entries the change may unblock are re-validated in the
 * background (a recovery, whose progress the console follows).
 */
export async function saveMapping({ ctx, input, scope }: { ctx: ServiceCtx; input: SaveInput; scope: Scope }): Promise<SaveResult> {
  const { change, correct } = saveInput.parse(input);
  return withTx(ctx.db, async (tx) => {
    const txCtx = { ...ctx, db: tx };
    const kind = change.op === "create" ? change.kind : (await getMapping(tx, change.mappingId))?.kind;
    if (!kind) throw notFound("That mapping does not exist (any more).");
    await lockKind(tx, kind);
    const plan = await planChange(tx, change, scope, true);
    if (plan.problems.length) throw refusal(plan.problems);
    if (!change.reason || change.reason.length < 3) throw invalid("reason: say why the mapping changes (at least 3 characters); it is kept in the mapping's history.");
    return applyPlan(tx, txCtx, plan, { correct, recoveryLabel: plan.summary });
  });
}

/** Writes a planned change (already checked): the row, its history, the audit entry, corrections, the recovery. */
export async function applyPlan(tx: Tx, ctx: ServiceCtx, plan: Plan, opts: { correct: boolean; recoveryLabel: string; queueRecovery?: boolean }): Promise<SaveResult> {
  const { current, next } = plan;
  let saved: Mapping;
  if (!current) {
    saved = await insertMapping(tx, ctx, next);
  } else {
    const updated = await updateMapping(tx, ctx, current, current.version, next);
    if (!updated) throw conflict("Someone changed this mapping while you were saving; reload it and decide again.");
    saved = updated;
  }
  await recordVersion(tx, ctx, { before: current, after: saved, action: plan.action, reason: next.reason });

  const corrected = opts.correct ? await correctEntries(tx, ctx, plan.entries) : { reversed: 0, requeued: 0, billedLeft: 0, ids: [] as string[] };
  if (!opts.correct) corrected.billedLeft = plan.impact.billed.entries;

  await writeAudit(ctx, {
    action: `mappings.${plan.action}`,
    entityType: saved.store === "id" ? "id_mappings" : "value_mappings",
    entityId: saved.id,
    before: current,
    after: {
      ...saved,
      impact: { affected: plan.impact.affected.entries, toValidate: plan.impact.toValidate.entries, posted: plan.impact.posted.entries, billed: plan.impact.billed.entries },
      corrected: { reversed: corrected.reversed, requeued: corrected.requeued },
    },
  });

  const toValidate = plan.entries.filter((e) => e.cls === "to_validate").map((e) => e.id);
  const recovery =
    opts.queueRecovery === false
      ? null
      : await queueRecovery(tx, ctx, { kind: plan.kind, label: opts.recoveryLabel, mappingIds: [saved.id], entryIds: [...toValidate, ...corrected.ids] });
  return {
    mapping: saved,
    action: plan.action,
    summary: plan.summary,
    impact: plan.impact,
    corrected: { reversed: corrected.reversed, requeued: corrected.requeued, billedLeft: corrected.billedLeft },
    recovery,
  };
}

/**
 * Corrects entries that went (or are going) to the ERP under the old mapping, as ingest
 * corrects a changed entry: a posted one gets a reversal of its posted version and a new
 * version (approved again, so validation posts it under the new mapping); a queued one has its
 * pending posting superseded and a new version. Invoiced entries are left alone: an invoice
 * is corrected with a credit note in the ERP. Entries being sent right now are left too.
 */
async function correctEntries(tx: Tx, ctx: ServiceCtx, entries: AffectedEntry[]) {
  const out = { reversed: 0, requeued: 0, billedLeft: entries.filter((e) => e.cls === "billed").length, ids: [] as string[] };
  const postedIds = entries.filter((e) => e.cls === "posted").map((e) => e.id);
  const queuedIds = entries.filter((e) => e.cls === "queued").map((e) => e.id);
  if (postedIds.length) {
    const rows = await tx.select().from(timeEntries).where(and(inArray(timeEntries.id, postedIds), eq(timeEntries.state, "posted"))).for("update");
    for (const row of rows) await retireLiveVersions(tx, row, ctx.correlationId);
    const done = rows.length
      ? await tx
          .update(timeEntries)
          .set({ state: "approved", version: sql`${timeEntries.version} + 1`, updatedAt: sql`now()` })
          .where(and(inArray(timeEntries.id, rows.map((r) => r.id)), eq(timeEntries.state, "posted")))
          .returning({ id: timeEntries.id })
      : [];
    out.reversed = done.length;
    out.ids.push(...done.map((d) => d.id));
  }
  if (queuedIds.length) {
    const rows = await tx.select().from(timeEntries).where(and(inArray(timeEntries.id, queuedIds), eq(timeEntries.state, "approved"))).for("update");
    for (const row of rows) await retireLiveVersions(tx, row, ctx.correlationId);
    const done = rows.length
      ? await tx
          .update(timeEntries)
          .set({ version: sql`${timeEntries.version} + 1`, updatedAt: sql`now()` })
          .where(inArray(timeEntries.id, rows.map((r) => r.id)))
          .returning({ id: timeEntries.id })
      : [];
    out.requeued = done.length;
    out.ids.push(...done.map((d) => d.id));
  }
  if (out.reversed + out.requeued > 0) {
    await writeAudit(ctx, {
      action: "mappings.correct",
      entityType: "time_entries",
      entityId: null,
      after: { reversed: out.reversed, requeued: out.requeued, billedLeft: out.billedLeft, entryIds: out.ids.slice(0, 1000) },
    });
  }
  return out;
}

