import { spawn } from "node:child_process";
import type { Server } from "node:http";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { close, freshSqlDatabase, listen } from "../../../test/http";
import { createEmptyDatabase } from "../../../test/db";
import { generateDemo } from "../../server/demo/generate";
import { FaultInjector, faultConfig } from "../shared/faults";
import { parseEnv } from "./env";
import { advance, rngFrom, tick } from "./clock";
import { ACCEPTED_QUERY, createHarvestSimulator, PROJECT_PATCH_FIELDS } from "./server";
import { seedIfEmpty, type SeedOptions } from "./store";
import { loadSpec, operation, responseSchema, validate, type Schema } from "./test-support/openapi";

const OPTS: SeedOptions = { seed: 42, consultants: 20, projects: 15, months: 2, endDate: "2026-11-18" };
const ACCOUNT = "100001";
const TOKEN = "test-token";
const AUTH = { Authorization: `Bearer ${TOKEN}`, "Harvest-Account-Id": ACCOUNT, "User-Agent": "Hourbridge tests (ops@example.com)" };

type Db = Awaited<ReturnType<typeof freshSqlDatabase>>;
const freshDb = (): Promise<Db> => freshSqlDatabase(4);

const spec = loadSpec();
const schemaOf = (operationId: string, status = "200") => responseSchema(operation(spec, operationId), status);
/**
 * Real Harvest time entries carry client.currency and project.code (and the demo's
 * payloads, hashed by ingest, do too); the spec's inline TimeEntry objects omit them.
 */
const STRICT = { strict: true, extras: [".client.currency", ".project.code"] };
const ERROR: Schema = { $ref: "#/components/schemas/Error" };

let db: Db;
let server: Server;
let base: string;
let seedMs = 0;
const get = (path: string, headers: Record<string, string> = AUTH) => fetch(base + path, { headers });
async function json(path: string): Promise<Record<string, unknown> & { [k: string]: any }> {
  const res = await get(path);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  db = await freshDb();
  const r = await seedIfEmpty(db.sql, OPTS);
  if (!r.skipped) seedMs = r.ms;
  server = createHarvestSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, rateLimit: { max: 100_000, windowMs: 15_000 }, seed: OPTS.seed });
  base = await listen(server);
});
afterAll(async () => {
  if (server) await close(server);
  await db?.drop();
});

describe("seeding", () => {
  it("seeds fast, once, and agrees with the app's demo generator", async () => {
    expect(seedMs).toBeGreaterThan(0);
    expect(seedMs).toBeLessThan(20_000);
    expect(await seedIfEmpty(db.sql, OPTS)).toEqual({ skipped: true });

    const demo = generateDemo(OPTS);
    const bundles = [...demo.timeEntryChunks()].flat();
    const body = await json("/v2/time_entries");
    expect(body.total_entries).toBe(bundles.length);
    const byId = new Map((body.time_entries as { id: number }[]).map((e) => [e.id, e]));
    for (const b of bundles) expect(byId.get(Number(b.entry.sourceId))).toEqual(b.raws.at(-1)!.body);
    // and the entry's hours are the canonical row's
    const b0 = bundles[0]!;
    expect((byId.get(Number(b0.entry.sourceId)) as unknown as { hours: number }).hours).toBe(Number(b0.entry.hours));

    const projects = (await json("/v2/projects")).projects as { id: number; name: string; code: string }[];
    const refs = demo.sourceRefs.filter((r) => r.kind === "project");
    expect(projects).toHaveLength(refs.length);
    for (const r of refs) {
      const p = await json(`/v2/projects/${r.externalId}`);
      expect([p.name, p.code]).toEqual([r.name, r.code]);
    }
    for (const [path, kind] of [
      ["/v2/users", "user"],
      ["/v2/clients", "customer"],
      ["/v2/tasks", "task"],
    ] as const) {
      const key = path.slice(4);
      const ids = ((await json(path))[key] as { id: number }[]).map((x) => String(x.id)).sort();
      expect(ids).toEqual(demo.sourceRefs.filter((r) => r.kind === kind).map((r) => r.externalId).sort());
    }
  });
});

describe("contract (../shared/specs/harvest-openapi.yaml)", () => {
  const cases: [string, string][] = [
    ["listTimeEntries", "/v2/time_entries?per_page=300"],
    ["listTimeEntries", "/v2/time_entries?page=2&per_page=700"],
    ["listProjects", "/v2/projects"],
    ["listTasks", "/v2/tasks"],
    ["listUsers", "/v2/users"],
    ["listClients", "/v2/clients"],
    ["listTaskAssignments", "/v2/task_assignments"],
  ];
  it.each(cases)("%s %s validates against the response schema", async (op, path) => {
    const body = await json(path);
    expect(validate(spec, schemaOf(op), body, STRICT)).toEqual([]);
  });

  it("retrieveProject and updateProject answer a Project", async () => {
    const [first] = (await json("/v2/projects?per_page=1")).projects as { id: number; is_active: boolean }[];
    expect(validate(spec, schemaOf("retrieveProject"), await json(`/v2/projects/${first!.id}`), STRICT)).toEqual([]);
    const res = await fetch(`${base}/v2/projects/${first!.id}`, { method: "PATCH", headers: { ...AUTH, "Content-Type": "application/json" }, body: JSON.stringify({ is_active: first!.is_active }) });
    expect(res.status).toBe(200);
    expect(validate(spec, schemaOf("updateProject"), await res.json(), STRICT)).toEqual([]);
  });

  it("every query parameter the simulator reads is in the spec, with the spec's type", () => {
    for (const [op, params] of Object.entries(ACCEPTED_QUERY)) {
      const declared = new Map((operation(spec, op).parameters ?? []).filter((p) => p.in === "query").map((p) => [p.name, p.schema?.type]));
      for (const [name, type] of Object.entries(params)) expect([op, name, declared.get(name)]).toEqual([op, name, type]);
    }
  });

  it("PATCH /projects accepts exactly the spec's request fields", () => {
    const body = operation(spec, "updateProject").requestBody!.content["application/json"]!.schema;
    expect([...PROJECT_PATCH_FIELDS].sort()).toEqual(Object.keys(body.properties!).sort());
  });

  it("error bodies follow the spec's Error schema", async () => {
    for (const path of ["/v2/time_entries?per_page=2001", "/v2/projects/999999999", "/v2/nothing"]) {
      const res = await get(path);
      expect(res.status).toBeGreaterThanOrEqual(400);
      const body = await res.json();
      expect(validate(spec, ERROR, body)).toEqual([]);
      expect(body).toEqual({ code: res.status, message: expect.any(String) });
    }
  });
});

describe("paging", () => {
  it("empty result", async () => {
    const body = await json("/v2/time_entries?from=2001-01-01&to=2001-01-31");
    expect(body).toMatchObject({ time_entries: [], total_entries: 0, total_pages: 0, page: 1, next_page: null, previous_page: null });
    expect(body.links.next).toBeNull();
  });

  it("exactly one page", async () => {
    const total = ((await json("/v2/time_entries?per_page=1")).total_entries) as number;
    const body = await json(`/v2/time_entries?per_page=${total}`);
    expect(body).toMatchObject({ total_pages: 1, page: 1, next_page: null, previous_page: null, per_page: total });
    expect(body.time_entries).toHaveLength(total);
  });

  it("walks every page to the last (next_page null), each entry once, links keep the query", async () => {
    const first = await json("/v2/time_entries?per_page=400&is_running=false");
    const total = first.total_entries as number;
    const pages = Math.ceil(total / 400);
    expect(first.total_pages).toBe(pages);
    const seen = new Set<number>();
    let url: string | null = first.links.first as string;
    let last: any = null;
    while (url) {
      last = await (await fetch(url, { headers: AUTH })).json();
      for (const e of last.time_entries) seen.add(e.id);
      url = last.links.next;
      if (url) expect(new URL(url).searchParams.get("is_running")).toBe("false");
    }
    expect(seen.size).toBe(total);
    expect(last).toMatchObject({ page: pages, next_page: null, previous_page: pages - 1 });
    expect(last.time_entries).toHaveLength(total - (pages - 1) * 400);
    expect(new URL(last.links.last).searchParams.get("page")).toBe(String(pages));
    expect(new URL(last.links.first).searchParams.get("per_page")).toBe("400");
  });

  it("orders by spent_date then id, newest first", async () => {
    const list = (await json("/v2/time_entries")).time_entries as { id: number; spent_date: string }[];
    const sorted = [...list].sort((a, b) => (a.spent_date === b.spent_date ? b.id - a.id : a.spent_date < b.spent_date ? 1 : -1));
    expect(list.map((e) => e.id)).toEqual(sorted.map((e) => e.id));
  });

  it("refuses per_page over 2000 (and under 1) and page 0 with 422", async () => {
    for (const q of ["per_page=2001", "per_page=0", "page=0"]) {
      const res = await get(`/v2/time_entries?${q}`);
      expect(res.status).toBe(422);
    }
  });
});

describe("filters", () => {
  it("from/to are inclusive days", async () => {
    const day = "2026-11-02";
    const { n } = (await db.sql<{ n: number }[]>`select count(*)::int as n from sim_harvest.time_entries where spent_date = ${day}`)[0]!;
    expect(n).toBeGreaterThan(0);
    const body = await json(`/v2/time_entries?from=${day}&to=${day}`);
    expect(body.total_entries).toBe(n);
    expect(new Set((body.time_entries as { spent_date: string }[]).map((e) => e.spent_date))).toEqual(new Set([day]));
  });

  it("updated_since includes an entry updated at exactly that second, and not one second later", async () => {
    const [row] = await db.sql`select id, body->>'updated_at' as u from sim_harvest.time_entries order by updated_at desc, id limit 1 offset 40`;
    const at = row!.u as string;
    const { n } = (await db.sql<{ n: number }[]>`select count(*)::int as n from sim_harvest.time_entries where updated_at >= ${at}::timestamptz`)[0]!;
    const incl = await json(`/v2/time_entries?updated_since=${encodeURIComponent(at)}`);
    expect(incl.total_entries).toBe(n);
    expect((incl.time_entries as { id: number }[]).map((e) => e.id)).toContain(Number(row!.id));
    const later = new Date(Date.parse(at) + 1000).toISOString();
    const excl = await json(`/v2/time_entries?updated_since=${encodeURIComponent(later)}`);
    expect((excl.time_entries as { id: number }[]).map((e) => e.id)).not.toContain(Number(row!.id));
    for (const e of excl.time_entries as { updated_at: string }[]) expect(Date.parse(e.updated_at)).toBeGreaterThanOrEqual(Date.parse(later));
    // an unencoded "+00:00" arrives as " 00:00" and is read as the offset
    expect((await json(`/v2/time_entries?updated_since=${at.replace("Z", "+00:00")}`)).total_entries).toBe(n);
    // an offset is honoured
    const offset = at.replace("Z", "+00:00").replace(/T(\d\d)/, (_, h: string) => `T${h}`);
    expect((await json(`/v2/time_entries?updated_since=${encodeURIComponent(offset)}`)).total_entries).toBe(n);
  });

  it("project_id, user_id, client_id, task_id, is_billed, is_running", async () => {
    const [e] = (await json("/v2/time_entries?per_page=1")).time_entries as any[];
    for (const [param, value, pick] of [
      ["project_id", e.project.id, (x: any) => x.project.id],
      ["user_id", e.user.id, (x: any) => x.user.id],
      ["client_id", e.client.id, (x: any) => x.client.id],
      ["task_id", e.task.id, (x: any) => x.task.id],
      ["is_billed", false, (x: any) => x.is_billed],
      ["is_running", false, (x: any) => x.is_running],
    ] as const) {
      const body = await json(`/v2/time_entries?${param}=${value}`);
      expect(body.total_entries).toBeGreaterThan(0);
      for (const x of body.time_entries) expect(pick(x)).toBe(value);
    }
    expect((await json("/v2/time_entries?is_running=true")).total_entries).toBe(0);
    expect((await json("/v2/time_entries?external_reference_id=abc")).total_entries).toBe(0);
  });

  it("is_active, client_id and updated_since on the master data", async () => {
    const all = (await json("/v2/projects")).projects as any[];
    const active = (await json("/v2/projects?is_active=true")).projects as any[];
    const inactive = (await json("/v2/projects?is_active=false")).projects as any[];
    expect(active.length + inactive.length).toBe(all.length);
    expect(active.every((p) => p.is_active)).toBe(true);
    const client = all[0].client.id;
    const ofClient = (await json(`/v2/projects?client_id=${client}`)).projects as any[];
    expect(ofClient.length).toBeGreaterThan(0);
    expect(ofClient.every((p) => p.client.id === client)).toBe(true);
    const newest = all.map((p) => p.updated_at).sort().at(-1);
    const since = (await json(`/v2/projects?updated_since=${encodeURIComponent(newest)}`)).projects as any[];
    expect(since.length).toBeGreaterThan(0);
    expect(since.every((p) => p.updated_at >= newest)).toBe(true);
    for (const path of ["/v2/users", "/v2/clients", "/v2/tasks", "/v2/task_assignments"]) {
      const key = path.slice(4);
      expect(((await json(`${path}?is_active=false`))[key] as unknown[]).length).toBe(0);
      expect(((await json(`${path}?updated_since=2100-01-01T00:00:00Z`))[key] as unknown[]).length).toBe(0);
    }
  });

  it("ignores query parameters it does not know, as Harvest does", async () => {
    const a = await json("/v2/clients");
    const b = await json("/v2/clients?sort=name&foo=bar");
    expect(b.total_entries).toBe(a.total_entries);
  });
});

describe("bad input, refused the vendor's way", () => {
  it.each([
    ["/v2/time_entries?from=2026-02-30", 422],
    ["/v2/time_entries?to=11/02/2026", 422],
    ["/v2/time_entries?updated_since=yesterday", 422],
    ["/v2/time_entries?updated_since=2026-13-01T00:00:00Z", 422],
    ["/v2/time_entries?user_id=abc", 422],
    ["/v2/time_entries?project_id=-4", 422],
    ["/v2/time_entries?is_billed=yes", 422],
    ["/v2/projects?is_active=1", 422],
    ["/v2/projects/abc", 404],
    ["/v2/projects/123", 404],
  ])("%s → %i", async (path, status) => {
    const res = await get(path);
    expect(res.status).toBe(status);
    expect(await res.json()).toEqual({ code: status, message: expect.any(String) });
  });

  it("PATCH: malformed JSON 400, unknown fields and wrong types 422, unknown project 404", async () => {
    const [p] = (await json("/v2/projects?per_page=1")).projects as any[];
    const patch = (id: unknown, body: string) =>
      fetch(`${base}/v2/projects/${id}`, { method: "PATCH", headers: { ...AUTH, "Content-Type": "application/json" }, body });
    const bad = await patch(p.id, "{is_active: false");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ code: 400, message: expect.any(String) });
    const unknown = await patch(p.id, JSON.stringify({ is_active: false, status: "closed" }));
    expect(unknown.status).toBe(422);
    expect((await unknown.json()).message).toMatch(/status/);
    expect((await patch(p.id, JSON.stringify({ is_active: "no" }))).status).toBe(422);
    expect((await patch(p.id, "[]")).status).toBe(422);
    expect((await patch(987654321, JSON.stringify({ is_active: false }))).status).toBe(404);
    // nothing changed
    expect((await json(`/v2/projects/${p.id}`)).is_active).toBe(p.is_active);
  });

  it("PATCH is_active (reverse sync) archives a project and bumps updated_at; ignored writable fields are accepted", async () => {
    const active = (await json("/v2/projects?is_active=true")).projects as any[];
    const p = active.at(-1);
    const before = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString().replace(".000", "");
    const res = await fetch(`${base}/v2/projects/${p.id}`, {
      method: "PATCH",
      headers: { ...AUTH, "Content-Type": "application/json" },
      body: JSON.stringify({ is_active: false, notes: "closed in the ERP" }),
    });
    expect(res.status).toBe(200);
    const after = await res.json();
    expect(after).toEqual({ ...p, is_active: false, updated_at: expect.any(String) });
    expect(after.updated_at >= before).toBe(true);
    const since = (await json(`/v2/projects?updated_since=${encodeURIComponent(before)}`)).projects as any[];
    expect(since.map((x) => x.id)).toContain(p.id);
    expect(((await json("/v2/projects?is_active=false")).projects as any[]).map((x) => x.id)).toContain(p.id);
    // back again, for the tests that follow
    await fetch(`${base}/v2/projects/${p.id}`, { method: "PATCH", headers: { ...AUTH, "Content-Type": "application/json" }, body: JSON.stringify({ is_active: true }) });
  });
});

describe("auth", () => {
  const invalid = { error: "invalid_token", error_description: expect.any(String) };
  it("401 invalid_token without a token, with a wrong token or another scheme", async () => {
    for (const headers of [
      { "Harvest-Account-Id": ACCOUNT },
      { ...AUTH, Authorization: "Bearer nope" },
      { ...AUTH, Authorization: `Basic ${TOKEN}` },
    ]) {
      const res = await get("/v2/time_entries", headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual(invalid);
    }
  });
  it("401 without Harvest-Account-Id (Harvest cannot resolve the token), 403 for another account", async () => {
    const missing = await get("/v2/projects", { Authorization: `Bearer ${TOKEN}` });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual(invalid);
    const other = await get("/v2/projects", { ...AUTH, "Harvest-Account-Id": "999" });
    expect(other.status).toBe(403);
    expect(await other.json()).toEqual({ code: 403, message: expect.stringMatching(/999/) });
  });
});

describe("rate limit", () => {
  it("answers the 101st request in 15 s with 429 and Retry-After", async () => {
    const limited = createHarvestSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN });
    const url = await listen(limited);
    try {
      for (let i = 0; i < 100; i++) {
        const res = await fetch(`${url}/v2/clients?per_page=1`, { headers: AUTH });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      const res = await fetch(`${url}/v2/clients?per_page=1`, { headers: AUTH });
      expect(res.status).toBe(429);
      const retry = Number(res.headers.get("retry-after"));
      expect(retry).toBeGreaterThanOrEqual(1);
      expect(retry).toBeLessThanOrEqual(15);
      expect(await res.json()).toEqual({ code: 429, message: expect.any(String) });
    } finally {
      await close(limited);
    }
  });
  it("frees the window as it slides", async () => {
    const limited = createHarvestSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, rateLimit: { max: 2, windowMs: 300 } });
    const url = await listen(limited);
    try {
      const hit = async () => (await fetch(`${url}/v2/clients?per_page=1`, { headers: AUTH })).status;
      expect([await hit(), await hit(), await hit()]).toEqual([200, 200, 429]);
      await expect.poll(hit, { interval: 50, timeout: 2000 }).toBe(200);
    } finally {
      await close(limited);
    }
  });
});

describe("faults through the shared injector", () => {
  let faulty: Server;
  let url: string;
  const injector = new FaultInjector();
  const set = (c: Record<string, unknown>) => injector.set(faultConfig.parse(c));
  beforeAll(async () => {
    faulty = createHarvestSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, faults: injector, rateLimit: { max: 100_000, windowMs: 1000 } });
    url = await listen(faulty);
  });
  afterAll(() => close(faulty));

  it("latency", async () => {
    set({ latencyMs: 250 });
    const t = performance.now();
    expect((await fetch(`${url}/v2/clients`, { headers: AUTH })).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(240);
  });
  it("5xx in Harvest's error shape", async () => {
    set({ serverErrorRate: 1 });
    const res = await fetch(`${url}/v2/clients`, { headers: AUTH });
    expect([500, 502, 503]).toContain(res.status);
    expect(await res.json()).toEqual({ code: res.status, message: expect.any(String) });
  });
  it("429 with Retry-After", async () => {
    set({ rateLimitRate: 1, retryAfterSeconds: 7 });
    const res = await fetch(`${url}/v2/clients`, { headers: AUTH });
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
  });
  it("timeout: no answer until the client gives up", async () => {
    set({ timeoutRate: 1 });
    await expect(fetch(`${url}/v2/clients`, { headers: AUTH, signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i);
  });
  it("connection reset", async () => {
    set({ resetRate: 1 });
    await expect(fetch(`${url}/v2/clients`, { headers: AUTH })).rejects.toThrow();
  });
  it("outage window: 503 with Retry-After", async () => {
    set({ outage: { from: new Date(Date.now() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() } });
    const res = await fetch(`${url}/v2/clients`, { headers: AUTH });
    expect(res.status).toBe(503);
    expect(res.headers.get("retry-after")).toBe("30");
  });
  it("lost response: the PATCH took effect though the client saw a network error", async () => {
    set({});
    const [p] = (await (await fetch(`${url}/v2/projects?is_active=true&per_page=1`, { headers: AUTH })).json()).projects;
    set({ lostResponseRate: 1 });
    await expect(
      fetch(`${url}/v2/projects/${p.id}`, { method: "PATCH", headers: { ...AUTH, "Content-Type": "application/json" }, body: JSON.stringify({ is_active: false }) }),
    ).rejects.toThrow();
    set({});
    const after = await (await fetch(`${url}/v2/projects/${p.id}`, { headers: AUTH })).json();
    expect(after.is_active).toBe(false);
    expect(injector.counts.none).toBe(1);
    await fetch(`${url}/v2/projects/${p.id}`, { method: "PATCH", headers: { ...AUTH, "Content-Type": "application/json" }, body: JSON.stringify({ is_active: true }) });
  });
});

describe("the clock", () => {
  // endDate 2026-11-18 is a Wednesday; the 23rd is the Monday after
  const MONDAY = new Date("2026-11-23T10:00:00Z");

  it("a Monday tick adds, edits, approves and deletes, and updated_since finds exactly those changes", async () => {
    const before = await json("/v2/time_entries");
    const res = await fetch(`${base}/__sim/tick`, { method: "POST", body: JSON.stringify({ now: MONDAY.toISOString() }) });
    expect(res.status).toBe(200);
    const t = await res.json();
    expect(t.tick).toBe(1);
    expect(t.added.length).toBeGreaterThanOrEqual(2);
    expect(t.edited.length).toBeGreaterThanOrEqual(1);
    expect(t.approved.length).toBeGreaterThan(0);

    const changed = await json(`/v2/time_entries?updated_since=${encodeURIComponent(t.now)}`);
    const ids = (changed.time_entries as { id: number }[]).map((e) => e.id).sort((a, b) => a - b);
    expect(ids).toEqual([...t.added, ...t.edited, ...t.approved].sort((a: number, b: number) => a - b));
    expect(validate(spec, schemaOf("listTimeEntries"), changed, STRICT)).toEqual([]);

    for (const e of changed.time_entries as any[]) {
      if (t.added.includes(e.id)) expect([e.spent_date, e.is_closed]).toEqual(["2026-11-23", false]);
      if (t.approved.includes(e.id)) {
        expect([e.is_closed, e.is_locked]).toEqual([true, true]);
        expect(e.spent_date >= "2026-11-16" && e.spent_date <= "2026-11-22").toBe(true);
      }
    }
    const { n } = (await db.sql<{ n: number }[]>`select count(*)::int as n from sim_harvest.time_entries where not is_closed and spent_date between '2026-11-16' and '2026-11-22'`)[0]!;
    expect(n).toBe(0);

    const after = await json("/v2/time_entries");
    expect(after.total_entries).toBe((before.total_entries as number) + t.added.length - t.deleted.length);
    const afterIds = new Set((after.time_entries as { id: number }[]).map((e) => e.id));
    for (const id of t.deleted) expect(afterIds.has(id)).toBe(false);
    const tomb = await db.sql`select id from sim_harvest.time_entry_tombstones`;
    expect(tomb.map((r) => Number(r.id))).toEqual(t.deleted);
  });

  it("deletes now and then, and a non-Monday tick approves nothing", async () => {
    let deleted = 0;
    for (let i = 0; i < 8; i++) {
      const r = await tick(db.sql, { now: new Date(Date.UTC(2026, 10, 24, 9, i)), seed: OPTS.seed });
      expect(r.approved).toEqual([]);
      deleted += r.deleted.length;
    }
    expect(deleted).toBeGreaterThan(0);
    const tomb = await db.sql`select id from sim_harvest.time_entry_tombstones`;
    const listed = new Set(((await json("/v2/time_entries")).time_entries as { id: number }[]).map((e) => e.id));
    for (const r of tomb) expect(listed.has(Number(r.id))).toBe(false);
  });

  it("the admin endpoint is protected by SIM_ADMIN_TOKEN and refuses a bad time", async () => {
    const admin = createHarvestSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, adminToken: "admin-secret", seed: OPTS.seed });
    const url = await listen(admin);
    try {
      expect((await fetch(`${url}/__sim/tick`, { method: "POST" })).status).toBe(401);
      expect((await fetch(`${url}/__sim/tick`, { method: "POST", headers: AUTH })).status).toBe(401);
      const bad = await fetch(`${url}/__sim/tick`, { method: "POST", headers: { Authorization: "Bearer admin-secret" }, body: JSON.stringify({ now: "soon" }) });
      expect(bad.status).toBe(400);
      const before = (await db.sql`select value from sim_harvest.meta where key = 'tick'`)[0]!.value;
      const ok = await fetch(`${url}/__sim/tick`, { method: "POST", headers: { Authorization: "Bearer admin-secret" }, body: JSON.stringify({ now: "2026-11-25T08:00:00Z" }) });
      expect(ok.status).toBe(200);
      expect((await ok.json()).tick).toBe(Number(before) + 1);
    } finally {
      await close(admin);
    }
  });

  it("same seed and tick number → the same changes and the same data", async () => {
    const a = await freshDb();
    const b = await freshDb();
    try {
      await Promise.all([seedIfEmpty(a.sql, OPTS), seedIfEmpty(b.sql, OPTS)]);
      const digest = async (sql: postgres.Sql) =>
        (await sql`select md5(string_agg(id::text || body::text, ',' order by id)) as d from sim_harvest.time_entries`)[0]!.d as string;
      expect(await digest(a.sql)).toBe(await digest(b.sql));
      for (let i = 0; i < 3; i++) {
        const now = new Date(MONDAY.getTime() + i * 60_000);
        const [ra, rb] = [await tick(a.sql, { now, seed: 42 }), await tick(b.sql, { now, seed: 42 })];
        expect(ra).toEqual(rb);
      }
      expect(await digest(a.sql)).toBe(await digest(b.sql));
      // another seed makes other choices
      const r1 = await advance(a.sql, { now: MONDAY, rng: rngFrom(1) });
      const r2 = await advance(b.sql, { now: MONDAY, rng: rngFrom(2) });
      expect(r1).not.toEqual(r2);
    } finally {
      await Promise.all([a.drop(), b.drop()]);
    }
  });
});

describe("environment", () => {
  it("fails with a sentence naming the variable", () => {
    expect(() => parseEnv({})).toThrow("The environment variable SIM_DATABASE_URL is required.");
    expect(() => parseEnv({ SIM_DATABASE_URL: "mysql://x" })).toThrow(/SIM_DATABASE_URL is not valid/);
    expect(() => parseEnv({ SIM_DATABASE_URL: "postgres://x/y", HARVEST_SIM_PORT: "http" })).toThrow(/HARVEST_SIM_PORT/);
    expect(() => parseEnv({ SIM_DATABASE_URL: "postgres://x/y", SIM_FAULTS: "{" })).toThrow(/SIM_FAULTS/);
    expect(parseEnv({ SIM_DATABASE_URL: "postgres://x/y" })).toMatchObject({ HARVEST_SIM_PORT: 4101, HARVEST_SIM_ACCOUNT_ID: "100001", HARVEST_SIM_TOKEN: "harvest-sim-token", HARVEST_SIM_TICK_SECONDS: 60 });
  });
});

describe("the process", () => {
  it("starts from main.ts, seeds, listens, logs one line, and stops on SIGTERM", async () => {
    const { url: dbUrl, drop } = await createEmptyDatabase();
    const child = spawn(process.execPath, ["--import", "tsx", "src/simulators/harvest/main.ts"], {
      env: { ...process.env, SIM_DATABASE_URL: dbUrl, HARVEST_SIM_PORT: "0", HARVEST_SIM_TICK_SECONDS: "0", DEMO_CONSULTANTS: "20", DEMO_PROJECTS: "15", DEMO_MONTHS: "2", SIM_FAULTS: "" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    try {
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      await expect.poll(() => out, { timeout: 30_000, interval: 100 }).toMatch(/listening on (http:\/\/\S+)\/v2/);
      expect(out.trim().split("\n")).toHaveLength(1);
      const root = /listening on (http:\/\/\S+)\/v2/.exec(out)![1]!;
      const res = await fetch(`${root}/v2/clients`, { headers: { Authorization: "Bearer harvest-sim-token", "Harvest-Account-Id": "100001" } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { total_entries: number }).total_entries).toBeGreaterThan(0);
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await drop();
    }
  });
});
