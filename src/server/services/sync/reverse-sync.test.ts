import { and, eq, inArray, ne } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, idMappings, projects, sourceRefs } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import type { HarvestConnector } from "@/sync/connectors/harvest/connector";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startHarvest, type HarvestSimulator } from "../../../../test/simulators";
import { reverseSyncProjects } from "./reverse-sync";

const OPTS = { seed: 21, consultants: 20, projects: 15, months: 2, endDate: "2026-11-18" };
let app: TestDatabase;
let src: HarvestSimulator;
let connector: HarvestConnector;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  src = await startHarvest(OPTS);
  connector = src.connector();
}, 120_000);
afterAll(async () => {
  await src?.stop();
  await app?.drop();
});

/** the Harvest projects mapped to ERP jobs that are not active */
async function mappedInactive() {
  const rows = await app.db
    .select({ externalId: idMappings.externalId })
    .from(idMappings)
    .innerJoin(projects, eq(projects.id, idMappings.targetId))
    .where(and(eq(idMappings.kind, "project"), ne(projects.status, "active")));
  return rows.map((r) => r.externalId).sort();
}
const activeInSource = async (ids: string[]) =>
  (await src.sql`select id::text, is_active from sim_harvest.projects where id::text = any(${ids})`).map((r) => [r.id, r.is_active]);

describe("reverse sync of project status", () => {
  it("deactivates in the source the projects whose ERP job is on hold or closed, once", async () => {
    const ids = await mappedInactive();
    expect(ids.length).toBeGreaterThan(0); // the demo plants on-hold and closed projects
    const s = await reverseSyncProjects({ ctx: systemCtx(app.db, "sync"), connector });
    expect(s.deactivated.sort()).toEqual(ids);
    expect(s.failed).toEqual([]);
    for (const [, active] of await activeInSource(ids)) expect(active).toBe(false);
    const audited = await app.db.select().from(auditLog).where(eq(auditLog.action, "source.project_deactivated"));
    expect(audited).toHaveLength(ids.length);

    const again = await reverseSyncProjects({ ctx: systemCtx(app.db, "sync"), connector });
    expect(again).toEqual({ deactivated: [], reactivated: [], failed: [] });
  });

  it("reactivates a project when its ERP job is active again", async () => {
    const [id] = await mappedInactive();
    const [m] = await app.db.select().from(idMappings).where(and(eq(idMappings.kind, "project"), eq(idMappings.externalId, id!)));
    await app.db.update(projects).set({ status: "active" }).where(eq(projects.id, m!.targetId));
    const s = await reverseSyncProjects({ ctx: systemCtx(app.db, "sync"), connector });
    expect(s.reactivated).toEqual([id]);
    expect(await activeInSource([id!])).toEqual([[id, true]]);
    const [ref] = await app.db.select().from(sourceRefs).where(and(eq(sourceRefs.kind, "project"), inArray(sourceRefs.externalId, [id!])));
    expect(ref!.active).toBe(true);
  });
});
