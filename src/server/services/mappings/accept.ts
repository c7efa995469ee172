import Big from "big.js";
import { z } from "zod";
import type { Scope } from "../../auth/scope";
import { withTx } from "../../db/client";
import type { SourceSystem } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { DomainError, invalid } from "../errors";
import { applyPlan, planChange, refusal } from "./change";
import { KINDS, kindInput, sourceSystemInput } from "./kinds";
import { queueRecovery } from "./recovery";
import { lockKind } from "./store";
import { suggestTargets, suggestionsOf } from "./suggest";
import { sourceItems } from "./unmapped";

export const acceptInput = z.object({
  kind: kindInput,
  items: z
    .array(
      z.object({
        sourceSystem: sourceSystemInput,
        sourceKey: z.string().trim().min(1, { error: "sourceKey is required" }).max(200),
        targetKey: z.string().trim().min(1, { error: "targetKey is required" }).max(200),
      }),
      { error: "items must list the suggestions to accept" },
    )
    .min(1, { error: "items: pick at least one suggestion to accept" })
    .max(500, { error: "items: at most 500 suggestions at once" }),
});
export type AcceptInput = z.input<typeof acceptInput>;

export type AcceptResult = {
  accepted: { sourceSystem: SourceSystem; sourceKey: string; targetKey: string; mappingId: string; confidence: number; entries: number }[];
  refused: { sourceSystem: SourceSystem; sourceKey: string; targetKey: string; reason: string }[];
  /** what the accepted mappings unblock, re-validated in the background */
  recovery: { id: string; total: number } | null;
  /** value at stake of the entries they held, in the reporting currency */
  valueAtStake: string;
};

/**
 * Accepts suggested targets for unmapped source objects, one or many at once, each as a new
 * mapping in effect on every day (the source object has none). Each one goes through the
 * same governance as a mapping made by hand; one that fails it, that is no longer among the
 * suggestions, or that would change entries already in the ERP (which needs the editor's
 * foresight and its correction offer) is refused with the reason while the others are saved.
 * The reason kept in the history is the suggestion's: its confidence and why. The entries
 * they unblock are re-validated together in one background recovery.
 */
export async function acceptSuggestions({ ctx, input, scope }: { ctx: ServiceCtx; input: AcceptInput; scope: Scope }): Promise<AcceptResult> {
  const q = acceptInput.parse(input);
  const seen = new Set<string>();
  for (const i of q.items) {
    const k = `${i.sourceSystem}|${i.sourceKey}`;
    if (seen.has(k)) throw invalid(`items: ${i.sourceSystem} ${i.sourceKey} is listed twice; accept one target per source object.`);
    seen.add(k);
  }
  return withTx(ctx.db, async (tx) => {
    const txCtx = { ...ctx, db: tx };
    await lockKind(tx, q.kind);
    const suggestions = await suggestTargets(tx, q.kind, await sourceItems(txCtx, q.kind, q.items));
    const result: AcceptResult = { accepted: [], refused: [], recovery: null, valueAtStake: "0.00" };
    const entryIds: string[] = [];
    const mappingIds: string[] = [];
    let value = new Big(0);
    for (const item of q.items) {
      const s = suggestionsOf(suggestions, item.sourceSystem, item.sourceKey).find((x) => x.targetKey === item.targetKey);
      if (!s) {
        result.refused.push({ ...item, reason: `${KINDS[q.kind].targetNoun} ${item.targetKey} is not (or no longer) suggested for it; choose the target in the editor.` });
        continue;
      }
      try {
        // a savepoint per item: a refused one leaves the others saved
        const saved = await tx.transaction(async (sp) => {
          const plan = await planChange(
            sp,
            { op: "create", kind: q.kind, sourceSystem: item.sourceSystem, sourceKey: item.sourceKey, targetKey: item.targetKey, reason: `Accepted suggestion (${s.confidence}%: ${s.why.join("; ")})`, validFrom: null, validTo: null },
            scope,
          );
          if (plan.problems.length) throw refusal(plan.problems);
          const inErp = plan.impact.posted.entries + plan.impact.billed.entries + plan.impact.queued.entries + plan.impact.inFlight.entries;
          if (inErp > 0) throw invalid(`It would change ${inErp} ${inErp === 1 ? "entry" : "entries"} already sent to the ERP under another mapping; open it in the editor to review the correction.`);
          const r = await applyPlan(sp, { ...txCtx, db: sp }, plan, { correct: false, recoveryLabel: plan.summary, queueRecovery: false });
          return { r, plan };
        });
        result.accepted.push({ ...item, mappingId: saved.r.mapping.id, confidence: s.confidence, entries: saved.plan.impact.toValidate.entries });
        entryIds.push(...saved.plan.entries.filter((e) => e.cls === "to_validate").map((e) => e.id));
        mappingIds.push(saved.r.mapping.id);
        if (saved.plan.impact.toValidate.value) value = value.plus(saved.plan.impact.toValidate.value);
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        result.refused.push({ ...item, reason: err.message });
      }
    }
    const n = result.accepted.length;
    result.recovery = await queueRecovery(tx, txCtx, {
      kind: q.kind,
      label: n === 1 ? `Accepted the suggestion for ${KINDS[q.kind].sourceNoun} ${result.accepted[0]!.sourceKey}` : `Accepted ${n} suggestions (${KINDS[q.kind].label.toLowerCase()})`,
      mappingIds,
      entryIds,
    });
    result.valueAtStake = value.toFixed(2);
    return result;
  });
}
