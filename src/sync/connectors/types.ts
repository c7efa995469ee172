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

/** A time-tracking source: yields pages of time entries, and takes reverse-sync updates. */
export interface SourceConnector {
  readonly system: "harvest" | "clockify" | "csv";
  /** pages of time entries, each with the raw payloads and their canonical readings */
  timeEntries(opts: SourcePullOptions): AsyncGenerator<SourcePage>;
  /** reverse sync: can people still log time to this source project? */
  setProjectActive(externalProjectId: string, active: boolean, signal?: AbortSignal): Promise<void>;
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

/** The ERP: posts and reverses time, and tells what it holds. */
export interface ErpConnector {
  readonly system: "netsuite";
  post(request: PostingRequest, signal?: AbortSignal): Promise<PostingOutcome>;
  /** before re-sending a posting whose outcome is unknown: is it already there? */
  findByIdempotencyKey(key: string, signal?: AbortSignal): Promise<{ erpId: string } | null>;
}

export type { CanonicalTimeEntry };
