import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import type { PgTransaction } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { ExtractTablesWithRelations } from "drizzle-orm";
import postgres from "postgres";
import * as schema from "./schema";
import { parseEnv } from "@/env";

export type Schema = typeof schema;
export type Db = PostgresJsDatabase<Schema>;
export type Tx = PgTransaction<PostgresJsQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** A database handle or an open transaction: services accept either. */
export type DbOrTx = Db | Tx;

export function createDb(url: string, options: { max?: number } = {}) {
  const sql = postgres(url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: "hourbridge" },
  });
  const db = drizzle(sql, { schema });
  return { db, sql };
}

const cache = globalThis as unknown as { __hourbridgeDb?: ReturnType<typeof createDb> };

/**
 * The process-wide database handle, created on first use from DATABASE_URL (which the
 * launcher sets when it starts the embedded PostgreSQL).
 */
export function getDb(): Db {
  if (!cache.__hourbridgeDb) {
    const { DATABASE_URL: url, DATABASE_POOL_MAX: max } = parseEnv(process.env);
    if (!url) {
      throw new Error(
        "DATABASE_URL is not set. Start Hourbridge with `npm run dev` (it starts an embedded PostgreSQL and sets it), or set DATABASE_URL to your PostgreSQL server.",
      );
    }
    cache.__hourbridgeDb = createDb(url, { max });
  }
  return cache.__hourbridgeDb.db;
}

/** Runs fn in a transaction, or inside the caller's transaction when given one. */
export async function withTx<T>(db: DbOrTx, fn: (tx: Tx) => Promise<T>): Promise<T> {
  if (isTx(db)) return fn(db);
  return (db as Db).transaction(fn);
}

function isTx(db: DbOrTx): db is Tx {
  // drizzle's transaction objects carry a rollback() the top-level handle lacks
  return typeof (db as Tx).rollback === "function";
}
