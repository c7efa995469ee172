import { sql } from "drizzle-orm";
import type { Db } from "../db/client";
import { migrationStatus } from "../db/migrate";
import packageJson from "../../../package.json" with { type: "json" };

export type Health = {
  status: "ok" | "degraded" | "down";
  version: string;
  time: string;
  database: { reachable: boolean; latencyMs: number | null; error?: string };
  migrations: { applied: string[]; pending: string[] } | null;
};

/** Is the database reachable, and has it every committed migration? */
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
    };
  }
  const latencyMs = Math.round(performance.now() - started);
  const migrations = await migrationStatus(db);
  return {
    ...base,
    status: migrations.pending.length === 0 ? "ok" : "degraded",
    database: { reachable: true, latencyMs },
    migrations,
  };
}
