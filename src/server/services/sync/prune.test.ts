import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { pruneHistory } from "./prune";

const NOW = new Date("2026-11-18T12:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();

let app: TestDatabase;
beforeAll(async () => {
  app = await createTestDatabase();
  const sql = app.sql;
  const [erp] = await sql`insert into connectors (key, role, system, name, base_url) values ('erp', 'erp', 'netsuite', 'ERP', 'http://x') returning id`;
  for (const d of [1, 13, 15, 20, 40]) {
    await sql`insert into log_lines (at, correlation_id, level, msg) values (${daysAgo(d)}, ${`d${d}`}, 'info', 'm')`;
    await sql`insert into queue_snapshots (connector_id, at, pending, retrying, dead, rejected) values (${erp!.id}, ${daysAgo(d)}, 0, 0, 0, 0)`;
  }
  await sql`insert into queue_snapshots (connector_id, at, pending, retrying, dead, rejected) values (${erp!.id}, ${daysAgo(31)}, 0, 0, 0, 0)`;
  for (const status of ["accepted", "rejected", "dead", "superseded", "sent", "pending"]) {
    const [p] = await sql`insert into erp_postings (kind, entry_version, idempotency_key, status, request, correlation_id) values ('create', 1, ${status}, ${status}, '{}', 'c') returning id`;
    for (const [i, d] of [89, 91, 120].entries()) {
      await sql`insert into erp_posting_attempts (posting_id, connector_id, attempt, started_at, duration_ms, outcome, correlation_id)
                values (${p!.id}, ${erp!.id}, ${i + 1}, ${daysAgo(d)}, 10, 'transient', ${`${status}-${d}`})`;
    }
  }
});
afterAll(async () => {
  await app?.drop();
});

describe("pruneHistory", () => {
  it("deletes past retention in bounded batches, and keeps the history of postings still on their way", async () => {
    // batches of 2, at most 1 per table: not everything goes in one call
    const first = await pruneHistory({ db: app.db, now: NOW, batchSize: 2, maxBatches: 1 });
    expect(first).toEqual({ logLines: 2, queueSnapshots: 2, postingAttempts: 2, complete: false });
    const rest = await pruneHistory({ db: app.db, now: NOW, batchSize: 2 });
    expect(rest.complete).toBe(true);
    expect(first.logLines + rest.logLines).toBe(3);
    expect(first.queueSnapshots + rest.queueSnapshots).toBe(2); // 31 and 40 days old
    expect(first.postingAttempts + rest.postingAttempts).toBe(8);

    const logs = await app.sql`select correlation_id from log_lines order by at desc`;
    expect(logs.map((r) => r.correlation_id)).toEqual(["d1", "d13"]);
    const [{ n: snaps }] = (await app.sql`select count(*)::int as n from queue_snapshots`) as unknown as [{ n: number }];
    expect(snaps).toBe(4);
    const attempts = await app.sql`select correlation_id from erp_posting_attempts order by correlation_id`;
    expect(attempts.map((r) => r.correlation_id)).toEqual(
      ["accepted-89", "dead-89", "pending-120", "pending-89", "pending-91", "rejected-89", "sent-120", "sent-89", "sent-91", "superseded-89"],
    );
    expect(await pruneHistory({ db: app.db, now: NOW })).toEqual({ logLines: 0, queueSnapshots: 0, postingAttempts: 0, complete: true });
  });
});
