/**
 * The worker process (`npm run worker`): runs the sync jobs from a PostgreSQL-backed queue
 * (graphile-worker). Several workers on several machines share the queue safely; nothing is
 * kept in memory between jobs. No next/* imports below src/sync.
 *
 * Started while PostgreSQL cannot be reached, it waits for it (and says so) rather than exit.
 * Running, it keeps a presence in PostgreSQL with a heartbeat (src/server/services/jobs/
 * presence.ts) and, at start and every half minute, closes the runs and releases the jobs of
 * workers that died without shutting down (src/server/services/sync/dead-workers.ts).
 */
import { EventEmitter } from "node:events";
import os from "node:os";
import { Logger, run, type LogLevel, type WorkerEvents } from "graphile-worker";
import { z } from "zod";
import { createDb } from "@/server/db/client";
import { parseKey } from "@/server/crypto/secrets";
import { createLog, LOG_LEVELS, type LogLevel as Level } from "@/server/log";
import { createLogSink } from "@/server/log-sink";
import { systemActor } from "@/server/services/context";
import { openPresence, WORKER_APPLICATION } from "@/server/services/jobs/presence";
import { backoffDelay } from "@/server/services/jobs/supervisor";
import { closeDeadWork } from "@/server/services/sync/dead-workers";
import { CRONTAB, taskList } from "./tasks";

const env = z
  .object({
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
    CONNECTOR_SECRETS_KEY: z.string().min(1, "is required"),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
    /** set by the launcher: how many times it restarted the worker before starting this process */
    WORKER_RESTARTS: z.coerce.number().int().min(0).optional(),
  })
  .safeParse(process.env);
if (!env.success) {
  const issue = env.error.issues[0]!;
  console.error(JSON.stringify({ ts: new Date().toISOString(), level: "error", msg: `The worker cannot start: ${String(issue.path[0])} ${issue.message}.` }));
  process.exit(1);
}

/** how often a live worker looks for dead workers' runs and jobs */
const DEAD_WORK_CHECK_MS = 30_000;

const { db, sql } = createDb(env.data.DATABASE_URL, { max: env.data.WORKER_CONCURRENCY + 2 });
/** every line on stdout; the runs' lines (info and above, with a correlation id) also in log_lines */
const sink = createLogSink({ db });
const log = createLog({ level: env.data.LOG_LEVEL, fields: { process: "worker", pid: process.pid }, write: sink.write });
const LEVEL: Record<LogLevel, Level> = { error: "error", warning: "warn", info: "info", debug: "debug" } as Record<LogLevel, Level>;
/** the queue's own lines, as JSON, with the job as correlation id */
const queueLogger = new Logger((scope) => {
  const scoped = log.child({ ...(scope.jobId !== undefined && { correlationId: `job-${scope.jobId}`, jobId: scope.jobId }), ...(scope.label && { scope: scope.label }), ...(scope.taskIdentifier && { task: scope.taskIdentifier }) });
  return (level, message, meta) => {
    // the queue's own bookkeeping (a job done, a cron fired) at debug; its warnings and errors as they are
    const lvl = LEVEL[level] ?? "info";
    const job = (meta as { job?: { id?: unknown; task_identifier?: unknown } } | undefined)?.job;
    const fields = job ? { correlationId: `job-${String(job.id)}`, jobId: job.id, task: job.task_identifier, ...pick(meta, ["duration", "success"]) } : meta && Object.keys(meta).length ? { meta } : undefined;
    scoped[lvl === "info" && /^Completed task|^Worker connected|cron/i.test(message) ? "debug" : lvl](message, fields);
  };
});

function pick(o: object | undefined, keys: string[]) {
  return Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => keys.includes(k)));
}

/** timers that never keep the process alive on their own (a graceful stop is not held up by a wait) */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Waits until PostgreSQL answers: tries at once, then after 1 s, 2 s, 4 s … up to 30 s between
 * tries, logging each wait with the reason (never the URL: it may carry a password).
 */
async function waitForDatabase(): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await sql`select 1`;
      if (attempt > 1) log.info(`PostgreSQL answers now, after ${attempt - 1} ${attempt === 2 ? "wait" : "waits"}`);
      return;
    } catch (err) {
      const delay = backoffDelay(attempt);
      const e = err as Error & { code?: string };
      log.warn(`PostgreSQL cannot be reached yet (${e.code ? `${e.code}: ` : ""}${e.message}); the worker tries again in ${delay / 1000} s`, { attempt, waitMs: delay });
      // a timer that keeps the process alive: waiting is all it does now
      await new Promise<void>((resolve) => setTimeout(resolve, delay));
    }
  }
}

await waitForDatabase();

// the presence: one connection of its own, holding a lock per queue worker, beating every few seconds
const presence = openPresence({
  url: env.data.DATABASE_URL,
  kind: WORKER_APPLICATION,
  fields: { pid: process.pid, restarts: env.data.WORKER_RESTARTS, host: os.hostname() },
  onError: (err) => log.warn(`the worker's heartbeat cannot reach PostgreSQL (${err.message}); it keeps trying`),
  onRecover: () => log.info("the worker's heartbeat reaches PostgreSQL again"),
});
await presence.beat();
const events: WorkerEvents = new EventEmitter();
// each queue worker's lock is taken as the queue worker is created, before it asks for a job
events.on("worker:create", ({ worker }) => void presence.hold(worker.workerId));

const tasks = taskList({ db, secretsKey: parseKey(env.data.CONNECTOR_SECRETS_KEY), log });
const runner = await run({
  connectionString: env.data.DATABASE_URL,
  concurrency: env.data.WORKER_CONCURRENCY,
  pollInterval: 1000,
  taskList: tasks,
  crontab: CRONTAB,
  logger: queueLogger,
  events,
});
log.info(`worker running ${Object.keys(tasks).join(", ")}`, { concurrency: env.data.WORKER_CONCURRENCY, restarts: env.data.WORKER_RESTARTS ?? null });

// what dead workers left behind: at start, then every half minute (one check at a time)
const checkCtx = { db, actor: systemActor("worker:dead-worker-check"), correlationId: `worker-${process.pid}`, log };
let checking = false;
async function checkDeadWork() {
  if (checking) return;
  checking = true;
  try {
    const s = await closeDeadWork({ ctx: checkCtx, sleep });
    if (s.runsClosed.length || s.reconciliationsClosed.length || s.jobsReleased.length) {
      log.info(`stopped workers' work cleared: ${s.runsClosed.length + s.reconciliationsClosed.length} run(s) closed as failed, ${s.jobsReleased.length} job(s) released`, {
        deadWorkers: s.deadWorkers,
      });
    }
  } catch (err) {
    log.warn(`the check for stopped workers' runs and jobs failed (${(err as Error).message}); it runs again in ${DEAD_WORK_CHECK_MS / 1000} s`);
  } finally {
    checking = false;
  }
}
void checkDeadWork();
const checkTimer = setInterval(() => void checkDeadWork(), DEAD_WORK_CHECK_MS);
checkTimer.unref();

try {
  await runner.promise;
} finally {
  clearInterval(checkTimer);
  await presence.close();
  // the lines still waiting reach log_lines before the pool closes
  await sink.close();
  await sql.end({ timeout: 5 });
}
