/**
 * A Harvest TimeEntry (API v2) read as the canonical time entry's input
 * (`canonicalTimeEntry`, src/server/services/entries/schemas.ts). Harvest's field names
 * stop here.
 *
 * Nothing is validated beyond what reading needs: a payload that cannot be read (a missing
 * `project`, `hours` that is not a number…) gives an entry with that field left undefined
 * or as received, so the canonical schema refuses it with a reason naming the field and
 * ingest records PAYLOAD_INVALID with the raw payload. Mapping never throws.
 *
 * Approval: Harvest's `is_closed` is true once the entry is approved through Timesheet
 * Approval → "approved" (approvedAt = `updated_at`, the closest instant the API gives;
 * approvedBy is not in the API → null). Everything else is "submitted": Harvest has no
 * rejected state in this field (a rejected timesheet is simply reopened, `is_closed` false),
 * so this connector never produces "rejected". Harvest does not expose when an entry was
 * submitted either → submittedAt null.
 */
import Big from "big.js";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Harvest ids are integers; a numeric string is accepted as well. Anything else: undefined. */
function idOf(v: unknown): string | undefined {
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  if (typeof v === "string" && /^\d+$/.test(v)) return v;
  return undefined;
}

/** A JSON number (or numeric string) as an exact decimal, free of float artefacts. */
function decimalOf(v: unknown): Big | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return new Big(String(v)); // shortest round-trip digits: 1.1 stays "1.1"
  if (typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v.trim())) return new Big(v.trim());
  return undefined;
}

/** Hours: rounded half-up to 2 places, e.g. 1.005 → "1.01", 2.5 → "2.50". */
export function hoursString(v: unknown): string | undefined {
  const d = decimalOf(v);
  return d === undefined ? undefined : d.round(2, Big.roundHalfUp).toFixed(2);
}

/**
 * A money rate: "150.00" for 150; a rate with more than 2 decimals is kept exact (not
 * rounded silently), so the canonical schema refuses it rather than posting a changed rate.
 */
export function rateString(v: unknown): string | undefined {
  const d = decimalOf(v);
  if (d === undefined) return undefined;
  return d.round(2).eq(d) ? d.toFixed(2) : d.toFixed();
}

/** The canonical entry's input for one Harvest TimeEntry payload (unvalidated: see above). */
export function mapTimeEntry(payload: unknown): Record<string, unknown> {
  const p: Obj = isObj(payload) ? payload : {};
  const sub = (k: string): Obj => (isObj(p[k]) ? (p[k] as Obj) : {});
  const closed = p.is_closed === true;
  const status = p.is_closed === true ? "approved" : p.is_closed === false || p.is_closed === null || p.is_closed === undefined ? "submitted" : p.is_closed;
  const currency = sub("client").currency;
  return {
    sourceId: idOf(p.id),
    sourceUserId: idOf(sub("user").id),
    sourceProjectId: idOf(sub("project").id),
    sourceTaskId: idOf(sub("task").id),
    workDate: p.spent_date,
    hours: hoursString(p.hours) ?? p.hours,
    billable: p.billable,
    notes: p.notes === undefined ? null : p.notes,
    status,
    submittedAt: null,
    approvedAt: closed ? p.updated_at : null,
    approvedBy: null,
    sourceBillRate: p.billable_rate === null || p.billable_rate === undefined ? null : (rateString(p.billable_rate) ?? p.billable_rate),
    sourceCurrency: typeof currency === "string" ? currency : null,
    deleted: false,
  };
}
