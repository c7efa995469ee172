/**
 * NetSuite's vocabulary, and nothing else: a canonical posting → a `timeBill` body, the
 * record id named by a `Location` header, and NetSuite's error body. Vendor field names
 * stay in this folder (CONVENTIONS habit 9).
 */
import type { PostingRequest } from "../types";

export type TimeBillBody = {
  employee: { id: string };
  /** the project (job): NetSuite books time to a job through the customer field */
  customer: { id: string };
  item: { id: string };
  subsidiary: { id: string };
  hours: number;
  rate?: number;
  isBillable: boolean;
  tranDate: string;
  memo: string;
};

const SOURCE_LABEL: Record<string, string> = { harvest: "Harvest", clockify: "Clockify", csv: "CSV" };

/** "Harvest 123 v2": where the time came from, readable by an accountant in NetSuite. */
export function memoFor(request: PostingRequest): string {
  if (request.memo) return request.memo;
  const { sourceSystem, sourceId, version } = request.entry;
  return `${SOURCE_LABEL[sourceSystem] ?? sourceSystem} ${sourceId} v${version}`;
}

/** Decimal strings as JSON numbers (NetSuite's REST service takes numbers; 2 decimals are exact enough). */
const number = (field: string, v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`The posting's ${field} is not a number: ${JSON.stringify(v)}.`);
  return n;
};

export function toTimeBill(request: PostingRequest): TimeBillBody {
  const body: TimeBillBody = {
    employee: { id: request.erp.employeeId },
    customer: { id: request.erp.jobId },
    item: { id: request.erp.itemId },
    subsidiary: { id: request.erp.subsidiaryId },
    hours: number("hours", request.hours),
    isBillable: request.billable,
    tranDate: request.workDate,
    memo: memoFor(request),
  };
  if (request.billable && request.rate !== null) body.rate = number("rate", request.rate);
  return body;
}

/**
 * The time bill id named by a `Location` header (`…/record/v1/timeBill/<id>`), or null when
 * the header is missing or names something else (an async job, another record type).
 */
export function timeBillIdFromLocation(location: string | null): string | null {
  if (!location) return null;
  let path: string;
  try {
    path = new URL(location, "http://placeholder.invalid").pathname;
  } catch {
    return null;
  }
  const m = /\/record\/v1\/timebill\/([^/]+)\/?$/i.exec(path);
  if (!m) return null;
  try {
    const id = decodeURIComponent(m[1]!);
    return id.trim() ? id : null;
  } catch {
    return null;
  }
}

/** The async job id named by a `Location` header (`…/async/v1/job/<id>`), or null. */
export function asyncJobFromLocation(location: string | null): string | null {
  if (!location) return null;
  try {
    const m = /\/async\/v1\/job\/([^/]+)\/?$/i.exec(new URL(location, "http://placeholder.invalid").pathname);
    return m ? decodeURIComponent(m[1]!) : null;
  } catch {
    return null;
  }
}

export type NetSuiteErrorInfo = { code: string; detail: string; title: string | null };

/**
 * NetSuite's error body, `{ type, title, status, "o:errorDetails": [{ detail, "o:errorCode" }] }`,
 * read into its first code and detail; null when the body is not that shape.
 */
export function parseNetSuiteError(text: string): NetSuiteErrorInfo | null {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return null;
  }
  if (!body || typeof body !== "object" || Array.isArray(body)) return null;
  const details = (body as Record<string, unknown>)["o:errorDetails"];
  if (!Array.isArray(details) || details.length === 0) return null;
  const first = details[0] as Record<string, unknown> | null;
  const code = first?.["o:errorCode"];
  if (typeof code !== "string" || !code) return null;
  const detail = typeof first?.detail === "string" ? first.detail : "";
  const title = (body as Record<string, unknown>).title;
  return { code, detail, title: typeof title === "string" ? title : null };
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date; null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const v = header.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  if (Number.isNaN(at)) return null;
  return Math.max(0, at - now);
}
