import { readFile } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";
import { Logger, runMigrations as runQueueMigrations } from "graphile-worker";

export const MIGRATIONS_FOLDER = path.resolve(process.cwd(), "drizzle");

const QUIET = new Logger(() => () => {});

// Any constant works; it only has to be the same for every process migrating this database.
const MIGRATION_LOCK = 7_240_311;

/**
 * Applies the committed migrations in drizzle/ that the database lacks. Idempotent, and
 * safe when several processes start at once: they queue on an advisory lock.
 */
export async function runMigrations(url: string): Promise<{ applied: number; total: number }> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_advisory_lock(${MIGRATION_LOCK})`;
    const before = await appliedCount(sql);
    await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
    // the job queue's own schema (graphile_worker), so the web app can queue jobs before a worker has started
    await runQueueMigrations({ connectionString: url, logger: QUIET });
    const after = await appliedCount(sql);
    const total = (await readJournal()).length;
    return { applied: after - before, total };
  } finally {
    await sql`select pg_advisory_unlock(${MIGRATION_LOCK})`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}

async function appliedCount(sql: postgres.Sql): Promise<number> {
  const [exists] = await sql<{ t: string | null }[]>`
    select to_regclass('drizzle.__drizzle_migrations')::text as t`;
  if (!exists?.t) return 0;
  const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
  return row?.n ?? 0;
}

export type JournalEntry = { idx: number; tag: string; when: number };

export async function readJournal(): Promise<JournalEntry[]> {
  const raw = await readFile(path.join(MIGRATIONS_FOLDER, "meta", "_journal.json"), "utf8");
  return (JSON.parse(raw) as { entries: JournalEntry[] }).entries;
}

/**
 * Which committed migrations the database has applied. drizzle records each by the
 * creation time of the migration (folderMillis), which the journal gives per tag.
 */
export async function migrationStatus(db: {
  execute: (q: ReturnType<typeof sql>) => Promise<unknown>;
}): Promise<{ applied: string[]; pending: string[] }> {
  const journal = await readJournal();
  const rows = (await db
    .execute(sql`select created_at::text as created_at from drizzle.__drizzle_migrations`)
    .catch(() => [])) as { created_at: string }[];
  const done = new Set(Array.from(rows, (r) => Number(r.created_at)));
  return {
    applied: journal.filter((e) => done.has(e.when)).map((e) => e.tag),
    pending: journal.filter((e) => !done.has(e.when)).map((e) => e.tag),
  };
}
