/**
 * Worker presence in PostgreSQL (a connection per worker process holding a lock per queue
 * worker) and the check that closes dead workers' runs and releases their jobs, against the
 * real queue schema. Jobs are locked in a given worker's name by hand, as graphile-worker
 * would have locked them.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, reconciliationRuns, syncRuns } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { enqueueJob } from "../jobs/enqueue";
import { deadQueueWorkers, openPresence, parsePresenceName, presenceName, SUPERVISOR_APPLICATION, WORKER_APPLICATION, workerProcesses, type Presence } from "../jobs/presence";
import { checkHealth, workerHealth } from "../health";
import { closeDeadWork, DEAD_RUN_ERROR } from "./dead-workers";

let t: TestDatabase;
let w: World;
const opened: Presence[] = [];

beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
});
afterAll(async () => {
  for (const p of opened) await p.close();
  await t?.drop();
});

function presence(kind: typeof WORKER_APPLICATION | typeof SUPERVISOR_APPLICATION, fields: Record<string, string | number | null>) {
  const p = openPresence({ url: t.url, kind, fields, heartbeatMs: 60_000 });
  opened.push(p);
  return p;
}

/** closes a presence and waits until the server has let its connection go (its locks with it) */
async function closed(p: Presence) {
  const pid = p.backendPid();
  await p.close();
  for (let i = 0; i < 250; i++) {
    if ((await t.sql`select 1 from pg_stat_activity where pid = ${pid}`).length === 0) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`the presence connection ${pid} is still there`);
}

/** a job locked by `workerId` `agoSeconds` ago, as graphile-worker locks the jobs it runs */
async function lockedJob(workerId: string | null, { agoSeconds = 60, attempts = 1, maxAttempts = 3, key }: { agoSeconds?: number; attempts?: number; maxAttempts?: number; key?: string } = {}) {
  const id = key?.startsWith("reconcile:")
    ? await enqueueJob(t.db, "reconcile", { runId: key.slice("reconcile:".length) }, { jobKey: key, maxAttempts })
    : await enqueueJob(t.db, "validate", {}, { jobKey: key ?? `validate:${Math.random()}`, maxAttempts });
  await t.sql`update graphile_worker._private_jobs set locked_by = ${workerId}, locked_at = ${workerId ? t.sql`now() - make_interval(secs => ${agoSeconds})` : null}, attempts = ${attempts} where id = ${id}`;
  return id;
}

async function runFor(jobId: string | null, { agoSeconds = 30, correlationId }: { agoSeconds?: number; correlationId?: string } = {}) {
  const [r] = await t.db
    .insert(syncRuns)
    .values({ kind: "time_pull", trigger: "schedule", correlationId: correlationId ?? `job-${jobId}`, startedAt: sql`now() - make_interval(secs => ${agoSeconds})` })
    .returning();
  return r!;
}

const statusOf = async (id: string) => (await t.db.select().from(syncRuns).where(eq(syncRuns.id, id)))[0]!;
const jobRow = async (id: string) => (await t.sql`select locked_by, locked_at, attempts, max_attempts, last_error from graphile_worker.jobs where id = ${id}`)[0];

describe("worker presence", () => {
  it("names a presence within PostgreSQL's 63 bytes, keeping the first fields when the rest do not fit", () => {
    const name = presenceName(SUPERVISOR_APPLICATION, { state: "running", restarts: 42, pid: 4194303, exit: "code 1", host: "a-rather-long-host-name.example.internal" });
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(63);
    expect(parsePresenceName(name)).toEqual({ kind: SUPERVISOR_APPLICATION, fields: { state: "running", restarts: "42", pid: "4194303" } });
    const restarting = presenceName(SUPERVISOR_APPLICATION, { state: "restarting", restarts: 42, pid: null, exit: "code 1" });
    expect(parsePresenceName(restarting)!.fields).toEqual({ state: "restarting", restarts: "42", exit: "code_1" });
    expect(parsePresenceName("hourbridge")).toBeNull();
  });

  it("shows a worker process with its pid, restarts and queue workers, and tells dead queue workers from live ones", async () => {
    const p = presence(WORKER_APPLICATION, { pid: 4242, restarts: 3, host: "box-1" });
    await p.hold("worker-live-a");
    await p.hold("worker-live-b");
    expect(p.held().sort()).toEqual(["worker-live-a", "worker-live-b"]);
    const procs = await workerProcesses(t.db);
    expect(procs).toEqual([
      expect.objectContaining({ backendPid: p.backendPid(), pid: 4242, restarts: 3, host: "box-1", stale: false, queueWorkers: 2 }),
    ]);
    expect(procs[0]!.heartbeatAgeSeconds).toBeLessThan(5);

    const live = await lockedJob("worker-live-a");
    const dead = await lockedJob("worker-gone");
    const young = await lockedJob("worker-just-started", { agoSeconds: 0 });
    // a lock taken a moment ago by a worker whose presence has not taken its lock yet looks dead too
    // (the check looks again before acting); a grace leaves it alone
    expect(await deadQueueWorkers(t.db)).toEqual(["worker-gone", "worker-just-started"]);
    expect(await deadQueueWorkers(t.db, { graceSeconds: 30 })).toEqual(["worker-gone"]);
    await t.sql`delete from graphile_worker._private_jobs where id = ${young}`;
    // a presence whose heartbeat is older than the threshold counts as gone
    await new Promise((r) => setTimeout(r, 1_100));
    expect((await workerProcesses(t.db, 1))[0]!.stale).toBe(true);
    expect(await deadQueueWorkers(t.db, { staleAfterSeconds: 1 })).toEqual(["worker-gone", "worker-live-a"]);
    await p.beat();
    expect(await deadQueueWorkers(t.db, { staleAfterSeconds: 1 })).toEqual(["worker-gone"]);
    // the connection ends: PostgreSQL drops its locks, and its queue workers are dead
    await closed(p);
    expect(await workerProcesses(t.db)).toEqual([]);
    expect(await deadQueueWorkers(t.db)).toEqual(["worker-gone", "worker-live-a"]);
    await t.sql`delete from graphile_worker._private_jobs where id in (${live}, ${dead})`;
  });

  it("takes its locks again on a new connection when the old one was cut", async () => {
    const p = presence(WORKER_APPLICATION, { pid: 7, host: "box-2" });
    await p.hold("worker-reconnects");
    const before = p.backendPid();
    await t.sql`select pg_terminate_backend(${before}, 5000)`;
    const job = await lockedJob("worker-reconnects");
    expect(await deadQueueWorkers(t.db)).toEqual(["worker-reconnects"]);
    await p.beat(); // the first beat after the cut may only find the connection gone
    await p.beat();
    expect(p.backendPid()).not.toBe(before);
    expect(p.held()).toEqual(["worker-reconnects"]);
    expect(await deadQueueWorkers(t.db)).toEqual([]);
    expect((await workerProcesses(t.db)).map((x) => x.pid)).toEqual([7]);
    await closed(p);
    await t.sql`delete from graphile_worker._private_jobs where id = ${job}`;
  });
});

describe("closing what dead workers left", () => {
  it("closes the runs of a dead worker as failed and releases its jobs; a live worker's run and job are left alone", async () => {
    const p = presence(WORKER_APPLICATION, { pid: 1, host: "alive" });
    await p.hold("worker-alive");

    const deadJob = await lockedJob("worker-dead");
    const deadRun = await runFor(deadJob);
    const liveJob = await lockedJob("worker-alive");
    const liveRun = await runFor(liveJob);
    // a run whose job finished (the job row is gone) but that was never closed
    const orphan = await runFor("999999999");
    // an earlier attempt's run: the job was locked again after it began
    const relockedJob = await lockedJob("worker-alive", { agoSeconds: 5 });
    const earlierAttempt = await runFor(relockedJob, { agoSeconds: 120 });
    // not a job's run (a file import from the console)
    const importRun = await runFor(null, { correlationId: "req-abc" });
    // the dead worker's other job had used its last attempt
    const exhaustedJob = await lockedJob("worker-dead", { attempts: 1, maxAttempts: 1 });
    // a reconciliation run the dead worker was running (its job has one attempt only)
    const [rec] = await t.db
      .insert(reconciliationRuns)
      .values({ legalEntityId: w.us.id, period: "2026-05", status: "running", trigger: "manual", requestedBy: "t", reportingCurrency: "USD", correlationId: "c", startedAt: new Date(Date.now() - 60_000) })
      .returning();
    const recJob = await lockedJob("worker-dead", { key: `reconcile:${rec!.id}`, maxAttempts: 1 });

    const s = await closeDeadWork({ ctx: systemCtx(t.db, "worker:dead-worker-check"), confirmAfterMs: 0 });
    expect(s.deadWorkers).toEqual(["worker-dead"]);
    expect(s.runsClosed.map((r) => r.id).sort()).toEqual([deadRun.id, orphan.id, earlierAttempt.id].sort());
    for (const r of [deadRun, orphan, earlierAttempt]) {
      expect(await statusOf(r.id)).toMatchObject({ status: "failed", error: DEAD_RUN_ERROR, details: { workerStopped: true }, finishedAt: expect.any(Date) });
    }
    for (const r of [liveRun, importRun]) expect((await statusOf(r.id)).status).toBe("running");
    expect(s.reconciliationsClosed).toEqual([rec!.id]);
    const [recAfter] = await t.db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, rec!.id));
    expect(recAfter).toMatchObject({ status: "failed", error: DEAD_RUN_ERROR });
    const audit = await t.db.select().from(auditLog).where(eq(auditLog.entityId, rec!.id));
    expect(audit.map((a) => [a.action, a.actorLabel])).toEqual([["reconciliation.failed", "system:worker:dead-worker-check"]]);

    // the dead worker's jobs run again (or, out of attempts, are failed with the reason); the live one's stay locked
    expect(s.jobsReleased.map((j) => [j.id, j.exhausted]).sort()).toEqual([[deadJob, false], [exhaustedJob, true], [recJob, true]].sort());
    expect(await jobRow(deadJob)).toMatchObject({ locked_by: null, locked_at: null, last_error: null });
    expect(await jobRow(exhaustedJob)).toMatchObject({ locked_by: null, attempts: 1, max_attempts: 1, last_error: expect.stringMatching(/worker running this job stopped/) });
    expect(await jobRow(liveJob)).toMatchObject({ locked_by: "worker-alive" });

    // a second check finds nothing more to do
    const again = await closeDeadWork({ ctx: systemCtx(t.db), confirmAfterMs: 0 });
    expect(again).toEqual({ deadWorkers: [], runsClosed: [], reconciliationsClosed: [], jobsReleased: [] });
    await closed(p);
    await t.sql`delete from graphile_worker._private_jobs`;
    await t.sql`update sync_runs set status = 'succeeded' where status = 'running'`;
  });

  it("acts only on what still looks dead when it looks again: a worker whose presence came back is left alone", async () => {
    const job = await lockedJob("worker-flapping");
    const run = await runFor(job);
    let revived: Presence | null = null;
    const s = await closeDeadWork({
      ctx: systemCtx(t.db),
      confirmAfterMs: 1,
      // between the two looks, the worker's presence takes its lock again
      sleep: async () => {
        revived = presence(WORKER_APPLICATION, { pid: 2 });
        await revived.hold("worker-flapping");
      },
    });
    expect(s).toEqual({ deadWorkers: [], runsClosed: [], reconciliationsClosed: [], jobsReleased: [] });
    expect((await statusOf(run.id)).status).toBe("running");
    expect(await jobRow(job)).toMatchObject({ locked_by: "worker-flapping" });
    await closed(revived!);
    await t.sql`delete from graphile_worker._private_jobs`;
    await t.db.update(syncRuns).set({ status: "failed" }).where(eq(syncRuns.id, run.id));
  });
});

describe("the workers in /api/health", () => {
  it("none, starting, running, restarting: each with its sentence", async () => {
    let h = await workerHealth(t.db);
    expect(h).toEqual({ status: "none", processes: [], supervisors: [] });

    const sup = presence(SUPERVISOR_APPLICATION, { state: "running", restarts: 0, pid: 555 });
    await sup.beat();
    expect((await workerHealth(t.db)).status).toBe("starting");

    const wk = presence(WORKER_APPLICATION, { pid: 555, restarts: 0, host: "h" });
    await wk.hold("worker-h1");
    h = await workerHealth(t.db);
    expect(h).toMatchObject({
      status: "running",
      processes: [{ pid: 555, restarts: 0, stale: false, slots: 1, lastHeartbeatAgeSeconds: expect.any(Number), lastHeartbeatAt: expect.any(String) }],
      supervisors: [{ state: "running", restarts: 0, lastExit: null, workerPid: 555 }],
    });
    expect(JSON.stringify(h)).not.toContain('"h"'); // no host names on an endpoint without sign-in

    // the worker is killed; the launcher waits out its backoff
    await closed(wk);
    await sup.rename({ state: "restarting", restarts: 1, exit: "SIGKILL" });
    h = await workerHealth(t.db);
    expect(h).toMatchObject({ status: "restarting", processes: [], supervisors: [{ state: "restarting", restarts: 1, lastExit: "SIGKILL", workerPid: null }] });
    let health = await checkHealth(t.db);
    expect(health.status).toBe("degraded");
    expect(health.reasons).toContain("The worker stopped (SIGKILL) and the launcher is starting it again (1 restart so far).");
    await closed(sup);

    // no worker at all: degraded (never down: the app itself serves), with the sentence
    health = await checkHealth(t.db);
    expect(health).toMatchObject({ status: "degraded", worker: { status: "none", processes: [], supervisors: [] } });
    expect(health.reasons).toContain("No worker is running: nothing is pulled from the sources or posted to the ERP until one starts.");
    // one running: the workers give no reason
    const again = presence(WORKER_APPLICATION, { pid: 556, restarts: 1 });
    await again.hold("worker-h2");
    health = await checkHealth(t.db);
    expect(health.worker).toMatchObject({ status: "running", processes: [{ pid: 556, restarts: 1, slots: 1 }] });
    expect(health.reasons.filter((r) => /worker/i.test(r))).toEqual([]);
    await closed(again);
  });
});
