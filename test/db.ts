import { randomBytes } from "node:crypto";
import postgres from "postgres";
import { inject } from "vitest";
import { createDb, type Db } from "@/server/db/client";
import { ensureDatabase, quoteIdent } from "@/server/db/embedded";

export type TestDatabase = {
  db: Db;
  sql: postgres.Sql;
  url: string;
  name: string;
  /** ends the pool and drops the database */
  drop: () => Promise<void>;
};

/** URL of another database on the same server as `adminUrl`. */
export function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** A fresh, empty database (no migrations) on the test server, for migration tests. */
export async function createEmptyDatabase(): Promise<{ url: string; name: string; drop: () => Promise<void> }> {
  const adminUrl = inject("pgAdminUrl");
  const name = `hb_t_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name);
  return { url: databaseUrl(adminUrl, name), name, drop: () => dropDatabase(adminUrl, name) };
}

/**
 * A database of its own for one test file, cloned from the migrated template the global
 * setup built. Call in beforeAll; call drop() in afterAll.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = inject("pgAdminUrl");
  const template = inject("pgTemplate");
  const name = `hb_t_${randomBytes(6).toString("hex")}`;
  await ensureDatabase(adminUrl, name, template);
  const url = databaseUrl(adminUrl, name);
  const { db, sql } = createDb(url, { max: 4 });
  return {
    db,
    sql,
    url,
    name,
    drop: async () => {
      await sql.end({ timeout: 5 });
      await dropDatabase(adminUrl, name);
    },
  };
}

async function dropDatabase(adminUrl: string, name: string) {
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`drop database if exists ${quoteIdent(name)} with (force)`);
  } finally {
    await admin.end({ timeout: 5 });
  }
}
