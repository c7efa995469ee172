/**
 * The NetSuite connector over real HTTP against the NetSuite simulator (its own database,
 * seeded from the demo generator), plus a tiny local server for answers the API never
 * promises.
 */
import { createServer, type Server } from "node:http";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { close, freshSqlDatabase, listen } from "../../../../test/http";
import { runBilling } from "../../../simulators/netsuite/billing";
import { ensureSchema } from "../../../simulators/netsuite/schema";
import { JOB_STATUS, seedIfEmpty, type SeedOptions } from "../../../simulators/netsuite/seed";
import { createNetSuiteSimulator } from "../../../simulators/netsuite/server";
import { FaultInjector, faultConfig, NO_FAULTS } from "../../../simulators/shared/faults";
import type { PostingOutcome, PostingRequest } from "../types";
import { Semaphore } from "./client";
import { createNetSuiteConnector, NetSuiteLookupError, parseNetSuiteConfig, type NetSuiteConnector } from "./connector";
import { memoFor, retryAfterMs, timeBillIdFromLocation, toTimeBill } from "./map";
import { invoicesBetween, timeBillsBetween } from "./readback";

const OPTS: SeedOptions = { seed: 11, consultants: 20, projects: 15, months: 2, endDate: "2026-11-22" };
const TOKEN = "connector-test-token";
const ACCOUNT = "TSTDRV100001";

type Db = Awaited<ReturnType<typeof freshSqlDatabase>>;
let db: Db;
let injector: FaultInjector;
let server: Server;
let base: string;
let ns: NetSuiteConnector;
let fx: { job: string; subsidiary: string; employee: string; item: string; openDay: string; closedDay: string; onHoldJob: string; closedJob: string };

let seq = 0;
/** a valid posting with its own key (unless given one) */
const request = (over: Partial<PostingRequest> = {}): PostingRequest => {
  const n = ++seq;
  return {
    idempotencyKey: `hb-create-test-${n}-${Date.now()}`,
    kind: "create",
    entry: { sourceSystem: "harvest", sourceId: String(9000 + n), version: 2 },
    workDate: fx.openDay,
    hours: "2.50",
    billable: true,
    rate: "150.00",
    currency: "USD",
    erp: { jobId: fx.job, itemId: fx.item, employeeId: fx.employee, subsidiaryId: fx.subsidiary },
    ...over,
  };
};

const connector = (over: Partial<Parameters<typeof createNetSuiteConnector>[0]> = {}) =>
  createNetSuiteConnector({ baseUrl: `${base}/services/rest`, accountId: ACCOUNT, token: TOKEN, concurrency: 5, timeoutMs: 5_000, ...over });

const countByKey = async (key: string) => (await db.sql`select count(*)::int as n from sim_netsuite.timebill where idempotencykey = ${key}`)[0]!.n as number;

function accepted(o: PostingOutcome): string {
  if (o.kind !== "accepted") throw new Error(`expected accepted, got ${JSON.stringify(o)}`);
  return o.erpId;
}

const faults = (cfg: Record<string, unknown>) => injector.set(faultConfig.parse(cfg));

beforeAll(async () => {
  db = await freshSqlDatabase(20);
  await ensureSchema(db.sql);
  await seedIfEmpty(db.sql, OPTS);
  injector = new FaultInjector();
  server = createNetSuiteSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, faults: injector, concurrencyLimit: 5 });
  base = await listen(server);
  ns = connector();

  const [job] = await db.sql`
    select j.id, j.subsidiary, (select e.id from sim_netsuite.employee e where e.subsidiary = j.subsidiary and not e.isinactive order by e.id limit 1) as employee
    from sim_netsuite.job j where j.entitystatus = ${JOB_STATUS.active.id} and not j.isinactive
      and exists (select 1 from sim_netsuite.accountingperiod p where p.subsidiary = j.subsidiary and p.closed)
      and exists (select 1 from sim_netsuite.employee e where e.subsidiary = j.subsidiary and not e.isinactive)
    order by j.id limit 1`;
  const [item] = await db.sql`select id from sim_netsuite.item where not isinactive order by id limit 1`;
  const [open] = await db.sql`select to_char(startdate + 3, 'YYYY-MM-DD') as d from sim_netsuite.accountingperiod where subsidiary = ${job!.subsidiary} and not closed order by startdate desc limit 1`;
  const [closed] = await db.sql`select to_char(startdate + 3, 'YYYY-MM-DD') as d from sim_netsuite.accountingperiod where subsidiary = ${job!.subsidiary} and closed limit 1`;
  const [onHold] = await db.sql`select id from sim_netsuite.job where entitystatus = ${JOB_STATUS.on_hold.id} limit 1`;
  const [closedJob] = await db.sql`select id from sim_netsuite.job where entitystatus = ${JOB_STATUS.closed.id} limit 1`;
  fx = { job: job!.id, subsidiary: job!.subsidiary, employee: job!.employee, item: item!.id, openDay: open!.d, closedDay: closed!.d, onHoldJob: onHold!.id, closedJob: closedJob!.id };
}, 60_000);

afterEach(() => injector.set(NO_FAULTS));

afterAll(async () => {
  if (server) await close(server);
  if (db) await db.drop();
});

describe("config and mapping", () => {
  it("refuses a bad configuration with a sentence naming the field", () => {
    expect(() => parseNetSuiteConfig({ baseUrl: "http://x.example/api", accountId: "A", token: "t" })).toThrow(/NetSuite connector configuration is not valid: baseUrl must end with \/services\/rest/);
    expect(() => parseNetSuiteConfig({ baseUrl: "http://x.example/services/rest", accountId: "", token: "t" })).toThrow(/accountId must not be empty/);
    expect(() => parseNetSuiteConfig({ baseUrl: "http://x.example/services/rest", accountId: "A", token: "t", concurrency: 0 })).toThrow(/concurrency/);
    expect(parseNetSuiteConfig({ baseUrl: "http://x.example/services/rest/", accountId: "A", token: "t" })).toMatchObject({ baseUrl: "http://x.example/services/rest", concurrency: 5 });
  });

  it("maps a posting to a timeBill body and reads Location and Retry-After", () => {
    const r = { ...request(), entry: { sourceSystem: "harvest", sourceId: "123", version: 2 } };
    expect(toTimeBill(r)).toEqual({
      employee: { id: fx.employee }, customer: { id: fx.job }, item: { id: fx.item }, subsidiary: { id: fx.subsidiary },
      hours: 2.5, rate: 150, isBillable: true, tranDate: fx.openDay, memo: "Harvest 123 v2",
    });
    expect(toTimeBill({ ...r, billable: false, rate: null })).not.toHaveProperty("rate");
    expect(memoFor({ ...r, memo: "custom" })).toBe("custom");
    expect(timeBillIdFromLocation("http://h/services/rest/record/v1/timeBill/TB-7")).toBe("TB-7");
    expect(timeBillIdFromLocation("http://h/services/rest/async/v1/job/5")).toBeNull();
    expect(timeBillIdFromLocation(null)).toBeNull();
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs("soon")).toBeNull();
  });
});

describe("semaphore", () => {
  it("hands slots out in order, never more than its size, and lets a waiter give up", async () => {
    const s = new Semaphore(2);
    const a = await s.acquire();
    const b = await s.acquire();
    const order: string[] = [];
    const c = s.acquire().then((r) => (order.push("c"), r));
    const ac = new AbortController();
    const d = s.acquire(ac.signal);
    const e = s.acquire().then((r) => (order.push("e"), r));
    ac.abort();
    await expect(d).rejects.toBeDefined();
    a();
    b();
    (await c)();
    (await e)();
    expect(order).toEqual(["c", "e"]);
    expect(s.peak).toBe(2);
    expect(s.inUse).toBe(0);
  });
});

describe("create", () => {
  it("posts a clean entry, which reads back with the mapped fields; the same request again changes nothing", async () => {
    const r = request();
    const erpId = accepted(await ns.post(r));
    const res = await fetch(`${base}/services/rest/record/v1/timeBill/${erpId}`, { headers: { Authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const tb = (await res.json()) as Record<string, { id?: string } & unknown>;
    expect(tb).toMatchObject({
      id: erpId,
      employee: { id: fx.employee },
      customer: { id: fx.job },
      item: { id: fx.item },
      subsidiary: { id: fx.subsidiary },
      hours: 2.5,
      rate: 150,
      isBillable: true,
      tranDate: fx.openDay,
      memo: `Harvest ${r.entry.sourceId} v2`,
    });
    expect(accepted(await ns.post(r))).toBe(erpId);
    expect(await countByKey(r.idempotencyKey)).toBe(1);
    expect(await ns.findByIdempotencyKey(r.idempotencyKey)).toEqual({ erpId });
  });

  it("finds nothing for an unused key, and the lookup creates nothing", async () => {
    const key = `hb-create-unused-${Date.now()}`;
    const before = (await db.sql`select count(*)::int as n from sim_netsuite.timebill`)[0]!.n;
    expect(await ns.findByIdempotencyKey(key)).toBeNull();
    expect((await db.sql`select count(*)::int as n from sim_netsuite.timebill`)[0]!.n).toBe(before);
    // and the key is still free for the real posting
    const erpId = accepted(await ns.post(request({ idempotencyKey: key })));
    expect(await ns.findByIdempotencyKey(key)).toEqual({ erpId });
  });

  it.each([
    ["a closed period", () => request({ workDate: fx.closedDay }), "PERIOD_CLOSED"],
    ["a project on hold", () => request({ erp: { ...request().erp, jobId: fx.onHoldJob } }), "INVALID_JOB_STATUS"],
    ["a closed project", () => request({ erp: { ...request().erp, jobId: fx.closedJob } }), "INVALID_JOB_STATUS"],
    ["an unknown employee", () => request({ erp: { ...request().erp, employeeId: "EMP-NOPE" } }), "INVALID_KEY_OR_REF"],
    ["an unknown item", () => request({ erp: { ...request().erp, itemId: "ITEM-NOPE" } }), "INVALID_KEY_OR_REF"],
    ["hours out of range", () => request({ hours: "30.00" }), "INVALID_FLD_VALUE"],
  ])("rejects %s with its code, creating nothing", async (_label, make, code) => {
    const r = make();
    const o = await ns.post(r);
    expect(o).toMatchObject({ kind: "rejected", code });
    expect((o as { message: string }).message.length).toBeGreaterThan(0);
    expect(await countByKey(r.idempotencyKey)).toBe(0);
  });

  it("creates exactly one record for 10 concurrent posts of one request", async () => {
    const r = request();
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => ns.post(r)));
    const ids = new Set(outcomes.map(accepted));
    expect(ids.size).toBe(1);
    expect(await countByKey(r.idempotencyKey)).toBe(1);
  });

  it("keeps requests in flight within the configured limit, so the ERP's concurrency 429 never appears", async () => {
    const inj = new FaultInjector(faultConfig.parse({ latencyMs: 40 }));
    const tight = createNetSuiteSimulator({ sql: db.sql, accountId: ACCOUNT, token: TOKEN, faults: inj, concurrencyLimit: 3 });
    const tightBase = await listen(tight);
    try {
      const c = createNetSuiteConnector({ baseUrl: `${tightBase}/services/rest`, accountId: ACCOUNT, token: TOKEN, concurrency: 3, timeoutMs: 5_000 });
      const outcomes = await Promise.all(Array.from({ length: 12 }, () => c.post(request())));
      expect(outcomes.map((o) => o.kind)).toEqual(Array(12).fill("accepted"));
      expect(c.client.slots.peak).toBe(3);
      expect(c.client.slots.inUse).toBe(0);
      // the same burst without the semaphore's discipline does trip the limit (the test is not vacuous)
      const loose = createNetSuiteConnector({ baseUrl: `${tightBase}/services/rest`, accountId: ACCOUNT, token: TOKEN, concurrency: 12, timeoutMs: 5_000 });
      const burst = await Promise.all(Array.from({ length: 12 }, () => loose.post(request())));
      expect(burst.some((o) => o.kind === "transient" && o.status === 429 && o.retryAfterMs === null)).toBe(true);
    } finally {
      await close(tight);
    }
  });
});

describe("faults", () => {
  it("a 5xx is transient", async () => {
    faults({ serverErrorRate: 1 });
    const r = request();
    const o = await ns.post(r);
    expect(o.kind).toBe("transient");
    expect([500, 502, 503]).toContain((o as { status: number }).status);
    injector.set(NO_FAULTS);
    expect(await countByKey(r.idempotencyKey)).toBe(0);
  });

  it("an outage is transient with the 503's Retry-After", async () => {
    faults({ outage: { from: new Date(Date.now() - 1000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() } });
    expect(await ns.post(request())).toMatchObject({ kind: "transient", status: 503, retryAfterMs: 30_000 });
  });

  it("a 429 is transient with retryAfterMs", async () => {
    faults({ rateLimitRate: 1, retryAfterSeconds: 2 });
    expect(await ns.post(request())).toMatchObject({ kind: "transient", status: 429, retryAfterMs: 2000 });
  });

  it("a timeout is transient, and fast with a short timeout", async () => {
    faults({ timeoutRate: 1 });
    const quick = connector({ timeoutMs: 150 });
    const t0 = Date.now();
    const o = await quick.post(request());
    expect(o).toMatchObject({ kind: "transient", status: null });
    expect((o as { reason: string }).reason).toMatch(/no answer within 150 ms/);
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("a caller's abort is transient too", async () => {
    faults({ timeoutRate: 1 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    expect(await ns.post(request(), ac.signal)).toMatchObject({ kind: "transient", status: null, reason: expect.stringMatching(/cancelled by the caller/) });
  });

  it("a connection reset is transient", async () => {
    faults({ resetRate: 1 });
    const r = request();
    expect(await ns.post(r)).toMatchObject({ kind: "transient", status: null });
    injector.set(NO_FAULTS);
    expect(await countByKey(r.idempotencyKey)).toBe(0);
  });

  it("a lost response is transient; the lookup then finds the record and a re-post creates no second one", async () => {
    faults({ lostResponseRate: 1 });
    const r = request();
    const o = await ns.post(r);
    expect(o).toMatchObject({ kind: "transient", status: null });
    // the lookup itself cannot settle anything while answers are lost
    await expect(ns.findByIdempotencyKey(r.idempotencyKey)).rejects.toBeInstanceOf(NetSuiteLookupError);
    injector.set(NO_FAULTS);
    expect(await countByKey(r.idempotencyKey)).toBe(1);
    const found = await ns.findByIdempotencyKey(r.idempotencyKey);
    expect(found).not.toBeNull();
    expect(accepted(await ns.post(r))).toBe(found!.erpId);
    expect(await countByKey(r.idempotencyKey)).toBe(1);
  });

  it("a wrong token is transient (not the posting's fault)", async () => {
    const bad = connector({ token: "wrong" });
    expect(await bad.post(request())).toMatchObject({ kind: "transient", status: 401 });
  });
});

describe("reverse", () => {
  it("deletes a posted time bill; a second reversal finds it already gone", async () => {
    const r = request();
    const erpId = accepted(await ns.post(r));
    const rev: PostingRequest = { ...r, kind: "reverse", idempotencyKey: r.idempotencyKey.replace("create", "reverse"), erpId };
    expect(await ns.post(rev)).toMatchObject({ kind: "accepted", erpId });
    expect((await db.sql`select count(*)::int as n from sim_netsuite.timebill where id = ${erpId}`)[0]!.n).toBe(0);
    expect(await ns.post(rev)).toMatchObject({ kind: "accepted", erpId, response: { alreadyGone: true } });
  });

  it("refuses a reversal without an ERP id", async () => {
    expect(await ns.post({ ...request(), kind: "reverse", erpId: null })).toMatchObject({ kind: "rejected", code: "MISSING_ERP_ID" });
  });

  it("rejects the reversal of an invoiced time bill", async () => {
    const r = request();
    const erpId = accepted(await ns.post(r));
    await runBilling(db.sql, { asOf: fx.openDay });
    const [tb] = await db.sql`select invoice from sim_netsuite.timebill where id = ${erpId}`;
    expect(tb!.invoice).not.toBeNull();
    expect(await ns.post({ ...r, kind: "reverse", erpId })).toMatchObject({ kind: "rejected", code: "THIS_RECORD_CANNOT_BE_DELETED" });
  });
});

describe("answers the API never promises", () => {
  let bad: Server;
  let badBase: string;
  let answer: (res: import("node:http").ServerResponse) => void = (res) => res.end();
  beforeAll(async () => {
    bad = createServer((req, res) => {
      req.resume();
      req.on("end", () => answer(res));
    });
    badBase = await listen(bad);
  });
  afterAll(async () => {
    await close(bad);
  });
  const c = () => createNetSuiteConnector({ baseUrl: `${badBase}/services/rest`, accountId: ACCOUNT, token: TOKEN });

  it("a 204 without Location is transient, not a success", async () => {
    answer = (res) => res.writeHead(204).end();
    expect(await c().post(request())).toMatchObject({ kind: "transient", status: 204, reason: expect.stringMatching(/without a Location/) });
  });

  it("a 200 with a garbage body and a Location naming no time bill is transient", async () => {
    answer = (res) => res.writeHead(200, { Location: `${badBase}/services/rest/record/v1/job/5`, "Content-Type": "text/html" }).end("<html>oops</html>");
    expect(await c().post(request())).toMatchObject({ kind: "transient", status: 200 });
  });

  it("a redirect is not followed and is transient", async () => {
    answer = (res) => res.writeHead(302, { Location: `${badBase}/services/rest/record/v1/timeBill/TB-1` }).end();
    expect(await c().post(request())).toMatchObject({ kind: "transient", status: 302 });
  });

  it("a 400 whose body is not NetSuite's error format is transient", async () => {
    answer = (res) => res.writeHead(400, { "Content-Type": "text/html" }).end("<html>Bad gateway config</html>");
    expect(await c().post(request())).toMatchObject({ kind: "transient", status: 400 });
  });

  it("a 400 IDEMPOTENCY_ERROR naming the original time bill is accepted as that record", async () => {
    answer = (res) =>
      res
        .writeHead(400, { "Content-Type": "application/json", Location: `${badBase}/services/rest/record/v1/timeBill/TB-42` })
        .end(JSON.stringify({ type: "x", title: "Bad Request", status: 400, "o:errorDetails": [{ detail: "used", "o:errorCode": "IDEMPOTENCY_ERROR" }] }));
    expect(await c().post(request())).toMatchObject({ kind: "accepted", erpId: "TB-42" });
    expect(await c().findByIdempotencyKey("k-1")).toEqual({ erpId: "TB-42" });
  });
});

describe("read-back through SuiteQL", () => {
  it("pages through a subsidiary's time bills in a date range, matching what the ERP holds", async () => {
    const from = `${fx.openDay.slice(0, 7)}-01`;
    const to = OPTS.endDate;
    const pages: number[] = [];
    const seen: import("./readback").ErpTimeBill[] = [];
    for await (const page of timeBillsBetween(ns.client, from, to, { subsidiary: fx.subsidiary, pageSize: 7 })) {
      pages.push(page.length);
      seen.push(...page);
    }
    const rows = await db.sql`
      select id, hours::text as hours, invoice from sim_netsuite.timebill
      where subsidiary = ${fx.subsidiary} and trandate between ${from}::date and ${to}::date`;
    expect(rows.length).toBeGreaterThan(7);
    expect(pages.length).toBe(Math.ceil(rows.length / 7));
    expect(new Set(seen.map((t) => t.erpId)).size).toBe(rows.length);
    const want = new Map(rows.map((r) => [r.id as string, r]));
    for (const t of seen) {
      expect(t.subsidiaryId).toBe(fx.subsidiary);
      expect(Number(t.hours)).toBe(Number(want.get(t.erpId)!.hours));
      expect(t.invoiceId).toBe(want.get(t.erpId)!.invoice ?? null);
      expect(t.workDate >= from && t.workDate <= to).toBe(true);
    }
  });

  it("reads invoices with their time lines", async () => {
    const from = "2000-01-01";
    const to = "2100-01-01";
    const invoices: import("./readback").ErpInvoice[] = [];
    for await (const page of invoicesBetween(ns.client, from, to, { pageSize: 5 })) invoices.push(...page);
    const [n] = await db.sql`select count(*)::int as n, (select count(*)::int from sim_netsuite.transactionline) as lines from sim_netsuite."transaction"`;
    expect(invoices.length).toBe(n!.n);
    expect(invoices.reduce((s, i) => s + i.lines.length, 0)).toBe(n!.lines);
    for (const inv of invoices) {
      const sum = inv.lines.reduce((s, l) => s + Number(l.amount), 0);
      expect(sum).toBeCloseTo(Number(inv.total), 2);
    }
    expect(invoices.some((i) => i.lines.some((l) => l.timeBillId !== null))).toBe(true);
  });

  it("refuses a malformed range before asking the ERP", async () => {
    await expect(timeBillsBetween(ns.client, "2026-13-01", "2026-12-31").next()).rejects.toThrow(/from must be a day/);
  });
});
