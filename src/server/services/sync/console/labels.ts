/**
 * Plain words for the console: a run's counts in one line, and what an error class or an
 * ERP error code means for the person looking at it. Pure functions, no I/O.
 */

export const RUN_KINDS = ["time_pull", "full_walk", "master_data", "read_back", "posting", "csv_import"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** What starts a run (the worker's job payloads; a CSV import is manual). */
export const RUN_TRIGGERS = ["schedule", "manual", "replay", "webhook"] as const;

export type RunCounts = {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  posted: number;
  rejected: number;
  failed: number;
  duplicatesSkipped: number;
};

const n = (count: number, one: string, many = `${one}s`) => `${count.toLocaleString("en-US")} ${count === 1 ? one : many}`;

/** The counts of a run in one line, in the words of its kind. */
export function summarizeRun(kind: string, c: RunCounts, details: Record<string, unknown> = {}): string {
  const tail = (parts: (string | false)[]) => parts.filter(Boolean).join(", ");
  const changes = tail([`${c.created} new`, `${c.updated} changed`, `${c.unchanged} unchanged`]);
  switch (kind) {
    case "time_pull":
    case "full_walk": {
      const voided = typeof details.voided === "number" && details.voided > 0 ? `${details.voided} deleted at the source` : false;
      return `Received ${n(c.fetched, "entry", "entries")}: ${tail([changes, voided, c.failed > 0 && `${c.failed} unreadable`, c.duplicatesSkipped > 0 && `${c.duplicatesSkipped} duplicates skipped`])}.`;
    }
    case "csv_import":
      return `Imported ${n(c.fetched, "row")}: ${tail([changes, c.failed > 0 && `${c.failed} refused`])}.`;
    case "master_data":
      return `Read ${n(c.fetched, "master data record")} from the ERP: ${tail([changes, c.failed > 0 && `${c.failed} skipped`])}.`;
    case "read_back":
      return `Read ${n(c.fetched, "record")} back from the ERP: ${changes}.`;
    case "posting": {
      if (c.fetched === 0) return typeof details.circuit === "string" && details.circuit !== "closed" ? `Nothing sent: the ERP's circuit breaker was ${details.circuit.replace("_", "-")}.` : "Nothing was due.";
      const retrying = typeof details.retrying === "number" && details.retrying > 0 ? `${details.retrying} to retry` : false;
      return `Sent ${n(c.fetched, "posting")}: ${tail([
        `${c.posted} accepted`,
        c.duplicatesSkipped > 0 && `${c.duplicatesSkipped} found already in the ERP`,
        c.rejected > 0 && `${c.rejected} refused by the ERP`,
        c.failed > 0 && `${c.failed} dead-lettered`,
        retrying,
      ])}.`;
    }
    default: {
      const parts = Object.entries(c)
        .filter(([, v]) => v > 0)
        .map(([k, v]) => `${v} ${k}`);
      return parts.length ? `${parts.join(", ")}.` : "Nothing to do.";
    }
  }
}

/** What the ERP's error codes mean, for the ones it is known to send when it refuses a time bill. */
const ERP_CODES: Record<string, string> = {
  INVALID_KEY_OR_REF: "a reference the ERP does not know or has made inactive (employee, job, item, subsidiary)",
  INVALID_FLD_VALUE: "a field value the ERP does not accept",
  USER_ERROR: "a required field was missing",
  INVALID_CONTENT: "a request the ERP could not read",
  NONEXISTENT_ID: "a record the ERP no longer has",
  THIS_RECORD_CANNOT_BE_DELETED: "a time bill the ERP will not delete (it is billed or locked)",
  MISSING_ERP_ID: "a reversal without the ERP id of the time bill to take back",
  INVALID_POSTING: "a posting Hourbridge could not turn into a time bill",
  PERIOD_CLOSED: "a work date in a closed accounting period",
};

/** A short label for an error class (a chart legend, a group heading). */
export function errorClassLabel(errorClass: string): string {
  if (errorClass.startsWith("rejected:")) {
    const code = errorClass.slice("rejected:".length);
    return `Refused by the ERP: ${code}`;
  }
  if (errorClass.startsWith("http_")) return `Unexpected answer (HTTP ${errorClass.slice(5)})`;
  switch (errorClass) {
    case "5xx":
      return "ERP server errors (5xx)";
    case "429":
      return "Rate limited by the ERP (429)";
    case "timeout":
      return "No answer in time";
    case "network":
      return "Network failures";
    case "dead:unknown":
    case "unknown":
      return "Cause not recorded";
    default:
      return errorClass;
  }
}

/** A sentence about `count` failed attempts (on `postings` postings) of one class. */
export function describeErrorClass(errorClass: string, count: number, postings: number): string {
  const times = n(count, "attempt");
  const on = postings === count ? "" : ` on ${n(postings, "posting")}`;
  if (errorClass.startsWith("rejected:")) {
    const code = errorClass.slice("rejected:".length);
    const meaning = ERP_CODES[code];
    return `The ERP refused ${n(postings, "posting")} (${code}${meaning ? `: ${meaning}` : ""}). A refusal is not retried: fix the cause (a mapping, master data, the period), then replay.`;
  }
  if (errorClass.startsWith("http_")) return `${times}${on} got an answer the ERP's API does not promise (HTTP ${errorClass.slice(5)}); they were treated as temporary and retried.`;
  switch (errorClass) {
    case "5xx":
      return `${times}${on} met a server error at the ERP (5xx); they are retried with growing waits, and after the last attempt dead-lettered.`;
    case "429":
      return `The ERP asked to slow down ${count === 1 ? "once" : `${count} times`}${on} (429 rate limit); the sender waited as long as it was told before trying again.`;
    case "timeout":
      return `${times}${on} got no answer in time. The ERP may still have booked them, so before any re-send it is asked by idempotency key — nothing is posted twice.`;
    case "network":
      return `${times}${on} could not reach the ERP (connection refused or reset); they are retried, and the ERP is asked by key first where a request may have arrived.`;
    default:
      return `${times}${on} failed (${errorClass}).`;
  }
}

/** The plain-words label of a dead-letter cause: an error class, or the ERP's error code. */
export function causeLabel(cause: string): string {
  if (cause.startsWith("rejected:")) {
    const code = cause.slice("rejected:".length);
    const meaning = ERP_CODES[code];
    return meaning ? `Refused by the ERP: ${meaning} (${code})` : `Refused by the ERP (${code})`;
  }
  const base = errorClassLabel(cause);
  return cause === "unknown" || cause === "dead:unknown" ? base : `Attempts exhausted: ${base}`;
}

/** Milliseconds as "850 ms", "3.2 s", "4 min 05 s", "2 h 10 min". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
}
