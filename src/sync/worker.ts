/**
 * The worker process (`npm run worker`): runs the sync jobs from a PostgreSQL-backed queue
 * (graphile-worker). Several workers on several machines share the queue safely; nothing is
 * kept in memory between jobs. No next/* imports below src/sync.
 */
import { Logger, run, type LogLevel } from "graphile-worker";
import { z } from "zod";
import { createDb } from "@/server/db/client";
import { parseKey } from "@/server/crypto/secrets";
import { createLog, LOG_LEVELS, type LogLevel as Level } from "@/server/log";
import { createLogSink } from "@/server/log-sink";
import { CRONTAB, taskList } from "./tasks";

const env = z
  .object({
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
    CONNECTOR_SECRETS_KEY: z.string().min(1, "is required"),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
    LOG_LEVEL: z.enum(LOG_LEVELS).default("info"),
  })
  .safeParse(process.env);
if (!env.success) {
  const issue = env.error.issues[0]!;
  console.error(JSON.stringify({ ts: new Date().toISOString(), level: "error", msg: `The worker cannot start: ${String(issue.path[0])} ${issue.message}.` }));
  process.exit(1);
}

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

const tasks = taskList({ db, secretsKey: parseKey(env.data.CONNECTOR_SECRETS_KEY), log });
const runner = await run({
  connectionString: env.data.DATABASE_URL,
  concurrency: env.data.WORKER_CONCURRENCY,
  pollInterval: 1000,
  taskList: tasks,
  crontab: CRONTAB,
  logger: queueLogger,
});
log.info(`worker running ${Object.keys(tasks).join(", ")}`, { concurrency: env.data.WORKER_CONCURRENCY });
try {
  await runner.promise;
} finally {
  // the lines still waiting reach log_lines before the pool closes
  await sink.close();
  await sql.end({ timeout: 5 });
}
