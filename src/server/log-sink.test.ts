import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb } from "./db/client";
import { createLog } from "./log";
import { createLogSink, rowOfLine } from "./log-sink";
import { createTestDatabase, type TestDatabase } from "../../test/db";

let app: TestDatabase;
beforeAll(async () => {
  app = await createTestDatabase();
});
afterAll(async () => {
  await app?.drop();
});

const count = async (correlationId: string) => {
  const [{ n }] = (await app.sql`select count(*)::int as n from log_lines where correlation_id = ${correlationId}`) as unknown as [{ n: number }];
  return n;
};

describe("rowOfLine", () => {
  it("keeps info and above with a correlation id; the other fields go to fields", () => {
    const row = rowOfLine(JSON.stringify({ ts: "2026-11-18T12:00:00.000Z", level: "warn", msg: "m\u0000x", correlationId: "job-1", connector: "harvest" }));
    expect(row).toEqual({ at: "2026-11-18T12:00:00.000Z", correlationId: "job-1", level: "warn", msg: "mx", fields: { connector: "harvest" } });
    expect(rowOfLine(JSON.stringify({ ts: "2026-11-18T12:00:00.000Z", level: "debug", msg: "m", correlationId: "job-1" }))).toBeNull();
    expect(rowOfLine(JSON.stringify({ ts: "2026-11-18T12:00:00.000Z", level: "info", msg: "m" }))).toBeNull();
    expect(rowOfLine("correlationId but not JSON")).toBeNull();
  });
});

describe("the database log sink", () => {
  it("passes every line on, and stores the run lines in batches once the interval passes", async () => {
    const out: string[] = [];
    const sink = createLogSink({ db: app.db, write: (l) => out.push(l), flushIntervalMs: 50 });
    const log = createLog({ level: "debug", write: sink.write }).child({ correlationId: "run-a" });
    log.debug("not kept");
    log.info("one", { page: 1 });
    log.error("two", { err: new Error("boom") });
    createLog({ write: sink.write }).info("no correlation id");
    expect(out).toHaveLength(4);
    expect(await count("run-a")).toBe(0); // nothing written synchronously
    await expect.poll(() => count("run-a"), { timeout: 5000, interval: 20 }).toBe(2);
    const rows = await app.sql`select level, msg, fields from log_lines where correlation_id = 'run-a' order by id`;
    expect(rows.map((r) => [r.level, r.msg])).toEqual([["info", "one"], ["error", "two"]]);
    expect(rows[0]!.fields).toEqual({ page: 1 });
    expect(rows[1]!.fields).toMatchObject({ err: { name: "Error", message: "boom" } });
    await sink.close();
  });

  it("inserts as soon as a batch is full, and flushes the rest on close", async () => {
    const sink = createLogSink({ db: app.db, write: () => {}, flushIntervalMs: 60_000, batchSize: 10 });
    const log = createLog({ write: sink.write }).child({ correlationId: "run-b" });
    for (let i = 0; i < 25; i++) log.info(`line ${i}`);
    await expect.poll(() => count("run-b"), { timeout: 5000, interval: 20 }).toBeGreaterThanOrEqual(20);
    await sink.close();
    expect(await count("run-b")).toBe(25);
    expect(sink.stats()).toEqual({ buffered: 0, dropped: 0 });
  });

  it("never throws nor waits when the database is down: the lines stay on the plain writer", async () => {
    const down = createDb("postgres://postgres:x@127.0.0.1:1/nowhere", { max: 1 });
    const out: string[] = [];
    try {
      const sink = createLogSink({ db: down.db, write: (l) => out.push(l), flushIntervalMs: 10, batchSize: 5, maxBuffered: 8 });
      const log = createLog({ write: sink.write }).child({ correlationId: "run-c" });
      for (let i = 0; i < 12; i++) expect(() => log.info(`line ${i}`)).not.toThrow();
      await expect(sink.flush()).resolves.toBeUndefined();
      await expect(sink.close()).resolves.toBeUndefined();
      expect(out.filter((l) => l.includes('"run-c"'))).toHaveLength(12);
      // one notice for the failing streak, not one per batch
      expect(out.filter((l) => l.includes("could not be stored"))).toHaveLength(1);
      expect(sink.stats().buffered).toBe(0);
      expect(sink.stats().dropped).toBe(12);
    } finally {
      await down.sql.end({ timeout: 1 });
    }
  });
});
