/**
 * The sync engine end to end over real HTTP: a firm whose master data and mappings are in
 * place and whose time is all in the source (the Harvest simulator), synced into the ERP
 * (the NetSuite simulator, seeded from the same generator). Once cleanly, once through
 * faults on both wires (30% 5xx, 429 bursts, lost responses, a 60 s outage of the ERP) —
 * and the ERP must end in the identical state, each valid entry version in it exactly once.
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, erpPostings, exceptions, syncRuns, timeEntries } from "@/server/db/schema";
import { generateDemo } from "@/server/demo/generate";
import { loadDemo } from "@/server/demo/load";
import { FaultInjector, faultConfig, NO_FAULTS } from "@/simulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { GENEROUS_RATE_LIMIT, startHarvest, startNetSuite, type HarvestSimulator, type NetSuiteSimulator } from "../../../../test/simulators";
import { postOutbox } from "../posting/post-outbox";
import type { PostingPolicy } from "../posting/send-due";
import { pullTimeEntries } from "./pull-time";

const OPTS = { seed: 21, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const POLICY: PostingPolicy = { maxAttempts: 1000, baseDelayMs: 0, maxDelayMs: 0, batchSize: 200, leaseMs: 0, concurrency: 5, inFlightMs: 0 };
const BREAKER = { failureThreshold: 5, cooldownMs: 500, maxCooldownMs: 2_000 };

/** One firm: an app database with master data only, and both simulators with their own databases. */
type World = {
  app: TestDatabase;
  src: HarvestSimulator;
  erp: NetSuiteSimulator;
  harvestFaults: FaultInjector;
  erpFaults: FaultInjector;
  harvestId: string;
  erpId: string;
};

async function buildWorld(): Promise<World> {
  const app = await createTestDatabase();
  await loadDemo(app.db, generateDemo(OPTS), { masterDataOnly: true });
  const src = await startHarvest(OPTS, { token: "ht", pool: 6 });
  const erp = await startNetSuite(OPTS, { token: "nt", pool: 12 });
  // an ERP that holds the firm's master data but none of its time yet: every record in it comes from this sync
  await erp.sql`truncate sim_netsuite.transactionline, sim_netsuite."transaction", sim_netsuite.timebill cascade`;
  const [h] = await app.db.insert(connectors).values({ key: "harvest", role: "source", system: "harvest", name: "Harvest", baseUrl: src.apiUrl, accountId: src.accountId }).returning();
  const [n] = await app.db.insert(connectors).values({ key: "netsuite", role: "erp", system: "netsuite", name: "NetSuite", baseUrl: erp.apiUrl, accountId: erp.accountId }).returning();
  return { app, src, erp, harvestFaults: src.injector, erpFaults: erp.injector, harvestId: h!.id, erpId: n!.id };
}

async function dropWorld(w: World | undefined) {
  if (!w) return;
  await w.src.stop();
  await w.erp.stop();
  await w.app.drop();
}

const harvestOf = (w: World) => w.src.connector({ timeoutMs: 2_000, maxAttempts: 10, backoff: { baseMs: 10, maxMs: 200 }, rateLimit: GENEROUS_RATE_LIMIT });
const netsuiteOf = (w: World) => w.erp.connector({ timeoutMs: 1_000 });

/** Pull until a walk completes, then post until nothing is left to send. */
async function sync(w: World, label: string) {
  const ctx = systemCtx(w.app.db, label);
  for (let i = 0; i < 20; i++) {
    const s = await pullTimeEntries({ ctx, connector: harvestOf(w), connectorId: w.harvestId, perPage: 200 });
    const [run] = await w.app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    if (run!.status === "succeeded") break;
  }
  for (let i = 0; i < 2000; i++) {
    await postOutbox({ ctx, connector: netsuiteOf(w), connectorId: w.erpId, trigger: "manual", policy: POLICY, breakerPolicy: BREAKER, maxRounds: 5 });
    const [{ n }] = (await w.app.db.execute(sql`select count(*)::int as n from erp_postings where status in ('pending', 'sent')`)) as unknown as [{ n: number }];
    if (n === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("the outbox did not drain");
}

/** What the ERP holds, without its own ids and clocks. */
const erpState = (w: World) =>
  w.erp.sql`select idempotencykey as key, employee, customer, item, subsidiary, hours::text, rate::text, isbillable, trandate::text, memo
            from sim_netsuite.timebill order by idempotencykey, trandate, employee, hours`;

/** What Hourbridge holds: each entry's state and the exceptions it is blocked by. */
const appState = async (w: World) => ({
  entries: await w.app.sql`select source_id, state, version, erp_id is not null as has_erp_id, posted_version from time_entries order by source_id`,
  exceptions: await w.app.sql`select code, subject_key, status, entries_count from exceptions order by code, subject_key`,
});

let clean: World;
let faulty: World;

beforeAll(async () => {
  [clean, faulty] = await Promise.all([buildWorld(), buildWorld()]);
}, 180_000);
afterAll(async () => {
  await dropWorld(clean);
  await dropWorld(faulty);
});

describe("a full sync of the firm", () => {
  it("posts every valid approved entry exactly once and leaves every invalid one as the right exception", async () => {
    expect(await erpState(clean)).toEqual([]);
    await sync(clean, "full-sync");
    const app = clean.app.db;

    // every approved entry has an accepted posting of its version, or an open exception that says why not
    const stuck = await clean.app.sql`
      select t.source_id from time_entries t
      where t.state = 'approved'
        and not exists (select 1 from exception_entries l join exceptions x on x.id = l.exception_id where l.time_entry_id = t.id and x.status = 'open')`;
    expect(stuck.map((r) => r.source_id)).toEqual([]);
    const posted = await app.select().from(timeEntries).where(eq(timeEntries.state, "posted"));
    expect(posted.length).toBeGreaterThan(100);

    // exactly once: each posted entry's key is in the ERP once, and nothing of ours is there twice
    const keys = await clean.erp.sql`select idempotencykey as k, count(*)::int as n from sim_netsuite.timebill where idempotencykey like 'hb-create-%' group by 1`;
    const count = new Map(keys.map((r) => [r.k as string, r.n as number]));
    const accepted = await app.select({ key: erpPostings.idempotencyKey, erpId: erpPostings.erpId, entryId: erpPostings.timeEntryId }).from(erpPostings).where(and(eq(erpPostings.status, "accepted"), eq(erpPostings.kind, "create")));
    expect(accepted.length).toBe(posted.length);
    for (const a of accepted) expect(count.get(a.key), a.key).toBe(1);
    expect([...count.values()].every((n) => n === 1)).toBe(true);
    expect((await erpState(clean)).length).toBe(posted.length);

    // the invalid ones: every exception the demo plants is raised, owned by the right team
    const demo = generateDemo(OPTS);
    const open = await app.select({ code: exceptions.code, owner: exceptions.owner, subjectKey: exceptions.subjectKey }).from(exceptions).where(eq(exceptions.status, "open"));
    for (const [code, subjects] of Object.entries(demo.manifest.subjects)) {
      const raised = new Set(open.filter((x) => x.code === code).map((x) => x.subjectKey));
      for (const s of subjects ?? []) expect(raised.has(s), `${code} ${s}`).toBe(true);
      for (const x of open.filter((o) => o.code === code)) expect(x.owner).toBe(demo.manifest.owners[code as keyof typeof demo.manifest.owners]);
    }
    // and nothing was refused by the ERP or dead-lettered: validation caught what the ERP would refuse
    expect(await app.$count(erpPostings, inArray(erpPostings.status, ["rejected", "dead"]))).toBe(0);

    const runs = await app.select().from(syncRuns).where(eq(syncRuns.kind, "posting"));
    expect(runs.reduce((a, r) => a + r.posted, 0)).toBe(posted.length);
  }, 180_000);

  it("through faults on both wires — 30% 5xx, 429 bursts, lost responses and a 60 s ERP outage — ends in the identical state", async () => {
    faulty.harvestFaults.set(faultConfig.parse({ serverErrorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 0, seed: 7 }));
    faulty.erpFaults.set(faultConfig.parse({ serverErrorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 0, lostResponseRate: 0.1, resetRate: 0.03, seed: 9 }));
    // the ERP goes down for a minute while the outbox is being sent
    const start = Date.now();
    let outages = 0;
    const outage = setTimeout(() => {
      faulty.erpFaults.set(
        faultConfig.parse({ serverErrorRate: 0.3, rateLimitRate: 0.1, retryAfterSeconds: 0, lostResponseRate: 0.1, seed: 9, outage: { from: new Date().toISOString(), to: new Date(Date.now() + 60_000).toISOString() } }),
      );
    }, 1_500);
    try {
      await sync(faulty, "full-sync-faults");
    } finally {
      outages = faulty.erpFaults.counts.outage;
      clearTimeout(outage);
      faulty.harvestFaults.set(NO_FAULTS);
      faulty.erpFaults.set(NO_FAULTS);
    }
    expect(Date.now() - start).toBeGreaterThan(60_000); // the outage was lived through, not skipped
    expect(outages).toBeGreaterThan(0);

    expect(await erpState(faulty)).toEqual(await erpState(clean));
    expect(await appState(faulty)).toEqual(await appState(clean));
    // the engine had to work for it: retries, and outcomes found in the ERP by key after lost answers
    const [s] = await faulty.app.sql`select sum(attempts)::int as attempts, count(*) filter (where response->>'foundByIdempotencyKey' = 'true')::int as found from erp_postings`;
    expect(s!.attempts).toBeGreaterThan(((await faulty.app.sql`select count(*)::int as n from erp_postings`)[0]!.n as number) * 1.2);
    expect(s!.found).toBeGreaterThan(0);
  }, 300_000);

  it("an incremental run after edits in the source posts only the corrections", async () => {
    const app = clean.app.db;
    // three posted entries are edited in the source (hours changed), one is deleted-and-not-seen (left to full walks)
    const picked = await app.select().from(timeEntries).where(eq(timeEntries.state, "posted")).orderBy(timeEntries.sourceId).limit(3);
    const stamp = new Date(Date.now() + 60_000).toISOString();
    for (const e of picked) {
      await clean.src.sql`
        update sim_harvest.time_entries set updated_at = ${stamp},
          body = body || jsonb_build_object('hours', (body->>'hours')::numeric + 0.5, 'rounded_hours', (body->>'hours')::numeric + 0.5, 'updated_at', ${stamp}::text)
        where id = ${Number(e.sourceId)}`;
    }
    const postingsBefore = await app.select({ id: erpPostings.id }).from(erpPostings);
    const erpBefore = await erpState(clean);

    await sync(clean, "incremental");

    const added = await app.select().from(erpPostings).where(sql`${erpPostings.id} not in (${sql.join(postingsBefore.map((p) => sql`${p.id}`), sql`, `)})`);
    // per edited entry: a reversal of the posted version and a create of the new one; nothing else
    expect(added.map((p) => `${p.timeEntryId}:${p.kind}:${p.entryVersion}`).sort()).toEqual(
      picked.flatMap((e) => [`${e.id}:create:${e.version + 1}`, `${e.id}:reverse:${e.postedVersion}`]).sort(),
    );
    expect(added.map((p) => `${p.kind}:${p.status}:${p.lastError ?? ""}`)).toEqual(added.map((p) => `${p.kind}:accepted:`));
    for (const e of picked) {
      const [now] = await app.select().from(timeEntries).where(eq(timeEntries.id, e.id));
      expect(now).toMatchObject({ state: "posted", version: e.version + 1, postedVersion: e.version + 1 });
      expect(now!.erpId).not.toBe(e.erpId);
    }
    // the ERP: the old versions are gone, the new ones are there once, and nothing else moved
    const erpAfter = await erpState(clean);
    const gone = erpBefore.filter((r) => !erpAfter.some((a) => a.key === r.key));
    const fresh = erpAfter.filter((r) => !erpBefore.some((b) => b.key === r.key));
    expect(gone).toHaveLength(picked.length);
    expect(fresh).toHaveLength(picked.length);
    for (const e of picked) {
      const row = fresh.find((r) => String(r.memo).includes(` ${e.sourceId} `))!;
      expect(row.hours).toBe((Number(e.hours) + 0.5).toFixed(2));
    }
  }, 120_000);
});
