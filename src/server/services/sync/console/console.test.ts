/**
 * The sync console's read side against a real database with hand-made runs, postings,
 * attempts, snapshots and log lines: keyset paging without gaps or repeats (also across
 * rows sharing a timestamp), a run's page, dead letters grouped and totalled (the expected
 * figures computed here from the fixtures), scope, and the chart buckets.
 */
import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCallerFactory } from "@/server/api/trpc";
import { syncConsoleRouter } from "@/server/api/routers/sync-console";
import { UNRESTRICTED } from "@/server/auth/scope";
import { connectors, erpPostingAttempts, erpPostings, legalEntities, logLines, queueSnapshots, rawRecords, syncRuns } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../../test/db";
import { ctxFor, makeUser, systemCtx, type TestUser } from "../../../../../test/factories";
import { buildWorld, type World } from "../../../../../test/world";
import { deadLetterItems, deadLetters } from "./dead-letters";
import { getRun } from "./get-run";
import { summarizeRun } from "./labels";
import { listRuns } from "./list-runs";
import { syncCharts } from "./sync-charts";

let app: TestDatabase;
let w: World;
let erp: string;
let source: string;
let otherErp: string;
let usOnly: TestUser;

const ts = (iso: string) => sql`${iso}::timestamptz`;

async function makePosting(o: { entity: "us" | "uk"; status: "pending" | "sent" | "accepted" | "rejected" | "dead"; hours: string; amount: string; updatedAt: string; lastError?: string; attempts?: number }) {
  const us = o.entity === "us";
  const e = await w.entry(
    us
      ? { employeeId: w.ana.id, projectId: w.acme.id, legalEntityId: w.us.id, hours: o.hours }
      : { sourceUserId: w.ext.ben, sourceProjectId: w.ext.beta, employeeId: w.ben.id, projectId: w.beta.id, legalEntityId: w.uk.id, hours: o.hours },
  );
  const [p] = await app.db
    .insert(erpPostings)
    .values({
      timeEntryId: e.id,
      kind: "create",
      entryVersion: 1,
      idempotencyKey: `key-${e.id}`,
      status: o.status,
      attempts: o.attempts ?? 0,
      lastError: o.lastError ?? null,
      request: {},
      legalEntityId: us ? w.us.id : w.uk.id,
      hours: o.hours,
      amount: o.amount,
      currency: us ? "USD" : "GBP",
      correlationId: "test",
      updatedAt: ts(o.updatedAt),
    })
    .returning();
  return { posting: p!, entry: e };
}

async function attempt(postingId: string, o: { at: string; outcome: string; errorClass?: string | null; error?: string | null; durationMs?: number; attempt?: number; correlationId?: string; connectorId?: string | null }) {
  await app.db.insert(erpPostingAttempts).values({
    postingId,
    connectorId: o.connectorId === undefined ? null : o.connectorId,
    attempt: o.attempt ?? 1,
    startedAt: ts(o.at),
    durationMs: o.durationMs ?? 100,
    outcome: o.outcome,
    errorClass: o.errorClass ?? null,
    error: o.error ?? null,
    correlationId: o.correlationId ?? "test",
  });
}

beforeAll(async () => {
  app = await createTestDatabase();
  w = await buildWorld(app.db);
  // user scopes hold codes in capitals: give the world's entities such codes
  for (const e of [w.us, w.uk]) {
    e.code = e.code.toUpperCase();
    await app.db.update(legalEntities).set({ code: e.code }).where(eq(legalEntities.id, e.id));
  }
  const rows = await app.db
    .insert(connectors)
    .values([
      { key: `netsuite-${w.tag}`, role: "erp", system: "netsuite", name: "NetSuite", baseUrl: "http://erp.test" },
      { key: `harvest-${w.tag}`, role: "source", system: "harvest", name: "Harvest", baseUrl: "http://harvest.test" },
      { key: `netsuite-old-${w.tag}`, role: "erp", system: "netsuite", name: "NetSuite (old)", baseUrl: "http://old.test" },
    ])
    .returning();
  [erp, source, otherErp] = rows.map((r) => r.id) as [string, string, string];
  usOnly = await makeUser(app.db, { roles: ["finance_ops"], scope: { entities: [w.us.code], regions: [] } });
}, 120_000);
afterAll(async () => {
  await app?.drop();
});

describe("runs", () => {
  it("pages the history on (started at, id) without gaps or repeats, also where runs share a timestamp", async () => {
    // 23 runs in groups of three sharing a timestamp, the groups a microsecond apart
    const values = Array.from({ length: 23 }, (_, i) => ({
      connectorId: erp,
      kind: i % 2 ? "posting" : "read_back",
      trigger: i % 5 ? "schedule" : "manual",
      status: "succeeded" as const,
      startedAt: ts(`2026-05-20T10:00:00.${String(Math.floor(i / 3)).padStart(6, "0")}Z`),
      finishedAt: ts("2026-05-20T10:00:02.5Z"),
      correlationId: `job-page-${i}`,
      fetched: i,
      posted: i,
    }));
    await app.db.insert(syncRuns).values(values);
    await app.db.insert(syncRuns).values({ connectorId: source, kind: "time_pull", trigger: "schedule", status: "succeeded", correlationId: "job-src", startedAt: ts("2026-05-20T10:00:00.000004Z") });
    const expected = ((await app.db.execute(sql`select id from sync_runs where connector_id = ${erp} order by started_at desc, id desc`)) as unknown as { id: string }[]).map((r) => r.id);
    expect(expected).toHaveLength(23);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof listRuns>> = await listRuns({ ctx: systemCtx(app.db), input: { connectorId: erp, limit: 4, cursor } });
      seen.push(...page.items.map((r) => r.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    expect(pages).toBe(6);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
  });

  it("filters by kind, status and trigger, and gives each run its duration and a one-line summary", async () => {
    const posting = await listRuns({ ctx: systemCtx(app.db), input: { connectorId: erp, kind: "posting", limit: 200 } });
    expect(posting.items).toHaveLength(11);
    expect(posting.items.every((r) => r.kind === "posting")).toBe(true);
    const manual = await listRuns({ ctx: systemCtx(app.db), input: { connectorId: erp, trigger: "manual", limit: 200 } });
    expect(manual.items.map((r) => r.trigger)).toEqual(["manual", "manual", "manual", "manual", "manual"]);
    expect((await listRuns({ ctx: systemCtx(app.db), input: { status: "failed" } })).items).toHaveLength(0);
    const all = await listRuns({ ctx: systemCtx(app.db), input: { limit: 200 } });
    expect(all.items).toHaveLength(24);
    const r = posting.items.find((x) => x.correlationId === "job-page-3")!;
    expect(r.durationMs).toBe(2500);
    expect(r.connectorName).toBe("NetSuite");
    expect(r.summary).toBe("Sent 3 postings: 3 accepted.");
  });

  it("refuses a cursor it did not give out, in a sentence", async () => {
    await expect(listRuns({ ctx: systemCtx(app.db), input: { cursor: "not-a-cursor" } })).rejects.toThrow(/page cursor/);
  });
});

describe("a run's page", () => {
  let runId: string;
  let pullId: string;
  const corr = `job-77-${randomUUID()}`;

  beforeAll(async () => {
    const [run] = await app.db
      .insert(syncRuns)
      .values({ connectorId: erp, kind: "posting", trigger: "schedule", status: "partial", startedAt: ts("2026-05-18T08:00:00Z"), finishedAt: ts("2026-05-18T08:05:00Z"), correlationId: corr, fetched: 3, posted: 1, rejected: 1, details: { rounds: 2, retrying: 1, circuit: "closed" }, error: "1 posting is still to retry." })
      .returning();
    runId = run!.id;
    const p1 = await makePosting({ entity: "us", status: "accepted", hours: "1.00", amount: "180.00", updatedAt: "2026-05-18T08:02:00Z" });
    const p2 = await makePosting({ entity: "us", status: "pending", hours: "2.00", amount: "360.00", updatedAt: "2026-05-18T08:02:00Z" });
    const p3 = await makePosting({ entity: "uk", status: "sent", hours: "3.00", amount: "420.00", updatedAt: "2026-05-18T08:04:00Z" });
    const a = { correlationId: corr, connectorId: erp };
    await attempt(p1.posting.id, { ...a, at: "2026-05-18T08:01:00Z", outcome: "transient", errorClass: "5xx", error: "HTTP 503", attempt: 1 });
    await attempt(p1.posting.id, { ...a, at: "2026-05-18T08:02:00Z", outcome: "accepted", attempt: 2 });
    await attempt(p2.posting.id, { ...a, at: "2026-05-18T08:01:30Z", outcome: "rejected", errorClass: "rejected:INVALID_KEY_OR_REF", error: "INVALID_KEY_OR_REF: Invalid employee reference key 9." });
    await attempt(p3.posting.id, { ...a, at: "2026-05-18T08:03:00Z", outcome: "transient", errorClass: "timeout", error: "timed out after 10s", attempt: 1 });
    await attempt(p3.posting.id, { ...a, at: "2026-05-18T08:04:00Z", outcome: "transient", errorClass: "timeout", error: "timed out after 10s (again)", attempt: 2 });
    // the same job id an hour later (a retried job): not this run's
    await attempt(p3.posting.id, { ...a, at: "2026-05-18T09:00:00Z", outcome: "accepted", attempt: 3 });

    const levels = ["debug", "info", "info", "warn", "info", "error", "info"];
    await app.db.insert(logLines).values(levels.map((level, i) => ({ at: new Date(Date.UTC(2026, 4, 18, 8, 0, 10 + i)), correlationId: corr, level, msg: `line ${i} ${level}` })));
    await app.db.insert(logLines).values({ at: new Date(Date.UTC(2026, 4, 18, 8, 0, 30)), correlationId: "someone-else", level: "error", msg: "not ours" });

    const [pull] = await app.db.insert(syncRuns).values({ connectorId: source, kind: "time_pull", trigger: "manual", status: "succeeded", correlationId: `job-pull-${randomUUID()}`, startedAt: ts("2026-05-18T07:00:00Z"), finishedAt: ts("2026-05-18T07:01:00Z"), fetched: 60, created: 60, details: { pages: 3 } }).returning();
    pullId = pull!.id;
    await app.db.insert(rawRecords).values(Array.from({ length: 60 }, (_, i) => ({ sourceSystem: "harvest" as const, objectType: "time_entry", sourceId: `src-${w.tag}-${String(i).padStart(3, "0")}`, contentHash: `h-${w.tag}-${i}`, body: { i }, syncRunId: pullId })));
  });

  it("shows its timeline, counts in words and failures grouped by class with a sentence each", async () => {
    const d = await getRun({ ctx: systemCtx(app.db), input: { id: runId }, scope: UNRESTRICTED });
    expect(d.run.summary).toBe("Sent 3 postings: 1 accepted, 1 refused by the ERP, 1 to retry.");
    expect(d.timeline[0]).toMatchObject({ kind: "started", label: "Started (schedule)" });
    expect(d.timeline.map((e) => e.label)).toContain("Sent in 2 rounds");
    expect(d.timeline.filter((e) => e.kind === "warning" || e.kind === "error").map((e) => e.label)).toEqual(["line 3 warn", "line 5 error"]);
    expect(d.timeline.at(-1)).toMatchObject({ kind: "finished", label: "Finished partial after 5 min 00 s: 1 posting is still to retry." });
    expect(d.failures.error).toBe("1 posting is still to retry.");
    expect(d.failures.byClass.map((c) => [c.errorClass, c.attempts, c.postings])).toEqual([
      ["timeout", 2, 1],
      ["5xx", 1, 1],
      ["rejected:INVALID_KEY_OR_REF", 1, 1],
    ]);
    expect(d.failures.byClass[0]!.latestError).toBe("timed out after 10s (again)");
    expect(d.failures.byClass[2]!.sentence).toMatch(/refused 1 posting \(INVALID_KEY_OR_REF/);
  });

  it("lists the postings it tried (by correlation id, within its time) with their outcome, inside the viewer's scope", async () => {
    const all = await getRun({ ctx: systemCtx(app.db), input: { id: runId }, scope: UNRESTRICTED });
    expect(all.touched.rawRecords).toBeNull();
    expect(all.touched.postings).toMatchObject({ count: 3, byOutcome: { accepted: 1, rejected: 1, transient: 1 }, hiddenByScope: 0 });
    expect(all.touched.postings!.items.map((i) => [i.outcome, i.attempts])).toEqual([
      ["accepted", 2],
      ["rejected", 1],
      ["transient", 2],
    ]);
    const scoped = await getRun({ ctx: systemCtx(app.db), input: { id: runId }, scope: usOnly.scope });
    expect(scoped.touched.postings!.items.map((i) => i.legalEntityCode)).toEqual([w.us.code, w.us.code]);
    expect(scoped.touched.postings!.hiddenByScope).toBe(1);
  });

  it("groups a scoped viewer's failures over the postings of its scope only, so no other entity's error text shows", async () => {
    const scoped = await getRun({ ctx: systemCtx(app.db), input: { id: runId }, scope: usOnly.scope });
    expect(scoped.failures.byClass.map((c) => [c.errorClass, c.attempts, c.postings])).toEqual([
      ["5xx", 1, 1],
      ["rejected:INVALID_KEY_OR_REF", 1, 1],
    ]);
    expect(JSON.stringify(scoped.failures)).not.toContain("timed out");
  });

  it("what a run lists as not taken in is for viewers with no scope limit; others get its count", async () => {
    const failures = [{ kind: "subsidiaries", erpId: "7", reason: "subsidiary 7 (Hourbridge Pty) has no currency" }];
    const [md] = await app.db
      .insert(syncRuns)
      .values({ connectorId: erp, kind: "master_data", trigger: "schedule", status: "partial", correlationId: `job-md-${randomUUID()}`, finishedAt: ts("2026-05-18T06:01:00Z"), startedAt: ts("2026-05-18T06:00:00Z"), details: { failures } })
      .returning();
    const all = await getRun({ ctx: systemCtx(app.db), input: { id: md!.id }, scope: UNRESTRICTED });
    expect(all.failures.listed).toEqual(failures);
    expect(all.failures.listedHiddenByScope).toBe(0);
    const scoped = await getRun({ ctx: systemCtx(app.db), input: { id: md!.id }, scope: usOnly.scope });
    expect(scoped.failures.listed).toEqual([]);
    expect(scoped.failures.listedHiddenByScope).toBe(1);
    expect(JSON.stringify(scoped)).not.toContain("Hourbridge Pty");
  });

  it("pages its log lines from a level up, without gaps or repeats", async () => {
    const lines: string[] = [];
    let cursor: string | null = null;
    for (let i = 0; i < 10; i++) {
      const d: Awaited<ReturnType<typeof getRun>> = await getRun({ ctx: systemCtx(app.db), input: { id: runId, logLevel: "info", logLimit: 2, cursor }, scope: UNRESTRICTED });
      lines.push(...d.logs.lines.map((l) => l.msg));
      cursor = d.logs.nextCursor;
      if (!cursor) break;
    }
    expect(lines).toEqual(["line 1 info", "line 2 info", "line 3 warn", "line 4 info", "line 5 error", "line 6 info"]);
    const warn = await getRun({ ctx: systemCtx(app.db), input: { id: runId, logLevel: "warn" }, scope: UNRESTRICTED });
    expect(warn.logs.lines.map((l) => l.level)).toEqual(["warn", "error"]);
  });

  it("for a pull: the raw records it received and the first 50 source ids", async () => {
    const d = await getRun({ ctx: systemCtx(app.db), input: { id: pullId }, scope: UNRESTRICTED });
    expect(d.touched.postings).toBeNull();
    expect(d.touched.rawRecords!.count).toBe(60);
    expect(d.touched.rawRecords!.byObjectType).toEqual([{ objectType: "time_entry", count: 60 }]);
    expect(d.touched.rawRecords!.firstSourceIds).toEqual(Array.from({ length: 50 }, (_, i) => `src-${w.tag}-${String(i).padStart(3, "0")}`));
    expect(d.timeline.map((e) => e.label)).toContain("Read 3 pages");
  });

  it("a run that does not exist is not found", async () => {
    await expect(getRun({ ctx: systemCtx(app.db), input: { id: randomUUID() }, scope: UNRESTRICTED })).rejects.toThrow("No sync run has this id.");
  });
});

describe("dead letters", () => {
  type Spec = { entity: "us" | "uk"; status: "dead" | "rejected"; cause: string; hours: string; amount: string; updatedAt: string; error: string; attempts?: { at: string; cls: string; attempt: number }[] };
  const specs: Spec[] = [
    ...[0, 1, 2, 3].map((i): Spec => ({ entity: "us", status: "dead", cause: "5xx", hours: `${i + 1}.50`, amount: `${(i + 1) * 100}.25`, updatedAt: `2026-05-1${i < 3 ? 1 : 2}T10:00:00Z`, error: `HTTP 503 #${i}` })),
    ...[0, 1].map((i): Spec => ({ entity: "uk", status: "dead", cause: "5xx", hours: "2.00", amount: "280.00", updatedAt: "2026-05-11T10:00:00Z", error: `HTTP 502 #${i}` })),
    // replayed: its attempt numbers restarted, the latest attempt by time decides the cause
    { entity: "us", status: "dead", cause: "timeout", hours: "0.75", amount: "135.00", updatedAt: "2026-05-13T09:00:00Z", error: "timed out", attempts: [{ at: "2026-05-09T10:00:00Z", cls: "5xx", attempt: 3 }, { at: "2026-05-10T10:00:00Z", cls: "timeout", attempt: 1 }] },
    ...[0, 1, 2].map((i): Spec => ({ entity: "us", status: "rejected", cause: "rejected:INVALID_KEY_OR_REF", hours: "4.00", amount: "720.00", updatedAt: `2026-05-1${4 + i}T08:00:00Z`, error: `INVALID_KEY_OR_REF: Invalid customer reference key ${i}.` })),
    { entity: "uk", status: "rejected", cause: "rejected:INVALID_KEY_OR_REF", hours: "1.25", amount: "175.00", updatedAt: "2026-05-18T08:00:00Z", error: "INVALID_KEY_OR_REF: Invalid item reference key 4." },
    ...[0, 1].map((i): Spec => ({ entity: "uk", status: "rejected", cause: "rejected:USER_ERROR", hours: "8.00", amount: "1120.00", updatedAt: `2026-05-1${1 + i}T12:00:00Z`, error: "USER_ERROR: Please enter value(s) for: employee." })),
    // refused, recorded without attempts: the ERP's code comes from the last error
    { entity: "us", status: "rejected", cause: "rejected:INVALID_FLD_VALUE", hours: "3.00", amount: "540.00", updatedAt: "2026-05-12T12:00:00Z", error: "INVALID_FLD_VALUE: Invalid value for field hours.", attempts: [] },
  ];
  const ids = new Map<Spec, string>();

  beforeAll(async () => {
    for (const s of specs) {
      const { posting } = await makePosting({ entity: s.entity, status: s.status, hours: s.hours, amount: s.amount, updatedAt: s.updatedAt, lastError: s.error, attempts: 3 });
      ids.set(s, posting.id);
      const attempts = s.attempts ?? [{ at: "2026-05-10T10:00:00Z", cls: s.cause, attempt: 1 }];
      for (const a of attempts) await attempt(posting.id, { at: a.at, outcome: a.cls.startsWith("rejected:") ? "rejected" : "transient", errorClass: a.cls, error: s.error, attempt: a.attempt });
    }
    // accepted postings are not dead letters
    await makePosting({ entity: "us", status: "accepted", hours: "9.00", amount: "999.00", updatedAt: "2026-05-19T00:00:00Z" });
  });

  /** the groups and totals the viewer should see, computed from the fixtures */
  function expectedFor(entities: ("us" | "uk")[]) {
    const cents = (v: string) => Math.round(Number(v) * 100);
    const fmt = (c: number) => (c / 100).toFixed(2);
    const visible = specs.filter((s) => entities.includes(s.entity));
    const groups = new Map<string, Spec[]>();
    for (const s of visible) groups.set(s.cause, [...(groups.get(s.cause) ?? []), s]);
    const cur = (s: Spec) => (s.entity === "us" ? "USD" : "GBP");
    const valueOf = (list: Spec[]) => {
      const m: Record<string, number> = {};
      for (const s of list) m[cur(s)] = (m[cur(s)] ?? 0) + cents(s.amount);
      return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, fmt(v)]));
    };
    return {
      groups: [...groups].map(([cause, list]) => {
        const latest = [...list].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0]!;
        return {
          cause,
          count: list.length,
          hours: fmt(list.reduce((n, s) => n + cents(s.hours), 0)),
          value: valueOf(list),
          oldestAt: new Date(list.map((s) => s.updatedAt).sort()[0]!),
          latestError: latest.error,
        };
      }),
      totals: { count: visible.length, hours: fmt(visible.reduce((n, s) => n + cents(s.hours), 0)), value: valueOf(visible) },
    };
  }

  it("groups everything dead or refused by cause, with count, hours, value by currency, oldest and the latest error", async () => {
    const d = await deadLetters({ ctx: systemCtx(app.db), input: {}, scope: UNRESTRICTED });
    const exp = expectedFor(["us", "uk"]);
    expect(d.totals).toEqual(exp.totals);
    expect(d.groups).toHaveLength(exp.groups.length);
    for (const g of exp.groups) expect(d.groups.find((x) => x.cause === g.cause)).toMatchObject(g);
    // largest first
    expect(d.groups.map((g) => g.count)).toEqual([...d.groups.map((g) => g.count)].sort((a, b) => b - a));
    expect(d.groups.find((g) => g.cause === "5xx")!.label).toBe("Attempts exhausted: ERP server errors (5xx)");
    expect(d.groups.find((g) => g.cause === "rejected:INVALID_FLD_VALUE")!.status).toBe("rejected");
    const deadOnly = await deadLetters({ ctx: systemCtx(app.db), input: { statuses: ["dead"] }, scope: UNRESTRICTED });
    expect(deadOnly.groups.map((g) => g.cause).sort()).toEqual(["5xx", "timeout"]);
  });

  it("a user scoped to one legal entity sees none of another's, in the groups and in the items", async () => {
    const d = await deadLetters({ ctx: systemCtx(app.db), input: {}, scope: usOnly.scope });
    const exp = expectedFor(["us"]);
    expect(d.totals).toEqual(exp.totals);
    expect(d.groups.map((g) => g.cause).sort()).toEqual(exp.groups.map((g) => g.cause).sort());
    expect(d.groups.find((g) => g.cause === "rejected:USER_ERROR")).toBeUndefined();
    for (const g of exp.groups) expect(d.groups.find((x) => x.cause === g.cause)).toMatchObject(g);
    for (const cause of ["5xx", "rejected:INVALID_KEY_OR_REF", "rejected:USER_ERROR"]) {
      const page = await deadLetterItems({ ctx: systemCtx(app.db), input: { cause, limit: 200 }, scope: usOnly.scope });
      expect(page.items.every((i) => i.legalEntityCode === w.us.code)).toBe(true);
      expect(page.items).toHaveLength(specs.filter((s) => s.cause === cause && s.entity === "us").length);
    }
    const nowhere = await deadLetters({ ctx: systemCtx(app.db), input: {}, scope: { entities: ["NOWHERE"], regions: [] } });
    expect(nowhere).toEqual({ groups: [], totals: { count: 0, hours: "0.00", value: {} } });
  });

  it("pages a group's items on (updated at, id) without gaps or repeats, each with its entry and attempts", async () => {
    const expectedIds = specs.filter((s) => s.cause === "5xx").map((s) => ids.get(s)!);
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<typeof deadLetterItems>> = await deadLetterItems({ ctx: systemCtx(app.db), input: { cause: "5xx", limit: 2, cursor }, scope: UNRESTRICTED });
      seen.push(...page.items.map((i) => i.postingId));
      for (let k = 1; k < page.items.length; k++) expect(page.items[k - 1]!.updatedAt.getTime()).toBeGreaterThanOrEqual(page.items[k]!.updatedAt.getTime());
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(seen.length);
    expect([...seen].sort()).toEqual([...expectedIds].sort());

    const [first] = (await deadLetterItems({ ctx: systemCtx(app.db), input: { cause: "timeout" }, scope: UNRESTRICTED })).items;
    expect(first).toMatchObject({ status: "dead", hours: "0.75", workDate: "2026-05-12", sourceSystem: "harvest", person: "Ana Souza", attempts: 3, attemptsTotal: 2, lastError: "timed out", legalEntityCode: w.us.code });
    expect(first!.project).toContain("Acme ERP rollout");
  });
});

describe("charts", () => {
  const until = "2026-05-20T12:00:30Z";
  /** percentile_cont: linear interpolation between the closest ranks */
  const percentile = (values: number[], p: number) => {
    const s = [...values].sort((a, b) => a - b);
    const pos = p * (s.length - 1);
    const lo = Math.floor(pos);
    return s[lo]! + (pos - lo) * ((s[Math.ceil(pos)] ?? s[lo]!) - s[lo]!);
  };

  beforeAll(async () => {
    const { posting } = await makePosting({ entity: "us", status: "accepted", hours: "1.00", amount: "1.00", updatedAt: "2026-05-20T12:00:00Z" });
    const a = (at: string, outcome: string, durationMs: number, errorClass: string | null = null, connectorId: string = erp) => attempt(posting.id, { at, outcome, durationMs, errorClass, connectorId });
    await a("2026-05-20T11:30:05Z", "accepted", 100);
    await a("2026-05-20T11:30:15Z", "accepted", 1000);
    await a("2026-05-20T11:30:25Z", "accepted", 300);
    await a("2026-05-20T11:30:35Z", "rejected", 200, "rejected:INVALID_FLD_VALUE");
    await a("2026-05-20T11:30:59.999Z", "transient", 400, "5xx");
    await a("2026-05-20T11:45:00Z", "transient", 5000, "timeout");
    await a("2026-05-20T11:45:10Z", "found", 50);
    // outside the window, or another connector's
    await a("2026-05-20T11:00:59Z", "accepted", 7);
    await a("2026-05-20T12:01:00Z", "accepted", 7);
    await a("2026-05-20T11:30:30Z", "transient", 9999, "network", otherErp);
    await app.db.insert(queueSnapshots).values([
      { connectorId: erp, at: new Date("2026-05-20T11:45:00Z"), pending: 10, retrying: 1, dead: 0, rejected: 0 },
      { connectorId: erp, at: new Date("2026-05-20T11:45:30Z"), pending: 12, retrying: 2, dead: 1, rejected: 0 },
      { connectorId: erp, at: new Date("2026-05-20T11:50:00Z"), pending: 3, retrying: 0, dead: 1, rejected: 1 },
      { connectorId: otherErp, at: new Date("2026-05-20T11:40:00Z"), pending: 99, retrying: 0, dead: 0, rejected: 0 },
    ]);
  });

  it("the last hour by minute: every bucket present, zeros where nothing happened, percentiles of a known set", async () => {
    const c = await syncCharts({ ctx: systemCtx(app.db), input: { connectorId: erp, window: "1h", until } });
    expect(c.points).toHaveLength(60);
    expect(c.points[0]!.at.toISOString()).toBe("2026-05-20T11:01:00.000Z");
    expect(c.points.at(-1)!.at.toISOString()).toBe("2026-05-20T12:00:00.000Z");
    expect(c.to.toISOString()).toBe("2026-05-20T12:01:00.000Z");
    const at = (hhmm: string) => c.points.find((p) => p.at.toISOString() === `2026-05-20T${hhmm}:00.000Z`)!;

    expect(at("11:30")).toMatchObject({ accepted: 3, rejected: 1, failed: 1 });
    expect(at("11:30").p50Ms).toBeCloseTo(percentile([100, 1000, 300, 200, 400], 0.5), 2);
    expect(at("11:30").p95Ms).toBeCloseTo(percentile([100, 1000, 300, 200, 400], 0.95), 2);
    expect(at("11:30").p95Ms).toBe(880);
    expect(at("11:45")).toMatchObject({ accepted: 1, rejected: 0, failed: 1 });
    expect(at("11:45").p50Ms).toBeCloseTo(percentile([5000, 50], 0.5), 2);
    expect(at("11:45").p95Ms).toBeCloseTo(percentile([5000, 50], 0.95), 2);
    expect(at("11:30").errors).toEqual({ "5xx": 1, "rejected:INVALID_FLD_VALUE": 1, timeout: 0 });
    expect(at("11:45").errors).toEqual({ "5xx": 0, "rejected:INVALID_FLD_VALUE": 0, timeout: 1 });

    const quiet = c.points.filter((p) => !["11:30", "11:45"].some((m) => p.at.toISOString().includes(`T${m}:`)));
    expect(quiet).toHaveLength(58);
    for (const p of quiet) {
      expect(p).toMatchObject({ accepted: 0, rejected: 0, failed: 0, p50Ms: null, p95Ms: null });
      expect(p.errors).toEqual({ "5xx": 0, "rejected:INVALID_FLD_VALUE": 0, timeout: 0 });
    }
    expect(c.totals).toEqual({ accepted: 4, rejected: 1, failed: 2 });
    expect(c.errorClasses.map((e) => e.errorClass).sort()).toEqual(["5xx", "rejected:INVALID_FLD_VALUE", "timeout"]);

    // the backlog: the bucket's last snapshot; none taken, none shown
    expect(at("11:45").backlog).toEqual({ pending: 12, retrying: 2, dead: 1, rejected: 0 });
    expect(at("11:50").backlog).toEqual({ pending: 3, retrying: 0, dead: 1, rejected: 1 });
    expect(c.points.filter((p) => p.backlog !== null)).toHaveLength(2);
  });

  it("the last day by 15 minutes and the last week by hour", async () => {
    const day = await syncCharts({ ctx: systemCtx(app.db), input: { connectorId: erp, window: "24h", until } });
    expect(day.points).toHaveLength(96);
    expect(day.stepSeconds).toBe(900);
    expect(day.points.at(-1)!.at.toISOString()).toBe("2026-05-20T12:00:00.000Z");
    const half = day.points.find((p) => p.at.toISOString() === "2026-05-20T11:30:00.000Z")!;
    // 11:30–11:45: the five of 11:30 (the 11:45 ones are the next bucket's)
    expect(half).toMatchObject({ accepted: 3, rejected: 1, failed: 1 });
    expect(day.totals).toEqual({ accepted: 6, rejected: 1, failed: 2 });
    const week = await syncCharts({ ctx: systemCtx(app.db), input: { connectorId: erp, window: "7d", until } });
    expect(week.points).toHaveLength(168);
    expect(week.points.reduce((n, p) => n + p.accepted + p.rejected + p.failed, 0)).toBe(week.totals.accepted + week.totals.rejected + week.totals.failed);
  });

  it("an unknown connector is not found", async () => {
    await expect(syncCharts({ ctx: systemCtx(app.db), input: { connectorId: randomUUID() } })).rejects.toThrow("No connector has this id.");
  });
});

describe("the router", () => {
  const caller = createCallerFactory(syncConsoleRouter);

  it("is for admins and finance ops; others are refused", async () => {
    const pmo = await makeUser(app.db, { roles: ["pmo"] });
    await expect(caller(ctxFor(app.db, pmo)).runs({})).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(caller(ctxFor(app.db, null)).deadLetters({})).rejects.toMatchObject({ code: "UNAUTHORIZED" });
    const finance = await makeUser(app.db, { roles: ["finance_ops"], scope: { entities: [w.us.code], regions: [] } });
    const d = await caller(ctxFor(app.db, finance)).deadLetters({});
    expect(d.groups.find((g) => g.cause === "rejected:USER_ERROR")).toBeUndefined();
    const admin = await makeUser(app.db, { roles: ["admin"] });
    expect((await caller(ctxFor(app.db, admin)).charts({ connectorId: erp, window: "1h", until: "2026-05-20T12:00:30Z" })).points).toHaveLength(60);
  });

  it("refuses bad input with a sentence", async () => {
    const admin = await makeUser(app.db, { roles: ["admin"] });
    await expect(caller(ctxFor(app.db, admin)).charts({ connectorId: erp, window: "2d" as "1h" })).rejects.toThrow(/window must be 1h, 24h or 7d/);
    await expect(caller(ctxFor(app.db, admin)).runs({ limit: 1000 })).rejects.toThrow(/limit can be at most 200/);
  });
});

describe("a run's counts in one line", () => {
  it("speaks the kind's words", () => {
    const zero = { fetched: 0, created: 0, updated: 0, unchanged: 0, posted: 0, rejected: 0, failed: 0, duplicatesSkipped: 0 };
    expect(summarizeRun("time_pull", { ...zero, fetched: 120, created: 30, updated: 5, unchanged: 85 })).toBe("Received 120 entries: 30 new, 5 changed, 85 unchanged.");
    expect(summarizeRun("posting", zero, { circuit: "open" })).toBe("Nothing sent: the ERP's circuit breaker was open.");
    expect(summarizeRun("posting", { ...zero, fetched: 10, posted: 6, duplicatesSkipped: 1, rejected: 2, failed: 1 })).toBe("Sent 10 postings: 6 accepted, 1 found already in the ERP, 2 refused by the ERP, 1 dead-lettered.");
  });
});
