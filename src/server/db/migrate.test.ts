import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sql as dsql } from "drizzle-orm";
import { createDb } from "./client";
import { migrationStatus, readJournal, runMigrations } from "./migrate";
import { checkHealth } from "../services/health";
import { openPresence, WORKER_APPLICATION } from "../services/jobs/presence";
import packageJson from "../../../package.json" with { type: "json" };
import { createEmptyDatabase, createTestDatabase } from "../../../test/db";

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

    // a worker running (its presence in the database), as the app expects one
    const worker = openPresence({ url: empty.url, kind: WORKER_APPLICATION, fields: { pid: 1 } });
    await worker.beat();
    const health = await checkHealth(handle.db).finally(() => worker.close());
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

describe("health with connectors", () => {
  let app: Awaited<ReturnType<typeof createTestDatabase>>;
  let worker: ReturnType<typeof openPresence> | undefined;
  beforeAll(async () => {
    app = await createTestDatabase();
    // a worker running (its presence in the database), so only the connectors decide here
    worker = openPresence({ url: app.url, kind: WORKER_APPLICATION, fields: { pid: 1 } });
    await worker.beat();
  });
  afterAll(async () => {
    await worker?.close();
    await app?.drop();
  });

  it("is ok with every connector healthy, and names each one's state without URLs or secrets", async () => {
    const [erp] = await app.sql`insert into connectors (key, role, system, name, base_url, credentials_encrypted) values ('erp', 'erp', 'netsuite', 'ERP', 'http://erp.internal:9', 'sealed-secret') returning id`;
    const [src] = await app.sql`insert into connectors (key, role, system, name, base_url) values ('src', 'source', 'harvest', 'Source', 'http://src.internal:9') returning id`;
    await app.sql`insert into sync_runs (connector_id, kind, trigger, status, started_at, finished_at, correlation_id)
                  values (${src!.id}, 'time_pull', 'schedule', 'succeeded', now() - interval '10 minutes', now() - interval '9 minutes', 'c')`;
    await app.sql`insert into erp_postings (kind, entry_version, idempotency_key, status, request, correlation_id) values ('create', 1, 'k1', 'pending', '{}', 'c'), ('create', 1, 'k2', 'dead', '{}', 'c')`;
    const health = await checkHealth(app.db);
    expect(health.status).toBe("ok");
    expect(health.reasons).toEqual([]);
    expect(health.connectors).toEqual([
      { key: "erp", role: "erp", system: "netsuite", status: "healthy", reason: null, paused: false, breaker: "closed", lastSuccessAgeSeconds: null, failedKinds: [],
        backlog: { waiting: 1, retrying: 0, dead: 1, rejected: 0, oldestWaitingAgeSeconds: expect.any(Number) } },
      { key: "src", role: "source", system: "harvest", status: "healthy", reason: null, paused: false, breaker: null, lastSuccessAgeSeconds: expect.any(Number), failedKinds: [], backlog: null },
    ]);
    expect(health.connectors![1]!.lastSuccessAgeSeconds).toBeGreaterThanOrEqual(539);
    const text = JSON.stringify(health);
    expect(text).not.toContain("internal:9");
    expect(text).not.toContain("sealed-secret");
    void erp;
  });

  it("an unhealthy connector makes the app degraded (not down), with the reason; a paused one does not", async () => {
    const [erp] = await app.sql`select id from connectors where key = 'erp'`;
    const [src] = await app.sql`select id from connectors where key = 'src'`;
    await app.sql`insert into circuit_breakers (connector_id, state, consecutive_failures, probe_at, last_error) values (${erp!.id}, 'open', 5, now() + interval '30 seconds', 'connect ECONNREFUSED erp.internal:9')`;
    await app.sql`insert into sync_runs (connector_id, kind, trigger, status, started_at, finished_at, error, correlation_id)
                  values (${src!.id}, 'time_pull', 'schedule', 'failed', now() - interval '1 minute', now(), 'GET http://src.internal:9/v2/time_entries: 500', 'c')`;
    let health = await checkHealth(app.db);
    expect(health.status).toBe("degraded");
    expect(health.database.reachable).toBe(true);
    expect(health.connectors!.map((c) => [c.key, c.status])).toEqual([["erp", "down"], ["src", "degraded"]]);
    expect(health.connectors![1]!.failedKinds).toEqual(["time_pull"]);
    expect(health.reasons).toHaveLength(2);
    expect(health.reasons[0]).toMatch(/^Connector erp is down: The circuit breaker is open/);
    expect(health.reasons[1]).toBe("Connector src is degraded: The last run of its main job failed or did not finish everything.");
    expect(JSON.stringify(health)).not.toContain("internal:9");

    await app.sql`update circuit_breakers set state = 'closed'`;
    await app.sql`update connectors set paused = true where key = 'src'`;
    health = await checkHealth(app.db);
    expect(health.connectors!.map((c) => [c.key, c.status])).toEqual([["erp", "healthy"], ["src", "paused"]]);
    expect(health.status).toBe("ok");
  });
});
