/**
 * Replaying dead-lettered and refused postings over real HTTP against the NetSuite
 * simulator: a replay never posts twice (a dead posting whose request did land is found by
 * key), a refused posting is validated again and sent with the fix, scope limits what a
 * user can replay, and a replay is audited.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, erpPostings, exceptions, timeEntries } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import { faultConfig, NO_FAULTS } from "@/simulators/shared/faults";
import { UNRESTRICTED } from "@/server/auth/scope";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor, systemCtx } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { validateEntries } from "../validation/validate-entries";
import { previewReplay, replayPostings } from "./replay";
import { sendDuePostings, type PostingPolicy } from "./send-due";

const OPTS = { seed: 11, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const FAST: PostingPolicy = { maxAttempts: 2, baseDelayMs: 0, maxDelayMs: 0, batchSize: 500, leaseMs: 0, concurrency: 5, inFlightMs: 0 };

let app: TestDatabase;
let erp: NetSuiteSimulator;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  erp = await startNetSuite(OPTS);
}, 120_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

const connector = () => erp.connector({ timeoutMs: 2_000 });
async function drain(policy: PostingPolicy = FAST) {
  for (let round = 0; round < 100; round++) {
    const s = await sendDuePostings({ ctx: systemCtx(app.db, "posting"), connector: connector(), policy });
    if (s.claimed === 0) return;
  }
}
const erpCount = async (key: string) => ((await erp.sql`select count(*)::int as n from sim_netsuite.timebill where idempotencykey = ${key}`) as unknown as [{ n: number }])[0].n;
const pendingKeys = async (limit: number) =>
  app.db.select({ id: erpPostings.id, key: erpPostings.idempotencyKey, entryId: erpPostings.timeEntryId }).from(erpPostings).where(eq(erpPostings.status, "pending")).orderBy(erpPostings.id).limit(limit);

describe("replaying dead letters", () => {
  let deadIds: string[] = [];
  let since: string;

  it("dead-letters postings whose responses were all lost on the wire (the ERP did create them)", async () => {
    since = new Date(Date.now() - 1000).toISOString();
    const chosen = await pendingKeys(6);
    // hold back everything else, so only the chosen ones are sent now
    await app.db.update(erpPostings).set({ nextAttemptAt: sql`now() + interval '1 day'` }).where(and(eq(erpPostings.status, "pending"), sql`${erpPostings.id} not in (${sql.join(chosen.map((c) => sql`${c.id}`), sql`, `)})`));
    erp.injector.set(faultConfig.parse({ lostResponseRate: 1 }));
    await drain();
    erp.injector.set(NO_FAULTS);
    const rows = await app.db.select().from(erpPostings).where(inArray(erpPostings.id, chosen.map((c) => c.id)));
    expect(rows.map((r) => r.status)).toEqual(rows.map(() => "dead"));
    deadIds = rows.map((r) => r.id);
    // the ERP holds each once: the requests arrived, only the answers were lost
    for (const c of chosen) expect(await erpCount(c.key)).toBe(1);
    const open = await app.db.select().from(exceptions).where(and(eq(exceptions.code, "POSTING_DEAD"), eq(exceptions.status, "open")));
    expect(open.length).toBe(6);
  });

  it("previews what a replay since a time would send, without changing anything", async () => {
    const before = await app.db.select({ id: erpPostings.id, status: erpPostings.status, updatedAt: erpPostings.updatedAt }).from(erpPostings).where(inArray(erpPostings.id, deadIds));
    const p = await previewReplay({ ctx: systemCtx(app.db, "test"), input: { deadSince: since }, scope: UNRESTRICTED });
    expect(p.counts).toMatchObject({ replayable: 6, dead: 6, skipped: 0 });
    expect(p.items.every((i) => i.action === "look_up_then_resend")).toBe(true);
    expect(Number(p.hours)).toBeGreaterThan(0);
    expect(await app.db.select({ id: erpPostings.id, status: erpPostings.status, updatedAt: erpPostings.updatedAt }).from(erpPostings).where(inArray(erpPostings.id, deadIds))).toEqual(before);
  });

  it("a user scoped to a legal entity replays only inside it", async () => {
    // the legal entity of the first dead posting: the user may replay that one and no other
    const [first] = (await app.db.execute(sql`select l.code, count(*) over (partition by l.code)::int as n from erp_postings p join legal_entities l on l.id = p.legal_entity_id where p.id in (${sql.join(deadIds.map((id) => sql`${id}`), sql`, `)}) order by p.id limit 1`)) as unknown as { code: string; n: number }[];
    const scoped = await makeUser(app.db, { roles: ["finance_ops"], scope: { entities: [first!.code], regions: [] } });
    const p = await previewReplay({ ctx: serviceCtxFor(app.db, scoped), input: { postingIds: deadIds }, scope: scoped.scope });
    expect(p.items.length).toBeGreaterThan(0);
    const inScope = (await app.db.execute(sql`select count(*)::int as n from erp_postings p join legal_entities l on l.id = p.legal_entity_id where l.code = ${first!.code} and p.id in (${sql.join(deadIds.map((id) => sql`${id}`), sql`, `)})`)) as unknown as { n: number }[];
    expect(p.items.length).toBe(inScope[0]!.n);
    const nowhere = await makeUser(app.db, { roles: ["finance_ops"], scope: { entities: ["NOWHERE"], regions: [] } });
    const r = await replayPostings({ ctx: serviceCtxFor(app.db, nowhere), input: { postingIds: deadIds }, scope: nowhere.scope });
    expect(r).toMatchObject({ requeued: 0, revalidated: 0 });
    expect((await app.db.select().from(erpPostings).where(inArray(erpPostings.id, deadIds))).every((p) => p.status === "dead")).toBe(true);
  });

  it("replays them all: each is looked up by key, found, and marked posted — the ERP still holds each once", async () => {
    const finance = await makeUser(app.db, { roles: ["finance_ops"] });
    const r = await replayPostings({ ctx: serviceCtxFor(app.db, finance), input: { deadSince: since }, scope: UNRESTRICTED });
    expect(r).toMatchObject({ requeued: 6, changedMeanwhile: 0 });
    await drain();
    const rows = await app.db.select().from(erpPostings).where(inArray(erpPostings.id, deadIds));
    for (const p of rows) {
      expect(p.status).toBe("accepted");
      expect(p.response).toMatchObject({ foundByIdempotencyKey: true });
      expect(await erpCount(p.idempotencyKey)).toBe(1);
    }
    const entries = await app.db.select().from(timeEntries).where(inArray(timeEntries.id, rows.map((p) => p.timeEntryId!)));
    expect(entries.every((e) => e.state === "posted")).toBe(true);
    const still = await app.db.select().from(exceptions).where(and(eq(exceptions.code, "POSTING_DEAD"), eq(exceptions.status, "open")));
    expect(still).toHaveLength(0);
    const [audit] = await app.db.select().from(auditLog).where(eq(auditLog.action, "postings.replay")).orderBy(sql`${auditLog.at} desc`).limit(1);
    expect(audit).toMatchObject({ actorId: finance.id, actorLabel: finance.email });
  });

  it("replaying them again skips each, saying why", async () => {
    const r = await replayPostings({ ctx: systemCtx(app.db, "test"), input: { postingIds: deadIds }, scope: UNRESTRICTED });
    expect(r.requeued).toBe(0);
    expect(r.skipped.map((s) => s.reason)).toEqual(deadIds.map(() => "the ERP already accepted it"));
  });
});

describe("replaying a refusal after its cause is fixed", () => {
  it("re-validates the entry and posts it once the ERP job is open again; the ERP_REJECTED exception resolves", async () => {
    const [chosen] = await pendingKeys(1);
    const [p] = await app.db.select().from(erpPostings).where(eq(erpPostings.id, chosen!.id));
    const jobId = (p!.request as { erp: { jobId: string } }).erp.jobId;
    await app.db.update(erpPostings).set({ nextAttemptAt: sql`now()` }).where(eq(erpPostings.id, p!.id));
    await erp.sql`update sim_netsuite.job set entitystatus = '4' where id = ${jobId}`;
    await app.db.update(erpPostings).set({ nextAttemptAt: sql`now() + interval '1 day'` }).where(and(eq(erpPostings.status, "pending"), sql`${erpPostings.id} <> ${p!.id}`));
    await drain();
    const [refused] = await app.db.select().from(erpPostings).where(eq(erpPostings.id, p!.id));
    expect(refused).toMatchObject({ status: "rejected" });
    const [entry] = await app.db.select().from(timeEntries).where(eq(timeEntries.id, p!.timeEntryId!));
    const subject = `entry:${entry!.sourceSystem}:${entry!.sourceId}`;
    expect((await app.db.select().from(exceptions).where(and(eq(exceptions.subjectKey, subject), eq(exceptions.code, "ERP_REJECTED"))))[0]).toMatchObject({ status: "open" });

    // the job is put back in progress in the ERP; the replay validates again and re-sends
    await erp.sql`update sim_netsuite.job set entitystatus = '2' where id = ${jobId}`;
    const r = await replayPostings({ ctx: systemCtx(app.db, "test"), input: { entryIds: [entry!.id] }, scope: UNRESTRICTED });
    expect(r).toMatchObject({ revalidated: 1, requeued: 1, stillBlocked: 0 });
    await drain();
    const [after] = await app.db.select().from(erpPostings).where(eq(erpPostings.id, p!.id));
    expect(after).toMatchObject({ status: "accepted", attempts: 1 });
    expect(await erpCount(p!.idempotencyKey)).toBe(1);
    expect((await app.db.select().from(exceptions).where(and(eq(exceptions.subjectKey, subject), eq(exceptions.code, "ERP_REJECTED"))))[0]).toMatchObject({ status: "resolved", resolution: "auto" });
  });

  it("refuses a selection that names nothing, or two things at once", async () => {
    await expect(previewReplay({ ctx: systemCtx(app.db, "test"), input: {}, scope: UNRESTRICTED })).rejects.toThrow(/exactly one/);
    await expect(previewReplay({ ctx: systemCtx(app.db, "test"), input: { postingIds: [crypto.randomUUID()], deadSince: new Date().toISOString() }, scope: UNRESTRICTED })).rejects.toThrow(/exactly one/);
  });
});
