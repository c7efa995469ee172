/**
 * Real worker processes (`tsx src/sync/worker.ts`, as `npm run worker` starts them) against
 * the test database and the NetSuite simulator over HTTP: a worker killed with SIGKILL in the
 * middle of posting, and another taking over, still posts each entry exactly once; two
 * workers at once never send the same posting twice.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { quickAddJob } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, erpPostings, timeEntries } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import { ensureSimulatorConnectors } from "@/server/services/connectors/ensure-simulators";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { faultConfig } from "@/simulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../test/db";
import { systemCtx } from "../../test/factories";
import { startHarvest, startNetSuite, type HarvestSimulator, type NetSuiteSimulator } from "../../test/simulators";

const OPTS = { seed: 17, consultants: 40, projects: 20, months: 2, endDate: "2026-11-20" };
const key = randomBytes(32);

let app: TestDatabase;
/** both simulators in one database, the Harvest one's */
let harvest: HarvestSimulator;
let netsuite: NetSuiteSimulator;
const workers: ChildProcess[] = [];
/** postings kept back for the second test */
let heldBack: string[] = [];

function startWorker(name: string): { proc: ChildProcess; lines: string[] } {
  const lines: string[] = [];
  // node itself with tsx as a loader (not the tsx launcher, which would run the worker in a child
  // process of its own that a SIGKILL of the launcher leaves running)
  const proc = spawn(process.execPath, ["--import", "tsx", "src/sync/worker.ts"], {
    env: { ...process.env, DATABASE_URL: app.url, CONNECTOR_SECRETS_KEY: key.toString("base64"), WORKER_CONCURRENCY: "1", LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let buf = "";
  const collect = (chunk: Buffer) => {
    buf += chunk.toString();
    const parts = buf.split("\n");
    buf = parts.pop()!;
    lines.push(...parts.filter(Boolean).map((l) => `${name} ${l}`));
  };
  proc.stdout!.on("data", collect);
  proc.stderr!.on("data", collect);
  workers.push(proc);
  return { proc, lines };
}

const count = async (where: string) =>
  ((await app.sql.unsafe(`select count(*)::int as n from erp_postings where ${where}`)) as unknown as [{ n: number }])[0].n;

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, tick?: () => Promise<void>) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await tick?.();
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  harvest = await startHarvest(OPTS, { token: "ht", pool: 20 });
  netsuite = await startNetSuite(OPTS, { token: "nt", sql: harvest.sql });
  netsuite.injector.set(faultConfig.parse({ latencyMs: 150 })); // slow enough that a kill lands mid-run
  await ensureSimulatorConnectors(app.db, {
    key,
    harvest: { baseUrl: harvest.apiUrl, accountId: harvest.accountId, token: harvest.token },
    netsuite: { baseUrl: netsuite.apiUrl, accountId: netsuite.accountId, token: netsuite.token },
  });
  // nothing on a schedule: the tests queue the work; a short lease so a dead worker's claims are taken over quickly
  await app.db.update(connectors).set({ scheduleCron: null, settings: { concurrency: 2, posting: { leaseSeconds: 3, batchSize: 10, baseDelayMs: 100 }, schedules: { fullWalk: "", masterData: "", readBack: "" } } });
  const pending = await app.db.select({ id: erpPostings.id }).from(erpPostings).where(eq(erpPostings.status, "pending")).orderBy(erpPostings.id);
  heldBack = pending.slice(0, Math.floor(pending.length / 2)).map((p) => p.id);
  await app.sql`update erp_postings set next_attempt_at = now() + interval '1 day' where id = any(${heldBack})`;
}, 180_000);

afterAll(async () => {
  for (const w of workers) if (w.exitCode === null && w.signalCode === null) w.kill("SIGKILL");
  await netsuite?.stop();
  await harvest?.stop();
  await app?.drop();
});

/** each of our keys in the ERP, how many times */
async function erpCounts(): Promise<Map<string, number>> {
  const rows = await netsuite.sql`select idempotencykey as k, count(*)::int as n from sim_netsuite.timebill where idempotencykey like 'hb-create-%' group by 1`;
  return new Map(rows.map((r) => [r.k as string, r.n as number]));
}

describe("worker processes", () => {
  it("a worker killed with SIGKILL mid-run, and another taking over, still posts each entry exactly once", async () => {
    const dueIds = (await app.db.select({ id: erpPostings.id }).from(erpPostings).where(sql`${erpPostings.status} = 'pending' and ${erpPostings.nextAttemptAt} <= now()`)).map((r) => r.id);
    const due = dueIds.length;
    expect(due).toBeGreaterThan(100);
    const acceptedBefore = await count(`status = 'accepted'`);
    const a = startWorker("A");
    await quickAddJob({ connectionString: app.url }, "send-postings", { trigger: "manual" });
    await waitFor("worker A to post some", async () => (await count(`status = 'accepted'`)) >= acceptedBefore + 20, 60_000);
    a.proc.kill("SIGKILL");
    await new Promise((r) => a.proc.once("exit", r));
    const acceptedAtKill = (await count(`status = 'accepted'`)) - acceptedBefore;
    expect(acceptedAtKill).toBeLessThan(due); // it died with work left
    expect(await count(`status = 'sent'`)).toBeGreaterThan(0); // …and claims it never finished

    const b = startWorker("B");
    await waitFor(
      "worker B to drain the outbox",
      async () => (await count(`status in ('pending', 'sent') and id <> all('{${heldBack.join(",")}}'::uuid[])`)) === 0,
      90_000,
      async () => {
        await quickAddJob({ connectionString: app.url }, "send-postings", { trigger: "manual" }, { jobKey: "test-send" });
      },
    );
    const released = await app.db.select().from(erpPostings).where(sql`${erpPostings.id} = any(${`{${dueIds.join(",")}}`}::uuid[])`);
    expect(released).toHaveLength(due);
    expect(released.every((p) => p.status === "accepted"), b.lines.slice(-5).join("\n")).toBe(true);
    const counts = await erpCounts();
    for (const p of released) expect(counts.get(p.idempotencyKey), p.idempotencyKey).toBe(1);
    const entries = await app.db.select({ state: timeEntries.state }).from(timeEntries).where(sql`${timeEntries.id} in (${sql.join(released.map((p) => sql`${p.timeEntryId}`), sql`, `)})`);
    expect(entries.every((e) => e.state === "posted")).toBe(true);
    // the log lines are JSON and carry the job's correlation id
    const posted = b.lines.map((l) => l.slice(2)).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => String(l.msg).startsWith("posting run"));
    expect(posted).toMatchObject({ level: "info", correlationId: expect.stringMatching(/^job-\d+$/) });
    b.proc.kill("SIGTERM");
    await new Promise((r) => b.proc.once("exit", r));
  }, 180_000);

  it("two workers at once never send the same posting twice", async () => {
    const [{ t0 }] = (await app.sql`select now() as t0`) as unknown as [{ t0: Date }];
    await app.sql`update erp_postings set next_attempt_at = now() where id = any(${heldBack})`;
    const c = startWorker("C");
    const d = startWorker("D");
    for (let i = 0; i < 6; i++) await quickAddJob({ connectionString: app.url }, "send-postings", { trigger: "manual" });
    await waitFor("both workers to drain the outbox", async () => (await count(`status in ('pending', 'sent')`)) === 0, 90_000);
    const rows = await app.db.select().from(erpPostings).where(sql`${erpPostings.id} = any(${`{${heldBack.join(",")}}`}::uuid[])`);
    expect(rows).toHaveLength(heldBack.length);
    // each was claimed and sent once: one attempt, never looked up after an unknown outcome
    for (const p of rows) expect({ status: p.status, attempts: p.attempts }, `${p.idempotencyKey} ${p.lastError} ${JSON.stringify(p.response)}`).toEqual({ status: "accepted", attempts: 1 });
    const counts = await erpCounts();
    for (const p of rows) expect(counts.get(p.idempotencyKey)).toBe(1);
    // both took part: their posting runs together claimed each posting once
    const runs = await app.sql`select correlation_id, fetched from sync_runs where kind = 'posting' and started_at >= ${t0}`;
    const fromC = c.lines.some((l) => l.includes('"posting run'));
    const fromD = d.lines.some((l) => l.includes('"posting run'));
    expect(fromC && fromD, "both workers posted").toBe(true);
    expect(runs.reduce((a, r) => a + (r.fetched as number), 0)).toBe(heldBack.length);
  }, 180_000);
});
