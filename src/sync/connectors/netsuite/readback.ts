/**
 * Read-back from NetSuite through SuiteQL (`POST /query/v1/suiteql` with `{ q }`, paged by
 * `limit`/`offset` until `hasMore` is false): the time bills and invoices the ERP holds,
 * in canonical shapes, page by page (never the whole set in memory).
 *
 * SuiteQL pages reach at most 100,000 results per query; a range that holds more fails with
 * a sentence saying so — read it in smaller date ranges.
 */
import type { NetSuiteClient } from "./client";
import { NetSuiteTransportError } from "./client";
import { parseNetSuiteError } from "./map";
import type { ErpInvoice, ErpInvoiceLine, ErpTimeRecord } from "../types";

/** The ERP's canonical shapes (see `../types.ts`); these names are kept for this module's readers. */
export type ErpTimeBill = ErpTimeRecord;
export type { ErpInvoice, ErpInvoiceLine };

/** A read that did not work. `transient` when retrying may help (network, 5xx, 429, odd answers). */
export class NetSuiteReadError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status: number | null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = "NetSuiteReadError";
  }
}

export const SUITEQL_MAX_PAGE = 1000;
export const SUITEQL_MAX_RESULTS = 100_000;

export type Row = Record<string, unknown>;
type Page = { items: Row[]; hasMore: boolean };

const DAY = /^\d{4}-\d{2}-\d{2}$/;
/** a SuiteQL text literal, quotes doubled */
export const literal = (v: string) => `'${v.replace(/'/g, "''")}'`;

function assertDay(name: string, v: string) {
  if (!DAY.test(v) || Number.isNaN(Date.parse(`${v}T00:00:00Z`))) throw new Error(`${name} must be a day as YYYY-MM-DD, not ${JSON.stringify(v)}.`);
}

/** One SuiteQL page. */
export async function suiteqlPage(client: NetSuiteClient, q: string, limit: number, offset: number, signal?: AbortSignal): Promise<Page> {
  let res;
  try {
    res = await client.request("POST", "/query/v1/suiteql", { body: { q }, query: { limit, offset }, headers: { Prefer: "transient" }, signal });
  } catch (err) {
    if (err instanceof NetSuiteTransportError) throw new NetSuiteReadError(`SuiteQL: ${err.message}`, true, null);
    throw err;
  }
  if (res.status !== 200) {
    const e = parseNetSuiteError(res.text);
    const transient = res.status === 429 || res.status >= 500 || res.status === 401 || !e;
    throw new NetSuiteReadError(`SuiteQL answered ${res.status}${e ? ` ${e.code}: ${e.detail}` : ""}`, transient, res.status, e?.code ?? null);
  }
  let body: unknown;
  try {
    body = JSON.parse(res.text);
  } catch {
    throw new NetSuiteReadError("SuiteQL answered 200 with a body that is not JSON", true, 200);
  }
  const b = body as { items?: unknown; hasMore?: unknown };
  if (!b || typeof b !== "object" || !Array.isArray(b.items) || typeof b.hasMore !== "boolean") {
    throw new NetSuiteReadError("SuiteQL answered 200 without `items` and `hasMore`", true, 200);
  }
  return { items: b.items as Row[], hasMore: b.hasMore };
}

/** Every page of a query, in order. */
export async function* suiteqlPages(client: NetSuiteClient, q: string, opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<Row[]> {
  const limit = Math.min(Math.max(1, opts.pageSize ?? SUITEQL_MAX_PAGE), SUITEQL_MAX_PAGE);
  let offset = 0;
  for (;;) {
    const page = await suiteqlPage(client, q, limit, offset, opts.signal);
    yield page.items;
    if (!page.hasMore || page.items.length === 0) return;
    offset += page.items.length;
    if (offset >= SUITEQL_MAX_RESULTS) {
      throw new NetSuiteReadError(`The query holds more than ${SUITEQL_MAX_RESULTS} results, SuiteQL's limit; read it in smaller date ranges.`, false, null);
    }
  }
}

/** A column's value as a string; a row that lacks it is an answer the API does not promise. */
export const str = (row: Row, col: string, what: string): string => {
  const v = row[col];
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number") return String(v);
  throw new NetSuiteReadError(`SuiteQL ${what} row lacks ${col}: ${JSON.stringify(row).slice(0, 200)}`, true, 200);
};
/** A column's value as a string, or null when SuiteQL left it out (null columns are omitted). */
export const opt = (row: Row, col: string): string | null => {
  const v = row[col];
  return v === undefined || v === null || v === "" ? null : String(v);
};
/** SuiteQL's booleans: 'T' / 'F'. */
export const bool = (row: Row, col: string): boolean => {
  const v = row[col];
  return v === true || v === "T" || v === "t" || v === "true";
};

function toTimeBill(row: Row): ErpTimeBill {
  return {
    erpId: str(row, "id", "timebill"),
    employeeId: str(row, "employee", "timebill"),
    jobId: str(row, "customer", "timebill"),
    itemId: str(row, "item", "timebill"),
    subsidiaryId: str(row, "subsidiary", "timebill"),
    workDate: str(row, "trandate", "timebill"),
    hours: str(row, "hours", "timebill"),
    rate: opt(row, "rate"),
    billable: bool(row, "isbillable"),
    memo: opt(row, "memo"),
    approvalStatus: opt(row, "approvalstatus"),
    invoiceId: opt(row, "invoice"),
    lastModifiedAt: opt(row, "lastmodifieddate"),
  };
}

/** Time bills dated from `from` to `to` (inclusive), optionally of one subsidiary, page by page. */
export async function* timeBillsBetween(
  client: NetSuiteClient,
  from: string,
  to: string,
  opts: { subsidiary?: string; pageSize?: number; signal?: AbortSignal } = {},
): AsyncGenerator<ErpTimeBill[]> {
  assertDay("from", from);
  assertDay("to", to);
  const where = [`trandate >= ${literal(from)}`, `trandate <= ${literal(to)}`];
  if (opts.subsidiary) where.unshift(`subsidiary = ${literal(opts.subsidiary)}`);
  const q = `SELECT id, employee, customer, item, subsidiary, trandate, hours, rate, isbillable, memo, approvalstatus, invoice, lastmodifieddate FROM timebill WHERE ${where.join(" AND ")} ORDER BY trandate, id`;
  for await (const rows of suiteqlPages(client, q, opts)) yield rows.map(toTimeBill);
}

/** Invoices dated from `from` to `to` (inclusive), each with its lines, page by page. */
export async function* invoicesBetween(client: NetSuiteClient, from: string, to: string, opts: { pageSize?: number; signal?: AbortSignal } = {}): AsyncGenerator<ErpInvoice[]> {
  assertDay("from", from);
  assertDay("to", to);
  const q = `SELECT id, tranid, entity, job, subsidiary, trandate, currency, foreigntotal, status FROM transaction WHERE type = 'CustInvc' AND trandate >= ${literal(from)} AND trandate <= ${literal(to)} ORDER BY trandate, id`;
  for await (const rows of suiteqlPages(client, q, opts)) {
    if (rows.length === 0) continue;
    const invoices = rows.map(
      (row): ErpInvoice => ({
        erpId: str(row, "id", "transaction"),
        number: str(row, "tranid", "transaction"),
        customerId: str(row, "entity", "transaction"),
        jobId: opt(row, "job"),
        subsidiaryId: str(row, "subsidiary", "transaction"),
        invoiceDate: str(row, "trandate", "transaction"),
        currency: str(row, "currency", "transaction"),
        total: str(row, "foreigntotal", "transaction"),
        status: str(row, "status", "transaction"),
        lines: [],
      }),
    );
    const byId = new Map(invoices.map((i) => [i.erpId, i]));
    const lq = `SELECT transaction, linesequencenumber, timebill, item, quantity, rate, foreignamount FROM transactionline WHERE transaction IN (${invoices.map((i) => literal(i.erpId)).join(", ")}) ORDER BY transaction, linesequencenumber`;
    for await (const lines of suiteqlPages(client, lq, { signal: opts.signal })) {
      for (const l of lines) {
        const inv = byId.get(str(l, "transaction", "transactionline"));
        if (!inv) continue;
        inv.lines.push({
          line: Number(str(l, "linesequencenumber", "transactionline")),
          timeBillId: opt(l, "timebill"),
          itemId: opt(l, "item"),
          quantity: opt(l, "quantity"),
          rate: opt(l, "rate"),
          amount: str(l, "foreignamount", "transactionline"),
        });
      }
    }
    yield invoices;
  }
}
