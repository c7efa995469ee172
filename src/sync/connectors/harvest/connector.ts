/**
 * The Harvest source connector (SourceConnector): time entries page by page, each payload
 * exactly as received beside its canonical reading, and reverse sync of project activity.
 */
import { CONNECTION_TEST_TIMEOUT_MS, networkFailureInWords, type ConnectionTest, type SourceConnector, type SourcePage, type SourcePullOptions } from "../types";
import { HarvestClient, type HarvestClientDeps } from "./client";
import { HARVEST_MAX_PER_PAGE, type HarvestConfig, type HarvestConfigInput } from "./config";
import { HarvestConnectorError, HarvestHttpError, HarvestTransportError } from "./errors";
import { mapTimeEntry } from "./map";

/**
 * A page, plus what tells a complete, stable walk: Harvest's count of the matching entries
 * as of this page's answer, and how many items this walk has yielded so far (this page
 * included). A walk raced with no change when the first page's `totalEntries`, the last
 * page's `totalEntries` and the last page's `received` are all equal.
 */
export type HarvestPage = SourcePage & { totalEntries: number; totalPages: number; received: number };

type TimeEntriesEnvelope = { time_entries: unknown[]; page: number; next_page: number | null; total_entries: number; total_pages: number };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const isInt = (v: unknown): v is number => typeof v === "number" && Number.isSafeInteger(v);

/** The listTimeEntries answer, checked for what the walk relies on. */
function timeEntriesEnvelope(requested: number) {
  return (json: unknown): { ok: true; value: TimeEntriesEnvelope } | { ok: false; problem: string } => {
    if (!isObj(json)) return { ok: false, problem: "the time entries answer is not an object" };
    if (!Array.isArray(json.time_entries)) return { ok: false, problem: "the time entries answer has no time_entries array" };
    const next = json.next_page;
    if (next !== null && !(isInt(next) && next > requested)) return { ok: false, problem: `next_page ${JSON.stringify(next)} does not follow page ${requested}` };
    return {
      ok: true,
      value: {
        time_entries: json.time_entries,
        page: isInt(json.page) ? json.page : requested,
        next_page: next as number | null,
        total_entries: isInt(json.total_entries) ? json.total_entries : -1,
        total_pages: isInt(json.total_pages) ? json.total_pages : -1,
      },
    };
  };
}

export type HarvestConnector = Omit<SourceConnector, "timeEntries" | "system" | "testConnection"> & {
  readonly system: "harvest";
  readonly client: HarvestClient;
  timeEntries(opts?: HarvestPullOptions): AsyncGenerator<HarvestPage>;
  testConnection(signal?: AbortSignal): Promise<ConnectionTest>;
};

/** The interface's options, plus where to resume a walk that stopped. */
export type HarvestPullOptions = SourcePullOptions & { startPage?: number };

/**
 * `timeEntries` walks GET /time_entries from `startPage` (default 1) following `next_page`
 * until it is null, fetching the next page while the caller works on the current one (one
 * page ahead, never more). On abort it sends nothing more and throws the signal's reason
 * (an AbortError): a walk that stopped early is never mistaken for a complete one.
 * Breaking out of the loop cancels the page fetched ahead.
 *
 * Harvest pages by number (the spec offers no cursor for time entries) and sorts by
 * spent_date, newest first, not by updated_at, so:
 * - the `updatedSince` cursor may only advance once the walk has reached its last page
 *   (a page's newest `updated_at` says nothing about the pages after it); to resume a walk
 *   that stopped, keep the walk's `updatedSince` and pass the next page as `startPage`;
 * - entries changed during the walk may be read twice (harmless: ingest is idempotent),
 *   and an entry deleted during the walk shifts the later pages up, so one entry can be
 *   missed: compare `totalEntries` and `received` (HarvestPage) before trusting a walk as
 *   complete, e.g. before treating an id it did not list as deleted;
 * - Harvest lists no deleted entries: every entry is `deleted: false`; deletions show only
 *   as ids missing from a complete walk over a date range (`from`/`to`).
 */
export function createHarvestConnector(config: HarvestConfigInput | HarvestConfig, deps: HarvestClientDeps = {}): HarvestConnector {
  const client = new HarvestClient(config, deps);
  const cfg = client.config;

  async function* timeEntries(opts: HarvestPullOptions = {}): AsyncGenerator<HarvestPage> {
    const perPage = opts.perPage ?? cfg.perPage;
    if (!Number.isInteger(perPage) || perPage < 1 || perPage > HARVEST_MAX_PER_PAGE) {
      throw new HarvestConnectorError(`perPage must be a whole number from 1 to ${HARVEST_MAX_PER_PAGE}, not ${perPage}.`, false, 0);
    }
    const startPage = opts.startPage ?? 1;
    if (!Number.isSafeInteger(startPage) || startPage < 1) {
      throw new HarvestConnectorError(`startPage must be a whole number from 1, not ${startPage}.`, false, 0);
    }
    opts.signal?.throwIfAborted();
    // ends the page fetched ahead when the walk ends early; follows the caller's signal
    const ahead = new AbortController();
    const signal = ahead.signal;
    const follow = () => ahead.abort(opts.signal!.reason);
    opts.signal?.addEventListener("abort", follow, { once: true });
    const fetchPage = (page: number) => {
      const p = client.request("GET", "/time_entries", {
        query: { page, per_page: perPage, updated_since: opts.updatedSince, from: opts.from, to: opts.to },
        signal,
        parse: timeEntriesEnvelope(page),
      });
      p.catch(() => {}); // awaited below, or abandoned when the walk ends early
      return p;
    };
    let received = 0;
    let pending = fetchPage(startPage);
    try {
      for (;;) {
        const body = await pending;
        const next = body.next_page;
        if (next !== null) pending = fetchPage(next);
        received += body.time_entries.length;
        yield {
          items: body.time_entries.map((payload) => ({ payload, entry: mapTimeEntry(payload) })),
          received,
          page: body.page,
          hasMore: next !== null,
          totalEntries: body.total_entries,
          totalPages: body.total_pages,
        };
        if (next === null) return;
        opts.signal?.throwIfAborted();
      }
    } finally {
      opts.signal?.removeEventListener("abort", follow);
      ahead.abort(new DOMException("the time entries walk ended", "AbortError"));
    }
  }

  async function setProjectActive(externalProjectId: string, active: boolean, signal?: AbortSignal): Promise<void> {
    if (!/^\d{1,18}$/.test(externalProjectId)) {
      throw new HarvestConnectorError(`Harvest project ids are numeric; "${externalProjectId}" is not one.`, false, 0);
    }
    await client.request("PATCH", `/projects/${externalProjectId}`, {
      body: { is_active: active },
      signal,
      parse: (json) =>
        isObj(json) && json.is_active === active
          ? { ok: true, value: undefined }
          : { ok: false, problem: `the updated project does not show is_active ${active}` },
    });
  }

  /**
   * Lists one time entry (what the connector's token must be allowed to do), through a client
   * of its own: one attempt, CONNECTION_TEST_TIMEOUT_MS, no waiting for the rate limiter of
   * the connector's other requests. What went wrong is said in plain words.
   */
  async function testConnection(signal?: AbortSignal): Promise<ConnectionTest> {
    const probe = new HarvestClient({ ...cfg, maxAttempts: 1, timeoutMs: CONNECTION_TEST_TIMEOUT_MS }, deps);
    const at = `Harvest at ${cfg.baseUrl}`;
    const started = performance.now();
    const result = (ok: boolean, message: string): ConnectionTest => ({ ok, message, latencyMs: Math.round(performance.now() - started) });
    try {
      await probe.request("GET", "/time_entries", {
        query: { per_page: 1 },
        signal,
        parse: (json) => (isObj(json) && Array.isArray(json.time_entries) ? { ok: true, value: undefined } : { ok: false, problem: "the answer has no time_entries list" }),
      });
      return result(true, `${at} answered for account ${cfg.accountId}.`);
    } catch (err) {
      if (signal?.aborted) throw err;
      return result(false, `${at} ${testFailureInWords(err, cfg.accountId)}`);
    }
  }

  const connector: HarvestConnector = { system: "harvest", client, timeEntries, setProjectActive, testConnection };
  return connector satisfies SourceConnector;
}

/** The end of "Harvest at <url> …" for a failed connection test. */
function testFailureInWords(err: unknown, accountId: string): string {
  const seconds = CONNECTION_TEST_TIMEOUT_MS / 1000;
  if (err instanceof HarvestHttpError) {
    const said = err.vendorMessage ? `: ${err.vendorMessage}` : "";
    if (err.status === 401) return `refused the access token (401)${said}`;
    if (err.status === 403) return `refused access to account ${accountId} (403)${said}`;
    if (err.status === 404) return `answered 404 (not found): is the base URL Harvest's API root, ending in /v2?`;
    if (err.status === 429) return `is limiting requests (429); try again in a minute.`;
    if (err.status >= 300 && err.status < 400) return `answered with a redirect (${err.status}): is the base URL right, and https?`;
    return `answered ${err.status}${said}`;
  }
  if (err instanceof HarvestTransportError) {
    if (err.reason === "timeout") return `did not answer within ${seconds} s.`;
    if (err.reason === "invalid_response") return `answered, but not as Harvest's API does: is the base URL Harvest's API root, ending in /v2?`;
    const cause = (err.cause as { cause?: { code?: string; message?: string } } | undefined)?.cause;
    const words = networkFailureInWords([cause?.code, cause?.message, err.message].filter(Boolean).join(" "));
    return `did not answer within ${seconds} s: ${words ?? err.message}`;
  }
  return `could not be reached: ${(err as Error)?.message ?? String(err)}`;
}
