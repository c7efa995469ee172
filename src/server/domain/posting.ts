/**
 * What the outbox holds for a time entry's posting (erp_postings.request): vendor-neutral;
 * the ERP connector turns it into the ERP's own record.
 */
export type CanonicalPostingRequest = {
  entry: { sourceSystem: string; sourceId: string; version: number };
  workDate: string;
  hours: string;
  billable: boolean;
  rate: string | null;
  currency: string;
  erp: { jobId: string; itemId: string; employeeId: string; subsidiaryId: string };
  memo?: string | null;
};

export function canonicalPostingRequest(input: {
  sourceSystem: string;
  sourceId: string;
  version: number;
  workDate: string;
  hours: string;
  billRate: string | null;
  currency: string;
  erp: CanonicalPostingRequest["erp"];
  memo?: string | null;
}): CanonicalPostingRequest {
  return {
    entry: { sourceSystem: input.sourceSystem, sourceId: input.sourceId, version: input.version },
    workDate: input.workDate,
    hours: input.hours,
    billable: input.billRate !== null,
    rate: input.billRate,
    currency: input.currency,
    erp: input.erp,
    ...(input.memo !== undefined && { memo: input.memo }),
  };
}
