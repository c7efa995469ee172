/**
 * The worker process's life, with real processes (`node --import tsx src/sync/worker.ts`, as
 * the launcher starts it): a worker killed with SIGKILL in the middle of a run leaves the run
 * "running" and its job locked; the next worker to start closes that run as failed, releases
 * the job and runs it again. A worker started while PostgreSQL cannot be reached waits for it,
 * saying so, and starts working once it answers.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import net from "node:net";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, syncRuns } from "@/server/db/schema";
import { ensureSimulatorConnectors } from "@/server/services/connectors/ensure-simulators";
import { workerHealth } from "@/server/services/health";
import { enqueueJob } from "@/server/services/jobs/enqueue";
import { workerProcesses } from "@/server/services/jobs/presence";
import { DEAD_RUN_ERROR } from "@/server/services/sync/dead-workers";
import { faultConfig } from "@/simulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../test/db";
import { startHarvest, startNetSuite, type HarvestSimulator, type NetSuiteSimulator } from "../../test/simulators";

const OPTS = { seed: 23, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const key = randomBytes(32);

let app: TestDatabase;
let harvest: HarvestSimulator;
let netsuite: NetSuiteSimulator;
const workers: ChildProcess[] = [];
const servers: net.Server[] = [];

type Started = { proc: ChildProcess; lines: string[]; json: () => Record<string, unknown>[] };

function startWorker(name: string, databaseUrl = app.url): Started {
  const lines: string[] = [];
  // node itself with tsx as a loader, so a SIGKILL kills the worker and nothing is left running
  const proc = spawn(process.execPath, ["--import", "tsx", "src/sync/worker.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl, CONNECTOR_SECRETS_KEY: key.toString("base64"), WORKER_CONCURRENCY: "2", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  // a buffer per stream: a line is whole only within its own stream
  const collector = () => {
    let buf = "";
    return (chunk: Buffer) => {
      buf += chunk.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      lines.push(...parts.filter(Boolean));
    };
  };
  proc.stdout!.on("data", collector());
  proc.stderr!.on("data", collector());
  workers.push(proc);
  // the JSON lines (anything else on stderr, a stack trace say, is kept in `lines` only)
  const json = () =>
    lines.flatMap((l) => {
      if (!l.startsWith("{")) return [];
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  void name;
  return { proc, lines, json };
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs: number, lines?: string[]) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${lines ? `\n${lines.slice(-15).join("\n")}` : ""}`);
}

const exited = (p: ChildProcess) => (p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once("exit", r)));

beforeAll(async () => {
  app = await createTestDatabase();
  harvest = await startHarvest(OPTS, { token: "ht", pool: 4 });
  netsuite = await startNetSuite(OPTS, { token: "nt", sql: harvest.sql });
  await ensureSimulatorConnectors(app.db, {
    key,
    harvest: { baseUrl: harvest.apiUrl, accountId: harvest.accountId, token: harvest.token },
    netsuite: { baseUrl: netsuite.apiUrl, accountId: netsuite.accountId, token: netsuite.token },
  });
  // nothing on a schedule: the tests queue the work
  await app.db.update(connectors).set({ scheduleCron: null, settings: { schedules: { fullWalk: "", masterData: "", readBack: "" } } });
}, 120_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  await Promise.all(workers.map(exited));
  for (const s of servers) s.close();
  await netsuite?.stop();
  await harvest?.stop();
  await app?.drop();
});

describe("the worker process", () => {
  it("killed with SIGKILL mid-run: the next worker to start closes the run as failed, releases its job and runs it again", async () => {
    const [harvestRow] = await app.db.select().from(connectors).where(eq(connectors.key, "harvest"));
    // the source answers slowly: the pull's run is under way for a while
    harvest.injector.set(faultConfig.parse({ latencyMs: 20_000 }));
    const a = startWorker("A");
    const jobId = await enqueueJob(app.db, "pull-time", { connectorId: harvestRow!.id, trigger: "manual" }, { jobKey: "test-pull" });
    const correlationId = `job-${jobId}`;
    await waitFor("worker A to start the pull's run", async () => (await app.db.$count(syncRuns, eq(syncRuns.correlationId, correlationId))) === 1, 60_000, a.lines);
    const [job] = await app.sql`select locked_by from graphile_worker.jobs where id = ${jobId}`;
    expect(job!.locked_by).toMatch(/^worker-/);

    a.proc.kill("SIGKILL");
    await exited(a.proc);
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.correlationId, correlationId));
    expect(run!.status).toBe("running");
    expect((await app.sql`select locked_by from graphile_worker.jobs where id = ${jobId}`)[0]!.locked_by).toBe(job!.locked_by);

    harvest.injector.set(faultConfig.parse({}));
    const b = startWorker("B");
    await waitFor("worker B to close A's run", async () => (await app.db.select().from(syncRuns).where(eq(syncRuns.id, run!.id)))[0]!.status !== "running", 30_000, b.lines);
    const [closed] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, run!.id));
    expect(closed).toMatchObject({ status: "failed", error: DEAD_RUN_ERROR, finishedAt: expect.any(Date) });
    // the job was released and B ran it again: a second run under the same job, finished
    await waitFor("worker B to run the pull again", async () => (await app.db.$count(syncRuns, sql`${syncRuns.correlationId} = ${correlationId} and ${syncRuns.status} = 'succeeded'`)) === 1, 60_000, b.lines);
    await waitFor("the job to be done", async () => (await app.sql`select 1 from graphile_worker.jobs where id = ${jobId}`).length === 0, 30_000, b.lines);
    // said in B's log, under the run's correlation id (so the console shows it with the run)
    const said = b.json().find((l) => String(l.msg).includes(`run ${run!.id}`));
    expect(said).toMatchObject({ level: "warn", correlationId, msg: expect.stringMatching(/closed as failed: its worker stopped/) });
    expect(b.json().some((l) => String(l.msg).startsWith(`job ${jobId} (pull-time) released`))).toBe(true);

    b.proc.kill("SIGTERM");
    await exited(b.proc);
    // its presence goes with it (the server notices the closed connection a moment later)
    await waitFor("B's presence to go", async () => (await workerProcesses(app.db)).length === 0, 10_000);
  }, 180_000);

  it("started while PostgreSQL cannot be reached, waits for it, saying so, and works once it answers", async () => {
    // a port nobody listens on yet; later, a proxy to the test server opens on it (the server "comes up")
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port;
        probe.close(() => resolve(p));
      });
    });
    const real = new URL(app.url);
    const viaProxy = new URL(app.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(port);

    const c = startWorker("C", viaProxy.toString());
    const waits = () => c.json().filter((l) => l.level === "warn" && String(l.msg).startsWith("PostgreSQL cannot be reached yet"));
    await waitFor("the worker to wait twice for PostgreSQL", () => waits().length >= 2, 30_000, c.lines);
    expect(c.proc.exitCode).toBeNull();
    expect(waits()[1]).toMatchObject({ attempt: 2, waitMs: 2000 });
    expect(waits().map((l) => String(l.msg)).join("\n")).not.toContain(real.password || "\u0000"); // never the URL's password

    const proxy = net.createServer((client) => {
      const upstream = net.connect(Number(real.port), real.hostname);
      client.pipe(upstream).pipe(client);
      client.on("error", () => upstream.destroy());
      upstream.on("error", () => client.destroy());
    });
    servers.push(proxy);
    await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", () => r()));

    await waitFor("the worker to run", () => c.json().some((l) => String(l.msg).startsWith("worker running")), 60_000, c.lines);
    expect(c.json().some((l) => String(l.msg).startsWith("PostgreSQL answers now"))).toBe(true);
    // present, with a heartbeat and its two queue workers, in the health check
    await waitFor("its presence", async () => (await workerProcesses(app.db)).some((p) => p.pid === c.proc.pid && p.queueWorkers === 2), 20_000, c.lines);
    const health = await workerHealth(app.db);
    expect(health.status).toBe("running");
    expect(health.processes).toEqual([expect.objectContaining({ pid: c.proc.pid, stale: false, slots: 2, restarts: null })]);
    // and it runs jobs
    const jobId = await enqueueJob(app.db, "validate", {});
    await waitFor("the job to run", async () => (await app.sql`select 1 from graphile_worker.jobs where id = ${jobId}`).length === 0, 30_000, c.lines);

    c.proc.kill("SIGTERM");
    await exited(c.proc);
  }, 120_000);
});
