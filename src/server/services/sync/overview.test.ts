import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { circuitBreakers, connectors, erpPostingAttempts, erpPostings, syncRuns } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { connectorsOverview } from "./overview";

const NOW = new Date("2026-11-20T12:00:00Z");
const ago = (minutes: number) => new Date(NOW.getTime() - minutes * 60_000);

let t: TestDatabase;
const ids = {} as Record<"harvest" | "netsuite", string>;

beforeAll(async () => {
  t = await createTestDatabase();
  const [h] = await t.db.insert(connectors).values({ key: "harvest", role: "source", system: "harvest", name: "Harvest", baseUrl: "http://h/v2", accountId: "1", credentialsEncrypted: "v1.secret", scheduleCron: "*/5 * * * *" }).returning();
  const [n] = await t.db.insert(connectors).values({ key: "netsuite", role: "erp", system: "netsuite", name: "NetSuite", baseUrl: "http://n/services/rest", scheduleCron: "* * * * *", settings: { concurrency: 3 } }).returning();
  ids.harvest = h!.id;
  ids.netsuite = n!.id;
});
afterAll(async () => {
  await t?.drop();
});

const run = (connectorId: string, kind: string, status: "succeeded" | "failed" | "partial", minutesAgo: number, extra: Partial<typeof syncRuns.$inferInsert> = {}) =>
  t.db.insert(syncRuns).values({ connectorId, kind, trigger: "schedule", status, startedAt: ago(minutesAgo), finishedAt: ago(minutesAgo - 0.5), correlationId: `c-${Math.random()}`, ...extra });
const find = async (key: string) => (await connectorsOverview({ ctx: { db: t.db }, now: NOW })).find((c) => c.key === key)!;

describe("the connectors overview", () => {
  it("a connector with recent successful runs is healthy, with its next runs, throughput and no secret", async () => {
    await run(ids.harvest, "time_pull", "succeeded", 30, { fetched: 120 });
    await run(ids.harvest, "time_pull", "succeeded", 5, { fetched: 30 });
    await run(ids.harvest, "time_pull", "succeeded", 60 * 5, { fetched: 1000 });
    const h = await find("harvest");
    expect(h).toMatchObject({ status: "healthy", statusReason: null, hasCredentials: true, lastSuccessAgeSeconds: 270, lastHour: { done: 150, failed: 0, errorRate: 0 }, lastDay: { done: 1150 } });
    expect(h.schedules[0]).toMatchObject({ name: "pull", cron: "*/5 * * * *", next: "2026-11-20T12:05:00.000Z" });
    expect(h.schedules.find((s) => s.name === "fullWalk")).toMatchObject({ cron: "0 3 * * *", next: "2026-11-21T03:00:00.000Z" });
    expect(JSON.stringify(h)).not.toContain("v1.secret");
    expect(h.limits.rateLimit).toBe("100 requests per 15 s");
  });

  it("one failed pull makes it degraded, two in a row down, each with the reason", async () => {
    await run(ids.harvest, "time_pull", "failed", 3, { error: "Harvest answered 503 five times." });
    expect(await find("harvest")).toMatchObject({ status: "degraded", statusReason: "The last pull failed: Harvest answered 503 five times." });
    await run(ids.harvest, "time_pull", "failed", 1, { error: "Harvest did not answer." });
    expect(await find("harvest")).toMatchObject({ status: "down", statusReason: "The last two pulls failed: Harvest did not answer." });
  });

  it("paused says by whom and why, and has no next runs", async () => {
    await t.db.update(connectors).set({ paused: true, pausedBy: "ops@firm.test", pauseReason: "ERP maintenance tonight" }).where(eq(connectors.id, ids.harvest));
    const h = await find("harvest");
    expect(h).toMatchObject({ status: "paused", statusReason: "Paused by ops@firm.test: ERP maintenance tonight. Nothing runs until it is resumed." });
    expect(h.schedules.every((s) => s.next === null)).toBe(true);
  });

  it("the ERP: backlog, error rate from the attempts, and down while its circuit breaker is open", async () => {
    await run(ids.netsuite, "posting", "succeeded", 2, { posted: 8 });
    const [p] = await t.db
      .insert(erpPostings)
      .values([
        { kind: "create", entryVersion: 1, idempotencyKey: "k1", request: {}, correlationId: "c", status: "pending", createdAt: ago(90) },
        { kind: "create", entryVersion: 1, idempotencyKey: "k2", request: {}, correlationId: "c", status: "sent", attempts: 2, lastError: "503", nextAttemptAt: new Date(NOW.getTime() + 60_000) },
        { kind: "create", entryVersion: 1, idempotencyKey: "k3", request: {}, correlationId: "c", status: "dead" },
        { kind: "create", entryVersion: 1, idempotencyKey: "k4", request: {}, correlationId: "c", status: "accepted" },
      ])
      .returning();
    const attempt = (outcome: string, minutesAgo: number) => ({ postingId: p!.id, connectorId: ids.netsuite, attempt: 1, startedAt: ago(minutesAgo), durationMs: 40, outcome, correlationId: "c" });
    await t.db.insert(erpPostingAttempts).values([
      ...Array.from({ length: 6 }, () => attempt("accepted", 10)),
      ...Array.from({ length: 6 }, () => attempt("transient", 10)),
      attempt("accepted", 60 * 3),
      // the ERP pacing us (429) is neither work done nor a failure
      ...Array.from({ length: 5 }, () => ({ ...attempt("transient", 5), errorClass: "429" })),
    ]);
    const n = await find("netsuite");
    expect(n.backlog).toEqual({ waiting: 2, retrying: 1, oldestWaitingAt: ago(90).toISOString(), dead: 1, rejected: 0 });
    expect(n.lastHour).toEqual({ done: 6, failed: 6, errorRate: 0.5 });
    expect(n.lastDay).toEqual({ done: 7, failed: 6, errorRate: 0.462 });
    expect(n).toMatchObject({ status: "degraded", statusReason: "50% of the last hour's attempts failed.", limits: { concurrency: 3 } });

    await t.db.insert(circuitBreakers).values({ connectorId: ids.netsuite, state: "open", consecutiveFailures: 5, probeAt: new Date("2026-11-20T12:01:30Z"), lastError: "NetSuite answered 503" });
    expect(await find("netsuite")).toMatchObject({ status: "down", statusReason: "The ERP stopped answering (NetSuite answered 503); nothing is sent until it is probed again at 12:01 UTC.", breaker: { state: "open", consecutiveFailures: 5 } });
    await t.db.execute(sql`delete from circuit_breakers`);
  });
});
