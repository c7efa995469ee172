/**
 * A small HTTP client for NetSuite's REST web services (`…/services/rest`) over the
 * outbound-address guard's fetch (src/server/net/outbound.ts: keep-alive connections, made
 * only to addresses that are global or on OUTBOUND_ALLOW_HOSTS, checked as each connection is
 * opened).
 *
 * - every request carries `Authorization: Bearer <token>` and JSON content;
 * - a per-request timeout (AbortSignal.timeout) is combined with the caller's signal;
 * - a FIFO semaphore keeps at most `concurrency` requests in flight, sized to the
 *   account's concurrency limit (5 on a developer account), so this process never trips
 *   NetSuite's concurrency 429 by itself;
 * - it never retries: the posting worker owns retries, backoff and dead-lettering.
 *
 * Transport failures (network error, reset, timeout, an address Hourbridge does not send to)
 * are thrown as `NetSuiteTransportError` with a short reason; every HTTP answer, whatever its
 * status, is returned as it came.
 */
import { OutboundRefusedError, outboundFetch } from "../../../server/net/outbound";

export type NetSuiteClientOptions = {
  /** e.g. https://<account>.suitetalk.api.netsuite.com/services/rest (no trailing slash) */
  baseUrl: string;
  accountId: string;
  token: string;
  /** requests in flight at once (the account's concurrency limit) */
  concurrency: number;
  /** per request, from the moment it holds a slot until its body is read */
  timeoutMs: number;
  /** injectable for tests; defaults to the outbound-address guard's fetch */
  fetch?: typeof fetch;
};

export type NetSuiteResponse = {
  status: number;
  headers: Headers;
  /** the raw body text ("" when none) */
  text: string;
};

export class NetSuiteTransportError extends Error {
  constructor(
    /**
     * "timeout" | "aborted" | "network" | "blocked" (the base URL is, or resolves to, an
     * internal address: nothing was sent, and nothing will be until the URL or
     * OUTBOUND_ALLOW_HOSTS changes)
     */
    readonly kind: "timeout" | "aborted" | "network" | "blocked",
    message: string,
  ) {
    super(message);
    this.name = "NetSuiteTransportError";
  }
}

/** A FIFO counting semaphore; waiting can be abandoned through an AbortSignal. */
export class Semaphore {
  private active = 0;
  private readonly queue: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
  /** the most ever held at once (for tests and metrics) */
  peak = 0;

  constructor(readonly size: number) {}

  get inUse(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < this.size) {
      this.take();
    } else {
      await new Promise<void>((resolve, reject) => {
        const waiter: (typeof this.queue)[number] = { resolve, reject, signal };
        if (signal) {
          waiter.onAbort = () => {
            const i = this.queue.indexOf(waiter);
            if (i >= 0) this.queue.splice(i, 1);
            reject(signal.reason);
          };
          signal.addEventListener("abort", waiter.onAbort, { once: true });
        }
        this.queue.push(waiter);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active--;
      const next = this.queue.shift();
      if (next) {
        if (next.onAbort) next.signal?.removeEventListener("abort", next.onAbort);
        this.take();
        next.resolve();
      }
    };
  }

  private take() {
    this.active++;
    if (this.active > this.peak) this.peak = this.active;
  }
}

export type RequestOptions = {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number>;
  signal?: AbortSignal;
};

export class NetSuiteClient {
  readonly baseUrl: string;
  readonly accountId: string;
  private readonly token: string;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;
  readonly slots: Semaphore;

  constructor(opts: NetSuiteClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.accountId = opts.accountId;
    this.token = opts.token;
    this.timeoutMs = opts.timeoutMs;
    this.doFetch = opts.fetch ?? outboundFetch({ what: "NetSuite's base URL" });
    this.slots = new Semaphore(opts.concurrency);
  }

  /** `path` is relative to the base URL, e.g. `/record/v1/timeBill`. */
  async request(method: string, path: string, opts: RequestOptions = {}): Promise<NetSuiteResponse> {
    const url = new URL(this.baseUrl + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Authorization: `Bearer ${this.token}`, Accept: "application/json", ...opts.headers };
    let body: string | undefined;
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(opts.body);
    }

    let release: () => void;
    try {
      release = await this.slots.acquire(opts.signal);
    } catch {
      throw new NetSuiteTransportError("aborted", `${method} ${path}: cancelled while waiting for a free connection slot`);
    }
    const timeout = AbortSignal.timeout(this.timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    try {
      // redirects are not followed: a 3xx is not an answer the API promises, and following a
      // POST's redirect could turn it into something else
      const res = await this.doFetch(url, { method, headers, body, signal, redirect: "manual" });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text };
    } catch (err) {
      if (err instanceof OutboundRefusedError) throw new NetSuiteTransportError("blocked", `${method} ${path} was not sent: ${err.message}`);
      if (timeout.aborted) throw new NetSuiteTransportError("timeout", `${method} ${path}: no answer within ${this.timeoutMs} ms`);
      if (opts.signal?.aborted) throw new NetSuiteTransportError("aborted", `${method} ${path}: cancelled by the caller`);
      throw new NetSuiteTransportError("network", `${method} ${path}: ${describeNetworkError(err)}`);
    } finally {
      release();
    }
  }
}

function describeNetworkError(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string; message?: string } };
  const cause = e.cause?.code ?? e.cause?.message;
  return [e.message ?? String(err), cause].filter(Boolean).join(" (") + (cause ? ")" : "");
}
