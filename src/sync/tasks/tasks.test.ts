/**
 * The worker's jobs through graphile-worker itself (runOnce on the test database), against
 * both simulators over real HTTP.
 */
import { randomBytes } from "node:crypto";
import { eq } from "drizzle-orm";
import { quickAddJob, runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, erpPostings, syncRuns } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import { ensureSimulatorConnectors } from "@/server/services/connectors/ensure-simulators";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { tick } from "@/simulators/harvest/clock";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { systemCtx } from "../../../test/factories";
import { startHarvest, startNetSuite, type HarvestSimulator, type NetSuiteSimulator } from "../../../test/simulators";
import { silentLog } from "@/server/log";
import { taskList } from "./index";

const OPTS = { seed: 13, consultants: 20, projects: 15, months: 2, endDate: "2026-11-18" };
const key = randomBytes(32);

let app: TestDatabase;
/** both simulators in one database, the Harvest one's */
let harvest: HarvestSimulator;
let netsuite: NetSuiteSimulator;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  harvest = await startHarvest(OPTS, { token: "ht", pool: 20 });
  netsuite = await startNetSuite(OPTS, { token: "nt", sql: harvest.sql });
  await ensureSimulatorConnectors(app.db, {
    key,
    harvest: { baseUrl: harvest.apiUrl, accountId: harvest.accountId, token: harvest.token },
    netsuite: { baseUrl: netsuite.apiUrl, accountId: netsuite.accountId, token: netsuite.token },
  });
}, 120_000);
afterAll(async () => {
  await netsuite?.stop();
  await harvest?.stop();
  await app?.drop();
});

const work = () => runOnce({ connectionString: app.url, taskList: taskList({ db: app.db, secretsKey: key, log: silentLog }), noHandleSignals: true });

describe("the worker's jobs", () => {
  it("send-postings drains the outbox into the ERP, each posting once", async () => {
    const pending = await app.db.select({ k: erpPostings.idempotencyKey }).from(erpPostings).where(eq(erpPostings.status, "pending"));
    expect(pending.length).toBeGreaterThan(50);
    await quickAddJob({ connectionString: app.url }, "send-postings", {});
    await work();
    expect(await app.db.$count(erpPostings, eq(erpPostings.status, "pending"))).toBe(0);
    const [{ n }] = (await netsuite.sql`select count(*)::int as n from sim_netsuite.timebill where idempotencykey = any(${pending.map((p) => p.k)})`) as unknown as [{ n: number }];
    expect(n).toBe(pending.length);
    // recorded as a posting run with its counts
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.kind, "posting"));
    expect(run).toMatchObject({ status: "succeeded", trigger: "schedule", fetched: pending.length, posted: pending.length, rejected: 0, failed: 0 });
  });

  it("pull-time reads what the source changed, and the newly approved time reaches the ERP in the same run of jobs", async () => {
    const [harvestRow] = await app.db.select().from(connectors).where(eq(connectors.key, "harvest"));
    await quickAddJob({ connectionString: app.url }, "pull-time", { connectorId: harvestRow!.id }); // first, full walk
    await work();
    const changes = await tick(harvest.sql, { seed: OPTS.seed, now: new Date(Date.now() + 60_000) });
    await quickAddJob({ connectionString: app.url }, "pull-time", { connectorId: harvestRow!.id });
    await work();
    const runs = await app.db.select().from(syncRuns).where(eq(syncRuns.connectorId, harvestRow!.id)).orderBy(syncRuns.startedAt);
    expect(runs.map((r) => r.status)).toEqual(["succeeded", "succeeded"]);
    expect(runs[1]!.created).toBe(changes.added.length);
    expect(await app.db.$count(erpPostings, eq(erpPostings.status, "pending"))).toBe(0);
  });

  it("the scheduler queues each connector's jobs whose schedule fires, and nothing for a paused connector", async () => {
    await app.db.update(connectors).set({ scheduleCron: "* * * * *", settings: { schedules: { fullWalk: "", masterData: "* * * * *", readBack: "" } } });
    const [harvestRow] = await app.db.select().from(connectors).where(eq(connectors.key, "harvest"));
    await app.db.update(connectors).set({ paused: true }).where(eq(connectors.id, harvestRow!.id));
    await app.sql`delete from graphile_worker._private_jobs`.catch(() => app.sql`delete from graphile_worker.jobs`);
    await quickAddJob({ connectionString: app.url }, "schedule", {});
    await runOnce({ connectionString: app.url, taskList: { schedule: taskList({ db: app.db, secretsKey: key, log: silentLog }).schedule! }, noHandleSignals: true });
    const queued = await app.sql`select task_identifier as t, key from graphile_worker.jobs order by 1`;
    expect(queued.map((q) => q.t)).toEqual(["pull-master-data", "send-postings"]);
    await app.db.update(connectors).set({ paused: false }).where(eq(connectors.id, harvestRow!.id));
    await app.sql`delete from graphile_worker._private_jobs`.catch(() => app.sql`delete from graphile_worker.jobs`);
  });

  it("a paused connector runs nothing, and a malformed job payload fails without side effects", async () => {
    const [harvestRow] = await app.db.select().from(connectors).where(eq(connectors.key, "harvest"));
    await app.db.update(connectors).set({ paused: true }).where(eq(connectors.id, harvestRow!.id));
    const before = await app.db.$count(syncRuns);
    await quickAddJob({ connectionString: app.url }, "pull-time", { connectorId: harvestRow!.id });
    await quickAddJob({ connectionString: app.url }, "pull-time", { connectorId: "not-a-uuid" }, { maxAttempts: 1 });
    await work();
    expect(await app.db.$count(syncRuns)).toBe(before);
    const failed = await app.sql`select last_error from graphile_worker.jobs where task_identifier = 'pull-time' and last_error is not null`;
    expect(failed).toHaveLength(1);
    expect(String(failed[0]!.last_error)).toContain("connectorId");
  });
});
