import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { minuteOf, snapshotQueue } from "./snapshot-queue";

let app: TestDatabase;
let erpId: string;
beforeAll(async () => {
  app = await createTestDatabase();
  const [erp] = await app.sql`insert into connectors (key, role, system, name, base_url) values ('erp', 'erp', 'netsuite', 'ERP', 'http://x') returning id`;
  erpId = erp!.id as string;
  await app.sql`insert into connectors (key, role, system, name, base_url, paused) values ('erp-2', 'erp', 'netsuite', 'ERP 2', 'http://y', true)`;
  await app.sql`insert into connectors (key, role, system, name, base_url) values ('src', 'source', 'harvest', 'Source', 'http://z')`;
  for (const [status, key, created] of [
    ["pending", "a", "2026-11-18T09:00:00Z"],
    ["pending", "b", "2026-11-18T10:00:00Z"],
    ["sent", "c", "2026-11-18T08:30:00Z"],
    ["dead", "d", "2026-11-01T00:00:00Z"],
    ["rejected", "e", "2026-11-01T00:00:00Z"],
    ["accepted", "f", "2026-11-01T00:00:00Z"],
  ]) {
    await app.sql`insert into erp_postings (kind, entry_version, idempotency_key, status, request, correlation_id, created_at) values ('create', 1, ${key!}, ${status!}, '{}', 'c', ${created!})`;
  }
});
afterAll(async () => {
  await app?.drop();
});

describe("snapshotQueue", () => {
  it("records the outbox by state for each ERP connector, at the minute", async () => {
    const r = await snapshotQueue({ db: app.db, at: new Date("2026-11-18T12:03:41.500Z") });
    expect(r).toEqual({ at: new Date("2026-11-18T12:03:00Z"), inserted: 2 });
    const rows = await app.sql`select q.*, c.key from queue_snapshots q join connectors c on c.id = q.connector_id order by c.key`;
    expect(rows.map((x) => x.key)).toEqual(["erp", "erp-2"]);
    expect(rows[0]).toMatchObject({ connector_id: erpId, pending: 2, retrying: 1, dead: 1, rejected: 1 });
    expect(new Date(rows[0]!.at).toISOString()).toBe("2026-11-18T12:03:00.000Z");
    expect(new Date(rows[0]!.oldest_waiting_at).toISOString()).toBe("2026-11-18T08:30:00.000Z");
  });

  it("is idempotent within a minute, and adds the next minute", async () => {
    await app.sql`update erp_postings set status = 'accepted' where idempotency_key = 'a'`;
    expect((await snapshotQueue({ db: app.db, at: new Date("2026-11-18T12:03:59Z") })).inserted).toBe(0);
    const [same] = await app.sql`select pending from queue_snapshots where connector_id = ${erpId} and at = '2026-11-18T12:03:00Z'`;
    expect(same!.pending).toBe(2); // the first snapshot of the minute stands
    expect((await snapshotQueue({ db: app.db, at: new Date("2026-11-18T12:04:00Z") })).inserted).toBe(2);
    const [next] = await app.sql`select pending from queue_snapshots where connector_id = ${erpId} and at = '2026-11-18T12:04:00Z'`;
    expect(next!.pending).toBe(1);
    expect(minuteOf(new Date("2026-11-18T12:04:59.999Z")).toISOString()).toBe("2026-11-18T12:04:00.000Z");
  });
});
