/**
 * The worker process (`npm run worker`): runs the sync jobs from a PostgreSQL-backed queue
 * (graphile-worker). Several workers on several machines share the queue safely; nothing is
 * kept in memory between jobs. No next/* imports below src/sync.
 */
import { run } from "graphile-worker";
import { z } from "zod";
import { createDb } from "@/server/db/client";
import { parseKey } from "@/server/crypto/secrets";
import { CRONTAB, taskList } from "./tasks";

const env = z
  .object({
    DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "must be a postgres:// URL"),
    CONNECTOR_SECRETS_KEY: z.string().min(1, "is required"),
    WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  })
  .safeParse(process.env);
if (!env.success) {
  const issue = env.error.issues[0]!;
  console.error(`The worker cannot start: ${String(issue.path[0])} ${issue.message}.`);
  process.exit(1);
}

const { db, sql } = createDb(env.data.DATABASE_URL, { max: env.data.WORKER_CONCURRENCY + 2 });
const runner = await run({
  connectionString: env.data.DATABASE_URL,
  concurrency: env.data.WORKER_CONCURRENCY,
  pollInterval: 1000,
  taskList: taskList({ db, secretsKey: parseKey(env.data.CONNECTOR_SECRETS_KEY) }),
  crontab: CRONTAB,
});
console.log(`[worker] running ${Object.keys(taskList({ db, secretsKey: Buffer.alloc(32) })).join(", ")} (concurrency ${env.data.WORKER_CONCURRENCY})`);
await runner.promise;
await sql.end({ timeout: 5 });
