/**
 * One firm for one scenario: Hourbridge's own database (cloned from the migrated template,
 * master data and mappings of the demo firm, no time yet), both simulators over HTTP, the
 * connectors pointing at them, real worker processes (`node --import tsx src/sync/worker.ts`,
 * as `npm run worker` runs them) that can be killed with SIGKILL and started again, and a
 * watch on the ERP's ledger that records every time bill created, deleted or invoiced.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { eq, sql as dsql } from "drizzle-orm";
import { makeWorkerUtils, type WorkerUtils } from "graphile-worker";
import { connectors, syncRuns } from "@/server/db/schema";
import { generateDemo } from "@/server/demo/generate";
import { loadDemo } from "@/server/demo/load";
import { ensureSimulatorConnectors } from "@/server/services/connectors/ensure-simulators";
import { postOutbox } from "@/server/services/posting/post-outbox";
import { DEFAULT_POSTING_POLICY, type PostingPolicy } from "@/server/services/posting/send-due";
import { pullTimeEntries } from "@/server/services/sync/pull-time";
import { createHarvestConnector } from "@/sync/connectors/harvest/connector";
import { createNetSuiteConnector } from "@/sync/connectors/netsuite/connector";
import { createTestDatabase, type TestDatabase } from "../db";
import { systemCtx } from "../factories";
import { GENEROUS_RATE_LIMIT } from "../simulators";
import { startSimulators, type FirmOptions, type Simulators } from "./wire";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The ERP connector's outbox settings during a scenario: short leases and backoff, so a dead sender's claims come back quickly. */
export const ERP_SETTINGS = {
  concurrency: 2,
  posting: { leaseSeconds: 4, baseDelayMs: 100, maxDelayMs: 1_500, maxAttempts: 80, batchSize: 25 },
  schedules: { fullWalk: "", masterData: "", readBack: "" },
};
const HARVEST_SETTINGS = { concurrency: 2, schedules: { fullWalk: "", masterData: "", readBack: "" } };

/** A worker process and the last lines it wrote. */
export type WorkerProc = { name: string; proc: ChildProcess; lines: string[]; startedAt: number };

export class World {
  readonly key = randomBytes(32);
  app!: TestDatabase;
  sims!: Simulators;
  harvestId!: string;
  erpId!: string;
  utils!: WorkerUtils;
  readonly workers = new Map<string, WorkerProc>();
  /** workers killed, when, and the last lines each wrote (what it was busy with) */
  readonly killed: { name: string; at: number; busy: string[] }[] = [];
  private started = 0;

  constructor(readonly firm: FirmOptions) {}

  async build(): Promise<void> {
    // the two databases are prepared side by side; whatever was made is disposed of on failure
    const [app, sims] = await Promise.allSettled([createTestDatabase(), startSimulators(this.firm)]);
    if (app.status === "fulfilled") this.app = app.value;
    if (sims.status === "fulfilled") this.sims = sims.value;
    if (app.status === "rejected") throw app.reason;
    if (sims.status === "rejected") throw sims.reason;
    await loadDemo(this.app.db, generateDemo(this.firm), { masterDataOnly: true });
    await watchLedger(this.sims.sql);
    await ensureSimulatorConnectors(this.app.db, {
      key: this.key,
      harvest: { baseUrl: this.sims.harvest.apiUrl, accountId: this.sims.harvest.accountId, token: this.sims.harvest.token },
      netsuite: { baseUrl: this.sims.netsuite.apiUrl, accountId: this.sims.netsuite.accountId, token: this.sims.netsuite.token },
    });
    // nothing on a schedule: the scenario queues the work, as an operator's "run now" would
    await this.app.db.update(connectors).set({ scheduleCron: null, settings: HARVEST_SETTINGS }).where(eq(connectors.key, "harvest"));
    await this.app.db.update(connectors).set({ scheduleCron: null, settings: ERP_SETTINGS }).where(eq(connectors.key, "netsuite"));
    const rows = await this.app.db.select({ id: connectors.id, key: connectors.key }).from(connectors);
    this.harvestId = rows.find((r) => r.key === "harvest")!.id;
    this.erpId = rows.find((r) => r.key === "netsuite")!.id;
    this.utils = await makeWorkerUtils({ connectionString: this.app.url });
    // the queue's schema, before any worker has started
    await this.utils.migrate();
  }

  /**
   * The firm's first sync, before any fault: every approved entry of the source pulled,
   * validated and sent, in this process (the scenario starts from a firm that is in sync).
   */
  async baseline(): Promise<{ pulled: number; posted: number }> {
    const ctx = systemCtx(this.app.db, "faults-baseline");
    const harvest = createHarvestConnector({ baseUrl: this.sims.harvest.apiUrl, accountId: this.sims.harvest.accountId, token: this.sims.harvest.token, rateLimit: GENEROUS_RATE_LIMIT });
    const erp = createNetSuiteConnector({ baseUrl: this.sims.netsuite.apiUrl, accountId: this.sims.netsuite.accountId, token: this.sims.netsuite.token, concurrency: 6 });
    let pulled = 0;
    for (let i = 0; i < 10; i++) {
      const s = await pullTimeEntries({ ctx, connector: harvest, connectorId: this.harvestId, perPage: 2000 });
      pulled += s.fetched;
      const [run] = await this.app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
      if (run!.status === "succeeded") break;
    }
    const policy: PostingPolicy = { ...DEFAULT_POSTING_POLICY, maxAttempts: 100, baseDelayMs: 0, maxDelayMs: 0, batchSize: 200, leaseMs: 0, concurrency: 6 };
    let posted = 0;
    for (let i = 0; i < 200; i++) {
      const r = await postOutbox({ ctx, connector: erp, connectorId: this.erpId, trigger: "manual", policy, maxRounds: 20 });
      posted += r.accepted;
      if ((await this.outboxBacklog()) === 0) return { pulled, posted };
    }
    throw new Error("the baseline sync did not drain the outbox");
  }

  /** Postings of time entries still to be sent or whose outcome is unknown. */
  async outboxBacklog(): Promise<number> {
    const [r] = (await this.app.db.execute(dsql`select count(*)::int as n from erp_postings where time_entry_id is not null and status in ('pending', 'sent')`)) as unknown as [{ n: number }];
    return r.n;
  }

  // ---- worker processes -------------------------------------------------------------------

  startWorker(concurrency = 2): WorkerProc {
    const name = `w${++this.started}`;
    const lines: string[] = [];
    // node itself with tsx as a loader, so a SIGKILL kills the worker and nothing is left running
    const proc = spawn(process.execPath, ["--import", "tsx", "src/sync/worker.ts"], {
      env: { ...process.env, DATABASE_URL: this.app.url, CONNECTOR_SECRETS_KEY: this.key.toString("base64"), WORKER_CONCURRENCY: String(concurrency), LOG_LEVEL: "info", OUTBOUND_ALLOW_HOSTS: "127.0.0.1,::1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buf = "";
    const collect = (chunk: Buffer) => {
      buf += chunk.toString();
      const parts = buf.split("\n");
      buf = parts.pop()!;
      for (const l of parts) if (l) lines.push(l.length > 600 ? `${l.slice(0, 600)}…` : l);
      if (lines.length > 400) lines.splice(0, lines.length - 400);
    };
    proc.stdout!.on("data", collect);
    proc.stderr!.on("data", collect);
    const w = { name, proc, lines, startedAt: Date.now() };
    this.workers.set(name, w);
    proc.once("exit", () => this.workers.delete(name));
    return w;
  }

  alive(): WorkerProc[] {
    return [...this.workers.values()].filter((w) => w.proc.exitCode === null && w.proc.signalCode === null);
  }

  /** SIGKILL: no shutdown, no cleanup; its claims and job locks stay behind. */
  async kill(w: WorkerProc): Promise<void> {
    if (w.proc.exitCode !== null || w.proc.signalCode !== null) return;
    const exited = new Promise((r) => w.proc.once("exit", r));
    w.proc.kill("SIGKILL");
    await exited;
    this.killed.push({ name: w.name, at: Date.now(), busy: w.lines.slice(-3) });
  }

  async stopWorkers(): Promise<void> {
    await Promise.all(
      this.alive().map(async (w) => {
        const exited = new Promise((r) => w.proc.once("exit", r));
        w.proc.kill("SIGKILL");
        await exited;
      }),
    );
  }

  /** The last lines of every worker, for a failure's message. */
  workerTail(n = 15): string {
    return [...this.workers.values()].map((w) => `--- ${w.name}\n${w.lines.slice(-n).join("\n")}`).join("\n");
  }

  // ---- the queue ----------------------------------------------------------------------------

  /** Queues a job as the console's "run now" does (one job per key while it waits). */
  async queue(task: "pull-time" | "full-walk" | "read-back" | "send-postings", opts: { unique?: boolean } = {}): Promise<string> {
    const payload = task === "send-postings" ? { trigger: "manual" } : { connectorId: task === "read-back" ? this.erpId : this.harvestId, trigger: "manual" };
    const jobKey = opts.unique ? undefined : task === "send-postings" ? "send-postings" : `${task}:${task === "read-back" ? this.erpId : this.harvestId}`;
    const job = await this.utils.addJob(task, payload, { ...(jobKey && { jobKey }), maxAttempts: 5 });
    return String(job.id);
  }

  /**
   * The safety net the workers' schedule runs every two minutes (approved entries nothing decided
   * about), run now and without its one-minute grace, as settling cannot wait for the clock.
   */
  async sweepStragglers(): Promise<string> {
    const job = await this.utils.addJob("validate", { stragglers: true, stragglersAfterSeconds: 0 }, { maxAttempts: 5 });
    return String(job.id);
  }

  /** Waits until a job has run (gone from the queue) or failed an attempt; false when it did not within the time. */
  async waitJob(id: string, timeoutMs: number): Promise<"done" | "failed" | "timeout"> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      const rows = await this.app.sql`select attempts, last_error, locked_at from graphile_worker.jobs where id = ${id}`;
      if (rows.length === 0) return "done";
      if (rows[0]!.locked_at === null && rows[0]!.attempts > 0 && rows[0]!.last_error) return "failed";
      await sleep(150);
    }
    return "timeout";
  }

  /** An operator pauses the ERP connector (nothing is sent while it is paused) or resumes it. */
  async pauseErp(paused: boolean): Promise<void> {
    if (paused) await this.app.sql`update connectors set paused = true, paused_at = now(), paused_by = 'operator (fault suite)', pause_reason = 'ERP maintenance', updated_at = now() where id = ${this.erpId}`;
    else await this.app.sql`update connectors set paused = false, paused_at = null, paused_by = null, pause_reason = null, updated_at = now() where id = ${this.erpId} and paused`;
  }

  /** The ERP connector's circuit, closed again (as an operator would once an outage is over). */
  async closeCircuit(): Promise<void> {
    await this.app.sql`update circuit_breakers set state = 'closed', consecutive_failures = 0, openings = 0, probe_at = null, updated_at = now() where connector_id = ${this.erpId}`;
  }

  async dispose(): Promise<void> {
    await this.stopWorkers().catch(() => {});
    await Promise.resolve(this.utils?.release()).catch(() => {});
    await this.sims?.stop().catch(() => {});
    await this.app?.drop().catch(() => {});
  }
}

/**
 * The ERP's ledger, watched from inside its database: every time bill inserted, deleted or
 * put on an invoice, in order, with the memo and idempotency key that tie it to its entry. The
 * checker replays it to find any moment at which one entry had two live records.
 */
async function watchLedger(sql: Simulators["sql"]) {
  await sql.unsafe(`
    create schema if not exists faults_watch;
    create table if not exists faults_watch.ledger (
      seq bigserial primary key, op text not null, id text not null, memo text, key text, invoice text,
      hours numeric, at timestamptz not null default clock_timestamp());
    create or replace function faults_watch.note() returns trigger language plpgsql as $$
    begin
      if tg_op = 'INSERT' then
        insert into faults_watch.ledger (op, id, memo, key, invoice, hours) values ('insert', new.id, new.memo, new.idempotencykey, new.invoice, new.hours);
      elsif tg_op = 'DELETE' then
        insert into faults_watch.ledger (op, id, memo, key, invoice, hours) values ('delete', old.id, old.memo, old.idempotencykey, old.invoice, old.hours);
      elsif new.invoice is distinct from old.invoice then
        insert into faults_watch.ledger (op, id, memo, key, invoice, hours) values ('invoice', new.id, new.memo, new.idempotencykey, new.invoice, new.hours);
      end if;
      return null;
    end $$;
    drop trigger if exists faults_watch_timebill on sim_netsuite.timebill;
    create trigger faults_watch_timebill after insert or delete or update on sim_netsuite.timebill
      for each row execute function faults_watch.note();`);
}
