/**
 * Posting over real HTTP: the app's demo firm validated into its outbox, sent through the
 * NetSuite connector to the NetSuite simulator (seeded from the same generator, so jobs,
 * items and employees agree), with and without faults on the wire.
 */
import { eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { circuitBreakers, connectors, erpPostings, exceptions, timeEntries } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import type { CanonicalPostingRequest } from "@/server/domain/posting";
import { faultConfig, NO_FAULTS } from "@/simulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { validateEntries } from "../validation/validate-entries";
import { sendDuePostings, type PostingPolicy } from "./send-due";

const OPTS = { seed: 5, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const FAST: PostingPolicy = { maxAttempts: 30, baseDelayMs: 0, maxDelayMs: 0, batchSize: 200, leaseMs: 0, concurrency: 5, inFlightMs: 0 };

let app: TestDatabase;
let erp: NetSuiteSimulator;
/** postings validation queued for the demo firm, sent in the first test */
let queued: { key: string; entryId: string | null; request: unknown }[] = [];

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  erp = await startNetSuite(OPTS, { pool: 20 });
}, 120_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

const connector = () => erp.connector({ timeoutMs: 2_000 });

/** Sends until nothing is due; returns the summed summary. */
async function drain(policy: PostingPolicy = FAST) {
  const total = { claimed: 0, accepted: 0, rejected: 0, retrying: 0, dead: 0, foundAlready: 0 };
  for (let round = 0; round < 200; round++) {
    const s = await sendDuePostings({ ctx: systemCtx(app.db, "posting"), connector: connector(), policy });
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += s[k];
    if (s.claimed === 0) break;
  }
  return total;
}

async function erpCountByKey() {
  const rows = await erp.sql<{ k: string; n: number }[]>`
    select idempotencykey as k, count(*)::int as n from sim_netsuite.timebill where idempotencykey like 'hb-create-%' group by 1`;
  return new Map(rows.map((r) => [r.k, r.n]));
}

describe("sending the outbox to the ERP", () => {
  it("posts every queued entry exactly once through faults: 30% 5xx, 429s, resets and lost responses", async () => {
    queued = await app.db
      .select({ key: erpPostings.idempotencyKey, entryId: erpPostings.timeEntryId, request: erpPostings.request })
      .from(erpPostings)
      .where(eq(erpPostings.status, "pending"));
    expect(queued.length).toBeGreaterThan(50);

    erp.injector.set(faultConfig.parse({ serverErrorRate: 0.3, rateLimitRate: 0.05, retryAfterSeconds: 0, resetRate: 0.05, lostResponseRate: 0.1, seed: 3 }));
    const summary = await drain();
    erp.injector.set(NO_FAULTS);

    expect(summary.dead).toBe(0);
    expect(summary.rejected).toBe(0);
    expect(summary.accepted).toBe(queued.length);
    expect(summary.foundAlready).toBeGreaterThan(0); // lost responses were found by key, not re-created

    const counts = await erpCountByKey();
    for (const q of queued) expect(counts.get(q.key), q.key).toBe(1);

    // each entry is now posted, with the ERP's id and the version that was sent
    const rows = await app.db
      .select({ state: timeEntries.state, erpId: timeEntries.erpId, postedVersion: timeEntries.postedVersion, sentErpId: erpPostings.erpId, sentVersion: erpPostings.entryVersion })
      .from(erpPostings)
      .innerJoin(timeEntries, eq(timeEntries.id, erpPostings.timeEntryId))
      .where(inArray(erpPostings.idempotencyKey, queued.map((q) => q.key)));
    expect(rows).toHaveLength(queued.length);
    for (const r of rows) expect(r).toMatchObject({ state: "posted", erpId: r.sentErpId, postedVersion: r.sentVersion });

    // every attempt is on record, numbered, with what came back; the last one of each is its acceptance
    const [a] = (await app.db.execute(sql`
      select count(*)::int as attempts,
             (select sum(attempts)::int from erp_postings where id in (select posting_id from erp_posting_attempts)) as claimed,
             count(*) filter (where outcome in ('accepted', 'found'))::int as accepted,
             count(*) filter (where error_class = '5xx')::int as server_errors,
             count(*) filter (where outcome = 'found')::int as found
      from erp_posting_attempts`)) as unknown as [{ attempts: number; claimed: number; accepted: number; server_errors: number; found: number }];
    expect(a.attempts).toBe(a.claimed);
    expect(a.accepted).toBe(queued.length);
    expect(a.server_errors).toBeGreaterThan(0);
    expect(a.found).toBe(summary.foundAlready);
  });

  it("a second run finds nothing to send and changes nothing in the ERP", async () => {
    const before = await erp.sql`select count(*)::int as n from sim_netsuite.timebill`;
    const again = await drain();
    expect(again.claimed).toBe(0);
    expect(await erp.sql`select count(*)::int as n from sim_netsuite.timebill`).toEqual(before);
  });

  it("turns an accounting refusal into an ERP_REJECTED exception and does not retry it", async () => {
    // the ERP closes the job after the entry passed validation; the entry's next version is refused
    const { entry, request } = await bumpVersion(queued[0]!);
    await erp.sql`update sim_netsuite.job set entitystatus = '1' where id = ${request.erp.jobId}`;
    await queue(entry, request, `hb-create-test-refusal-${entry.id}`);
    const s = await drain();
    expect(s).toMatchObject({ rejected: 1, accepted: 0, dead: 0 });
    const [x] = await app.db.select().from(exceptions).where(eq(exceptions.subjectKey, `entry:harvest:${entry.sourceId}`));
    expect(x).toMatchObject({ code: "ERP_REJECTED", owner: "finance", status: "open" });
    expect(x!.message).toContain("INVALID_JOB_STATUS");
    expect((await drain()).claimed).toBe(0);
  });

  it("dead-letters a posting whose transient failures outlast its attempts, with a POSTING_DEAD exception", async () => {
    const { entry, request } = await bumpVersion(queued[1]!);
    const key = `hb-create-test-dead-${entry.id}`;
    await queue(entry, request, key);
    erp.injector.set(faultConfig.parse({ serverErrorRate: 1 }));
    const s = await drain({ ...FAST, maxAttempts: 3 });
    erp.injector.set(NO_FAULTS);
    expect(s).toMatchObject({ dead: 1, accepted: 0 });
    const [p] = await app.db.select().from(erpPostings).where(eq(erpPostings.idempotencyKey, key));
    expect(p).toMatchObject({ status: "dead", attempts: 3 });
    expect(p!.lastError).toMatch(/50[023]/);
    const [x] = await app.db.select().from(exceptions).where(eq(exceptions.subjectKey, `entry:harvest:${entry.sourceId}`));
    expect(x).toMatchObject({ code: "POSTING_DEAD", owner: "integration", status: "open" });
    expect(await erp.sql`select 1 from sim_netsuite.timebill where idempotencykey = ${key}`).toHaveLength(0);
  });
});

describe("the circuit breaker in front of the ERP", () => {
  it("opens after repeated failures, sends nothing while open, then probes once and closes when the ERP is back", async () => {
    const [row] = await app.db
      .insert(connectors)
      .values({ key: "netsuite-breaker-test", role: "erp", system: "netsuite", name: "NetSuite", baseUrl: erp.apiUrl })
      .returning({ id: connectors.id });
    const breaker = { connectorId: row!.id, policy: { failureThreshold: 3, cooldownMs: 300, maxCooldownMs: 1_000 } };
    for (const q of queued.slice(2, 8)) {
      const { entry, request } = await bumpVersion(q);
      await queue(entry, request, `hb-create-test-breaker-${entry.id}`);
    }
    const send = () => sendDuePostings({ ctx: systemCtx(app.db, "posting"), connector: connector(), policy: { ...FAST, batchSize: 1, concurrency: 1 }, breaker });
    const requests = () => Object.values(erp.injector.counts).reduce((a, b) => a + b, 0);

    erp.injector.set(faultConfig.parse({ outage: { from: new Date(Date.now() - 1000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() } }));
    for (let i = 0; i < 3; i++) expect((await send()).retrying).toBe(1);
    const [open] = await app.db.select().from(circuitBreakers).where(eq(circuitBreakers.connectorId, row!.id));
    expect(open).toMatchObject({ state: "open", consecutiveFailures: 3, openings: 1 });
    expect(open!.lastError).toContain("503");

    const before = requests();
    const whileOpen = await send();
    expect(whileOpen).toMatchObject({ circuit: "open", claimed: 0 });
    expect(requests()).toBe(before); // the ERP was left alone

    erp.injector.set(NO_FAULTS);
    await new Promise((r) => setTimeout(r, 350));
    const probe = await send();
    // one posting probes; any answer from the ERP (here an acceptance or a refusal) closes the circuit
    expect(probe).toMatchObject({ circuit: "half_open", claimed: 1, retrying: 0 });
    expect(probe.accepted + probe.rejected).toBe(1);
    const [closed] = await app.db.select().from(circuitBreakers).where(eq(circuitBreakers.connectorId, row!.id));
    expect(closed).toMatchObject({ state: "closed", consecutiveFailures: 0, openings: 0 });

    const rest = await drain();
    expect(rest.dead).toBe(0);
    const counts = await erpCountByKey();
    for (const [k, n] of counts) if (k.startsWith("hb-create-test-breaker-")) expect(n).toBe(1);
  });
});

/**
 * A posted entry edited at the source whose posted version the ERP already took back (its
 * reversal accepted): its next version, approved and awaiting posting.
 */
async function bumpVersion(q: (typeof queued)[number]) {
  const [entry] = await app.db.select().from(timeEntries).where(eq(timeEntries.id, q.entryId!));
  const next = entry!.version + 1;
  await app.db.update(timeEntries).set({ state: "approved", version: next }).where(eq(timeEntries.id, entry!.id));
  await app.db.insert(erpPostings).values({
    timeEntryId: entry!.id,
    kind: "reverse",
    entryVersion: entry!.version,
    idempotencyKey: `hb-reverse-test-${entry!.id}-v${entry!.version}`,
    request: { erpId: entry!.erpId },
    status: "accepted",
    correlationId: "test",
  });
  const request = q.request as CanonicalPostingRequest;
  return { entry: { ...entry!, version: next }, request: { ...request, entry: { ...request.entry, version: next } } };
}

async function queue(entry: { id: string; version: number }, request: CanonicalPostingRequest, key: string) {
  await app.db.insert(erpPostings).values({ timeEntryId: entry.id, kind: "create", entryVersion: entry.version, idempotencyKey: key, request, correlationId: "test" });
}
