/**
 * The entry-level promise over real HTTP to the NetSuite simulator: at any moment at most one
 * version of an entry is live in the ERP, and once the pipeline settles it is the latest
 * approved version or none. Each case below is one way that broke before: a version whose
 * outcome was unknown when the next one arrived, a reversal the ERP refuses, a sender whose
 * lease passed, and the approval life cycle in both directions.
 */
import Big from "big.js";
import { and, asc, eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erpPostingAttempts, erpPostings, exceptions, timeEntries, timeEntryEvents } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import { idempotencyKey } from "@/server/domain/idempotency";
import type { ErpConnector } from "@/sync/connectors/types";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, systemCtx, type TestUser } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { ingestTimeEntries } from "../entries/ingest";
import { actOnException } from "../exceptions/act";
import { validateEntries } from "../validation/validate-entries";
import { sendDuePostings, type PostingPolicy } from "./send-due";

const OPTS = { seed: 23, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const FAST: PostingPolicy = { maxAttempts: 30, baseDelayMs: 0, maxDelayMs: 0, batchSize: 200, leaseMs: 0, concurrency: 5, inFlightMs: 0 };

let app: TestDatabase;
let erp: NetSuiteSimulator;
let finance: TestUser;
/** entries the demo posted in beforeAll, handed out one per case */
let posted: (typeof timeEntries.$inferSelect)[] = [];

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  erp = await startNetSuite(OPTS, { pool: 20 });
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  await drain();
  posted = await app.db
    .select()
    .from(timeEntries)
    .where(and(eq(timeEntries.state, "posted"), eq(timeEntries.billable, true), inArray(timeEntries.id, app.db.select({ id: erpPostings.timeEntryId }).from(erpPostings).where(eq(erpPostings.status, "accepted")))))
    .orderBy(asc(timeEntries.id))
    .limit(20);
  expect(posted.length).toBe(20);
  finance = await makeUser(app.db, { roles: ["finance_ops"] });
}, 180_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

const connector = () => erp.connector({ timeoutMs: 2_000 });
const take = () => posted.shift()!;

const once = (c: ErpConnector = connector()) => sendDuePostings({ ctx: systemCtx(app.db, "posting"), connector: c, policy: FAST });

async function drain(policy: PostingPolicy = FAST, c: ErpConnector = connector()) {
  const total = { claimed: 0, accepted: 0, rejected: 0, retrying: 0, dead: 0, foundAlready: 0, superseded: 0 };
  for (let round = 0; round < 100; round++) {
    const s = await sendDuePostings({ ctx: systemCtx(app.db, "posting"), connector: c, policy });
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += s[k];
    if (s.claimed === 0 && s.superseded === 0) break;
  }
  return total;
}

/** The entry as the source now shows it, with changes; `status` approved unless said. */
async function fromSource(e: typeof timeEntries.$inferSelect, over: { hours?: string; status?: "approved" | "submitted" | "rejected"; deleted?: boolean } = {}) {
  const entry = {
    sourceId: e.sourceId,
    sourceUserId: e.sourceUserId,
    sourceProjectId: e.sourceProjectId,
    sourceTaskId: e.sourceTaskId,
    workDate: e.workDate,
    hours: over.hours ?? e.hours,
    billable: e.billable,
    notes: e.notes,
    status: over.status ?? "approved",
    approvedAt: "2026-11-01T09:00:00Z",
    deleted: over.deleted ?? false,
  };
  const r = await ingestTimeEntries({
    ctx: systemCtx(app.db, "sync"),
    input: { sourceSystem: e.sourceSystem, items: [{ payload: { id: Number(e.sourceId), hours: Number(entry.hours), is_closed: entry.status === "approved", deleted: entry.deleted, at: Math.random() }, entry }] },
  });
  if (r.toValidate.length) await validateEntries({ ctx: systemCtx(app.db, "validation"), input: { entryIds: r.toValidate } });
  return r;
}

const current = async (id: string) => (await app.db.select().from(timeEntries).where(eq(timeEntries.id, id)))[0]!;
const key = (e: { sourceSystem: "harvest" | "clockify" | "csv"; sourceId: string }, version: number, kind: "create" | "reverse" = "create") =>
  idempotencyKey({ sourceSystem: e.sourceSystem, sourceId: e.sourceId, version, kind });

/** What the ERP holds for an entry: its live time bills, whichever version posted them. */
async function live(e: typeof timeEntries.$inferSelect) {
  const keys = Array.from({ length: 8 }, (_, i) => key(e, i + 1));
  return erp.sql<{ id: string; hours: string; key: string; invoice: string | null }[]>`
    select id, hours::text, idempotencykey as key, invoice from sim_netsuite.timebill where idempotencykey in ${erp.sql(keys)}`;
}

const events = async (id: string) =>
  (await app.db.select({ kind: timeEntryEvents.kind }).from(timeEntryEvents).where(eq(timeEntryEvents.timeEntryId, id)).orderBy(asc(timeEntryEvents.id))).map((r) => r.kind);

describe("one live version per entry", () => {
  it("a version whose outcome was unknown when the next arrived is looked up, reversed, and only then the latest is sent", async () => {
    const e = take();
    await fromSource(e, { hours: new Big(e.hours).plus(1).toFixed(2) });
    // one round: only the reversal of v1 may go (v2 waits for it)
    expect(await once()).toMatchObject({ claimed: 1, accepted: 1 });
    // v2's create is booked by the ERP but its answer is lost
    expect(await once(withLostCreates(connector(), [key(e, 2)]))).toMatchObject({ claimed: 1, retrying: 1 });
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 2) })]);
    // v3 arrives while v2's outcome is unknown
    await fromSource(e, { hours: "1.25" });
    expect(await current(e.id)).toMatchObject({ version: 3, state: "approved" });
    await drain();
    expect(await live(e)).toEqual([expect.objectContaining({ hours: "1.25", key: key(e, 3) })]);
    const after = await app.db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, e.id));
    expect(after.find((p) => p.idempotencyKey === key(e, 2))).toMatchObject({ status: "accepted" });
    expect(after.find((p) => p.idempotencyKey === key(e, 2, "reverse"))).toMatchObject({ status: "accepted" });
    // v3 left only after v2's reversal was confirmed
    const reversedAt = after.find((p) => p.idempotencyKey === key(e, 2, "reverse"))!.acceptedAt!;
    const [firstV3] = await app.db
      .select({ startedAt: erpPostingAttempts.startedAt })
      .from(erpPostingAttempts)
      .innerJoin(erpPostings, eq(erpPostings.id, erpPostingAttempts.postingId))
      .where(eq(erpPostings.idempotencyKey, key(e, 3)))
      .orderBy(asc(erpPostingAttempts.startedAt))
      .limit(1);
    expect(firstV3!.startedAt.getTime()).toBeGreaterThanOrEqual(reversedAt.getTime());
    expect(await current(e.id)).toMatchObject({ state: "posted", postedVersion: 3 });
    expect(await events(e.id)).toEqual(expect.arrayContaining(["corrected", "changed", "found_superseded", "reversed", "posted"]));
  });

  it("a version claimed by a sender that died is judged absent only once its request can no longer land", async () => {
    const e = take();
    await fromSource(e, { hours: new Big(e.hours).plus(1).toFixed(2) });
    expect(await once()).toMatchObject({ claimed: 1, accepted: 1 }); // the reversal of v1
    // a sender claims v2's create and dies before anything is recorded
    await app.db.update(erpPostings).set({ status: "sent", attempts: 1, sentAt: new Date(), claimToken: crypto.randomUUID() }).where(eq(erpPostings.idempotencyKey, key(e, 2)));
    await fromSource(e, { hours: new Big(e.hours).plus(2).toFixed(2) });
    const waiting = await drain({ ...FAST, inFlightMs: 60_000, maxAttempts: 3 }, connector());
    expect(waiting.accepted).toBe(0);
    expect((await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2))))[0]).toMatchObject({ status: "sent" });
    expect((await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 3))))[0]).toMatchObject({ status: "pending", attempts: 0 });
    // once its request could no longer arrive: absent, superseded, and v3 goes
    await app.db.update(erpPostings).set({ nextAttemptAt: new Date() }).where(eq(erpPostings.idempotencyKey, key(e, 2)));
    await drain();
    expect((await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2))))[0]).toMatchObject({ status: "superseded" });
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 3) })]);
  });

  it("a reversal the ERP refuses (already invoiced) stops the correction with a finance exception that stays open", async () => {
    const e = take();
    await invoiceInErp(e);
    const [tb] = await live(e);
    expect(tb?.invoice).toBeTruthy();
    await fromSource(e, { hours: new Big(e.hours).plus(1.5).toFixed(2) });
    const s = await drain();
    expect(s.rejected).toBe(1);
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 1) })]); // only the invoiced version
    const [p2] = await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2)));
    expect(p2).toMatchObject({ status: "pending", attempts: 0 }); // held back, never sent
    const [x] = await app.db.select().from(exceptions).where(and(eq(exceptions.code, "CHANGED_AFTER_INVOICE"), eq(exceptions.subjectKey, `entry:${e.sourceSystem}:${e.sourceId}`)));
    expect(x).toMatchObject({ status: "open", owner: "finance" });
    expect(x!.message).toContain(`invoice ${tb!.invoice}`);
    expect(x!.message).toContain("a difference of 1.50 h");
    expect(x!.details).toMatchObject({ kind: "reversal_refused", reversedVersion: 1 });

    // more sending changes nothing, and nothing resolves the exception by itself
    expect((await drain()).claimed).toBe(0);
    expect((await app.db.select().from(exceptions).where(eq(exceptions.id, x!.id)))[0]!.status).toBe("open");

    // the invoice is credited in the ERP; finance retries: reversed, then the new version posts
    await erp.sql`delete from sim_netsuite.transactionline where timebill = ${tb!.id}`;
    await erp.sql`update sim_netsuite.timebill set invoice = null where id = ${tb!.id}`;
    const viewer = { userId: finance.id, roles: finance.roles, scope: finance.scope };
    const r = await actOnException({ ctx: systemCtx(app.db, "test"), viewer, input: { id: x!.id, expectedVersion: x!.version, act: { action: "retry" } } });
    expect(r.message).toMatch(/sent again/);
    await drain();
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 2) })]);
    expect((await app.db.select().from(exceptions).where(eq(exceptions.id, x!.id)))[0]!.status).toBe("resolved");
  });

  it("resolving a refused reversal keeps the ERP's version: nothing newer is posted", async () => {
    const e = take();
    await invoiceInErp(e);
    await fromSource(e, { hours: new Big(e.hours).plus(2).toFixed(2) });
    await drain();
    const [x] = await app.db.select().from(exceptions).where(and(eq(exceptions.code, "CHANGED_AFTER_INVOICE"), eq(exceptions.subjectKey, `entry:${e.sourceSystem}:${e.sourceId}`)));
    const viewer = { userId: finance.id, roles: finance.roles, scope: finance.scope };
    const r = await actOnException({ ctx: systemCtx(app.db, "test"), viewer, input: { id: x!.id, expectedVersion: x!.version, act: { action: "resolve", reason: "Client accepted the invoice as billed" } } });
    expect(r.message).toContain("The ERP keeps the version it holds");
    expect(await drain()).toMatchObject({ claimed: 0 });
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 1) })]);
    expect(await current(e.id)).toMatchObject({ state: "posted", postedVersion: 1 });
    const postings = await app.db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, e.id));
    expect(postings.find((p) => p.idempotencyKey === key(e, 2))?.status).toBe("superseded");
    expect(await validateEntries({ ctx: systemCtx(app.db, "validation"), input: { entryIds: [e.id] } })).toMatchObject({ postingsCreated: 0 });
  });

  it("an outcome written by a sender whose lease passed changes nothing", async () => {
    const e = take();
    await fromSource(e, { hours: new Big(e.hours).plus(0.25).toFixed(2) });
    expect(await once()).toMatchObject({ claimed: 1, accepted: 1 }); // the reversal of v1
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    // sender A claims v2's create and stalls before its answer; its lease (0 s) passes at once
    const a = sendDuePostings({ ctx: systemCtx(app.db, "slow"), connector: withHeldCreates(connector(), [key(e, 2)], gate), policy: { ...FAST, batchSize: 1 } });
    await waitUntil(async () => (await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2))))[0]?.status === "sent");
    // sender B takes the posting over, finds it absent, sends it: accepted
    const b = await drain();
    expect(b.accepted).toBe(1);
    const [afterB] = await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2)));
    release();
    const sa = await a;
    expect(sa.stale).toBe(1);
    const [afterA] = await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2)));
    expect(afterA).toEqual(afterB);
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 2) })]);
  });
});

describe("the approval life cycle, both directions", () => {
  it("withdrawn after posting: reversed in the ERP exactly once, out of approved; re-approved: posted again under a new version's key", async () => {
    const e = take();
    const r = await fromSource(e, { status: "submitted" });
    expect(r.reversalsQueued).toBe(1);
    expect(await current(e.id)).toMatchObject({ state: "submitted", version: 2 });
    await fromSource(e, { status: "submitted" }); // the same again: nothing more queued
    await drain();
    expect(await live(e)).toEqual([]);
    const reversals = await app.db.select().from(erpPostings).where(and(eq(erpPostings.timeEntryId, e.id), eq(erpPostings.kind, "reverse")));
    expect(reversals).toEqual([expect.objectContaining({ status: "accepted", entryVersion: 1 })]);
    expect(await current(e.id)).toMatchObject({ erpId: null, postedVersion: null });

    await fromSource(e, { status: "approved" });
    await drain();
    expect(await live(e)).toEqual([expect.objectContaining({ key: key(e, 2), hours: e.hours })]);
    expect(await current(e.id)).toMatchObject({ state: "posted", postedVersion: 2 });
    expect(await events(e.id)).toEqual(expect.arrayContaining(["withdrawn", "reversed", "approved", "posted"]));
  });

  it("rejected after posting: reversed once and the entry is rejected", async () => {
    const e = take();
    await fromSource(e, { status: "rejected" });
    await drain();
    expect(await live(e)).toEqual([]);
    expect(await current(e.id)).toMatchObject({ state: "rejected" });
  });

  it("withdrawn before posting: the queued posting is withdrawn and nothing reaches the ERP", async () => {
    const e = take();
    // a new version waits in the outbox behind its predecessor's reversal when the approval is withdrawn
    await fromSource(e, { hours: new Big(e.hours).plus(1).toFixed(2) });
    expect(await once()).toMatchObject({ claimed: 1, accepted: 1 });
    await fromSource(e, { status: "submitted" });
    expect(await app.db.select({ status: erpPostings.status }).from(erpPostings).where(eq(erpPostings.idempotencyKey, key(e, 2)))).toEqual([{ status: "superseded" }]);
    await drain();
    expect(await live(e)).toEqual([]);
    expect(await current(e.id)).toMatchObject({ state: "submitted", version: 3 });
  });

  it("withdrawn after invoicing: no automatic reversal, a finance exception naming the invoice", async () => {
    const e = take();
    await app.db.update(timeEntries).set({ state: "billed" }).where(eq(timeEntries.id, e.id));
    const r = await fromSource(e, { status: "submitted" });
    expect(r.changedAfterInvoice).toEqual([e.sourceId]);
    expect(await current(e.id)).toMatchObject({ state: "billed" });
    expect(await app.db.select().from(erpPostings).where(and(eq(erpPostings.timeEntryId, e.id), eq(erpPostings.kind, "reverse")))).toEqual([]);
    const [x] = await app.db.select().from(exceptions).where(and(eq(exceptions.code, "CHANGED_AFTER_INVOICE"), eq(exceptions.subjectKey, `entry:${e.sourceSystem}:${e.sourceId}`)));
    expect(x).toMatchObject({ status: "open" });
    expect(x!.message).toMatch(/un-approved .* after it was invoiced/);
  });

  it("deleted in the source after posting: reversed once, void", async () => {
    const e = take();
    await fromSource(e, { deleted: true });
    await fromSource(e, { deleted: true });
    await drain();
    expect(await live(e)).toEqual([]);
    expect(await current(e.id)).toMatchObject({ state: "void" });
    expect(await app.db.select().from(erpPostings).where(and(eq(erpPostings.timeEntryId, e.id), eq(erpPostings.kind, "reverse")))).toHaveLength(1);
  });
});

/** The real connector, except that the creates with these keys are booked but their answer is lost. */
function withLostCreates(c: ErpConnector, keys: string[]): ErpConnector {
  return withHeldCreates(c, keys, null, true);
}

/**
 * The real connector, except that creates with these keys wait for `gate` after the ERP
 * answered (a slow sender), or — with `lose` — have their answer replaced by a lost response.
 */
function withHeldCreates(c: ErpConnector, keys: string[], gate: Promise<void> | null, lose = false): ErpConnector {
  return {
    ...c,
    system: c.system,
    post: async (request, signal) => {
      const outcome = await c.post(request, signal);
      if (!keys.includes(request.idempotencyKey)) return outcome;
      if (lose) return { kind: "transient", reason: "the connection was reset before the answer", retryAfterMs: null, status: null };
      await gate;
      return outcome;
    },
    findByIdempotencyKey: (k, s) => c.findByIdempotencyKey(k, s),
    timeRecords: (...a) => c.timeRecords(...a),
    invoices: (...a) => c.invoices(...a),
    masterData: (...a) => c.masterData(...a),
  };
}

/** The ERP bills this entry's time bill on an invoice of its own (as its billing run would, before Hourbridge reads it back). */
async function invoiceInErp(e: typeof timeEntries.$inferSelect) {
  const [tb] = await live(e);
  const id = `9${tb!.id.replace(/\D/g, "")}`;
  await erp.sql.begin(async (tx) => {
    await tx`
      insert into sim_netsuite."transaction" (id, tranid, type, entity, job, subsidiary, trandate, currency, foreigntotal, status)
      select ${id}, ${`INV-${id}`}, 'CustInvc', j.customer, j.id, j.subsidiary, current_date, j.currency, round(t.hours * coalesce(t.rate, 0), 2), 'open'
      from sim_netsuite.timebill t join sim_netsuite.job j on j.id = t.customer where t.id = ${tb!.id}`;
    await tx`
      insert into sim_netsuite.transactionline ("transaction", linesequencenumber, timebill, item, memo, quantity, rate, foreignamount)
      select ${id}, 1, id, item, memo, hours, rate, round(hours * coalesce(rate, 0), 2) from sim_netsuite.timebill where id = ${tb!.id}`;
    await tx`update sim_netsuite.timebill set invoice = ${id} where id = ${tb!.id}`;
  });
}

async function waitUntil(check: () => Promise<boolean>, ms = 10_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("timed out");
}
