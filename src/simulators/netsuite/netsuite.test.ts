import type { Server } from "node:http";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { close, freshSqlDatabase, listen } from "../../../test/http";
import { generateDemo } from "../../server/demo/generate";
import { FaultInjector, faultConfig } from "../shared/faults";
import { runBilling } from "./billing";
import { parseSimEnv } from "./env";
import { ensureSchema } from "./schema";
import { JOB_STATUS, seedIfEmpty, type SeedOptions } from "./seed";
import { createNetSuiteSimulator } from "./server";
import { parseSuiteQL } from "./suiteql";

const OPTS: SeedOptions = { seed: 7, consultants: 20, projects: 15, months: 2, endDate: "2026-11-22" };
const TOKEN = "test-token";
const AUTH = { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" };

type Db = Awaited<ReturnType<typeof freshSqlDatabase>>;
const freshDb = (): Promise<Db> => freshSqlDatabase(20);
const code = (body: unknown) => (body as { "o:errorDetails": { "o:errorCode": string }[] })["o:errorDetails"][0]!["o:errorCode"];

let db: Db;
let injector: FaultInjector;
let server: Server;
let base: string;
/** fixtures looked up in the seeded account */
let fx: { job: string; subsidiary: string; employee: string; item: string; openDay: string; closedDay: string; onHoldJob: string; closedJob: string };

const api = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } });
const post = (body: unknown, headers: Record<string, string> = {}) => api("/services/rest/record/v1/timeBill", { method: "POST", body: JSON.stringify(body), headers });
const suiteql = (q: string, params = "") => api(`/services/rest/query/v1/suiteql${params}`, { method: "POST", body: JSON.stringify({ q }), headers: { Prefer: "transient" } });
const valid = (over: Record<string, unknown> = {}) => ({
  employee: { id: fx.employee },
  customer: { id: fx.job },
  item: { id: fx.item },
  subsidiary: { id: fx.subsidiary },
  hours: 2.5,
  rate: "150.00",
  isBillable: true,
  tranDate: fx.openDay,
  memo: "Workshop",
  ...over,
});
const idOf = (location: string | null) => location!.split("/").pop()!;

beforeAll(async () => {
  db = await freshDb();
  await ensureSchema(db.sql);
  const seeded = await seedIfEmpty(db.sql, OPTS);
  expect(seeded.seeded).toBe(true);
  injector = new FaultInjector();
  server = createNetSuiteSimulator({ sql: db.sql, accountId: "TSTDRV100001", token: TOKEN, faults: injector, concurrencyLimit: 20 });
  base = await listen(server);

  const [job] = await db.sql`
    select j.id, j.subsidiary, (select e.id from sim_netsuite.employee e where e.subsidiary = j.subsidiary and not e.isinactive order by e.id limit 1) as employee
    from sim_netsuite.job j where j.entitystatus = ${JOB_STATUS.active.id} and exists (select 1 from sim_netsuite.accountingperiod p where p.subsidiary = j.subsidiary and p.closed)
    order by j.id limit 1`;
  const [item] = await db.sql`select id from sim_netsuite.item where not isinactive order by id limit 1`;
  const [open] = await db.sql`select to_char(startdate + 3, 'YYYY-MM-DD') as d from sim_netsuite.accountingperiod where subsidiary = ${job!.subsidiary} and not closed order by startdate desc limit 1`;
  const [closed] = await db.sql`select to_char(startdate + 3, 'YYYY-MM-DD') as d from sim_netsuite.accountingperiod where subsidiary = ${job!.subsidiary} and closed limit 1`;
  const [onHold] = await db.sql`select id from sim_netsuite.job where entitystatus = ${JOB_STATUS.on_hold.id} limit 1`;
  const [closedJob] = await db.sql`select id from sim_netsuite.job where entitystatus = ${JOB_STATUS.closed.id} limit 1`;
  fx = {
    job: job!.id,
    subsidiary: job!.subsidiary,
    employee: job!.employee,
    item: item!.id,
    openDay: open!.d,
    closedDay: closed!.d,
    onHoldJob: onHold!.id,
    closedJob: closedJob!.id,
  };
}, 60_000);

afterAll(async () => {
  if (server) await close(server);
  if (db) await db.drop();
});

describe("seeding", () => {
  it("agrees with the app's demo generator (job status, labor cost, subsidiaries, time bills)", async () => {
    const demo = generateDemo(OPTS);
    const jobs = await db.sql`select id, entitystatus from sim_netsuite.job`;
    expect(jobs).toHaveLength(demo.projects.length);
    const status = new Map(jobs.map((j) => [j.id as string, j.entitystatus as string]));
    for (const p of demo.projects) expect(status.get(p.erpId)).toBe(JOB_STATUS[p.status!].id);

    const emps = await db.sql`select id, laborcost from sim_netsuite.employee`;
    const cost = new Map(emps.map((e) => [e.id as string, e.laborcost as string | null]));
    for (const e of demo.employees) {
      const rates = demo.costRates.filter((r) => r.employeeId === e.id && r.validFrom <= OPTS.endDate && (r.validTo == null || r.validTo >= OPTS.endDate));
      rates.sort((a, b) => b.validFrom.localeCompare(a.validFrom));
      expect(cost.get(e.erpId) ?? null).toBe(rates[0]?.rate ?? null);
    }
    const subs = await db.sql`select id from sim_netsuite.subsidiary order by id`;
    expect(subs.map((s) => s.id)).toEqual(demo.legalEntities.map((e) => e.erpSubsidiaryId).sort());
    const closed = await db.sql`select count(*)::int as n from sim_netsuite.accountingperiod where closed`;
    expect(closed[0]!.n).toBe(demo.accountingPeriods.filter((p) => p.status === "closed").length);

    let posted = 0;
    for (const chunk of demo.timeEntryChunks()) for (const b of chunk) if (b.entry.erpId && b.entry.state !== "void") posted++;
    const [tb] = await db.sql`select count(*)::int as n, count(invoice)::int as billed from sim_netsuite.timebill`;
    expect(tb!.n).toBe(posted);
    expect(tb!.billed).toBeGreaterThan(0);
    // invoices keep their generated totals, and the lines add up to them
    const inv = await db.sql`
      select x.id, x.foreigntotal::text as total, (select sum(foreignamount)::text from sim_netsuite.transactionline l where l."transaction" = x.id) as lines
      from sim_netsuite."transaction" x`;
    expect(inv).toHaveLength(demo.invoices.length);
    for (const v of inv) expect(Number(v.lines)).toBeCloseTo(Number(v.total), 2);
  });

  it("is deterministic and runs only once", async () => {
    const other = await freshDb();
    try {
      await ensureSchema(other.sql);
      await seedIfEmpty(other.sql, OPTS);
      expect((await seedIfEmpty(other.sql, OPTS)).seeded).toBe(false);
      const digest = async (sql: postgres.Sql) => {
        const out: string[] = [];
        for (const t of ["subsidiary", "customer", "job", "employee", "item", "accountingperiod", "transaction", "transactionline"]) {
          const [r] = await sql.unsafe(`select md5(coalesce(string_agg(x::text, '|' order by x::text), '')) as h from sim_netsuite."${t}" x`);
          out.push(`${t}:${r!.h}`);
        }
        const [r] = await sql.unsafe(`select md5(string_agg(concat_ws(',', id, employee, customer, item, hours, rate, isbillable, trandate, invoice, idempotencykey), '|' order by id)) as h from sim_netsuite.timebill`);
        out.push(`timebill:${r!.h}`);
        return out;
      };
      expect(await digest(other.sql)).toEqual(await digest(db.sql));
    } finally {
      await other.drop();
    }
  });
});

describe("timeBill create and read", () => {
  it("answers 204 with a Location, and the record reads back", async () => {
    const res = await post(valid(), { "X-NetSuite-Idempotency-Key": "k-create-1" });
    expect(res.status).toBe(204);
    const loc = res.headers.get("location")!;
    expect(loc).toMatch(new RegExp(`^${base}/services/rest/record/v1/timeBill/TB-\\d+$`));
    const got = await api(new URL(loc).pathname);
    expect(got.status).toBe(200);
    const body = (await got.json()) as Record<string, any>;
    expect(body).toMatchObject({
      id: idOf(loc),
      employee: { id: fx.employee },
      customer: { id: fx.job },
      item: { id: fx.item },
      subsidiary: { id: fx.subsidiary },
      hours: 2.5,
      rate: 150,
      isBillable: true,
      isBilled: false,
      tranDate: fx.openDay,
      memo: "Workshop",
      approvalStatus: { id: "3", refName: "Approved" },
    });
    expect(body.links[0]).toEqual({ rel: "self", href: loc });
    expect(typeof body.employee.refName).toBe("string");
    expect(body.employee.links[0].href).toBe(`${base}/services/rest/record/v1/employee/${fx.employee}`);
  });

  it("a repeated idempotency key answers the original record and creates nothing", async () => {
    const first = await post(valid({ memo: "idem" }), { "X-NetSuite-Idempotency-Key": "k-repeat" });
    const again = await post(valid({ memo: "idem", hours: 3 }), { "X-NetSuite-Idempotency-Key": "k-repeat" });
    expect(first.status).toBe(204);
    expect(again.status).toBe(204);
    expect(again.headers.get("location")).toBe(first.headers.get("location"));
    const [r] = await db.sql`select count(*)::int as n from sim_netsuite.timebill where idempotencykey = 'k-repeat'`;
    expect(r!.n).toBe(1);
  });

  it("10 concurrent requests with one key create exactly one record", async () => {
    const results = await Promise.all(Array.from({ length: 10 }, () => post(valid({ memo: "race" }), { "X-NetSuite-Idempotency-Key": "k-race" })));
    expect(results.map((r) => r.status)).toEqual(Array(10).fill(204));
    expect(new Set(results.map((r) => r.headers.get("location"))).size).toBe(1);
    const [r] = await db.sql`select count(*)::int as n from sim_netsuite.timebill where memo = 'race'`;
    expect(r!.n).toBe(1);
  });

  it("refuses business errors with NetSuite's error body and codes", async () => {
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ tranDate: fx.closedDay }, "PERIOD_CLOSED", /closed/],
      [{ customer: { id: fx.onHoldJob } }, "INVALID_JOB_STATUS", /On Hold/],
      [{ customer: { id: fx.closedJob } }, "INVALID_JOB_STATUS", /Closed/],
      [{ item: { id: "999999" } }, "INVALID_KEY_OR_REF", /item reference key 999999/],
      [{ employee: { id: "999999" } }, "INVALID_KEY_OR_REF", /employee reference key 999999/],
      [{ customer: { id: "999999" } }, "INVALID_KEY_OR_REF", /customer reference key 999999/],
      [{ subsidiary: { id: "999" } }, "INVALID_KEY_OR_REF", /subsidiary/],
      [{ hours: 25 }, "INVALID_FLD_VALUE", /hours/],
      [{ hours: "abc" }, "INVALID_FLD_VALUE", /hours/],
      [{ hours: 0 }, "INVALID_FLD_VALUE", /hours/],
      [{ tranDate: "2026-02-30" }, "INVALID_FLD_VALUE", /tranDate/],
      [{ tranDate: "11/03/2026" }, "INVALID_FLD_VALUE", /tranDate/],
      [{ isBillable: "yes" }, "INVALID_FLD_VALUE", /isBillable/],
      [{ employee: "300" }, "INVALID_FLD_VALUE", /employee/],
      [{ approvalStatus: { id: "9" } }, "INVALID_FLD_VALUE", /approvalStatus/],
      [{ foo: 1 }, "INVALID_FIELD_NAME", /'foo'/],
      [{ employee: null }, "USER_ERROR", /employee/],
    ];
    const before = await db.sql`select count(*)::int as n from sim_netsuite.timebill`;
    for (const [over, errorCode, detail] of cases) {
      const res = await post(valid(over));
      const body = (await res.json()) as Record<string, any>;
      expect(res.status, JSON.stringify(over)).toBe(400);
      expect(body.type).toBe("https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1");
      expect(body.title).toBe("Bad Request");
      expect(body.status).toBe(400);
      expect(code(body), JSON.stringify(over)).toBe(errorCode);
      expect(body["o:errorDetails"][0].detail).toMatch(detail);
    }
    const after = await db.sql`select count(*)::int as n from sim_netsuite.timebill`;
    expect(after[0]!.n).toBe(before[0]!.n);
  });

  it("refuses malformed JSON, bad auth, unknown records and paths the NetSuite way", async () => {
    const bad = await api("/services/rest/record/v1/timeBill", { method: "POST", body: "{not json" });
    expect(bad.status).toBe(400);
    expect(code(await bad.json())).toBe("INVALID_CONTENT");
    const arr = await post([valid()]);
    expect(code(await arr.json())).toBe("INVALID_CONTENT");

    for (const auth of [undefined, "Bearer wrong", `Basic ${TOKEN}`]) {
      const res = await fetch(`${base}/services/rest/record/v1/job/${fx.job}`, { headers: auth ? { Authorization: auth } : {} });
      expect(res.status).toBe(401);
      const body = (await res.json()) as Record<string, any>;
      expect(body.title).toBe("Unauthorized");
      expect(code(body)).toBe("INVALID_LOGIN");
    }
    const missing = await api("/services/rest/record/v1/timeBill/TB-1");
    expect(missing.status).toBe(404);
    expect(code(await missing.json())).toBe("NONEXISTENT_ID");
    const nope = await api("/services/rest/record/v1/salesOrder/1");
    expect(nope.status).toBe(404);
    const key = await post(valid(), { "X-NetSuite-Idempotency-Key": "x".repeat(200) });
    expect(key.status).toBe(400);
    expect(code(await key.json())).toBe("INVALID_HEADER");
  });

  it("GETs every record type with references", async () => {
    const [period] = await db.sql`select id from sim_netsuite.accountingperiod where closed limit 1`;
    const [inv] = await db.sql`select id from sim_netsuite."transaction" order by id limit 1`;
    const [cust] = await db.sql`select customer from sim_netsuite.job where id = ${fx.job}`;
    const job = (await (await api(`/services/rest/record/v1/job/${fx.job}`)).json()) as Record<string, any>;
    expect(job).toMatchObject({ id: fx.job, entityStatus: { id: "2", refName: "In Progress" }, subsidiary: { id: fx.subsidiary }, isInactive: false });
    const onHold = (await (await api(`/services/rest/record/v1/job/${fx.onHoldJob}`)).json()) as Record<string, any>;
    expect(onHold.entityStatus).toEqual({ id: "4", refName: "On Hold" });
    const emp = (await (await api(`/services/rest/record/v1/employee/${fx.employee}`)).json()) as Record<string, any>;
    expect(emp).toMatchObject({ id: fx.employee, subsidiary: { id: fx.subsidiary } });
    expect(typeof emp.laborCost === "number" || emp.laborCost === undefined).toBe(true);
    expect(await (await api(`/services/rest/record/v1/customer/${cust!.customer}`)).json()).toMatchObject({ id: cust!.customer, subsidiary: { id: fx.subsidiary } });
    expect(await (await api(`/services/rest/record/v1/subsidiary/${fx.subsidiary}`)).json()).toMatchObject({ id: fx.subsidiary });
    expect(await (await api(`/services/rest/record/v1/accountingPeriod/${period!.id}`)).json()).toMatchObject({ id: period!.id, isClosed: true });
    expect(await (await api(`/services/rest/record/v1/item/${fx.item}`)).json()).toMatchObject({ id: fx.item, itemType: { refName: "Service" } });
    const invoice = (await (await api(`/services/rest/record/v1/invoice/${inv!.id}`)).json()) as Record<string, any>;
    expect(invoice.id).toBe(inv!.id);
    expect(invoice.item.items.length).toBeGreaterThan(0);
    expect(invoice.item.items.reduce((s: number, l: { amount: number }) => s + l.amount, 0)).toBeCloseTo(invoice.total, 2);
    // record type names are case-insensitive, as in NetSuite
    expect((await api(`/services/rest/record/v1/timebill/TB-100001`)).status).toBe(200);
  });
});

describe("job status changes", () => {
  it("PATCH job puts a project on hold (time is then refused) and back in progress", async () => {
    const path = `/services/rest/record/v1/job/${fx.job}`;
    const patch = (body: unknown) => api(path, { method: "PATCH", body: JSON.stringify(body) });
    try {
      expect((await patch({ entityStatus: { id: "4" } })).status).toBe(204);
      expect(((await (await api(path)).json()) as Record<string, any>).entityStatus).toEqual({ id: "4", refName: "On Hold" });
      const refused = await post(valid({ memo: "on-hold" }));
      expect(code(await refused.json())).toBe("INVALID_JOB_STATUS");
      const bad = await patch({ entityStatus: { id: "9" } });
      expect(code(await bad.json())).toBe("INVALID_FLD_VALUE");
      const field = await patch({ companyName: "x" });
      expect(code(await field.json())).toBe("INVALID_FIELD_NAME");
      expect((await api(`/services/rest/record/v1/job/999999`, { method: "PATCH", body: JSON.stringify({ isInactive: true }) })).status).toBe(404);
      expect((await api(`/services/rest/record/v1/employee/${fx.employee}`, { method: "PATCH", body: "{}" })).status).toBe(405);
    } finally {
      expect((await patch({ entityStatus: { id: "2" }, isInactive: false })).status).toBe(204);
    }
    expect((await post(valid({ memo: "back-in-progress" }))).status).toBe(204);
  });
});

describe("asynchronous batches", () => {
  const waitComplete = async (loc: string) => {
    for (let i = 0; i < 100; i++) {
      const job = (await (await api(new URL(loc).pathname)).json()) as Record<string, any>;
      if (job.completed) return job;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("job did not complete");
  };

  it("202 + job Location; job status; one result per task", async () => {
    const res = await post({ items: [valid({ memo: "batch-1" }), valid({ memo: "batch-2", hours: 1 }), valid({ memo: "batch-3", tranDate: fx.closedDay })] }, { Prefer: "respond-async", "X-NetSuite-Idempotency-Key": "batch-k1" });
    expect(res.status).toBe(202);
    const loc = res.headers.get("location")!;
    expect(loc).toMatch(new RegExp(`^${base}/services/rest/async/v1/job/\\d+$`));
    const job = await waitComplete(loc);
    expect(job).toMatchObject({ status: "complete", completed: true, taskCount: 3 });
    const tasks = (await (await api(`${new URL(loc).pathname}/task`)).json()) as Record<string, any>;
    expect(tasks.count).toBe(3);

    const r1 = await api(`${new URL(loc).pathname}/task/1/result`);
    expect(r1.status).toBe(204);
    const got = (await (await api(new URL(r1.headers.get("location")!).pathname)).json()) as Record<string, any>;
    expect(got.memo).toBe("batch-1");
    expect((await api(`${new URL(loc).pathname}/task/2/result`)).status).toBe(204);
    const r3 = await api(`${new URL(loc).pathname}/task/3/result`);
    expect(r3.status).toBe(400);
    expect(code(await r3.json())).toBe("PERIOD_CLOSED");
    expect(await (await api(`${new URL(loc).pathname}/task/3`)).json()).toMatchObject({ status: "complete", progress: "failed" });

    // the same key again: 400 IDEMPOTENCY_ERROR naming the original job, nothing created
    const again = await post({ items: [valid({ memo: "batch-1" })] }, { Prefer: "respond-async", "X-NetSuite-Idempotency-Key": "batch-k1" });
    expect(again.status).toBe(400);
    const body = (await again.json()) as Record<string, any>;
    expect(code(body)).toBe("IDEMPOTENCY_ERROR");
    expect(body["o:errorDetails"][0].detail).toContain(loc);
    expect(again.headers.get("location")).toBe(loc);
    const [n] = await db.sql`select count(*)::int as n from sim_netsuite.timebill where memo like 'batch-%'`;
    expect(n!.n).toBe(2);
  });

  it("a single record with respond-async works, and batches over 100 are refused", async () => {
    const res = await post(valid({ memo: "async-single" }), { Prefer: "respond-async" });
    expect(res.status).toBe(202);
    await waitComplete(res.headers.get("location")!);
    const big = await post({ items: Array.from({ length: 101 }, () => valid()) }, { Prefer: "respond-async" });
    expect(big.status).toBe(400);
    expect(code(await big.json())).toBe("INVALID_CONTENT");
    expect((await api("/services/rest/async/v1/job/999999")).status).toBe(404);
  });
});

describe("SuiteQL", () => {
  it("filters by subsidiary and date range, orders, and pages", async () => {
    const [exp] = await db.sql`select count(*)::int as n from sim_netsuite.timebill where subsidiary = ${fx.subsidiary} and trandate >= '2026-10-01' and trandate <= '2026-11-30'`;
    const q = `SELECT id, trandate, hours, isbillable, customer FROM timebill WHERE subsidiary = '${fx.subsidiary}' AND trandate >= '2026-10-01' AND trandate <= '2026-11-30' ORDER BY trandate DESC`;
    const first = (await (await suiteql(q, "?limit=50")).json()) as Record<string, any>;
    expect(first.totalResults).toBe(exp!.n);
    expect(first.count).toBe(50);
    expect(first.offset).toBe(0);
    expect(first.hasMore).toBe(true);
    expect(first.links.find((l: { rel: string }) => l.rel === "next").href).toContain("offset=50");
    const dates = first.items.map((i: { trandate: string }) => i.trandate);
    expect([...dates].sort().reverse()).toEqual(dates);
    expect(first.items[0]).toMatchObject({ links: [] });
    expect(first.items[0].isbillable).toMatch(/^[TF]$/);

    const seen = new Set<string>();
    let offset = 0;
    for (;;) {
      const page = (await (await suiteql(q, `?limit=50&offset=${offset}`)).json()) as Record<string, any>;
      for (const i of page.items) seen.add(i.id);
      if (!page.hasMore) {
        expect(page.links.some((l: { rel: string }) => l.rel === "next")).toBe(false);
        break;
      }
      offset += 50;
    }
    expect(seen.size).toBe(exp!.n);
    const past = (await (await suiteql(q, `?limit=50&offset=${exp!.n + 10}`)).json()) as Record<string, any>;
    expect(past).toMatchObject({ count: 0, hasMore: false, items: [] });
  });

  it("supports equality, numbers, IN, IS NULL and invoice lines linked to time bills", async () => {
    const emp = (await (await suiteql(`select * from employee where id = ${fx.employee}`)).json()) as Record<string, any>;
    expect(emp.count).toBe(1);
    expect(emp.items[0].id).toBe(fx.employee);
    const jobs = (await (await suiteql(`select id, entitystatus from job where entitystatus IN ('1', '4') order by id`)).json()) as Record<string, any>;
    expect(jobs.items.map((j: { entitystatus: string }) => j.entitystatus).every((s: string) => s === "1" || s === "4")).toBe(true);
    expect(jobs.count).toBeGreaterThan(0);
    const lines = (await (await suiteql(`select transaction, linesequencenumber, timebill, foreignamount from transactionline where timebill is not null order by transaction`, "?limit=5")).json()) as Record<string, any>;
    expect(lines.count).toBe(5);
    const tb = (await (await suiteql(`select id, invoice from timebill where id = '${lines.items[0].timebill}'`)).json()) as Record<string, any>;
    expect(tb.items[0].invoice).toBe(lines.items[0].transaction);
    const inv = (await (await suiteql(`select id, tranid, type from transaction where type = 'CustInvc' and id = '${lines.items[0].transaction}'`)).json()) as Record<string, any>;
    expect(inv.count).toBe(1);
    const closed = (await (await suiteql(`select id from accountingperiod where closed = 'T'`)).json()) as Record<string, any>;
    expect(closed.count).toBeGreaterThan(0);
  });

  it("refuses what the subset does not support, naming it", async () => {
    const cases: [string, RegExp][] = [
      ["SELECT t.id FROM timebill t JOIN employee e ON e.id = t.employee", /Unsupported SuiteQL/],
      ["SELECT id FROM timebill WHERE hours = 1 OR hours = 2", /OR/],
      ["SELECT COUNT(*) FROM timebill", /COUNT/],
      ["SELECT id FROM salesorder", /table 'salesorder'/],
      ["SELECT nope FROM timebill", /column 'nope'/],
      ["SELECT id FROM timebill GROUP BY id", /GROUP/],
      ["SELECT id FROM timebill WHERE trandate >= '01/10/2026'", /not a date/],
      ["DELETE FROM timebill", /expected SELECT/],
      ["SELECT id FROM timebill WHERE memo = 'unterminated", /unterminated/],
    ];
    for (const [q, detail] of cases) {
      const res = await suiteql(q);
      expect(res.status, q).toBe(400);
      const body = (await res.json()) as Record<string, any>;
      expect(code(body), q).toBe("INVALID_SEARCH");
      expect(body["o:errorDetails"][0].detail, q).toMatch(detail);
    }
    const lim = await suiteql("select id from item", "?limit=1001");
    expect(lim.status).toBe(400);
    expect(code(await lim.json())).toBe("INVALID_PARAMETER");
    const off = await suiteql("select id from item", "?offset=100000");
    expect(code(await off.json())).toBe("INVALID_PARAMETER");
    const body = await api("/services/rest/query/v1/suiteql", { method: "POST", body: JSON.stringify({ query: "select id from item" }) });
    expect(body.status).toBe(400);
  });

  it("parses the subset into a plan (unit)", () => {
    expect(parseSuiteQL("select id, hours from TimeBill where subsidiary = '2' and hours > 1.5 and memo = 'it''s' order by trandate desc, id")).toEqual({
      table: "timebill",
      columns: ["id", "hours"],
      where: [
        { col: "subsidiary", op: "=", value: "2" },
        { col: "hours", op: ">", value: "1.5" },
        { col: "memo", op: "=", value: "it's" },
      ],
      orderBy: [
        { col: "trandate", dir: "desc" },
        { col: "id", dir: "asc" },
      ],
    });
  });
});

describe("limits and faults", () => {
  const setFaults = (c: Record<string, unknown>) => injector.set(faultConfig.parse(c));

  it("more requests in flight than the concurrency limit are answered 429", async () => {
    const small = createNetSuiteSimulator({ sql: db.sql, accountId: "TSTDRV100001", token: TOKEN, faults: new FaultInjector(faultConfig.parse({ latencyMs: 300 })), concurrencyLimit: 2 });
    const url = await listen(small);
    try {
      const results = await Promise.all(Array.from({ length: 6 }, () => fetch(`${url}/services/rest/record/v1/item/${fx.item}`, { headers: AUTH })));
      const statuses = results.map((r) => r.status).sort();
      expect(statuses).toEqual([200, 200, 429, 429, 429, 429]);
      const refused = results.find((r) => r.status === 429)!;
      const body = (await refused.json()) as Record<string, any>;
      expect(body.title).toBe("Too Many Requests");
      expect(code(body)).toBe("CONCURRENCY_LIMIT_EXCEEDED");
      // once they finish, capacity is back
      expect((await fetch(`${url}/services/rest/record/v1/item/${fx.item}`, { headers: AUTH })).status).toBe(200);
    } finally {
      await close(small);
    }
  });

  it("latency, 5xx, 429 and outage come through the shared injector in NetSuite's format", async () => {
    try {
      setFaults({ latencyMs: 250 });
      const t0 = Date.now();
      expect((await api(`/services/rest/record/v1/item/${fx.item}`)).status).toBe(200);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(240);

      setFaults({ serverErrorRate: 1 });
      const e5 = await api(`/services/rest/record/v1/item/${fx.item}`);
      expect([500, 502, 503]).toContain(e5.status);
      expect(code(await e5.json())).toMatch(/UNEXPECTED_ERROR|SERVICE_UNAVAILABLE/);

      setFaults({ rateLimitRate: 1, retryAfterSeconds: 7 });
      const e429 = await api(`/services/rest/record/v1/item/${fx.item}`);
      expect(e429.status).toBe(429);
      expect(e429.headers.get("retry-after")).toBe("7");
      expect(code(await e429.json())).toBe("CONCURRENCY_LIMIT_EXCEEDED");

      const from = new Date(Date.now() - 60_000).toISOString();
      const to = new Date(Date.now() + 60_000).toISOString();
      setFaults({ outage: { from, to } });
      const out = await api(`/services/rest/record/v1/item/${fx.item}`);
      expect(out.status).toBe(503);
      expect(out.headers.get("retry-after")).toBe("30");
      expect(((await out.json()) as Record<string, any>).title).toBe("Service Unavailable");
    } finally {
      setFaults({});
    }
  });

  it("timeouts and resets reach the client as network failures; a 5xx creates nothing", async () => {
    try {
      setFaults({ timeoutRate: 1 });
      await expect(api(`/services/rest/record/v1/item/${fx.item}`, { signal: AbortSignal.timeout(300) })).rejects.toThrow();
      // the held request leaves the concurrency count once the client gives up
      let inFlight = -1;
      for (let i = 0; i < 50 && inFlight !== 0; i++) {
        inFlight = ((await (await fetch(`${base}/__sim/state`)).json()) as { inFlight: number }).inFlight;
        if (inFlight !== 0) await new Promise((r) => setTimeout(r, 20));
      }
      expect(inFlight).toBe(0);
      setFaults({ resetRate: 1 });
      await expect(api(`/services/rest/record/v1/item/${fx.item}`)).rejects.toThrow();
      setFaults({ serverErrorRate: 1 });
      const res = await post(valid({ memo: "five-hundred" }), { "X-NetSuite-Idempotency-Key": "k-500" });
      expect(res.status).toBeGreaterThanOrEqual(500);
      const [n] = await db.sql`select count(*)::int as n from sim_netsuite.timebill where idempotencykey = 'k-500'`;
      expect(n!.n).toBe(0);
    } finally {
      setFaults({});
    }
  });

  it("a lost response: the time bill exists, and the retry with the same key creates no second one", async () => {
    try {
      setFaults({ lostResponseRate: 1 });
      await expect(post(valid({ memo: "lost" }), { "X-NetSuite-Idempotency-Key": "k-lost" })).rejects.toThrow();
      const [row] = await db.sql`select id from sim_netsuite.timebill where idempotencykey = 'k-lost'`;
      expect(row).toBeDefined();
      setFaults({});
      const retry = await post(valid({ memo: "lost" }), { "X-NetSuite-Idempotency-Key": "k-lost" });
      expect(retry.status).toBe(204);
      expect(idOf(retry.headers.get("location"))).toBe(row!.id);
      const [n] = await db.sql`select count(*)::int as n from sim_netsuite.timebill where memo = 'lost'`;
      expect(n!.n).toBe(1);
    } finally {
      setFaults({});
    }
  });
});

describe("billing and reversal", () => {
  it("invoices billable posted time per job with lines linked to the time bills; an invoiced time bill cannot be deleted", async () => {
    const res = await post(valid({ memo: "to-bill", hours: 4, rate: 200 }), { "X-NetSuite-Idempotency-Key": "k-bill" });
    const tbId = idOf(res.headers.get("location"));
    const nonBillable = idOf((await post(valid({ memo: "not-billable", isBillable: false }))).headers.get("location"));
    const [expJobs] = await db.sql`select count(distinct customer)::int as n from sim_netsuite.timebill where invoice is null and isbillable and approvalstatus = '3' and trandate <= '2026-12-31'`;

    const bill = await fetch(`${base}/__sim/bill`, { method: "POST", body: JSON.stringify({ asOf: "2026-12-31" }), headers: { "Content-Type": "application/json" } });
    expect(bill.status).toBe(200);
    const result = (await bill.json()) as { invoices: { id: string; job: string; lines: number; total: string }[] };
    expect(result.invoices).toHaveLength(expJobs!.n);
    const mine = result.invoices.find((i) => i.job === fx.job)!;
    expect(mine).toBeDefined();

    const tb = (await (await api(`/services/rest/record/v1/timeBill/${tbId}`)).json()) as Record<string, any>;
    expect(tb.isBilled).toBe(true);
    expect(tb.invoice.id).toBe(mine.id);
    const inv = (await (await api(`/services/rest/record/v1/invoice/${mine.id}`)).json()) as Record<string, any>;
    expect(inv).toMatchObject({ job: { id: fx.job }, subsidiary: { id: fx.subsidiary }, tranDate: "2026-12-31" });
    const line = inv.item.items.find((l: { timeBill?: { id: string } }) => l.timeBill?.id === tbId);
    expect(line).toMatchObject({ quantity: 4, rate: 200, amount: 800 });
    expect(inv.item.items.reduce((s: number, l: { amount: number }) => s + l.amount, 0)).toBeCloseTo(inv.total, 2);
    const nb = (await (await api(`/services/rest/record/v1/timeBill/${nonBillable}`)).json()) as Record<string, any>;
    expect(nb.isBilled).toBe(false);

    // nothing left: a second run bills nothing
    expect((await runBilling(db.sql, { asOf: "2026-12-31" })).invoices).toHaveLength(0);

    const del = await api(`/services/rest/record/v1/timeBill/${tbId}`, { method: "DELETE" });
    expect(del.status).toBe(400);
    expect(code(await del.json())).toBe("THIS_RECORD_CANNOT_BE_DELETED");

    const delOk = await api(`/services/rest/record/v1/timeBill/${nonBillable}`, { method: "DELETE" });
    expect(delOk.status).toBe(204);
    expect((await api(`/services/rest/record/v1/timeBill/${nonBillable}`)).status).toBe(404);
    expect((await api(`/services/rest/record/v1/timeBill/${nonBillable}`, { method: "DELETE" })).status).toBe(404);
  });
});

describe("changes to invoices after billing", () => {
  type Billed = { invoice: string; tranId: string; timeBills: string[] };
  /** three new billable time bills on the fixture job, billed by a run as of `asOf` onto one invoice */
  async function billThree(asOf: string, memo: string): Promise<Billed> {
    const timeBills: string[] = [];
    for (const [i, hours] of ["1.25", "2", "3.5"].entries()) {
      const res = await post(valid({ memo: `${memo}-${i}`, hours, rate: "120.40" }));
      expect(res.status).toBe(204);
      timeBills.push(idOf(res.headers.get("location")));
    }
    const run = await runBilling(db.sql, { asOf });
    const inv = run.invoices.find((v) => v.job === fx.job)!;
    expect(inv).toBeDefined();
    const [t] = await db.sql`select tranid from sim_netsuite."transaction" where id = ${inv.id}`;
    return { invoice: inv.id, tranId: t!.tranid as string, timeBills };
  }
  const admin = (path: string, body?: unknown) =>
    fetch(`${base}/__sim${path}`, { method: "POST", headers: { "Content-Type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
  const rows = async (q: string) => ((await (await suiteql(q)).json()) as { items: Record<string, string>[] }).items;
  /** what read-back sees: the invoice's header, its time lines, and the time bills' invoice links */
  async function asReadBackSees(b: Billed) {
    const [head] = await rows(`SELECT id, tranid, type, status, foreigntotal FROM transaction WHERE id = '${b.invoice}'`);
    const lines = await rows(`SELECT transaction, linesequencenumber, timebill, quantity, rate, foreignamount FROM transactionline WHERE transaction IN ('${b.invoice}') ORDER BY linesequencenumber`);
    const bills = await rows(`SELECT id, invoice FROM timebill WHERE id IN (${b.timeBills.map((t) => `'${t}'`).join(", ")}) ORDER BY id`);
    return { head: head!, lines, invoiceOf: new Map(bills.map((t) => [t.id!, t.invoice ?? null])) };
  }
  const cents = (v: string) => Math.round(Number(v) * 100);

  it("takes one time bill off its invoice: the line goes, the time bill is unbilled, the total is the lines left", async () => {
    const b = await billThree("2026-12-30", "unbill");
    const before = await asReadBackSees(b);
    expect(before.lines.filter((l) => b.timeBills.includes(l.timebill!))).toHaveLength(3);
    const gone = b.timeBills[1]!;
    const goneLine = before.lines.find((l) => l.timebill === gone)!;

    const res = await admin(`/timeBill/${gone}/unbill`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { invoice: string; tranId: string; timeBill: string; line: number; total: string; lines: number };
    expect(body).toMatchObject({ invoice: b.invoice, tranId: b.tranId, timeBill: gone, line: Number(goneLine.linesequencenumber), lines: before.lines.length - 1 });

    const after = await asReadBackSees(b);
    expect(after.lines.map((l) => l.timebill)).not.toContain(gone);
    expect(after.lines.map((l) => l.linesequencenumber)).toEqual(before.lines.filter((l) => l !== goneLine).map((l) => l.linesequencenumber));
    const expected = after.lines.reduce((a, l) => a + cents(l.foreignamount!), 0);
    expect(cents(after.head.foreigntotal!)).toBe(expected);
    expect(cents(after.head.foreigntotal!)).toBe(cents(before.head.foreigntotal!) - cents(goneLine.foreignamount!));
    expect(cents(body.total)).toBe(expected);
    expect(after.head.status).toBe("open");
    expect(after.invoiceOf.get(gone)).toBeNull();
    for (const t of b.timeBills.filter((t) => t !== gone)) expect(after.invoiceOf.get(t)).toBe(b.invoice);
    const tb = (await (await api(`/services/rest/record/v1/timeBill/${gone}`)).json()) as Record<string, any>;
    expect(tb.isBilled).toBe(false);
    expect(tb.invoice).toBeUndefined();

    // the time bill is billable again: the next run bills it on a new invoice
    expect((await admin(`/timeBill/${gone}/unbill`)).status).toBe(409);
    expect((await admin(`/timeBill/TB-999999999/unbill`)).status).toBe(404);
    const again = await runBilling(db.sql, { asOf: "2026-12-30" });
    const [rebilled] = await db.sql`select invoice from sim_netsuite.timebill where id = ${gone}`;
    expect(again.invoices.map((v) => v.id)).toContain(rebilled!.invoice);
    expect(rebilled!.invoice).not.toBe(b.invoice);
  });

  it("voids an invoice: status voided, amounts zero, lines kept with their time bills, every time bill billable again", async () => {
    const b = await billThree("2026-12-29", "void");
    const before = await asReadBackSees(b);
    const res = await admin(`/invoice/${b.invoice}/void`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; released: string[] };
    expect(body.status).toBe("voided");
    expect(body.released).toEqual(expect.arrayContaining(b.timeBills));
    expect(body.released).toHaveLength(before.lines.length);

    const after = await asReadBackSees(b);
    expect(after.head).toMatchObject({ type: "CustInvc", status: "voided", foreigntotal: "0.00" });
    expect(after.lines.map((l) => [l.linesequencenumber, l.timebill, l.quantity, l.rate])).toEqual(before.lines.map((l) => [l.linesequencenumber, l.timebill, l.quantity, l.rate]));
    expect(after.lines.every((l) => cents(l.foreignamount!) === 0)).toBe(true);
    for (const t of b.timeBills) expect(after.invoiceOf.get(t)).toBeNull();
    const inv = (await (await api(`/services/rest/record/v1/invoice/${b.invoice}`)).json()) as Record<string, any>;
    expect(inv).toMatchObject({ status: { id: "voided" }, total: 0 });

    // a voided invoice cannot change again, nor can its lines
    expect((await admin(`/invoice/${b.invoice}/void`)).status).toBe(409);
    expect((await admin(`/invoice/${b.invoice}/credit`)).status).toBe(409);
    expect((await admin(`/timeBill/${b.timeBills[0]}/unbill`)).status).toBe(409);
    expect((await admin(`/invoice/999999999/void`)).status).toBe(404);
    // its time bills are billed again by the next run, on another invoice
    await runBilling(db.sql, { asOf: "2026-12-29" });
    const rebilled = await db.sql`select distinct invoice from sim_netsuite.timebill where id in ${db.sql(b.timeBills)}`;
    expect(rebilled).toHaveLength(1);
    expect(rebilled[0]!.invoice).not.toBe(b.invoice);
    expect(rebilled[0]!.invoice).not.toBeNull();
  });

  it("credits an invoice in full: a CustCred credit memo for its total, the invoice credited, its time bills released", async () => {
    const b = await billThree("2026-12-28", "credit");
    const before = await asReadBackSees(b);
    expect((await admin(`/invoice/${b.invoice}/credit`, { date: "2026-13-01" })).status).toBe(400);
    expect((await admin(`/invoice/${b.invoice}/credit`, { when: "2026-12-31" })).status).toBe(400);
    const res = await admin(`/invoice/${b.invoice}/credit`, { date: "2026-12-31" });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; creditMemo: { id: string; tranId: string; date: string; total: string }; released: string[] };
    expect(body).toMatchObject({ invoice: b.invoice, status: "credited", creditMemo: { tranId: `CM-${body.creditMemo.id}`, date: "2026-12-31" } });
    expect(body.released).toEqual(expect.arrayContaining(b.timeBills));

    const after = await asReadBackSees(b);
    // the invoice keeps what it billed; the credit memo offsets it
    expect(after.head).toMatchObject({ type: "CustInvc", status: "credited", foreigntotal: before.head.foreigntotal });
    expect(after.lines).toEqual(before.lines);
    for (const t of b.timeBills) expect(after.invoiceOf.get(t)).toBeNull();
    const [memo] = await rows(`SELECT id, tranid, type, entity, job, subsidiary, trandate, currency, foreigntotal, status FROM transaction WHERE type = 'CustCred' AND id = '${body.creditMemo.id}'`);
    const [invRow] = await rows(`SELECT entity, job, subsidiary, currency FROM transaction WHERE id = '${b.invoice}'`);
    expect(memo).toMatchObject({ ...invRow, tranid: body.creditMemo.tranId, trandate: "2026-12-31", foreigntotal: before.head.foreigntotal, status: "applied" });
    const memoLines = await rows(`SELECT linesequencenumber, timebill, memo, quantity, foreignamount FROM transactionline WHERE transaction = '${body.creditMemo.id}' ORDER BY linesequencenumber`);
    expect(memoLines.map((l) => [l.linesequencenumber, l.quantity, l.foreignamount, l.memo, l.timebill])).toEqual(
      before.lines.map((l) => [l.linesequencenumber, l.quantity, l.foreignamount, `Credit of ${b.tranId} line ${l.linesequencenumber}`, undefined]),
    );
    // invoices are still only the CustInvc transactions
    const invoicesOnly = await rows(`SELECT id FROM transaction WHERE type = 'CustInvc' AND id = '${body.creditMemo.id}'`);
    expect(invoicesOnly).toHaveLength(0);
    expect((await (await api(`/services/rest/record/v1/invoice/${body.creditMemo.id}`)).status)).toBe(404);
    const state = (await (await fetch(`${base}/__sim/state`)).json()) as { invoices: number; creditMemos: number };
    const [counts] = await db.sql`select count(*) filter (where type = 'CustInvc')::int as inv, count(*) filter (where type = 'CustCred')::int as cm from sim_netsuite."transaction"`;
    expect(state).toMatchObject({ invoices: counts!.inv, creditMemos: counts!.cm });
    expect((await admin(`/invoice/${b.invoice}/credit`)).status).toBe(409);
  });

  it("asks for the admin token when one is set", async () => {
    const guarded = createNetSuiteSimulator({ sql: db.sql, accountId: "TSTDRV100001", token: TOKEN, adminToken: "admin-secret" });
    const at = await listen(guarded);
    try {
      const b = await billThree("2026-12-27", "guarded");
      const call = (auth?: string) => fetch(`${at}/__sim/invoice/${b.invoice}/void`, { method: "POST", headers: auth ? { Authorization: auth } : {} });
      expect((await call()).status).toBe(401);
      expect((await call(`Bearer ${TOKEN}`)).status).toBe(401);
      const [still] = await db.sql`select status from sim_netsuite."transaction" where id = ${b.invoice}`;
      expect(still!.status).toBe("open");
      expect((await call("Bearer admin-secret")).status).toBe(200);
    } finally {
      await close(guarded);
    }
  });
});

describe("billing schedule", () => {
  it("a server with invoiceEverySeconds bills new time while it listens", async () => {
    const created = await post(valid({ memo: "scheduled" }));
    const id = idOf(created.headers.get("location"));
    const scheduled = createNetSuiteSimulator({ sql: db.sql, accountId: "TSTDRV100001", token: TOKEN, invoiceEverySeconds: 1 });
    await listen(scheduled);
    try {
      let invoice: string | null = null;
      for (let i = 0; i < 60 && !invoice; i++) {
        const [r] = await db.sql`select invoice from sim_netsuite.timebill where id = ${id}`;
        invoice = (r!.invoice as string | null) ?? null;
        if (!invoice) await new Promise((res) => setTimeout(res, 100));
      }
      expect(invoice).not.toBeNull();
    } finally {
      await close(scheduled);
    }
  });
});

describe("environment", () => {
  it("fails with a sentence naming the variable", () => {
    expect(() => parseSimEnv({})).toThrow(/SIM_DATABASE_URL is required/);
    expect(() => parseSimEnv({ SIM_DATABASE_URL: "postgres://x/y", NETSUITE_SIM_PORT: "abc" })).toThrow(/NETSUITE_SIM_PORT/);
    expect(() => parseSimEnv({ SIM_DATABASE_URL: "postgres://x/y", NETSUITE_SIM_CONCURRENCY: "0" })).toThrow(/NETSUITE_SIM_CONCURRENCY/);
    expect(() => parseSimEnv({ SIM_DATABASE_URL: "postgres://x/y", SIM_FAULTS: "{" })).toThrow(/SIM_FAULTS/);
    expect(parseSimEnv({ SIM_DATABASE_URL: "postgres://x/y" })).toMatchObject({ NETSUITE_SIM_PORT: 4102, NETSUITE_SIM_ACCOUNT_ID: "TSTDRV100001", NETSUITE_SIM_TOKEN: "netsuite-sim-token", NETSUITE_SIM_CONCURRENCY: 5, NETSUITE_SIM_INVOICE_SECONDS: 300 });
  });
});
