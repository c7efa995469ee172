import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, connectors } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor } from "../../../../test/factories";
import { runNow } from "./run-now";

let t: TestDatabase;
let sourceId: string;
let erpId: string;

beforeAll(async () => {
  t = await createTestDatabase();
  const [s] = await t.db.insert(connectors).values({ key: "src", role: "source", system: "harvest", name: "Harvest", baseUrl: "http://127.0.0.1:9/v2" }).returning();
  const [e] = await t.db.insert(connectors).values({ key: "erp", role: "erp", system: "netsuite", name: "NetSuite", baseUrl: "http://127.0.0.1:9/services/rest" }).returning();
  sourceId = s!.id;
  erpId = e!.id;
});
afterAll(async () => {
  await t?.drop();
});

const jobs = () => t.sql`select t.identifier as task, j.payload, j.key from graphile_worker._private_jobs j join graphile_worker._private_tasks t on t.id = j.task_id order by j.id`;

describe("running a connector now", () => {
  it("queues the job for the worker with trigger manual, once however often it is asked, and audits it", async () => {
    const admin = await makeUser(t.db, { roles: ["admin"] });
    const ctx = serviceCtxFor(t.db, admin);
    const a = await runNow({ ctx, input: { connectorId: sourceId, kind: "pull" } });
    await runNow({ ctx, input: { connectorId: sourceId, kind: "pull" } });
    await runNow({ ctx, input: { connectorId: erpId, kind: "read_back" } });
    expect(a).toMatchObject({ kind: "pull", connector: "Harvest" });
    const queued = await jobs();
    expect(queued.map((j) => [j.task, j.payload])).toEqual([
      ["pull-time", { connectorId: sourceId, trigger: "manual" }],
      ["read-back", { connectorId: erpId, trigger: "manual" }],
    ]);
    const audits = await t.db.select().from(auditLog).where(eq(auditLog.action, "sync.run_now")).orderBy(auditLog.id);
    expect(audits).toHaveLength(3);
    expect(audits[0]).toMatchObject({ actorId: admin.id, entityId: sourceId });
  });

  it("refuses a run a connector of that role cannot do, a paused connector, and an unknown one — queueing nothing", async () => {
    const admin = await makeUser(t.db, { roles: ["admin"] });
    const ctx = serviceCtxFor(t.db, admin);
    const before = (await jobs()).length;
    await expect(runNow({ ctx, input: { connectorId: sourceId, kind: "post" } })).rejects.toThrow(/runs on an ERP connector; Harvest is a source/);
    await t.db.update(connectors).set({ paused: true }).where(eq(connectors.id, erpId));
    await expect(runNow({ ctx, input: { connectorId: erpId, kind: "master_data" } })).rejects.toThrow(/NetSuite is paused; resume it/);
    await expect(runNow({ ctx, input: { connectorId: crypto.randomUUID(), kind: "pull" } })).rejects.toThrow(/no such connector/);
    await expect(runNow({ ctx, input: { connectorId: "nope", kind: "pull" } as never })).rejects.toThrow(/connectorId must be/);
    expect((await jobs()).length).toBe(before);
  });
});
