/**
 * Read-back over real HTTP: the demo firm validated and posted to the NetSuite simulator
 * (seeded from the same generator), billed there, then read back through the NetSuite
 * connector's SuiteQL reads. Every figure is checked against SQL on the simulator's own tables.
 */
import { and, eq, inArray, isNotNull, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, connectors, erpTimeRecords, invoiceLines, invoices, syncRuns, timeEntries, timeEntryEvents } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import { NetSuiteReadError } from "@/sync/connectors/netsuite/readback";
import type { ErpConnector } from "@/sync/connectors/types";
import { faultConfig, NO_FAULTS } from "@/simulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { sendDuePostings, type PostingPolicy } from "../posting/send-due";
import { validateEntries } from "../validation/validate-entries";
import { parseMemoReference, readBack } from "./read-back";

const OPTS = { seed: 11, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const TOKEN = "read-back-test-token";
const FAST: PostingPolicy = { maxAttempts: 30, baseDelayMs: 0, maxDelayMs: 0, batchSize: 200, leaseMs: 0, concurrency: 5, inFlightMs: 0 };

let app: TestDatabase;
let erp: NetSuiteSimulator;
let connectorId: string;
/** the demo's whole range: its first work day to its end date */
let from: string;
const to = OPTS.endDate;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  erp = await startNetSuite(OPTS, { token: TOKEN, pool: 20 });
  const [c] = await app.db
    .insert(connectors)
    .values({ key: "netsuite-read-back-test", role: "erp", system: "netsuite", name: "NetSuite (simulator)", baseUrl: erp.apiUrl, accountId: erp.accountId })
    .returning({ id: connectors.id });
  connectorId = c!.id;
  const [first] = await app.db.select({ d: sql<string>`min(${timeEntries.workDate})::text` }).from(timeEntries);
  from = first!.d;
  // every approved, valid entry reaches the ERP
  for (let round = 0; round < 200; round++) {
    const s = await sendDuePostings({ ctx: systemCtx(app.db, "posting"), connector: connector(), policy: FAST });
    if (s.claimed === 0) break;
  }
}, 180_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

const connector = () => erp.connector({ timeoutMs: 5_000 });
const read = (c: ErpConnector = connector(), range: { from: string; to: string } = { from, to }) =>
  readBack({ ctx: systemCtx(app.db, "read-back"), connector: c, connectorId, trigger: "manual", ...range, pageSize: 400 });

async function simCount(q: Promise<{ n: number }[]>): Promise<number> {
  return (await q)[0]!.n;
}

async function simHttp(method: string, path: string, body?: unknown) {
  const res = await fetch(`${erp.base}${path}`, {
    method,
    headers: { Authorization: `Bearer ${TOKEN}`, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, location: res.headers.get("location"), text: await res.text() };
}

/** What the read-back writes, minus when it was last seen and by which run. */
async function snapshot() {
  const entries = await app.db
    .select({ id: timeEntries.id, state: timeEntries.state, invoiceId: timeEntries.invoiceId, billedAt: timeEntries.billedAt, updatedAt: timeEntries.updatedAt })
    .from(timeEntries)
    .orderBy(timeEntries.id);
  const inv = await app.db.select().from(invoices).orderBy(invoices.id);
  const lines = await app.db.select().from(invoiceLines).orderBy(invoiceLines.id);
  const records = (await app.db.select().from(erpTimeRecords).orderBy(erpTimeRecords.id)).map(({ lastSeenAt: _l, syncRunId: _r, ...rest }) => rest);
  return { entries, inv, lines, records };
}

describe("parsing the memo a posting wrote", () => {
  it("reads exactly `<source> <id> v<version>` and nothing looser", () => {
    expect(parseMemoReference("Harvest 123 v2")).toEqual({ sourceSystem: "harvest", sourceId: "123", version: 2 });
    expect(parseMemoReference("Clockify 64ab9f v1")).toEqual({ sourceSystem: "clockify", sourceId: "64ab9f", version: 1 });
    expect(parseMemoReference("CSV row-7 v10")).toEqual({ sourceSystem: "csv", sourceId: "row-7", version: 10 });
    for (const memo of [null, "", "Harvest 123", "harvest 123 v2", "Harvest  123 v2", " Harvest 123 v2", "Harvest 123 v2 ", "Harvest 123 v0", "Harvest 123 v2 (copy)", "Jira 123 v2", "Harvest 1 2 v3", "Harvest 123 V2"]) {
      expect(parseMemoReference(memo), String(memo)).toBeNull();
    }
  });
});

describe("reading back what the ERP holds", () => {
  it("after the ERP bills, marks every posted entry on an invoice billed and links it, with counts that agree with the ERP", async () => {
    const bill = await simHttp("POST", "/__sim/bill", { asOf: OPTS.endDate });
    expect(bill.status).toBe(200);
    expect(JSON.parse(bill.text).invoices.length).toBeGreaterThan(0);
    const postedBefore = await app.db.select({ id: timeEntries.id, erpId: timeEntries.erpId }).from(timeEntries).where(eq(timeEntries.state, "posted"));

    const s = await read();
    expect(s).toMatchObject({ status: "succeeded", error: null });

    const timeBills = await simCount(erp.sql`select count(*)::int as n from sim_netsuite.timebill where trandate between ${from}::date and ${to}::date`);
    const invoiceCount = await simCount(erp.sql`select count(*)::int as n from sim_netsuite."transaction" where type = 'CustInvc' and trandate between ${from}::date and ${to}::date`);
    const lineCount = await simCount(erp.sql`
      select count(*)::int as n from sim_netsuite.transactionline l join sim_netsuite."transaction" x on x.id = l."transaction"
      where x.type = 'CustInvc' and x.trandate between ${from}::date and ${to}::date`);
    expect(timeBills).toBeGreaterThan(100);
    expect(s).toMatchObject({ fetched: timeBills, created: timeBills, matched: timeBills, unmatched: 0, missing: 0, duplicates: 0, invoicesFetched: invoiceCount, invoicesSkipped: 0 });
    // the demo's invoices were already ours; the billing run's are new
    expect(s.invoicesCreated).toBe(JSON.parse(bill.text).invoices.length);
    expect(s.invoicesCreated + s.invoicesUpdated + s.invoicesUnchanged).toBe(invoiceCount);

    // the ERP side, stored: one row per time bill, each linked to the entry holding its id
    const rows = await app.db.select().from(erpTimeRecords).where(eq(erpTimeRecords.connectorId, connectorId));
    expect(rows).toHaveLength(timeBills);
    const entryByErpId = new Map(
      (await app.db.select({ id: timeEntries.id, erpId: timeEntries.erpId }).from(timeEntries).where(isNotNull(timeEntries.erpId))).map((e) => [e.erpId!, e.id]),
    );
    for (const r of rows) {
      expect(r.timeEntryId, r.erpId).toBe(entryByErpId.get(r.erpId));
      expect(r.legalEntityId).not.toBeNull();
      expect(r.projectId).not.toBeNull();
      expect(r.missingSince).toBeNull();
    }

    // invoices and their lines, as many as the ERP holds
    const simInvoices = await erp.sql<{ id: string }[]>`select id from sim_netsuite."transaction" where type = 'CustInvc' and trandate between ${from}::date and ${to}::date`;
    const ours = await app.db.select({ id: invoices.id, erpId: invoices.erpId, invoiceDate: invoices.invoiceDate }).from(invoices).where(inArray(invoices.erpId, simInvoices.map((i) => i.id)));
    expect(ours).toHaveLength(invoiceCount);
    const [{ n: ourLines }] = await app.db
      .select({ n: sql<number>`count(*)::int` })
      .from(invoiceLines)
      .where(inArray(invoiceLines.invoiceId, ours.map((i) => i.id))) as [{ n: number }];
    expect(ourLines).toBe(lineCount);
    const invoiceByErpId = new Map(ours.map((i) => [i.erpId, i]));

    // every entry whose time bill is invoiced is billed, on that invoice
    const invoiced = await erp.sql<{ id: string; invoice: string }[]>`
      select id, invoice from sim_netsuite.timebill where invoice is not null and trandate between ${from}::date and ${to}::date`;
    expect(invoiced.length).toBeGreaterThan(0);
    const states = new Map(
      (
        await app.db
          .select({ erpId: timeEntries.erpId, state: timeEntries.state, invoiceId: timeEntries.invoiceId, billedAt: timeEntries.billedAt })
          .from(timeEntries)
          .where(inArray(timeEntries.erpId, invoiced.map((t) => t.id)))
      ).map((e) => [e.erpId!, e]),
    );
    for (const t of invoiced) {
      const e = states.get(t.id);
      expect(e, t.id).toBeDefined();
      expect(e!.state, t.id).toBe("billed");
      expect(e!.invoiceId, t.id).toBe(invoiceByErpId.get(t.invoice)!.id);
    }
    // those that were posted became billed by this run, as of their invoice's date
    const invoicedIds = new Set(invoiced.map((t) => t.id));
    const newlyBilled = postedBefore.filter((e) => invoicedIds.has(e.erpId!));
    expect(newlyBilled.length).toBeGreaterThan(0);
    expect(s.billed).toBe(newlyBilled.length);
    expect(s.alreadyBilled).toBe(invoiced.length - newlyBilled.length);
    expect(s.invoicedButNotPosted).toBe(0);
    for (const e of newlyBilled) {
      const got = states.get(e.erpId!)!;
      const inv = [...invoiceByErpId.values()].find((i) => i.id === got.invoiceId)!;
      expect(got.billedAt!.toISOString()).toBe(`${inv.invoiceDate}T00:00:00.000Z`);
    }
    // each billing is in the entry's lineage, naming the invoice
    const billedEvents = await app.db
      .select()
      .from(timeEntryEvents)
      .where(and(eq(timeEntryEvents.kind, "invoiced"), inArray(timeEntryEvents.timeEntryId, newlyBilled.map((e) => e.id))));
    expect(billedEvents).toHaveLength(newlyBilled.length);
    for (const ev of billedEvents) {
      const got = [...states.values()].find((x) => newlyBilled.some((e) => e.id === ev.timeEntryId && e.erpId === x.erpId))!;
      const inv = [...invoiceByErpId.values()].find((i) => i.id === got.invoiceId)!;
      const [number] = await app.db.select({ n: invoices.number }).from(invoices).where(eq(invoices.id, inv.id));
      expect(ev).toMatchObject({ fromState: "posted", toState: "billed", actorLabel: "system:read-back" });
      expect(ev.message).toBe(`Billed by the ERP on invoice ${number!.n} of ${inv.invoiceDate}.`);
      expect(ev.version).not.toBeNull();
    }
    expect(s.uninvoiced).toBe(0);
    // posted entries the ERP has not invoiced stay posted
    const notInvoiced = postedBefore.filter((e) => !invoicedIds.has(e.erpId!));
    if (notInvoiced.length) {
      const still = await app.db.select({ state: timeEntries.state }).from(timeEntries).where(inArray(timeEntries.id, notInvoiced.map((e) => e.id)));
      for (const e of still) expect(e.state).toBe("posted");
    }

    // the run and its audit row
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ kind: "read_back", trigger: "manual", status: "succeeded", fetched: timeBills, created: timeBills, error: null });
    expect(run!.finishedAt).not.toBeNull();
    expect(run!.details).toMatchObject({ from, to, matched: timeBills, unmatched: 0, billed: s.billed, invoicedButNotPosted: 0 });
    const audits = await app.db.select().from(auditLog).where(and(eq(auditLog.action, "erp.read_back"), eq(auditLog.entityId, s.runId)));
    expect(audits).toHaveLength(1);
    expect(audits[0]!.after).toMatchObject({ status: "succeeded", fetched: timeBills, billed: s.billed });
  });

  it("shows a time bill entered in the ERP by hand as unmatched, links one by its memo, and marks one deleted in the ERP missing", async () => {
    // a model to copy: a time bill our posting created, so its job is active and its period open
    const [model] = await erp.sql<{ id: string; employee: string; customer: string; item: string; trandate: string }[]>`
      select id, employee, customer, item, to_char(trandate, 'YYYY-MM-DD') as trandate from sim_netsuite.timebill
      where idempotencykey like 'hb-create-%' and invoice is null order by trandate desc, id limit 1`;
    expect(model).toBeDefined();
    const create = (memo: string) =>
      simHttp("POST", "/services/rest/record/v1/timeBill", {
        employee: { id: model!.employee },
        customer: { id: model!.customer },
        item: { id: model!.item },
        hours: 1.5,
        tranDate: model!.trandate,
        isBillable: false,
        memo,
      });
    const byHand = await create("Workshop prep, entered in the ERP");
    expect(byHand.status).toBe(204);
    // the memo of an entry we never posted: the ERP record is that entry's
    const [unposted] = await app.db
      .select({ id: timeEntries.id, sourceId: timeEntries.sourceId, version: timeEntries.version })
      .from(timeEntries)
      .where(and(eq(timeEntries.state, "submitted"), eq(timeEntries.sourceSystem, "harvest")))
      .limit(1);
    const byMemo = await create(`Harvest ${unposted!.sourceId} v${unposted!.version}`);
    const looseMemo = await create(`Harvest ${unposted!.sourceId} v${unposted!.version} (copy)`);
    expect([byMemo.status, looseMemo.status]).toEqual([204, 204]);
    const idOf = (location: string | null) => location!.split("/").pop()!;

    // a time bill the ERP deletes (one not on an invoice, in an open period)
    const candidates = await erp.sql<{ id: string }[]>`
      select id from sim_netsuite.timebill where invoice is null and idempotencykey like 'hb-create-%' and id <> ${model!.id} order by trandate desc, id limit 20`;
    let deleted: string | null = null;
    for (const c of candidates) {
      if ((await simHttp("DELETE", `/services/rest/record/v1/timeBill/${encodeURIComponent(c.id)}`)).status === 204) {
        deleted = c.id;
        break;
      }
    }
    expect(deleted).not.toBeNull();

    const s = await read();
    expect(s.status).toBe("succeeded");
    const timeBills = await simCount(erp.sql`select count(*)::int as n from sim_netsuite.timebill where trandate between ${from}::date and ${to}::date`);
    expect(s).toMatchObject({ fetched: timeBills, created: 3, unmatched: 2, matched: timeBills - 2, newlyMissing: 1, missing: 1, reappeared: 0, billed: 0 });

    const [hand] = await app.db.select().from(erpTimeRecords).where(eq(erpTimeRecords.erpId, idOf(byHand.location)));
    expect(hand).toMatchObject({ timeEntryId: null, memo: "Workshop prep, entered in the ERP", missingSince: null, hours: "1.50", billable: false });
    expect(hand!.legalEntityId).not.toBeNull(); // from the ERP's subsidiary
    expect(hand!.projectId).not.toBeNull(); // from the ERP's job
    const [memoLinked] = await app.db.select().from(erpTimeRecords).where(eq(erpTimeRecords.erpId, idOf(byMemo.location)));
    expect(memoLinked!.timeEntryId).toBe(unposted!.id);
    const [loose] = await app.db.select().from(erpTimeRecords).where(eq(erpTimeRecords.erpId, idOf(looseMemo.location)));
    expect(loose!.timeEntryId).toBeNull();

    const [gone] = await app.db.select().from(erpTimeRecords).where(eq(erpTimeRecords.erpId, deleted!));
    expect(gone!.missingSince).not.toBeNull();
    expect(gone!.timeEntryId).not.toBeNull();
    // the entry itself is left as it is: reconciliation shows the variance
    const [entry] = await app.db.select({ state: timeEntries.state }).from(timeEntries).where(eq(timeEntries.id, gone!.timeEntryId!));
    expect(entry!.state).toBe("posted");
  });

  it("counts two ERP records claimed by one entry as a duplicate, and clears the missing mark of a record seen again", async () => {
    // the ERP moves a record out of the range, then back
    const [moved] = await erp.sql<{ id: string; trandate: string }[]>`
      select id, to_char(trandate, 'YYYY-MM-DD') as trandate from sim_netsuite.timebill
      where idempotencykey like 'hb-create-%' and invoice is null order by trandate desc, id limit 1`;
    await erp.sql`update sim_netsuite.timebill set trandate = '2020-01-01' where id = ${moved!.id}`;
    const away = await read();
    expect(away).toMatchObject({ status: "succeeded", newlyMissing: 1, missing: 2 });
    await erp.sql`update sim_netsuite.timebill set trandate = ${moved!.trandate}::date where id = ${moved!.id}`;

    // and a second record names an entry the ERP already holds (same memo as its posting wrote)
    const [posted] = await app.db
      .select({ id: timeEntries.id, sourceId: timeEntries.sourceId, version: timeEntries.version, erpId: timeEntries.erpId })
      .from(timeEntries)
      .where(and(eq(timeEntries.state, "posted"), eq(timeEntries.sourceSystem, "harvest")))
      .limit(1);
    const [tb] = await erp.sql<{ employee: string; customer: string; item: string; trandate: string }[]>`
      select employee, customer, item, to_char(trandate, 'YYYY-MM-DD') as trandate from sim_netsuite.timebill where id = ${moved!.id}`;
    const dup = await simHttp("POST", "/services/rest/record/v1/timeBill", {
      employee: { id: tb!.employee },
      customer: { id: tb!.customer },
      item: { id: tb!.item },
      hours: 1,
      tranDate: tb!.trandate,
      isBillable: false,
      memo: `Harvest ${posted!.sourceId} v${posted!.version}`,
    });
    expect(dup.status, dup.text).toBe(204);

    const back = await read();
    expect(back).toMatchObject({ status: "succeeded", newlyMissing: 0, reappeared: 1, missing: 1, created: 1, duplicates: 1 });
    const [row] = await app.db.select().from(erpTimeRecords).where(eq(erpTimeRecords.erpId, moved!.id));
    expect(row!.missingSince).toBeNull();
  });

  it("a second read-back changes nothing", async () => {
    const first = await read();
    expect(first.status).toBe("succeeded");
    const before = await snapshot();
    const again = await read();
    expect(again).toMatchObject({
      status: "succeeded",
      fetched: first.fetched,
      created: 0,
      updated: 0,
      unchanged: first.fetched,
      newlyMissing: 0,
      reappeared: 0,
      missing: first.missing,
      duplicates: first.duplicates,
      invoicesCreated: 0,
      invoicesUpdated: 0,
      invoicesUnchanged: first.invoicesFetched,
      invoiceLinesReplaced: 0,
      billed: 0,
    });
    expect(await snapshot()).toEqual(before);
  });

  it("leaves an invoiced entry that is no longer posted or billed as it is, and counts it for reconciliation", async () => {
    // the source deleted an entry after the ERP had invoiced it
    const [billed] = await app.db
      .select({ id: timeEntries.id, invoiceId: timeEntries.invoiceId, billedAt: timeEntries.billedAt })
      .from(timeEntries)
      .where(eq(timeEntries.state, "billed"))
      .orderBy(timeEntries.id)
      .limit(1);
    await app.db.update(timeEntries).set({ state: "void" }).where(eq(timeEntries.id, billed!.id));
    const s = await read();
    expect(s).toMatchObject({ status: "succeeded", invoicedButNotPosted: 1, billed: 0 });
    const [after] = await app.db.select({ state: timeEntries.state, invoiceId: timeEntries.invoiceId, billedAt: timeEntries.billedAt }).from(timeEntries).where(eq(timeEntries.id, billed!.id));
    expect(after).toEqual({ state: "void", invoiceId: billed!.invoiceId, billedAt: billed!.billedAt });
  });

  it("fails the run with a sentence when SuiteQL answers with server errors", async () => {
    erp.injector.set(faultConfig.parse({ serverErrorRate: 1 }));
    const s = await read().finally(() => erp.injector.set(NO_FAULTS));
    expect(s).toMatchObject({ status: "failed", retryable: true, pages: 0, fetched: 0, billed: 0 });
    expect(s.error).toMatch(/^The read-back of \d{4}-\d{2}-\d{2} to 2026-11-20 stopped after 0 page\(s\): SuiteQL answered 5\d\d[^\n]*\.$/);
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ kind: "read_back", status: "failed", error: s.error });
    expect(run!.finishedAt).not.toBeNull();
    // nothing was marked missing by a read that did not finish
    expect((await read()).newlyMissing).toBe(0);
  });

  it("keeps the pages committed before the ERP failed, and marks nothing missing", async () => {
    const real = connector();
    const failing: ErpConnector = {
      ...real,
      post: real.post.bind(real),
      findByIdempotencyKey: real.findByIdempotencyKey.bind(real),
      masterData: real.masterData.bind(real),
      invoices: real.invoices.bind(real),
      async *timeRecords(f, t, opts) {
        for await (const page of real.timeRecords(f, t, opts)) {
          yield page;
          throw new NetSuiteReadError("SuiteQL answered 503 SERVICE_UNAVAILABLE: try again later", true, 503);
        }
      },
    };
    const missingBefore = await app.db.select({ n: sql<number>`count(*)::int` }).from(erpTimeRecords).where(isNotNull(erpTimeRecords.missingSince));
    const s = await read(failing);
    expect(s).toMatchObject({ status: "failed", pages: 1, fetched: 400, retryable: true });
    expect(s.error).toContain("stopped after 1 page(s): SuiteQL answered 503");
    const kept = await app.db.select({ n: sql<number>`count(*)::int` }).from(erpTimeRecords).where(eq(erpTimeRecords.syncRunId, s.runId));
    expect(kept[0]!.n).toBe(400);
    const missingAfter = await app.db.select({ n: sql<number>`count(*)::int` }).from(erpTimeRecords).where(isNotNull(erpTimeRecords.missingSince));
    expect(missingAfter).toEqual(missingBefore);
  });
});

describe("the ERP taking back what it billed", () => {
  type Billed = { erpId: string; number: string; invoiceDate: string; ours: string; entries: { id: string; erpId: string; version: number; postedVersion: number | null }[] };

  /** open invoices of the range whose every time line bills an entry of ours that is billed on it (at least two lines) */
  async function billedInvoices(n: number, exclude: string[] = []): Promise<Billed[]> {
    const candidates = await erp.sql<{ id: string; tranid: string; trandate: string; tbs: string[] }[]>`
      select x.id, x.tranid, to_char(x.trandate, 'YYYY-MM-DD') as trandate, array_agg(l.timebill order by l.linesequencenumber) as tbs
      from sim_netsuite."transaction" x join sim_netsuite.transactionline l on l."transaction" = x.id
      where x.type = 'CustInvc' and x.status = 'open' and x.trandate between ${from}::date and ${to}::date and l.timebill is not null
      group by x.id having count(*) >= 2 order by x.trandate desc, x.id`;
    const out: Billed[] = [];
    for (const c of candidates) {
      if (out.length === n) break;
      if (exclude.includes(c.id)) continue;
      const [ours] = await app.db.select({ id: invoices.id }).from(invoices).where(eq(invoices.erpId, c.id));
      if (!ours) continue;
      const entries = await app.db
        .select({ id: timeEntries.id, erpId: timeEntries.erpId, version: timeEntries.version, postedVersion: timeEntries.postedVersion, state: timeEntries.state, invoiceId: timeEntries.invoiceId })
        .from(timeEntries)
        .where(inArray(timeEntries.erpId, c.tbs));
      if (entries.length !== c.tbs.length || entries.some((e) => e.state !== "billed" || e.invoiceId !== ours.id)) continue;
      out.push({ erpId: c.id, number: c.tranid, invoiceDate: c.trandate, ours: ours.id, entries: entries.map((e) => ({ id: e.id, erpId: e.erpId!, version: e.version, postedVersion: e.postedVersion })) });
    }
    expect(out).toHaveLength(n);
    return out;
  }

  async function entryStates(ids: string[]) {
    return new Map(
      (await app.db.select({ id: timeEntries.id, state: timeEntries.state, invoiceId: timeEntries.invoiceId, billedAt: timeEntries.billedAt }).from(timeEntries).where(inArray(timeEntries.id, ids))).map((e) => [e.id, e]),
    );
  }
  const eventsOf = (ids: string[], kind: string) =>
    app.db.select().from(timeEntryEvents).where(and(inArray(timeEntryEvents.timeEntryId, ids), eq(timeEntryEvents.kind, kind))).orderBy(timeEntryEvents.id);
  const admin = async (path: string, body?: unknown) => {
    const r = await simHttp("POST", `/__sim${path}`, body);
    expect(r.status, r.text).toBe(200);
    return JSON.parse(r.text) as Record<string, unknown>;
  };
  /** our invoice and its lines against the ERP's */
  async function expectInvoiceAsInErp(b: Billed) {
    const [theirs] = await erp.sql<{ status: string; total: string }[]>`select status, foreigntotal::text as total from sim_netsuite."transaction" where id = ${b.erpId}`;
    const theirLines = await erp.sql<{ amount: string }[]>`select foreignamount::text as amount from sim_netsuite.transactionline where "transaction" = ${b.erpId}`;
    const [ours] = await app.db.select().from(invoices).where(eq(invoices.id, b.ours));
    expect(ours).toMatchObject({ status: theirs!.status });
    expect(Number(ours!.total)).toBe(Number(theirs!.total));
    const lines = await app.db.select().from(invoiceLines).where(eq(invoiceLines.invoiceId, b.ours));
    expect(lines.map((l) => Number(l.amount)).sort()).toEqual(theirLines.map((l) => Number(l.amount)).sort());
    return lines;
  }

  let removed: Billed;
  let voided: Billed;
  let credited: Billed;

  beforeAll(async () => {
    // everything billable is invoiced and read back first
    await simHttp("POST", "/__sim/bill", { asOf: OPTS.endDate });
    const s = await read();
    expect(s.status).toBe("succeeded");
    const three = await billedInvoices(3);
    [removed, voided, credited] = [three[0]!, three[1]!, three[2]!];
  }, 60_000);

  it("a line removed from an invoice: that entry is posted again and unbilled, the others stay billed on it", async () => {
    const gone = removed.entries[0]!;
    const res = await admin(`/timeBill/${encodeURIComponent(gone.erpId)}/unbill`);
    expect(res).toMatchObject({ invoice: removed.erpId, timeBill: gone.erpId });

    const s = await read();
    expect(s).toMatchObject({ status: "succeeded", uninvoiced: 1, billed: 0, invoiceLinesReplaced: 1 });
    const states = await entryStates(removed.entries.map((e) => e.id));
    expect(states.get(gone.id)).toMatchObject({ state: "posted", invoiceId: null, billedAt: null });
    for (const e of removed.entries.slice(1)) expect(states.get(e.id)).toMatchObject({ state: "billed", invoiceId: removed.ours });

    const lines = await expectInvoiceAsInErp(removed);
    expect(lines.map((l) => l.timeEntryId).sort()).toEqual(removed.entries.slice(1).map((e) => e.id).sort());
    const [record] = await app.db.select({ invoiceErpId: erpTimeRecords.invoiceErpId }).from(erpTimeRecords).where(eq(erpTimeRecords.erpId, gone.erpId));
    expect(record!.invoiceErpId).toBeNull();

    const events = await eventsOf([gone.id], "uninvoiced");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      fromState: "billed",
      toState: "posted",
      version: gone.postedVersion ?? gone.version,
      message: `Its line was removed from invoice ${removed.number} in the ERP: no longer billed, posted and billable again.`,
      data: { invoiceErpId: removed.erpId, invoiceNumber: removed.number, reason: "line_removed", syncRunId: s.runId },
    });
    expect(await eventsOf(removed.entries.slice(1).map((e) => e.id), "uninvoiced")).toHaveLength(0);
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run!.details).toMatchObject({ uninvoiced: 1, billed: 0 });
  });

  it("a voided invoice: every entry it billed is posted and unbilled again, and the invoice is kept as voided, billing no one", async () => {
    const before = await eventsOf(voided.entries.map((e) => e.id), "uninvoiced");
    expect(before).toHaveLength(0);
    const res = await admin(`/invoice/${voided.erpId}/void`);
    expect((res.released as string[]).sort()).toEqual(voided.entries.map((e) => e.erpId).sort());

    const s = await read();
    expect(s).toMatchObject({ status: "succeeded", uninvoiced: voided.entries.length, billed: 0 });
    const states = await entryStates(voided.entries.map((e) => e.id));
    for (const e of voided.entries) expect(states.get(e.id)).toMatchObject({ state: "posted", invoiceId: null, billedAt: null });
    const lines = await expectInvoiceAsInErp(voided);
    expect(lines).toHaveLength(voided.entries.length);
    expect(lines.every((l) => l.timeEntryId === null && Number(l.amount) === 0)).toBe(true);

    const events = await eventsOf(voided.entries.map((e) => e.id), "uninvoiced");
    expect(events).toHaveLength(voided.entries.length);
    for (const ev of events) {
      expect(ev.message).toBe(`Invoice ${voided.number} was voided in the ERP: no longer billed, posted and billable again.`);
      expect(ev.data).toMatchObject({ reason: "voided", invoiceNumber: voided.number, syncRunId: s.runId });
    }
  });

  it("a credited invoice: every entry it billed is posted and unbilled again; its lines and total stay as the ERP shows them", async () => {
    const res = await admin(`/invoice/${credited.erpId}/credit`, { date: OPTS.endDate });
    expect(res).toMatchObject({ status: "credited" });

    const s = await read();
    expect(s).toMatchObject({ status: "succeeded", uninvoiced: credited.entries.length, billed: 0 });
    const states = await entryStates(credited.entries.map((e) => e.id));
    for (const e of credited.entries) expect(states.get(e.id)).toMatchObject({ state: "posted", invoiceId: null, billedAt: null });
    const lines = await expectInvoiceAsInErp(credited);
    expect(lines.every((l) => l.timeEntryId === null)).toBe(true);
    const events = await eventsOf(credited.entries.map((e) => e.id), "uninvoiced");
    expect(events.map((e) => e.message)).toEqual(credited.entries.map(() => `Invoice ${credited.number} was credited in full in the ERP: no longer billed, posted and billable again.`));
  });

  it("a second read changes nothing, and writes no lineage", async () => {
    const [{ n: eventsBefore }] = (await app.db.select({ n: sql<number>`count(*)::int` }).from(timeEntryEvents)) as [{ n: number }];
    const before = await snapshot();
    const again = await read();
    expect(again).toMatchObject({ status: "succeeded", uninvoiced: 0, billed: 0, created: 0, updated: 0, invoicesCreated: 0, invoicesUpdated: 0, invoiceLinesReplaced: 0, newlyMissing: 0 });
    expect(await snapshot()).toEqual(before);
    const [{ n: eventsAfter }] = (await app.db.select({ n: sql<number>`count(*)::int` }).from(timeEntryEvents)) as [{ n: number }];
    expect(eventsAfter).toBe(eventsBefore);
  });

  it("time the ERP bills again after a void is billed again on the new invoice, with its lineage", async () => {
    const bill = await simHttp("POST", "/__sim/bill", { asOf: OPTS.endDate });
    const created = (JSON.parse(bill.text) as { invoices: { id: string }[] }).invoices.map((i) => i.id);
    expect(created.length).toBeGreaterThan(0);
    const s = await read();
    const back = [removed.entries[0]!, ...voided.entries, ...credited.entries];
    expect(s).toMatchObject({ status: "succeeded", billed: back.length, uninvoiced: 0 });
    const states = await entryStates(back.map((e) => e.id));
    const newInvoices = await app.db.select({ id: invoices.id, erpId: invoices.erpId }).from(invoices).where(inArray(invoices.erpId, created));
    for (const e of back) {
      expect(states.get(e.id)!.state).toBe("billed");
      expect(newInvoices.map((i) => i.id)).toContain(states.get(e.id)!.invoiceId);
    }
    const lineage = (await eventsOf(back.map((e) => e.id), "invoiced")).filter((ev) => (ev.data as { syncRunId?: string }).syncRunId === s.runId);
    expect(lineage.map((ev) => ev.timeEntryId).sort()).toEqual(back.map((e) => e.id).sort());
  });

  it("an entry moved from one invoice to another in the ERP is taken off the first and billed on the second in one read", async () => {
    const [moving] = await billedInvoices(1, [removed.erpId, voided.erpId, credited.erpId]);
    const e = moving!.entries[0]!;
    await admin(`/timeBill/${encodeURIComponent(e.erpId)}/unbill`);
    const bill = await simHttp("POST", "/__sim/bill", { asOf: OPTS.endDate });
    const [next] = (JSON.parse(bill.text) as { invoices: { id: string }[] }).invoices;
    const s = await read();
    expect(s).toMatchObject({ status: "succeeded", uninvoiced: 1, billed: 1 });
    const [now] = await app.db.select({ state: timeEntries.state, invoiceId: timeEntries.invoiceId, billedAt: timeEntries.billedAt }).from(timeEntries).where(eq(timeEntries.id, e.id));
    const [nextOurs] = await app.db.select({ id: invoices.id, invoiceDate: invoices.invoiceDate }).from(invoices).where(eq(invoices.erpId, next!.id));
    expect(now).toMatchObject({ state: "billed", invoiceId: nextOurs!.id });
    expect(now!.billedAt!.toISOString()).toBe(`${nextOurs!.invoiceDate}T00:00:00.000Z`);
    const lineage = (await app.db.select().from(timeEntryEvents).where(eq(timeEntryEvents.timeEntryId, e.id)).orderBy(timeEntryEvents.id)).filter((x) => x.data && (x.data as { syncRunId?: string }).syncRunId === s.runId);
    expect(lineage.map((x) => [x.kind, x.fromState, x.toState])).toEqual([
      ["uninvoiced", "billed", "posted"],
      ["invoiced", "posted", "billed"],
    ]);
  });

  it("judges only the invoices the read saw: a voided invoice dated outside the range read changes nothing", async () => {
    const [outside] = await billedInvoices(1, [removed.erpId, voided.erpId, credited.erpId]);
    await admin(`/invoice/${outside!.erpId}/void`);
    // the range ends the day before the invoice: its entries are read, the invoice is not
    const dayBefore = new Date(Date.parse(`${outside!.invoiceDate}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const lastWork = outside!.entries.length
      ? (await app.db.select({ d: sql<string>`max(${timeEntries.workDate})::text` }).from(timeEntries).where(inArray(timeEntries.id, outside!.entries.map((e) => e.id))))[0]!.d
      : from;
    expect(lastWork <= dayBefore).toBe(true);
    const partial = await read(connector(), { from, to: dayBefore });
    expect(partial).toMatchObject({ status: "succeeded", uninvoiced: 0 });
    const states = await entryStates(outside!.entries.map((e) => e.id));
    for (const e of outside!.entries) expect(states.get(e.id)).toMatchObject({ state: "billed", invoiceId: outside!.ours });
    // the read that sees it takes them back
    const whole = await read();
    expect(whole).toMatchObject({ status: "succeeded", uninvoiced: outside!.entries.length });
  });
});
