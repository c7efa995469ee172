/**
 * What the sync engine asks of the systems around it, without any vendor's field names
 * (those stay inside each connector, CONVENTIONS habit 9).
 */
import type { CanonicalPostingRequest } from "@/server/domain/posting";
import type { CanonicalTimeEntry } from "@/server/services/entries/schemas";

/** One page of a source's time entries: what was received, and its canonical reading. */
export type SourcePage = {
  items: { payload: unknown; entry: unknown }[];
  /** the page number fetched, and whether more follow */
  page: number;
  hasMore: boolean;
};

export type SourcePullOptions = {
  /** changed at or after this instant (the cursor minus the overlap window) */
  updatedSince?: string;
  from?: string;
  to?: string;
  perPage?: number;
  /** resume a walk that stopped: the first page to fetch (default 1) */
  startPage?: number;
  signal?: AbortSignal;
};

/**
 * What "test the connection" found: whether the system answered with these credentials, a
 * sentence naming the vendor, the URL and what happened in plain words, and how long it took.
 */
export type ConnectionTest = { ok: boolean; message: string; latencyMs: number };

/** How long a connection test waits for an answer; it is never retried. */
export const CONNECTION_TEST_TIMEOUT_MS = 5_000;

/**
 * A network failure in plain words, from the error's system code (ECONNREFUSED, ENOTFOUND…)
 * or its message; null when it names none this knows.
 */
export function networkFailureInWords(text: string): string | null {
  const known: [RegExp, string][] = [
    [/ECONNREFUSED/, "connection refused"],
    [/ENOTFOUND|EAI_AGAIN|EAI_NONAME/, "no such host"],
    [/ECONNRESET|UND_ERR_SOCKET|other side closed/i, "the connection was reset"],
    [/EHOSTUNREACH|ENETUNREACH|EHOSTDOWN|ENETDOWN/, "the host cannot be reached"],
    [/ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT/, "the connection timed out"],
    [/CERT|SSL|TLS|self[- ]signed|UNABLE_TO_VERIFY/i, "its TLS certificate was not accepted"],
    [/EPROTO|wrong version number/i, "it does not speak the expected protocol (http or https?)"],
  ];
  for (const [pattern, words] of known) if (pattern.test(text)) return words;
  return null;
}

/** A time-tracking source: yields pages of time entries, and takes reverse-sync updates. */
export interface SourceConnector {
  readonly system: "harvest" | "clockify" | "csv";
  /** pages of time entries, each with the raw payloads and their canonical readings */
  timeEntries(opts: SourcePullOptions): AsyncGenerator<SourcePage>;
  /** reverse sync: can people still log time to this source project? */
  setProjectActive(externalProjectId: string, active: boolean, signal?: AbortSignal): Promise<void>;
  /**
   * One cheap authenticated read, within CONNECTION_TEST_TIMEOUT_MS and never retried. Never
   * throws for what the system answers (or fails to): the result says it. Optional only so
   * that a stand-in built for a test need not provide it; the vendor connectors all do.
   */
  testConnection?(signal?: AbortSignal): Promise<ConnectionTest>;
}

/** A canonical posting as the outbox holds it (erp_postings.request), with its key and kind. */
export type PostingRequest = CanonicalPostingRequest & {
  idempotencyKey: string;
  kind: "create" | "reverse";
  /** for a reversal: the ERP record to take back */
  erpId?: string | null;
};

/** What became of a posting: the three outcomes the posting worker acts on. */
export type PostingOutcome =
  | { kind: "accepted"; erpId: string; response: unknown }
  /** an accounting refusal: never retried blindly, it becomes an ERP_REJECTED exception */
  | { kind: "rejected"; code: string; message: string; response: unknown }
  /** worth retrying: network trouble, 5xx, 429; retryAfterMs when the ERP said how long */
  | { kind: "transient"; reason: string; retryAfterMs: number | null; status: number | null };

/** A time record as the ERP holds it (read back). Decimal values stay strings. */
export type ErpTimeRecord = {
  erpId: string;
  employeeId: string;
  jobId: string;
  itemId: string;
  subsidiaryId: string;
  workDate: string;
  hours: string;
  rate: string | null;
  billable: boolean;
  /** what the posting wrote there (the source, its id and the version: see the connector's memo) */
  memo: string | null;
  approvalStatus: string | null;
  /** the invoice that billed it, if any */
  invoiceId: string | null;
  lastModifiedAt: string | null;
};

export type ErpInvoiceLine = { line: number; timeBillId: string | null; itemId: string | null; quantity: string | null; rate: string | null; amount: string };

/** An invoice as the ERP holds it, with its lines. */
export type ErpInvoice = {
  erpId: string;
  number: string;
  customerId: string;
  jobId: string | null;
  subsidiaryId: string;
  invoiceDate: string;
  currency: string;
  total: string;
  status: string;
  lines: ErpInvoiceLine[];
};

/** Master data as the ERP holds it, by kind, in canonical shapes (ERP ids as strings). */
export type ErpMasterData = {
  subsidiaries: { erpId: string; name: string; country: string | null; currency: string | null; active: boolean };
  customers: { erpId: string; code: string | null; name: string; subsidiaryId: string | null; active: boolean };
  jobs: {
    erpId: string;
    code: string;
    name: string;
    customerId: string | null;
    subsidiaryId: string | null;
    status: "active" | "on_hold" | "closed";
    active: boolean;
    currency: string | null;
    startsOn: string | null;
    endsOn: string | null;
  };
  employees: { erpId: string; code: string | null; name: string; email: string | null; subsidiaryId: string | null; department: string | null; laborCost: string | null; active: boolean };
  items: { erpId: string; code: string; name: string; active: boolean };
  /** period as YYYY-MM */
  periods: { erpId: string; subsidiaryId: string; period: string; startsOn: string; endsOn: string; closed: boolean };
};
export type ErpMasterDataKind = keyof ErpMasterData;
export const ERP_MASTER_DATA_KINDS = ["subsidiaries", "customers", "jobs", "employees", "items", "periods"] as const satisfies readonly ErpMasterDataKind[];

export type ErpReadOptions = { subsidiary?: string; pageSize?: number; signal?: AbortSignal };

/** The ERP: posts and reverses time, and tells what it holds. */
export interface ErpConnector {
  readonly system: "netsuite";
  post(request: PostingRequest, signal?: AbortSignal): Promise<PostingOutcome>;
  /** before re-sending a posting whose outcome is unknown: is it already there? */
  findByIdempotencyKey(key: string, signal?: AbortSignal): Promise<{ erpId: string } | null>;
  /** the time records dated from `from` to `to` (inclusive), page by page */
  timeRecords(from: string, to: string, opts?: ErpReadOptions): AsyncGenerator<ErpTimeRecord[]>;
  /** the invoices dated from `from` to `to` (inclusive), each with its lines, page by page */
  invoices(from: string, to: string, opts?: ErpReadOptions): AsyncGenerator<ErpInvoice[]>;
  /** every record of one kind of master data, page by page */
  masterData<K extends ErpMasterDataKind>(kind: K, opts?: { pageSize?: number; signal?: AbortSignal }): AsyncGenerator<ErpMasterData[K][]>;
  /** as SourceConnector.testConnection: one cheap authenticated read, within 5 s, never retried */
  testConnection?(signal?: AbortSignal): Promise<ConnectionTest>;
}

export type { CanonicalTimeEntry };
