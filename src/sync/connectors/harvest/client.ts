/**
 * An HTTP client for the Harvest API v2 (../shared/specs/harvest-openapi.yaml) over the
 * outbound-address guard's fetch (src/server/net/outbound.ts: keep-alive connections, made
 * only to addresses that are global or on OUTBOUND_ALLOW_HOSTS, checked as each connection is
 * opened; a refused address fails the request at once, without a retry, and reaches no
 * socket). Per request: a timeout combined with the caller's signal; at most `concurrency`
 * requests in flight; Harvest's 100 requests per 15 s kept client-side and a 429's
 * Retry-After waited out; network errors, timeouts, 5xx and answers that are not what the API
 * promises retried with exponential backoff and full jitter up to `maxAttempts`; any other
 * 4xx fails at once with Harvest's own message, and a 3xx saying where it redirects (never
 * followed).
 */
import { OutboundRefusedError, outboundFetch } from "../../../server/net/outbound";
import { parseHarvestConfig, type HarvestConfig, type HarvestConfigInput } from "./config";
import { HarvestConnectorError, HarvestHttpError, HarvestTransportError } from "./errors";
import { realSleep, Semaphore, SlidingWindowLimiter, type Clock, type Sleep } from "./limits";

export type HarvestClientDeps = {
  /** defaults to the outbound-address guard's fetch */
  fetch?: typeof fetch;
  /** milliseconds, for the rate limiter and Retry-After (defaults to Date.now) */
  now?: Clock;
  /** every wait goes through it: backoff, Retry-After, the rate limiter (defaults to a timer) */
  sleep?: Sleep;
  /** [0, 1), for the backoff's jitter */
  random?: () => number;
  /** one structured line per retry or wait, for the run's log */
  onEvent?: (event: HarvestClientEvent) => void;
};

export type HarvestClientEvent = {
  kind: "retry" | "rate_limited";
  method: string;
  path: string;
  attempt: number;
  reason: string;
  status: number | null;
  waitMs: number;
};

export type RequestOptions<T> = {
  query?: Record<string, string | number | boolean | undefined | null>;
  body?: unknown;
  signal?: AbortSignal;
  /** checks the answer's shape: returns the value, or a sentence saying what is wrong */
  parse: (json: unknown) => { ok: true; value: T } | { ok: false; problem: string };
};

type Attempt<T> =
  | { kind: "ok"; value: T }
  | { kind: "transient"; reason: "network" | "timeout" | "invalid_response" | "server_error"; detail: string; status: number | null; retryAfterMs: number | null; cause?: unknown }
  | { kind: "rate_limited"; retryAfterMs: number | null; message: string }
  | { kind: "refused"; status: number; message: string }
  | { kind: "blocked"; message: string; cause: OutboundRefusedError };

/** Retry-After: delta-seconds or an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null, now: number): number | null {
  if (value === null || value.trim() === "") return null;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Harvest's words from an error body: `message` (Error schema) or `error_description` (OAuth). */
function vendorMessage(text: string, statusText: string): string {
  try {
    const j = JSON.parse(text) as Record<string, unknown>;
    for (const k of ["message", "error_description", "error"]) if (typeof j?.[k] === "string" && j[k]) return j[k] as string;
  } catch {
    /* not JSON */
  }
  return text.trim().slice(0, 300) || statusText || "no message";
}

function describe(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e?.cause?.code ?? e?.cause?.message;
  return [e?.message ?? String(err), cause].filter(Boolean).join(": ");
}

/** An attempt's signal: aborts with the caller's signal or after `timeoutMs`; `done()` unlinks both. */
function linkedAbort(parent: AbortSignal | undefined, timeoutMs: number) {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort(new DOMException(`no answer within ${timeoutMs} ms`, "TimeoutError"));
  }, timeoutMs);
  const onAbort = () => ac.abort(parent!.reason);
  if (parent?.aborted) onAbort();
  else parent?.addEventListener("abort", onAbort, { once: true });
  return {
    signal: ac.signal,
    timedOut: () => timedOut,
    done: () => {
      clearTimeout(timer);
      parent?.removeEventListener("abort", onAbort);
    },
  };
}

export class HarvestClient {
  readonly config: HarvestConfig;
  private readonly fetch: typeof fetch;
  private readonly now: Clock;
  private readonly sleep: Sleep;
  private readonly random: () => number;
  private readonly onEvent: (e: HarvestClientEvent) => void;
  private readonly slots: Semaphore;
  private readonly limiter: SlidingWindowLimiter;

  constructor(config: HarvestConfigInput | HarvestConfig, deps: HarvestClientDeps = {}) {
    this.config = parseHarvestConfig(config);
    this.fetch = deps.fetch ?? outboundFetch({ what: "Harvest's base URL" });
    this.now = deps.now ?? Date.now;
    this.sleep = deps.sleep ?? realSleep;
    this.random = deps.random ?? Math.random;
    this.onEvent = deps.onEvent ?? (() => {});
    this.slots = new Semaphore(this.config.concurrency);
    this.limiter = new SlidingWindowLimiter(this.config.rateLimit.max, this.config.rateLimit.windowMs, this.now, this.sleep);
  }

  /** requests in flight right now */
  get inFlight(): number {
    return this.slots.inFlight;
  }

  /** Full jitter: a random wait in [0, min(max, base · 2^(n-1))). */
  backoffMs(failures: number): number {
    const { baseMs, maxMs } = this.config.backoff;
    return Math.floor(this.random() * Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1)));
  }

  async request<T>(method: "GET" | "PATCH" | "POST" | "PUT" | "DELETE", path: string, opts: RequestOptions<T>): Promise<T> {
    const url = new URL(this.config.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined && v !== null) url.searchParams.set(k, String(v));
    const label = path;
    // a POST whose answer was lost may have taken effect: never re-send it blindly
    const idempotent = method !== "POST";
    const { maxAttempts } = this.config;
    let failures = 0;
    let waits = 0;
    for (;;) {
      opts.signal?.throwIfAborted();
      const a = await this.attempt(method, url, opts);
      const attempts = failures + waits + 1;
      if (a.kind === "ok") return a.value;
      if (a.kind === "refused") throw new HarvestHttpError(method, label, a.status, a.message, false, attempts);
      // an address Hourbridge does not send to: trying again changes nothing until the URL does
      if (a.kind === "blocked") throw new HarvestConnectorError(`Harvest ${method} ${label} was not sent: ${a.message}`, false, attempts, { cause: a.cause });
      if (a.kind === "rate_limited") {
        waits += 1;
        const waitMs = a.retryAfterMs ?? this.backoffMs(waits);
        if (waits >= maxAttempts || waitMs > this.config.maxRetryAfterMs) {
          throw new HarvestHttpError(method, label, 429, a.message, true, attempts, waitMs);
        }
        // nobody else sends either until Harvest's window has moved on
        this.limiter.pauseUntil(this.now() + waitMs);
        this.onEvent({ kind: "rate_limited", method, path: label, attempt: attempts, reason: a.message, status: 429, waitMs });
        await this.sleep(waitMs, opts.signal);
        continue;
      }
      failures += 1;
      const ambiguous = a.reason === "network" || a.reason === "timeout";
      if (failures >= maxAttempts || (ambiguous && !idempotent)) {
        if (a.reason === "server_error") throw new HarvestHttpError(method, label, a.status!, a.detail, true, attempts, a.retryAfterMs);
        throw new HarvestTransportError(method, label, a.reason, a.detail, attempts, a.cause);
      }
      const waitMs = Math.max(a.retryAfterMs ?? 0, this.backoffMs(failures));
      if (a.retryAfterMs !== null && a.retryAfterMs > this.config.maxRetryAfterMs) {
        throw new HarvestHttpError(method, label, a.status ?? 503, a.detail, true, attempts, a.retryAfterMs);
      }
      this.onEvent({ kind: "retry", method, path: label, attempt: attempts, reason: `${a.reason}: ${a.detail}`, status: a.status, waitMs });
      await this.sleep(waitMs, opts.signal);
    }
  }

  private async attempt<T>(method: string, url: URL, opts: RequestOptions<T>): Promise<Attempt<T>> {
    const release = await this.slots.acquire(opts.signal);
    let returnToken: (() => void) | undefined;
    let attempt: ReturnType<typeof linkedAbort> | undefined;
    try {
      returnToken = await this.limiter.acquire(opts.signal);
      // the caller's signal and this attempt's timeout, combined by hand and unlinked when the
      // attempt ends: AbortSignal.any() keeps every composite alive as long as a long-lived
      // caller signal lives (nodejs/node#54614, #55351)
      attempt = linkedAbort(opts.signal, this.config.timeoutMs);
      const { signal, timedOut } = attempt;
      const headers: Record<string, string> = {
        Authorization: `Bearer ${this.config.token}`,
        "Harvest-Account-Id": this.config.accountId,
        "User-Agent": this.config.userAgent,
        Accept: "application/json",
      };
      if (opts.body !== undefined) headers["Content-Type"] = "application/json";
      let res: Response;
      let text: string;
      try {
        res = await this.fetch(url, {
          method,
          headers,
          body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
          signal,
          redirect: "manual",
        });
        text = await res.text();
        attempt.done();
      } catch (err) {
        attempt.done();
        // the caller's abort is not a failure to retry: it ends the request
        if (opts.signal?.aborted) throw opts.signal.reason;
        if (err instanceof OutboundRefusedError) return { kind: "blocked", message: err.message, cause: err };
        if (timedOut()) return { kind: "transient", reason: "timeout", detail: `no answer within ${this.config.timeoutMs} ms`, status: null, retryAfterMs: null, cause: err };
        return { kind: "transient", reason: "network", detail: describe(err), status: null, retryAfterMs: null, cause: err };
      }
      const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), this.now());
      if (res.status === 429) return { kind: "rate_limited", retryAfterMs, message: vendorMessage(text, res.statusText) };
      if (res.status >= 500) return { kind: "transient", reason: "server_error", detail: vendorMessage(text, res.statusText), status: res.status, retryAfterMs };
      if (res.status >= 300 && res.status < 400) {
        const location = res.headers.get("location");
        return { kind: "refused", status: res.status, message: `a redirect${location ? ` to ${location.slice(0, 300)}` : ""}, which Hourbridge does not follow` };
      }
      if (res.status < 200 || res.status >= 300) return { kind: "refused", status: res.status, message: vendorMessage(text, res.statusText) };
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        return { kind: "transient", reason: "invalid_response", detail: `the ${res.status} answer is not JSON (${text.length} bytes)`, status: res.status, retryAfterMs: null };
      }
      const parsed = opts.parse(json);
      if (!parsed.ok) return { kind: "transient", reason: "invalid_response", detail: parsed.problem, status: res.status, retryAfterMs: null };
      return { kind: "ok", value: parsed.value };
    } finally {
      attempt?.done();
      returnToken?.();
      release();
    }
  }
}
