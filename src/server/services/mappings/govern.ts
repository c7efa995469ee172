import type { Scope } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import { KINDS, overlaps, rangeText } from "./kinds";
import type { Mapping, MappingState } from "./store";
import { cannotChangeKind, targetsByKey, targetText, targetVisible, type Target } from "./targets";

/** Why a change may not be made, in words, with the mapping it collides with when there is one. */
export type Problem = {
  kind: "target_missing" | "target_inactive" | "dates" | "overlap" | "scope";
  message: string;
  conflict?: { mappingId: string; targetKey: string; validFrom: string | null; validTo: string | null; version: number };
};

/**
 * The governance rules of a mapping change, checked against master data pulled from the ERP
 * and the other mappings of the same source object:
 *   - the target exists in the ERP's master data and is active (checked whenever the change
 *     sets or changes the target, or reactivates the mapping: an existing mapping whose job
 *     has since closed may still be end-dated);
 *   - the dates make a range (to on or after from);
 *   - no other active mapping of the same source object covers any of the same days (a
 *     duplicate is the same thing: two mappings for one day);
 *   - the user's scope covers the target (and the old one), and a firm-wide kind needs a
 *     scope over the whole firm.
 */
export async function governanceProblems(
  db: DbOrTx,
  a: { next: MappingState; current: Mapping | null; siblings: Mapping[]; scope: Scope },
): Promise<{ problems: Problem[]; target: Target | null; oldTarget: Target | null }> {
  const { next, current, siblings, scope } = a;
  const kind = next.kind;
  const problems: Problem[] = [];
  const targets = await targetsByKey(db, kind, [next.targetKey, ...(current ? [current.targetKey] : [])]);
  const target = targets.get(next.targetKey) ?? null;
  const oldTarget = current ? (targets.get(current.targetKey) ?? null) : null;

  const kindRefusal = cannotChangeKind(kind, scope);
  if (kindRefusal) problems.push({ kind: "scope", message: kindRefusal });

  const settingTarget = !current || current.targetKey !== next.targetKey || (!current.active && next.active);
  if (settingTarget) {
    if (!target) {
      problems.push({ kind: "target_missing", message: `${KINDS[kind].targetNoun} ${next.targetKey} does not exist in the master data pulled from the ERP. Pick one the ERP holds (or pull master data if it was created there just now).` });
    } else if (!target.active) {
      problems.push({ kind: "target_inactive", message: `${targetText(kind, target.key, target)} ${target.inactiveReason}: a mapping may only point at an active record.` });
    }
  }
  if (target && !targetVisible(kind, target, scope)) {
    problems.push({ kind: "scope", message: `${targetText(kind, target.key, target)} belongs to ${target.entityCode ?? "another entity"}, outside your scope.` });
  }
  if (current && oldTarget && current.targetKey !== next.targetKey && !targetVisible(kind, oldTarget, scope)) {
    problems.push({ kind: "scope", message: `This mapping points at ${targetText(kind, oldTarget.key, oldTarget)} of ${oldTarget.entityCode ?? "another entity"}, outside your scope.` });
  }

  if (next.validFrom && next.validTo && next.validTo < next.validFrom) {
    problems.push({ kind: "dates", message: `The end date ${next.validTo} is before the start date ${next.validFrom}.` });
  }

  if (next.active) {
    for (const s of siblings) {
      if (s.id === current?.id || !s.active || !overlaps(s, next)) continue;
      const same = s.targetKey === next.targetKey && s.validFrom === next.validFrom && s.validTo === next.validTo;
      problems.push({
        kind: "overlap",
        message: same
          ? `This duplicates an existing mapping to ${KINDS[kind].targetNoun} ${s.targetKey} (${rangeText(s.validFrom, s.validTo)}, version ${s.version}).`
          : `It overlaps the mapping to ${KINDS[kind].targetNoun} ${s.targetKey} in effect ${rangeText(s.validFrom, s.validTo)} (version ${s.version}): one source object can have one mapping per day. End-date that mapping first, or start this one after it.`,
        conflict: { mappingId: s.id, targetKey: s.targetKey, validFrom: s.validFrom, validTo: s.validTo, version: s.version },
      });
    }
  }
  return { problems, target, oldTarget };
}
