/**
 * The NetSuite ERP connector: posts canonical time as `timeBill` records, reverses them,
 * and looks a posting up by its idempotency key.
 *
 * Outcomes (what the posting worker acts on):
 * - `accepted`  — the ERP holds the record (create) or no longer holds it (reverse);
 * - `rejected`  — an accounting or business refusal with NetSuite's error code (closed
 *                 period, project on hold or closed, unknown or inactive references, invalid
 *                 values, an invoiced time bill that cannot be deleted). Re-sending the same
 *                 request would be refused again: it becomes an ERP_REJECTED exception;
 * - `transient` — worth retrying: network errors, resets, timeouts, 5xx, 429 (with
 *                 `retryAfterMs` from `Retry-After`), authentication/configuration answers
 *                 (401/403/404 on the collection) that are not the posting's fault, and any
 *                 answer that is not what the API promises (a 2xx without a `Location`
 *                 naming a time bill, an error body that is not NetSuite's) — never a silent
 *                 success.
 *
 * This connector never retries, sleeps or backs off by itself: the posting worker owns
 * retries, backoff with jitter, `Retry-After`, the circuit breaker and dead-lettering.
 * Every create carries `X-NetSuite-Idempotency-Key`, so a retry of an attempt whose answer
 * was lost can never create a second record.
 */
import { z } from "zod";
import { masterDataPages } from "./master-data";
import { invoicesBetween, timeBillsBetween } from "./readback";
import { CONNECTION_TEST_TIMEOUT_MS, networkFailureInWords, type ConnectionTest, type ErpConnector, type PostingOutcome, type PostingRequest } from "../types";
import { NetSuiteClient, NetSuiteTransportError, type NetSuiteResponse } from "./client";
import { asyncJobFromLocation, parseNetSuiteError, retryAfterMs, timeBillIdFromLocation, toTimeBill } from "./map";

export const netSuiteConfigSchema = z
  .object({
    /** the REST root, ending in /services/rest */
    baseUrl: z
      .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
      .transform((u) => u.replace(/\/+$/, ""))
      .refine((u) => u.endsWith("/services/rest"), { message: "must end with /services/rest (e.g. https://<account>.suitetalk.api.netsuite.com/services/rest)" }),
    accountId: z.string().trim().min(1, { message: "must not be empty" }),
    /** OAuth 2.0 access token, sent as Authorization: Bearer … */
    token: z.string().min(1, { message: "must not be empty" }),
    /** requests in flight at once: the account's concurrency limit (5 on a developer account) */
    concurrency: z.number().int().min(1).max(100).default(5),
    /** per-request timeout */
    timeoutMs: z.number().int().min(1).max(600_000).default(30_000),
  })
  .strict();

export type NetSuiteConfig = z.input<typeof netSuiteConfigSchema>;

/** Parses the connector's configuration, or throws one sentence naming what is wrong. */
export function parseNetSuiteConfig(input: unknown): z.output<typeof netSuiteConfigSchema> {
  const parsed = netSuiteConfigSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const what = parsed.error.issues.map((i) => `${i.path.join(".") || "config"} ${i.message}`).join("; ");
  throw new Error(`The NetSuite connector configuration is not valid: ${what}.`);
}

/** Injectable for tests. */
export type NetSuiteDeps = { fetch?: typeof fetch; now?: () => number };

export type NetSuiteConnector = ErpConnector & {
  readonly client: NetSuiteClient;
  testConnection(signal?: AbortSignal): Promise<ConnectionTest>;
};

const TIME_BILL = "/record/v1/timeBill";

/**
 * Business refusals are 4xx answers in NetSuite's error shape, except these statuses, which
 * say something about the connection or configuration rather than the posting.
 */
const NOT_THE_POSTINGS_FAULT = new Set([401, 403, 404, 405, 407, 408, 409, 425, 429]);

/**
 * A body that is well formed but can never be booked (references no account has), sent with
 * a key only to ask "does a record already hold this key?". See `findByIdempotencyKey`.
 */
const PROBE_REF = "hourbridge-idempotency-probe";
const PROBE_BODY = {
  employee: { id: PROBE_REF },
  customer: { id: PROBE_REF },
  item: { id: PROBE_REF },
  hours: 0.01,
  tranDate: "1970-01-01",
  isBillable: false,
  memo: "Hourbridge idempotency lookup (never booked)",
};

export class NetSuiteLookupError extends Error {
  constructor(
    message: string,
    readonly outcome: Extract<PostingOutcome, { kind: "transient" }>,
  ) {
    super(message);
    this.name = "NetSuiteLookupError";
  }
}

export function createNetSuiteConnector(config: NetSuiteConfig, deps: NetSuiteDeps = {}): NetSuiteConnector {
  const cfg = parseNetSuiteConfig(config);
  const now = deps.now ?? Date.now;
  const client = new NetSuiteClient({ ...cfg, fetch: deps.fetch });

  const transient = (reason: string, status: number | null, retryAfter: number | null = null): PostingOutcome => ({ kind: "transient", reason, retryAfterMs: retryAfter, status });

  /** Any non-2xx answer, classified. */
  const classifyError = (res: NetSuiteResponse, what: string): PostingOutcome => {
    const retry = retryAfterMs(res.headers.get("retry-after"), now());
    const err = parseNetSuiteError(res.text);
    const described = err ? `${err.code}: ${err.detail}` : "no NetSuite error body";
    if (res.status === 429) return transient(`${what}: rate or concurrency limit (429, ${described})`, 429, retry);
    if (res.status >= 500) return transient(`${what}: NetSuite answered ${res.status} (${described})`, res.status, retry);
    if (res.status >= 400 && res.status < 500) {
      if (!err) return transient(`${what}: NetSuite answered ${res.status} with a body that is not its error format`, res.status, retry);
      if (NOT_THE_POSTINGS_FAULT.has(res.status)) return transient(`${what}: NetSuite answered ${res.status} ${described}`, res.status, retry);
      return { kind: "rejected", code: err.code, message: err.detail || err.title || err.code, response: { status: res.status, body: safeJson(res.text) } };
    }
    return transient(`${what}: unexpected HTTP status ${res.status}`, res.status, retry);
  };

  const transportOutcome = (err: unknown): PostingOutcome => {
    if (err instanceof NetSuiteTransportError) return transient(err.message, null);
    throw err;
  };

  /**
   * A 400 IDEMPOTENCY_ERROR means the key was already used: the original request's record
   * is the answer. Its `Location` names either the time bill or the async job that made it.
   */
  const resolveUsedKey = async (res: NetSuiteResponse, key: string, signal?: AbortSignal): Promise<PostingOutcome> => {
    const location = res.headers.get("location") ?? urlIn(parseNetSuiteError(res.text)?.detail ?? "");
    const direct = timeBillIdFromLocation(location);
    if (direct) return { kind: "accepted", erpId: direct, response: { status: res.status, location, idempotentReplay: true } };
    const job = asyncJobFromLocation(location);
    if (!job) return transient(`key ${key} was already used (IDEMPOTENCY_ERROR) but the answer names no record or job to resolve it to`, res.status);
    let task: NetSuiteResponse;
    try {
      task = await client.request("GET", `/async/v1/job/${encodeURIComponent(job)}/task/1/result`, { signal });
    } catch (err) {
      return transportOutcome(err);
    }
    if (task.status >= 200 && task.status < 300) {
      const id = timeBillIdFromLocation(task.headers.get("location"));
      if (id) return { kind: "accepted", erpId: id, response: { status: task.status, location: task.headers.get("location"), idempotentReplay: true, asyncJob: job } };
      return transient(`the async job ${job} that holds key ${key} answered ${task.status} without a time bill Location`, task.status);
    }
    if (task.status === 404) return transient(`the async job ${job} that holds key ${key} has no result yet`, 404);
    return classifyError(task, `async job ${job} result`);
  };

  const create = async (request: PostingRequest, signal?: AbortSignal): Promise<PostingOutcome> => {
    let body;
    try {
      body = toTimeBill(request);
    } catch (err) {
      return { kind: "rejected", code: "INVALID_POSTING", message: (err as Error).message, response: null };
    }
    let res: NetSuiteResponse;
    try {
      res = await client.request("POST", TIME_BILL, { body, headers: { "X-NetSuite-Idempotency-Key": request.idempotencyKey }, signal });
    } catch (err) {
      return transportOutcome(err);
    }
    if (res.status >= 200 && res.status < 300) {
      const location = res.headers.get("location");
      const erpId = timeBillIdFromLocation(location);
      if (erpId) return { kind: "accepted", erpId, response: { status: res.status, location } };
      return transient(`create answered ${res.status} without a Location naming the new time bill (got ${location === null ? "none" : JSON.stringify(location)})`, res.status);
    }
    if (res.status === 400 && parseNetSuiteError(res.text)?.code === "IDEMPOTENCY_ERROR") return resolveUsedKey(res, request.idempotencyKey, signal);
    return classifyError(res, "create timeBill");
  };

  /**
   * Reversal = DELETE of the time bill. A 404 NONEXISTENT_ID counts as accepted: the aim of
   * a reversal is that the ERP no longer holds the record, and a retry after a lost 204 (or
   * a record someone deleted in NetSuite) finds it gone. The outcome's response says so
   * (`alreadyGone: true`). An invoiced time bill (THIS_RECORD_CANNOT_BE_DELETED) or one in a
   * closed period is rejected.
   */
  const reverse = async (request: PostingRequest, signal?: AbortSignal): Promise<PostingOutcome> => {
    if (!request.erpId) return { kind: "rejected", code: "MISSING_ERP_ID", message: "A reversal needs the ERP id of the time bill to take back.", response: null };
    let res: NetSuiteResponse;
    try {
      res = await client.request("DELETE", `${TIME_BILL}/${encodeURIComponent(request.erpId)}`, { signal });
    } catch (err) {
      return transportOutcome(err);
    }
    if (res.status >= 200 && res.status < 300) return { kind: "accepted", erpId: request.erpId, response: { status: res.status } };
    if (res.status === 404 && parseNetSuiteError(res.text)?.code === "NONEXISTENT_ID") {
      return { kind: "accepted", erpId: request.erpId, response: { status: 404, alreadyGone: true, body: safeJson(res.text) } };
    }
    return classifyError(res, `delete timeBill ${request.erpId}`);
  };

  /**
   * A SuiteQL read of one subsidiary id, through a client of its own (one request in flight,
   * CONNECTION_TEST_TIMEOUT_MS, never retried), so a test neither waits behind the outbox's
   * requests nor takes one of its slots. What went wrong is said in plain words.
   */
  const testConnection = async (signal?: AbortSignal): Promise<ConnectionTest> => {
    const probe = new NetSuiteClient({ ...cfg, concurrency: 1, timeoutMs: CONNECTION_TEST_TIMEOUT_MS, fetch: deps.fetch });
    const at = `NetSuite at ${cfg.baseUrl}`;
    const started = performance.now();
    const result = (ok: boolean, message: string): ConnectionTest => ({ ok, message, latencyMs: Math.round(performance.now() - started) });
    let res: NetSuiteResponse;
    try {
      res = await probe.request("POST", "/query/v1/suiteql", { body: { q: "SELECT id FROM subsidiary" }, query: { limit: 1 }, headers: { Prefer: "transient" }, signal });
    } catch (err) {
      if (!(err instanceof NetSuiteTransportError) || err.kind === "aborted") throw err;
      const seconds = CONNECTION_TEST_TIMEOUT_MS / 1000;
      if (err.kind === "timeout") return result(false, `${at} did not answer within ${seconds} s.`);
      return result(false, `${at} did not answer within ${seconds} s: ${networkFailureInWords(err.message) ?? err.message}`);
    }
    if (res.status === 200 && Array.isArray((safeJson(res.text) as { items?: unknown } | null)?.items)) {
      return result(true, `${at} answered for account ${cfg.accountId}.`);
    }
    const e = parseNetSuiteError(res.text);
    /** "(401 INVALID_LOGIN): Invalid login attempt…" */
    const said = (status: number) => `(${status}${e ? ` ${e.code}` : ""})${e && (e.detail || e.title) ? `: ${e.detail || e.title}` : "."}`;
    if (res.status === 401) return result(false, `${at} refused the access token ${said(401)}`);
    if (res.status === 403) return result(false, `${at} refused access for account ${cfg.accountId} ${said(403)}`);
    if (res.status === 404) return result(false, `${at} answered 404 (not found): is the base URL NetSuite's REST root, ending in /services/rest?`);
    if (res.status === 429) return result(false, `${at} is at its request limit ${said(429)} Try again in a minute.`);
    if (res.status >= 300 && res.status < 400) return result(false, `${at} answered with a redirect (${res.status}): is the base URL right, and https?`);
    if (res.status === 200) return result(false, `${at} answered, but not as NetSuite's REST API does: is the base URL NetSuite's REST root?`);
    return result(false, `${at} answered with an error ${said(res.status)}`);
  };

  return {
    system: "netsuite",
    client,
    testConnection,
    timeRecords: (from, to, opts) => timeBillsBetween(client, from, to, opts),
    invoices: (from, to, opts) => invoicesBetween(client, from, to, opts),
    masterData: (kind, opts) => masterDataPages(client, kind, opts),
    post(request, signal) {
      return request.kind === "reverse" ? reverse(request, signal) : create(request, signal);
    },

    /**
     * Is there already a time bill made with this key?
     *
     * NetSuite's SuiteQL `timebill` table (as the simulator exposes it) carries neither the
     * idempotency key nor an external id, so the lookup cannot be a read-only query. Instead
     * it re-sends the key with a body that can never be booked (references no account has):
     * - a used key answers the ORIGINAL record's Location whatever the repeat's body
     *   (synchronous create) or 400 IDEMPOTENCY_ERROR naming it (async) → `{ erpId }`;
     * - an unused key goes on to the business checks, which refuse the probe
     *   (INVALID_KEY_OR_REF) → nothing is created and the key stays unused → `null`.
     * If a server ever checked references before the key, the probe would say `null` for a
     * used key; that is still safe, because the worker's re-post carries the same key and a
     * repeated key never creates a second record.
     * Anything that does not settle the question (network, 5xx, 429, an odd answer) throws
     * `NetSuiteLookupError` carrying a transient outcome: "unknown" is not "not found".
     */
    async findByIdempotencyKey(key, signal) {
      let res: NetSuiteResponse;
      try {
        res = await client.request("POST", TIME_BILL, { body: PROBE_BODY, headers: { "X-NetSuite-Idempotency-Key": key }, signal });
      } catch (err) {
        const o = transportOutcome(err) as Extract<PostingOutcome, { kind: "transient" }>;
        throw new NetSuiteLookupError(`Looking up key ${key} failed: ${o.reason}`, o);
      }
      if (res.status >= 200 && res.status < 300) {
        const erpId = timeBillIdFromLocation(res.headers.get("location"));
        if (erpId) return { erpId };
        const o = transient(`lookup of key ${key} answered ${res.status} without a time bill Location`, res.status) as Extract<PostingOutcome, { kind: "transient" }>;
        throw new NetSuiteLookupError(o.reason, o);
      }
      const err = parseNetSuiteError(res.text);
      if (res.status === 400 && err?.code === "IDEMPOTENCY_ERROR") {
        const o = await resolveUsedKey(res, key, signal);
        if (o.kind === "accepted") return { erpId: o.erpId };
        if (o.kind === "rejected") return null; // the original request with this key was refused: no record holds it
        throw new NetSuiteLookupError(`Looking up key ${key} failed: ${o.reason}`, o);
      }
      const o = classifyError(res, `lookup of key ${key}`);
      if (o.kind === "rejected") return null; // the probe was refused on its merits: the key holds no record
      throw new NetSuiteLookupError(`Looking up key ${key} failed: ${(o as { reason: string }).reason}`, o as Extract<PostingOutcome, { kind: "transient" }>);
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 2000);
  }
}

function urlIn(text: string): string | null {
  const m = /https?:\/\/[^\s"'<>]+[^\s"'<>.,;)]/.exec(text);
  return m ? m[0] : null;
}
