import { ENTRY_STATES, type EntryState } from "./enums";

/**
 * What can happen to a time or expense entry, and where each event leads from each state.
 * One exhaustive table: every state lists every event, and an event that may not happen
 * in a state is `null`. Corrections are events too: an entry already in the ERP whose
 * source changes is `corrected` (the posted version is reversed, the new one posts), and
 * one already invoiced can only be flagged, never silently changed.
 *
 *   submit     the person submits (or resubmits after a rejection)
 *   approve    the manager approves (source shows it closed/approved)
 *   reject     the manager rejects
 *   reopen     the approval is withdrawn in the source (before posting; after posting the posted
 *              version is reversed in the ERP; after invoicing it is flagged instead)
 *   post       the ERP accepted the posting of the current version
 *   correct    the source changed an entry already posted: reverse, then repost
 *   invoice    the ERP billed it on an invoice
 *   credit     the invoice line was credited in the ERP: back to posted, billable again
 *   void       deleted in the source (reversed in the ERP if posted)
 */
export const ENTRY_EVENTS = ["submit", "approve", "reject", "reopen", "post", "correct", "invoice", "credit", "void"] as const;
export type EntryEvent = (typeof ENTRY_EVENTS)[number];

export const TRANSITIONS: Record<EntryState, Record<EntryEvent, EntryState | null>> = {
  submitted: { submit: "submitted", approve: "approved", reject: "rejected", reopen: null, post: null, correct: null, invoice: null, credit: null, void: "void" },
  approved: { submit: null, approve: "approved", reject: "rejected", reopen: "submitted", post: "posted", correct: null, invoice: null, credit: null, void: "void" },
  rejected: { submit: "submitted", approve: "approved", reject: "rejected", reopen: null, post: null, correct: null, invoice: null, credit: null, void: "void" },
  posted: { submit: null, approve: null, reject: "rejected", reopen: "submitted", post: "posted", correct: "approved", invoice: "billed", credit: null, void: "void" },
  billed: { submit: null, approve: null, reject: null, reopen: null, post: null, correct: null, invoice: "billed", credit: "posted", void: null },
  void: { submit: null, approve: null, reject: null, reopen: null, post: null, correct: null, invoice: null, credit: null, void: "void" },
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: EntryState,
    readonly event: EntryEvent,
  ) {
    super(`An entry that is ${from} cannot be ${PAST[event]} (event "${event}" is not allowed from state "${from}").`);
    this.name = "IllegalTransitionError";
  }
}

const PAST: Record<EntryEvent, string> = {
  submit: "submitted",
  approve: "approved",
  reject: "rejected",
  reopen: "reopened",
  post: "posted",
  correct: "corrected",
  invoice: "invoiced",
  credit: "credited",
  void: "voided",
};

/** The state after the event, or IllegalTransitionError naming both. */
export function transition(from: EntryState, event: EntryEvent): EntryState {
  const to = TRANSITIONS[from][event];
  if (to === null) throw new IllegalTransitionError(from, event);
  return to;
}

export function canTransition(from: EntryState, event: EntryEvent): boolean {
  return TRANSITIONS[from][event] !== null;
}

/** Every state is reachable from "submitted": checked by the tests, so the table has no dead rows. */
export function reachableFrom(start: EntryState): Set<EntryState> {
  const seen = new Set<EntryState>([start]);
  const queue: EntryState[] = [start];
  while (queue.length) {
    const s = queue.shift()!;
    for (const to of Object.values(TRANSITIONS[s])) {
      if (to && !seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return seen;
}

export { ENTRY_STATES };
