import { D, formatMoney, money, sum } from "./decimal";
import { resolve, type Resolved } from "./resolve";
import { ENTRY_RULES, failure, systemName } from "./rules";
import { SUBJECTS, type EntryForValidation, type EntryVerdict, type Lookups, type RuleFailure } from "./types";

/** Source ids compare as numbers when both are numeric (Harvest), else as text. */
export function compareSourceIds(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

const byDayThenId = (a: EntryForValidation, b: EntryForValidation) =>
  a.workDate < b.workDate ? -1 : a.workDate > b.workDate ? 1 : compareSourceIds(a.sourceId, b.sourceId);

export const sameWorkKey = (e: EntryForValidation) =>
  `${e.sourceSystem}|${e.sourceUserId}|${e.workDate}|${e.sourceProjectId}|${D(e.hours).toFixed(2)}`;
const personDayKey = (e: EntryForValidation) => `${e.sourceSystem}|${e.sourceUserId}|${e.workDate}`;

/**
 * Validates a batch: every per-entry rule, then the rules that need the whole batch — a
 * person's day over 24 h, suspected duplicates, and a capped project's running total.
 * Pure: the same entries and lookups always give the same verdicts, in the input order.
 */
export function validateBatch(entries: EntryForValidation[], lookups: Lookups): EntryVerdict[] {
  const resolved = entries.map((e) => resolve(e, lookups));
  const failures = new Map<string, RuleFailure[]>(entries.map((e) => [e.id, []]));
  const add = (id: string, f: RuleFailure) => failures.get(id)!.push(f);

  for (const r of resolved) {
    for (const rule of ENTRY_RULES) {
      const f = rule(r, lookups);
      if (f) add(r.entry.id, f);
    }
  }

  personDayOver24(resolved, lookups, failures, add);
  duplicates(resolved, lookups, add);
  billingCaps(resolved, lookups, failures, add);

  return resolved.map((r): EntryVerdict => {
    const fs = failures.get(r.entry.id)!;
    if (fs.length > 0) return { entryId: r.entry.id, ok: false, failures: fs };
    return { entryId: r.entry.id, ok: true, enrichment: enrich(r) };
  });
}

function personDayOver24(
  resolved: Resolved[],
  lookups: Lookups,
  failures: Map<string, RuleFailure[]>,
  add: (id: string, f: RuleFailure) => void,
) {
  const days = new Map<string, Resolved[]>();
  for (const r of resolved) {
    // an entry already invalid on its own (0 h, 25 h) does not count towards its day
    if (failures.get(r.entry.id)!.some((f) => f.code === "HOURS_INVALID")) continue;
    const k = personDayKey(r.entry);
    days.set(k, [...(days.get(k) ?? []), r]);
  }
  for (const group of days.values()) {
    const first = group[0]!.entry;
    const total = sum(group.map((r) => r.entry.hours)).plus(
      lookups.otherHoursOnDay(first.sourceSystem, first.sourceUserId, first.workDate),
    );
    if (total.lte(24)) continue;
    const who = lookups.sourceLabel("user", first.sourceSystem, first.sourceUserId)?.name ?? `user ${first.sourceUserId}`;
    for (const r of group) {
      add(
        r.entry.id,
        failure("HOURS_INVALID", r, {
          subjectType: "person_day",
          subjectKey: SUBJECTS.personDay(first.sourceSystem, first.sourceUserId, first.workDate),
          subjectLabel: `${who} on ${first.workDate}`,
          message: `${who} logged ${total.toString()} h on ${first.workDate} in ${systemName(first.sourceSystem)}: a day cannot hold more than 24 hours.`,
          suggestedFix: `Ask ${who} to correct that day's entries in ${systemName(first.sourceSystem)}.`,
          details: { totalHours: total.toFixed(2) },
        }),
      );
    }
  }
}

function duplicates(resolved: Resolved[], lookups: Lookups, add: (id: string, f: RuleFailure) => void) {
  const groups = new Map<string, Resolved[]>();
  for (const r of resolved) {
    const k = sameWorkKey(r.entry);
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  for (const group of groups.values()) {
    const elsewhere = lookups.sameWorkElsewhere(group[0]!.entry);
    const all = [
      ...group.map((r) => ({ sourceId: r.entry.sourceId, inErp: false, r })),
      ...elsewhere.map((o) => ({ ...o, r: null })),
    ].sort((a, b) => compareSourceIds(a.sourceId, b.sourceId));
    if (all.length < 2) continue;
    // the original is what the ERP already holds, else the earliest source id
    const original = all.find((x) => x.inErp) ?? all[0]!;
    for (const x of all) {
      if (!x.r || x === original) continue;
      const e = x.r.entry;
      const who = lookups.sourceLabel("user", e.sourceSystem, e.sourceUserId)?.name ?? `user ${e.sourceUserId}`;
      add(
        e.id,
        failure("DUPLICATE_SUSPECTED", x.r, {
          subjectType: "entry",
          subjectKey: SUBJECTS.entry(e.sourceSystem, e.sourceId),
          subjectLabel: `${systemName(e.sourceSystem)} entry ${e.sourceId}`,
          message: `${systemName(e.sourceSystem)} entry ${e.sourceId} looks like a copy of entry ${original.sourceId}: ${who}, ${e.workDate}, same project, ${D(e.hours).toString()} h.`,
          suggestedFix: `Check with ${who}: delete the copy in ${systemName(e.sourceSystem)}, or resolve this exception as "not a duplicate" with a reason.`,
          details: { originalSourceId: original.sourceId, originalInErp: original.inErp },
        }),
      );
    }
  }
}

function billingCaps(
  resolved: Resolved[],
  lookups: Lookups,
  failures: Map<string, RuleFailure[]>,
  add: (id: string, f: RuleFailure) => void,
) {
  const running = new Map<string, ReturnType<typeof D>>();
  const candidates = resolved
    .filter((r) => r.project?.billingCap && r.billable && r.billRate && failures.get(r.entry.id)!.length === 0)
    .sort((a, b) => byDayThenId(a.entry, b.entry));
  for (const r of candidates) {
    const p = r.project!;
    const before = running.get(p.id) ?? D(lookups.committedAmount(p.id));
    const amount = D(r.entry.hours).times(r.billRate!.rate);
    const after = before.plus(amount);
    if (after.lte(p.billingCap!)) {
      running.set(p.id, after);
      continue;
    }
    running.set(p.id, before);
    add(
      r.entry.id,
      failure("BILLING_CAP_EXCEEDED", r, {
        subjectType: "project",
        subjectKey: SUBJECTS.cap(p.id),
        subjectLabel: `Project ${p.code} '${p.name}'`,
        message: `Posting this time would take capped project ${p.code} '${p.name}' to ${formatMoney(money(after), p.currency)}, over its cap of ${formatMoney(p.billingCap!, p.currency)}.`,
        suggestedFix: `Agree a change order raising the cap of ${p.code} in the ERP, or mark the excess time non-billable in the source.`,
        details: { cap: p.billingCap, committed: money(before), wouldBe: money(after) },
      }),
    );
  }
}

function enrich(r: Resolved) {
  const p = r.project!;
  const c = r.laborCategory!;
  const e = r.employee!;
  const entity = r.entity!;
  const cost = r.costRate!;
  const billAmount = r.billable && r.billRate ? money(D(r.entry.hours).times(r.billRate.rate)) : "0.00";
  return {
    employeeId: e.id,
    projectId: p.id,
    laborCategoryId: c.id,
    legalEntityId: p.legalEntityId,
    currency: p.currency,
    billRate: r.billable ? r.billRate!.rate : null,
    costRate: cost.rate,
    billAmount,
    costAmount: money(D(r.entry.hours).times(cost.rate)),
    erp: { jobId: p.erpId, itemId: c.erpItemId, employeeId: e.erpId, subsidiaryId: entity.erpSubsidiaryId },
  };
}
