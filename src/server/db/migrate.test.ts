import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql as dsql } from "drizzle-orm";
import { createDb } from "./client";
import { migrationStatus, readJournal, runMigrations } from "./migrate";
import { checkHealth } from "../services/health";
import packageJson from "../../../package.json" with { type: "json" };
import { createEmptyDatabase } from "../../../test/db";

describe("migrations on a fresh database", () => {
  let empty: Awaited<ReturnType<typeof createEmptyDatabase>>;
  let handle: ReturnType<typeof createDb> | undefined;

  beforeAll(async () => {
    empty = await createEmptyDatabase();
  });
  afterAll(async () => {
    await handle?.sql.end({ timeout: 5 });
    await empty?.drop();
  });

  it("the journal lists the committed migrations", async () => {
    const tags = (await readJournal()).map((e) => e.tag);
    expect(tags).toContain("0000_foundation");
    expect(tags).toContain("0001_audit_log_append_only");
  });

  it("reports every migration pending before any ran", async () => {
    handle = createDb(empty.url, { max: 2 });
    const journal = await readJournal();
    const status = await migrationStatus(handle.db);
    expect(status.applied).toEqual([]);
    expect(status.pending).toEqual(journal.map((e) => e.tag));
    const health = await checkHealth(handle.db);
    expect(health.status).toBe("degraded");
    expect(health.database.reachable).toBe(true);
  });

  it("applies all migrations once, then none", async () => {
    const journal = await readJournal();
    const first = await runMigrations(empty.url);
    expect(first).toEqual({ applied: journal.length, total: journal.length });
    const second = await runMigrations(empty.url);
    expect(second).toEqual({ applied: 0, total: journal.length });
  });

  it("two migrators started at once apply each migration exactly once", async () => {
    const other = await createEmptyDatabase();
    try {
      const journal = await readJournal();
      const results = await Promise.all([runMigrations(other.url), runMigrations(other.url)]);
      expect(results.map((r) => r.applied).sort()).toEqual([0, journal.length]);
    } finally {
      await other.drop();
    }
  });

  it("migrationStatus lists every tag applied and none pending; health is ok", async () => {
    handle ??= createDb(empty.url, { max: 2 });
    const tags = (await readJournal()).map((e) => e.tag);
    const status = await migrationStatus(handle.db);
    expect(status).toEqual({ applied: tags, pending: [] });

    const [{ n }] = (await handle.db.execute(
      dsql`select count(*)::int as n from drizzle.__drizzle_migrations`,
    )) as unknown as [{ n: number }];
    expect(n).toBe(tags.length);

    const health = await checkHealth(handle.db);
    expect(health.status).toBe("ok");
    expect(health.version).toBe(packageJson.version);
    expect(health.database.reachable).toBe(true);
    expect(health.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.migrations).toEqual({ applied: tags, pending: [] });
    expect(Number.isNaN(Date.parse(health.time))).toBe(false);
  });

  it("health reports the database down when it cannot be reached", async () => {
    // a port nothing listens on: the connection is refused at once
    const bad = createDb("postgres://postgres:x@127.0.0.1:1/nowhere", { max: 1 });
    try {
      const health = await checkHealth(bad.db);
      expect(health.status).toBe("down");
      expect(health.database.reachable).toBe(false);
      expect(health.database.error).toBeTruthy();
      expect(health.migrations).toBeNull();
    } finally {
      await bad.sql.end({ timeout: 1 });
    }
  });
});
