import { sql } from "drizzle-orm";
import type { Db, DbOrTx } from "../db/client";
import { migrationStatus } from "../db/migrate";
import { CAUSE_SENTENCES, connectorsOverview } from "./sync/overview";
import { supervisors, workerProcesses, STALE_AFTER_SECONDS } from "./jobs/presence";
import packageJson from "../../../package.json" with { type: "json" };

export type ConnectorState = "healthy" | "degraded" | "down" | "paused";

/**
 * One connector as the health check sees it. Names and states only: no URL, account,
 * credential or vendor error text (the endpoint needs no sign-in).
 */
export type ConnectorHealth = {
  key: string;
  role: "source" | "erp";
  system: string;
  status: ConnectorState;
  /** why, in a sentence, when not healthy */
  reason: string | null;
  paused: boolean;
  /** the ERP connector's circuit breaker (closed when it never tripped); null for a source */
  breaker: "closed" | "open" | "half_open" | null;
  /** seconds since the last successful run of any kind finished; null when none ever succeeded */
  lastSuccessAgeSeconds: number | null;
  /** the kind of its latest run, when that run failed */
  failedKinds: string[];
  /** ERP: the outbox — postings waiting (pending + retrying) and those needing a person */
  backlog: { waiting: number; retrying: number; dead: number; rejected: number; oldestWaitingAgeSeconds: number | null } | null;
};

/**
 * The worker processes, as their presence in PostgreSQL shows them (src/server/services/jobs/
 * presence.ts), and the launchers that supervise one. Pids and counts only: no host names.
 */
export type WorkerHealth = {
  /**
   * running: at least one worker with a recent heartbeat; starting: a launcher started one that
   * has not connected yet; restarting: a launcher is waiting to start its worker again after it
   * died; stale: workers are connected but none sent a heartbeat lately; none: no worker at all
   */
  status: "running" | "starting" | "restarting" | "stale" | "none";
  processes: {
    pid: number | null;
    /** restarts by the launcher before this process; null when not started by a launcher */
    restarts: number | null;
    connectedAt: string | null;
    lastHeartbeatAt: string | null;
    lastHeartbeatAgeSeconds: number | null;
    stale: boolean;
    /** jobs it can run at once (its queue workers) */
    slots: number;
  }[];
  /** the launchers (`npm run dev` / `npm start`) supervising a worker: its state, restarts, and how the last one ended */
  supervisors: { state: string; restarts: number; lastExit: string | null; workerPid: number | null }[];
};

export type Health = {
  status: "ok" | "degraded" | "down";
  version: string;
  time: string;
  database: { reachable: boolean; latencyMs: number | null; error?: string };
  migrations: { applied: string[]; pending: string[] } | null;
  /** every connector's state; null when the database is down or the state could not be read */
  connectors: ConnectorHealth[] | null;
  /** the worker processes; null when the database is down or their state could not be read */
  worker: WorkerHealth | null;
  /** why the status is not ok, one sentence each */
  reasons: string[];
};

const ageSeconds = (now: Date, d: Date | string | null | undefined) => (d ? Math.max(0, Math.round((now.getTime() - new Date(d).getTime()) / 1000)) : null);

/**
 * Each connector's state, judged by the same rules as the sync console's overview
 * (`services/sync/overview.ts`), so /api/health and /sync never disagree; the reasons here are
 * the console's causes in sentences that quote nothing from the vendor (no sign-in needed).
 */
export async function connectorHealth(db: DbOrTx, now: Date = new Date()): Promise<ConnectorHealth[]> {
  const overview = await connectorsOverview({ ctx: { db }, now });
  return overview
    .map((c): ConnectorHealth => ({
      key: c.key,
      role: c.role,
      system: c.system,
      status: c.status,
      reason: c.statusCause ? CAUSE_SENTENCES[c.statusCause] : null,
      paused: c.paused !== null,
      breaker: c.role === "erp" ? ((c.breaker?.state ?? "closed") as "closed" | "open" | "half_open") : null,
      lastSuccessAgeSeconds: c.lastSuccessAgeSeconds,
      failedKinds: c.lastRun && c.lastRun.status === "failed" ? [c.lastRun.kind] : [],
      backlog: c.backlog
        ? { waiting: c.backlog.waiting, retrying: c.backlog.retrying, dead: c.backlog.dead, rejected: c.backlog.rejected, oldestWaitingAgeSeconds: ageSeconds(now, c.backlog.oldestWaitingAt) }
        : null,
    }))
    .sort((a, b) => a.key.localeCompare(b.key));
}

/**
 * Is the database reachable, has it every committed migration, how is each connector, and is
 * a worker running? Only an unreachable database makes the app `down` (HTTP 503); pending
 * migrations, a connector that is down or degraded, or no worker running (or none with a recent
 * heartbeat) make it `degraded`, with the reasons (the app itself still serves). A paused
 * connector is an operator's choice, not a fault.
 */
export async function checkHealth(db: Db): Promise<Health> {
  const started = performance.now();
  const base = { version: packageJson.version, time: new Date().toISOString() };
  try {
    await db.execute(sql`select 1`);
  } catch (err) {
    return {
      ...base,
      status: "down",
      database: { reachable: false, latencyMs: null, error: (err as Error).message },
      migrations: null,
      connectors: null,
      worker: null,
      reasons: ["The database cannot be reached."],
    };
  }
  const latencyMs = Math.round(performance.now() - started);
  const migrations = await migrationStatus(db);
  const reasons: string[] = [];
  if (migrations.pending.length > 0) reasons.push(`${migrations.pending.length} migration${migrations.pending.length > 1 ? "s are" : " is"} pending.`);
  let connectors: ConnectorHealth[] | null = null;
  try {
    connectors = await connectorHealth(db);
    for (const c of connectors) if (c.status === "down" || c.status === "degraded") reasons.push(`Connector ${c.key} is ${c.status}: ${c.reason}`);
  } catch {
    // before the migrations that create them, or a query refused: the app's health stands without them
    reasons.push("The connectors' state could not be read.");
  }
  let worker: WorkerHealth | null = null;
  try {
    worker = await workerHealth(db);
    reasons.push(...workerReasons(worker));
  } catch {
    reasons.push("The workers' state could not be read.");
  }
  return {
    ...base,
    status: reasons.length === 0 ? "ok" : "degraded",
    database: { reachable: true, latencyMs },
    migrations,
    connectors,
    worker,
    reasons,
  };
}

/** The worker processes connected now and the launchers supervising one, with an overall status. */
export async function workerHealth(db: DbOrTx): Promise<WorkerHealth> {
  const procs = await workerProcesses(db);
  const sups = await supervisors(db);
  const live = procs.filter((p) => !p.stale);
  const status: WorkerHealth["status"] =
    live.length > 0
      ? "running"
      : sups.some((s) => s.state === "restarting")
        ? "restarting"
        : sups.some((s) => s.state === "starting" || s.state === "running")
          ? "starting"
          : procs.length > 0
            ? "stale"
            : "none";
  return {
    status,
    processes: procs.map((p) => ({
      pid: p.pid,
      restarts: p.restarts,
      connectedAt: p.connectedAt?.toISOString() ?? null,
      lastHeartbeatAt: p.lastHeartbeatAt?.toISOString() ?? null,
      lastHeartbeatAgeSeconds: p.heartbeatAgeSeconds,
      stale: p.stale,
      slots: p.queueWorkers,
    })),
    supervisors: sups.map((s) => ({ state: s.state, restarts: s.restarts, lastExit: s.lastExit, workerPid: s.workerPid })),
  };
}

/** Why the workers make the app degraded, one sentence each (none when a worker runs and all beat). */
function workerReasons(w: WorkerHealth): string[] {
  const out: string[] = [];
  const restarting = w.supervisors.find((s) => s.state === "restarting");
  if (w.status === "none") out.push("No worker is running: nothing is pulled from the sources or posted to the ERP until one starts.");
  if (w.status === "restarting" && restarting) {
    out.push(`The worker stopped${restarting.lastExit ? ` (${restarting.lastExit})` : ""} and the launcher is starting it again (${restarting.restarts} ${restarting.restarts === 1 ? "restart" : "restarts"} so far).`);
  }
  if (w.status === "starting") out.push("The worker has been started but has not connected to the database yet.");
  for (const p of w.processes) {
    if (p.stale) out.push(`A worker${p.pid ? ` (pid ${p.pid})` : ""} has sent no heartbeat for ${p.lastHeartbeatAgeSeconds} s (more than ${STALE_AFTER_SECONDS} s): it may be frozen or its machine gone.`);
  }
  return out;
}
