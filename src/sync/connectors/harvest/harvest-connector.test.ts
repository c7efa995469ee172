/**
 * The Harvest connector over real HTTP against the Harvest simulator (in-process, port 0),
 * with the simulator's fault injector for 5xx, 429, timeouts and resets. Waits go through
 * an injected sleep on a fake clock, so backoff and Retry-After cost no real time.
 */
import type { Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { close, freshSqlDatabase, listen } from "../../../../test/http";
import { canonicalTimeEntry, describeIssues } from "@/server/services/entries/schemas";
import { FaultInjector, NO_FAULTS, faultConfig, type FaultConfig } from "@/simulators/shared/faults";
import { createHarvestSimulator } from "@/simulators/harvest/server";
import { seedIfEmpty, type SeedOptions } from "@/simulators/harvest/store";
import { HarvestClient, type HarvestClientDeps, type HarvestClientEvent } from "./client";
import { parseHarvestConfig, type HarvestConfigInput } from "./config";
import { createHarvestConnector, type HarvestConnector, type HarvestPage, type HarvestPullOptions } from "./connector";
import { HarvestConnectorError, HarvestHttpError } from "./errors";
import { hoursString, mapTimeEntry, rateString } from "./map";

const OPTS: SeedOptions = { seed: 42, consultants: 20, projects: 15, months: 2, endDate: "2026-11-18" };
const ACCOUNT = "100001";
const TOKEN = "test-token";
const PER_PAGE = 250;

type Payload = Record<string, any> & { id: number };
type Db = Awaited<ReturnType<typeof freshSqlDatabase>>;

let db: Db;
let server: Server;
let base: string;
const faults = new FaultInjector();
/** id → payload, from a clean pull (the reference every faulty pull must reproduce) */
let reference: Map<number, Payload>;

/** A fake clock whose sleep moves time on at once, recording every wait. */
function fakeTime(start = Date.UTC(2026, 10, 20)) {
  let t = start;
  const sleeps: number[] = [];
  return {
    now: () => t,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      t += Math.max(0, ms);
      await Promise.resolve();
    },
    sleeps,
  };
}

/** Counts what actually leaves the client (and when, on the fake clock). */
function countingFetch(now: () => number) {
  const sent: { at: number; url: string; method: string }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const f: typeof fetch = async (input, init) => {
    sent.push({ at: now(), url: String(input), method: init?.method ?? "GET" });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      return await fetch(input, init);
    } finally {
      inFlight -= 1;
    }
  };
  return { fetch: f, sent, maxInFlight: () => maxInFlight };
}

function connector(config: Partial<HarvestConfigInput> = {}, deps: HarvestClientDeps = {}) {
  const time = fakeTime();
  const events: HarvestClientEvent[] = [];
  const counting = countingFetch(time.now);
  const c = createHarvestConnector(
    { baseUrl: `${base}/v2`, accountId: ACCOUNT, token: TOKEN, userAgent: "Hourbridge tests (ops@example.com)", perPage: PER_PAGE, timeoutMs: 5_000, maxAttempts: 10, ...config },
    { now: time.now, sleep: time.sleep, random: () => 0.5, fetch: counting.fetch, onEvent: (e) => events.push(e), ...deps },
  );
  return { c, time, events, sent: counting.sent, maxInFlight: counting.maxInFlight };
}

async function pull(c: HarvestConnector, opts: HarvestPullOptions = {}): Promise<HarvestPage[]> {
  const pages: HarvestPage[] = [];
  for await (const page of c.timeEntries(opts)) pages.push(page);
  return pages;
}

const byId = (pages: HarvestPage[]) => {
  const m = new Map<number, Payload>();
  for (const p of pages) for (const it of p.items) m.set((it.payload as Payload).id, it.payload as Payload);
  return m;
};
const ids = (pages: HarvestPage[]) => pages.flatMap((p) => p.items.map((it) => (it.payload as Payload).id));

const setFaults = (f: Partial<FaultConfig>) => faults.set(faultConfig.parse(f));

beforeAll(async () => {
  db = await freshSqlDatabase(4);
  await seedIfEmpty(db.sql, OPTS);
  server = createHarvestSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, faults, rateLimit: { max: 100_000, windowMs: 15_000 }, seed: OPTS.seed });
  base = await listen(server);
});
afterEach(() => faults.set(NO_FAULTS));
afterAll(async () => {
  if (server) await close(server);
  await db?.drop();
});

describe("full pull", () => {
  it("returns every time entry the simulator holds, once each, across pages, each a valid canonical entry", async () => {
    const { c, sent } = connector();
    let connections = 0;
    const count = () => (connections += 1);
    server.on("connection", count);
    const pages = await pull(c).finally(() => server.off("connection", count));
    const rows = await db.sql<{ id: number; body: Payload }[]>`select id::float8 as id, body from sim_harvest.time_entries`;

    expect(pages.length).toBeGreaterThan(3);
    expect(pages.map((p) => p.page)).toEqual(pages.map((_, i) => i + 1));
    expect(pages.map((p) => p.hasMore)).toEqual(pages.map((_, i) => i < pages.length - 1));
    expect(pages[0]!.totalEntries).toBe(rows.length);
    expect(sent).toHaveLength(pages.length);
    // keep-alive: the pages share a connection or two (the walk fetches one page ahead)
    expect(connections).toBeLessThanOrEqual(2);
    expect([pages.at(-1)!.received, pages.at(-1)!.totalEntries]).toEqual([rows.length, rows.length]);

    const got = ids(pages);
    expect(new Set(got).size).toBe(got.length);
    expect([...got].sort((a, b) => a - b)).toEqual(rows.map((r) => Number(r.id)).sort((a, b) => a - b));

    // the payload exactly as the simulator holds it
    const bodies = new Map(rows.map((r) => [Number(r.id), r.body]));
    for (const p of pages) for (const it of p.items) expect(it.payload).toEqual(bodies.get((it.payload as Payload).id));

    for (const p of pages)
      for (const it of p.items) {
        const parsed = canonicalTimeEntry.safeParse(it.entry);
        expect(parsed.success, parsed.success ? "" : describeIssues(parsed.error)).toBe(true);
      }
    reference = byId(pages);
  });

  it("resumes a walk from startPage", async () => {
    const { c } = connector();
    const all = await pull(c);
    const rest = await pull(c, { startPage: 3 });
    expect(rest.map((p) => p.page)).toEqual(all.slice(2).map((p) => p.page));
    expect(ids(rest)).toEqual(ids(all.slice(2)));
  });

  it("maps a closed and an open entry field by field", async () => {
    const items = [...reference.values()];
    const closed = items.find((p) => p.is_closed && p.billable_rate !== null && p.hours % 1 !== 0)!;
    const open = items.find((p) => !p.is_closed)!;
    expect(closed && open).toBeTruthy();

    const e = canonicalTimeEntry.parse(mapTimeEntry(closed));
    expect(e).toMatchObject({
      sourceId: String(closed.id),
      sourceUserId: String(closed.user.id),
      sourceProjectId: String(closed.project.id),
      sourceTaskId: String(closed.task.id),
      workDate: closed.spent_date,
      billable: closed.billable,
      notes: closed.notes,
      status: "approved",
      approvedAt: closed.updated_at,
      sourceCurrency: closed.client.currency,
      deleted: false,
    });
    expect(e.hours).toMatch(/^\d+\.\d{2}$/);
    expect(Number(e.hours)).toBe(closed.hours);
    expect(e.sourceBillRate).toBe(closed.billable_rate.toFixed(2));

    const o = canonicalTimeEntry.parse(mapTimeEntry(open));
    expect([o.status, o.approvedAt]).toEqual(["submitted", null]);
  });

  it("turns Harvest's numbers into exact decimals (no float artefacts), hours rounded half-up", () => {
    expect(hoursString(0.1 + 0.2)).toBe("0.30");
    expect(hoursString(1.005)).toBe("1.01");
    expect(hoursString(2.675)).toBe("2.68");
    expect(hoursString(7)).toBe("7.00");
    expect(hoursString(1.234)).toBe("1.23");
    expect(rateString(150)).toBe("150.00");
    expect(rateString(99.5)).toBe("99.50");
    // a rate with more precision is kept as it is, for the schema to refuse (never silently changed)
    expect(rateString(99.999)).toBe("99.999");
  });
});

describe("bad input", () => {
  it("a payload without project yields an entry the canonical schema refuses, naming the field", () => {
    const payload = { ...reference.values().next().value! };
    delete (payload as Record<string, unknown>).project;
    const parsed = canonicalTimeEntry.safeParse(mapTimeEntry(payload));
    expect(parsed.success).toBe(false);
    expect(describeIssues(parsed.error!)).toContain("sourceProjectId: project id is missing");

    for (const bad of [null, "nope", 42, []]) expect(canonicalTimeEntry.safeParse(mapTimeEntry(bad)).success).toBe(false);
    const noHours = canonicalTimeEntry.safeParse(mapTimeEntry({ ...reference.values().next().value!, hours: "lots" }));
    expect(describeIssues(noHours.error!)).toContain("hours: hours must be a decimal number");
  });

  it("a page with a malformed record still yields every record, the bad one refused by the schema", async () => {
    let spoiled = 0;
    const spoiling: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      const body = (await res.json()) as { time_entries: Payload[] };
      if (new URL(String(input)).searchParams.get("page") === "2") {
        delete (body.time_entries[3] as Record<string, unknown>).project;
        spoiled += 1;
      }
      return new Response(JSON.stringify(body), { status: res.status, headers: res.headers });
    };
    const { c } = connector({}, { fetch: spoiling });
    const pages = await pull(c);
    expect(spoiled).toBe(1);
    expect(ids(pages)).toHaveLength(reference.size);
    const refused = pages.flatMap((p) => p.items).filter((it) => !canonicalTimeEntry.safeParse(it.entry).success);
    expect(refused).toHaveLength(1);
    expect((refused[0]!.payload as Record<string, unknown>).project).toBeUndefined();
  });
});

describe("faults", () => {
  it("30% 5xx still yields the full, identical set", async () => {
    setFaults({ serverErrorRate: 0.3, seed: 11 });
    const { c, events, time } = connector();
    const pages = await pull(c);
    expect(faults.counts.server_error).toBeGreaterThan(0);
    expect(byId(pages)).toEqual(reference);
    expect(ids(pages)).toHaveLength(reference.size);
    expect(events.filter((e) => e.kind === "retry").length).toBe(faults.counts.server_error);
    // full jitter with random() = 0.5: half of min(max, base·2^(n-1)), base 500 ms
    expect(time.sleeps.length).toBe(faults.counts.server_error);
    expect(time.sleeps.every((ms) => [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000].includes(ms))).toBe(true);
  });

  it("a 429 with Retry-After is waited out, then the request is sent again", async () => {
    setFaults({ rateLimitRate: 0.4, retryAfterSeconds: 7, seed: 5 });
    const { c, events, time } = connector();
    const pages = await pull(c);
    expect(faults.counts.rate_limit).toBeGreaterThan(0);
    expect(byId(pages)).toEqual(reference);
    const waits = events.filter((e) => e.kind === "rate_limited");
    expect(waits).toHaveLength(faults.counts.rate_limit);
    expect(waits.every((w) => w.waitMs === 7_000 && w.status === 429)).toBe(true);
    expect(time.sleeps.filter((ms) => ms === 7_000).length).toBeGreaterThanOrEqual(waits.length);
  });

  it("timeouts are retried", async () => {
    setFaults({ timeoutRate: 0.25, seed: 3 });
    const { c, events } = connector({ timeoutMs: 300 });
    const pages = await pull(c);
    expect(faults.counts.timeout).toBeGreaterThan(0);
    expect(byId(pages)).toEqual(reference);
    expect(events.filter((e) => e.reason.startsWith("timeout")).length).toBeGreaterThan(0);
  });

  it("connection resets are retried", async () => {
    setFaults({ resetRate: 0.3, seed: 4 });
    const { c, events } = connector();
    const pages = await pull(c);
    expect(faults.counts.reset).toBeGreaterThan(0);
    expect(byId(pages)).toEqual(reference);
    expect(events.filter((e) => e.reason.startsWith("network")).length).toBe(faults.counts.reset);
  });

  it("an answer that is not what the API promises (truncated, wrong shape) is retried, never taken as success", async () => {
    let spoiled = 0;
    const spoiling: typeof fetch = async (input, init) => {
      const page = new URL(String(input)).searchParams.get("page");
      if (page === "2" && spoiled === 0) {
        spoiled += 1;
        return new Response('{"time_entries": [{"id": 1', { status: 200, headers: { "Content-Type": "application/json" } });
      }
      if (page === "3" && spoiled === 1) {
        spoiled += 1;
        return new Response(JSON.stringify({ entries: [] }), { status: 200, headers: { "Content-Type": "application/json" } });
      }
      return fetch(input, init);
    };
    const { c, events } = connector({}, { fetch: spoiling });
    const pages = await pull(c);
    expect(spoiled).toBe(2);
    expect(byId(pages)).toEqual(reference);
    expect(events.map((e) => e.reason)).toEqual([
      expect.stringMatching(/^invalid_response: the 200 answer is not JSON/),
      expect.stringMatching(/^invalid_response: .*no time_entries array/),
    ]);
  });

  it("a persistent 5xx ends, after maxAttempts, in a retryable typed error", async () => {
    setFaults({ serverErrorRate: 1, seed: 1 });
    const { c, sent, time } = connector({ maxAttempts: 3 });
    const err = await pull(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarvestHttpError);
    expect(err).toMatchObject({ retryable: true, attempts: 3 });
    expect(sent).toHaveLength(3);
    expect(time.sleeps).toHaveLength(2);
  });

  it("a wrong token fails fast: one request, no retries, Harvest's message in a typed error", async () => {
    const { c, sent, time } = connector({ token: "wrong-token" });
    const err = await pull(c).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarvestHttpError);
    expect(err).toMatchObject({ status: 401, retryable: false, attempts: 1 });
    expect((err as HarvestHttpError).vendorMessage).toMatch(/access token/i);
    expect((err as Error).message).toContain("401");
    expect(sent).toHaveLength(1);
    expect(time.sleeps).toEqual([]);
  });

  it("another account's id is refused (403) without retries", async () => {
    const { c, sent } = connector({ accountId: "999" });
    await expect(pull(c)).rejects.toMatchObject({ status: 403, retryable: false });
    expect(sent).toHaveLength(1);
  });
});

describe("limits", () => {
  it("never sends more than 100 requests in any 15 s (fake clock), nor more than `concurrency` at once", async () => {
    const time = fakeTime();
    const counting = countingFetch(time.now);
    const client = new HarvestClient(
      { baseUrl: `${base}/v2`, accountId: ACCOUNT, token: TOKEN, concurrency: 4 },
      { now: time.now, sleep: time.sleep, fetch: counting.fetch },
    );
    const n = 260;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        client.request("GET", "/time_entries", { query: { page: i + 1, per_page: 1 }, parse: (j) => ({ ok: true, value: j }) }),
      ),
    );
    const at = counting.sent.map((s) => s.at).sort((a, b) => a - b);
    expect(at).toHaveLength(n);
    for (let i = 0; i + 100 < at.length; i++) expect(at[i + 100]! - at[i]!).toBeGreaterThanOrEqual(15_000);
    expect(at.at(-1)! - at[0]!).toBeGreaterThanOrEqual(2 * 15_000);
    expect(counting.maxInFlight()).toBeLessThanOrEqual(4);
    expect(counting.maxInFlight()).toBeGreaterThan(1);
  });

  it("stops cleanly on abort: nothing more is sent and the walk throws an AbortError", async () => {
    const { c, sent } = connector({ perPage: 100 });
    const ac = new AbortController();
    const seen: number[] = [];
    let sentAtAbort = 0;
    const err = await (async () => {
      for await (const page of c.timeEntries({ signal: ac.signal })) {
        seen.push(page.page);
        if (page.page === 2) {
          ac.abort();
          sentAtAbort = sent.length;
        }
      }
    })().catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(seen).toEqual([1, 2]);
    expect(sent.length).toBe(sentAtAbort);
    expect(sentAtAbort).toBeLessThanOrEqual(3); // pages 1, 2 and the one fetched ahead
  });

  it("backs off exponentially with full jitter, capped", () => {
    const draw = { r: 0.999 };
    const client = new HarvestClient({ baseUrl: `${base}/v2`, accountId: ACCOUNT, token: TOKEN, backoff: { baseMs: 100, maxMs: 1_000 } }, { random: () => draw.r });
    expect([1, 2, 3, 4, 5, 9].map((n) => client.backoffMs(n))).toEqual([99, 199, 399, 799, 999, 999]);
    draw.r = 0;
    expect(client.backoffMs(6)).toBe(0);
  });

  it("validates its configuration with a sentence naming what is wrong", () => {
    expect(() => parseHarvestConfig({ baseUrl: "not a url", accountId: "x", token: "t", perPage: 5000 })).toThrow(
      /baseUrl must be an absolute.*accountId must be Harvest's numeric account id.*perPage cannot be more than 2000/,
    );
    expect(() => parseHarvestConfig({ baseUrl: "https://api.harvestapp.com/v2", accountId: 1, concurrency: 0 })).toThrow(/token is missing.*concurrency must be at least 1/);
    expect(parseHarvestConfig({ baseUrl: "https://api.harvestapp.com/v2/", accountId: 123, token: "t" })).toMatchObject({
      baseUrl: "https://api.harvestapp.com/v2",
      accountId: "123",
      perPage: 2000,
      concurrency: 4,
      rateLimit: { max: 100, windowMs: 15_000 },
    });
  });
});

describe("reverse sync", () => {
  const project = async (id: number) =>
    (await (await fetch(`${base}/v2/projects/${id}`, { headers: { Authorization: `Bearer ${TOKEN}`, "Harvest-Account-Id": ACCOUNT } })).json()) as { is_active: boolean };

  it("setProjectActive changes the project in Harvest", async () => {
    const [row] = await db.sql<{ id: number }[]>`select id::float8 as id from sim_harvest.projects where is_active order by id limit 1`;
    const id = row!.id;
    const { c } = connector();
    await c.setProjectActive(String(id), false);
    expect((await project(id)).is_active).toBe(false);
    await c.setProjectActive(String(id), false); // idempotent
    await c.setProjectActive(String(id), true);
    expect((await project(id)).is_active).toBe(true);
  });

  it("a response lost on the wire is retried, and the project still ends as asked", async () => {
    const [row] = await db.sql<{ id: number }[]>`select id::float8 as id from sim_harvest.projects where is_active order by id desc limit 1`;
    const id = row!.id;
    setFaults({ lostResponseRate: 0.5, seed: 2 });
    const { c, events } = connector({ timeoutMs: 1_000 });
    await c.setProjectActive(String(id), false);
    await c.setProjectActive(String(id), true);
    await c.setProjectActive(String(id), false);
    expect(faults.counts.lose_response).toBeGreaterThan(0);
    expect(events.length).toBe(faults.counts.lose_response);
    faults.set(NO_FAULTS);
    expect((await project(id)).is_active).toBe(false);
  });

  it("an unknown project is a 404, not retried; a non-numeric id is refused before any request", async () => {
    const { c, sent } = connector();
    await expect(c.setProjectActive("999999999", false)).rejects.toMatchObject({ status: 404, retryable: false, attempts: 1 });
    await expect(c.setProjectActive("P-1", false)).rejects.toBeInstanceOf(HarvestConnectorError);
    expect(sent).toHaveLength(1);
  });
});

describe("incremental", () => {
  it("updatedSince returns exactly what changed since", async () => {
    const tick = async (now: string) =>
      (await (await fetch(`${base}/__sim/tick`, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ now }) })).json()) as {
        now: string;
        added: number[];
        approved: number[];
        edited: number[];
        deleted: number[];
      };
    const { c } = connector();
    const t1 = await tick("2026-11-19T12:00:00Z");
    expect(t1.added.length).toBeGreaterThan(0);
    const changed = (t: typeof t1) => new Set([...t.added, ...t.approved, ...t.edited].filter((id) => !t.deleted.includes(id)));
    const p1 = await pull(c, { updatedSince: "2026-11-19T12:00:00Z" });
    expect(new Set(ids(p1))).toEqual(changed(t1));
    const edited = t1.edited.filter((x) => !t1.deleted.includes(x));
    expect(edited.length).toBeGreaterThan(0);
    for (const id of edited) {
      const [before, after] = [reference.get(id)!, byId(p1).get(id)!];
      expect(after.hours).not.toBe(before.hours);
      expect(canonicalTimeEntry.parse(mapTimeEntry(after)).hours).toBe(hoursString(after.hours));
    }
    for (const id of t1.added) expect(reference.has(id)).toBe(false);

    // a Monday: last week's open entries are approved, and read as approved at the step's time
    const t2 = await tick("2026-11-23T08:00:00Z");
    expect(t2.approved.length).toBeGreaterThan(0);
    const p2 = await pull(c, { updatedSince: t2.now });
    expect(new Set(ids(p2))).toEqual(changed(t2));
    const approved = p2.flatMap((p) => p.items).filter((it) => t2.approved.includes((it.payload as Payload).id));
    expect(approved.length).toBe(t2.approved.filter((id) => !t2.deleted.includes(id)).length);
    for (const it of approved) expect(canonicalTimeEntry.parse(it.entry)).toMatchObject({ status: "approved", approvedAt: "2026-11-23T08:00:00Z" });

    // nothing since the last step: one empty page
    const p3 = await pull(c, { updatedSince: "2026-11-23T08:00:01Z" });
    expect(p3.map((p) => [p.items.length, p.hasMore])).toEqual([[0, false]]);
  });
});
