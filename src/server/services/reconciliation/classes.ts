/**
 * The variance classes of a three-way reconciliation, in the order a reader works through them,
 * and what each means for the person closing the books (docs/reconciliation.md). Pure: the
 * schema, the services, the CSV and the page all read them from here.
 */
export const VARIANCE_CLASSES = [
  "not_posted",
  "posted_not_invoiced",
  "unknown_in_erp",
  "amount_mismatch",
  "hours_mismatch",
  "duplicated_in_erp",
  "missing_in_erp",
  "approved_here_not_in_source",
  "approved_in_source_not_here",
] as const;
export type VarianceClass = (typeof VARIANCE_CLASSES)[number];

/**
 * The classes found by asking the sources for their entries' approval now (not from what
 * Hourbridge last pulled). A run that could not ask them has no figures for these classes: they
 * read "not checked", never 0.
 */
export const SOURCE_APPROVAL_CLASSES = ["approved_here_not_in_source", "approved_in_source_not_here"] as const satisfies readonly VarianceClass[];
export type SourceApprovalClass = (typeof SOURCE_APPROVAL_CLASSES)[number];
export const isSourceApprovalClass = (c: string): c is SourceApprovalClass => (SOURCE_APPROVAL_CLASSES as readonly string[]).includes(c);

/** What a class shows when the run could not ask the sources (page, CSV, comparison). */
export const NOT_CHECKED = "not checked";

export const VARIANCE_TEXT: Record<VarianceClass, { label: string; meaning: string }> = {
  not_posted: { label: "Not yet posted", meaning: "Approved at the source, not in the ERP yet (an open exception, the outbox, a refusal or a dead letter explains each)." },
  posted_not_invoiced: { label: "Posted, not invoiced", meaning: "Billable time the ERP holds but has not invoiced yet." },
  unknown_in_erp: { label: "In the ERP, unknown to us", meaning: "A time record in the ERP that no approved entry of ours claims: booked directly in the ERP, or for an entry no longer approved here." },
  amount_mismatch: { label: "Amount mismatch", meaning: "Same hours, but the ERP's hours × rate differs from our bill amount." },
  hours_mismatch: { label: "Hours mismatch", meaning: "The ERP holds other hours than the approved entry." },
  duplicated_in_erp: { label: "Duplicated in the ERP", meaning: "The ERP holds more than one time record for one entry: each record beyond the first is listed." },
  missing_in_erp: { label: "Posted by us, missing in the ERP", meaning: "We hold the entry as posted, but the ERP no longer shows its record (deleted or moved there)." },
  approved_here_not_in_source: {
    label: "Approved here, not at the source",
    meaning: "We hold the entry as approved, posted or billed, but the source, asked during the run, no longer approves it: the approval was withdrawn, the entry rejected, or it is no longer listed there (deleted, or its date moved).",
  },
  approved_in_source_not_here: {
    label: "Approved at the source, not here",
    meaning: "The source, asked during the run, shows the entry approved, but we hold it as submitted, rejected or void, or never received it.",
  },
};
