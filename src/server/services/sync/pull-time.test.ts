/**
 * The incremental time pull over real HTTP: the Harvest connector against the Harvest
 * simulator, into an app database seeded from the same demo generator.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, syncCursors, syncRuns, timeEntries } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import type { SourceConnector, SourcePullOptions } from "@/sync/connectors/types";
import { tick } from "@/simulators/harvest/clock";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startHarvest, type HarvestSimulator } from "../../../../test/simulators";
import { pullTimeEntries } from "./pull-time";

const OPTS = { seed: 8, consultants: 20, projects: 15, months: 2, endDate: "2026-11-18" };

let app: TestDatabase;
let src: HarvestSimulator;
let connectorId: string;
let harvest: SourceConnector;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  src = await startHarvest(OPTS);
  const [c] = await app.db
    .insert(connectors)
    .values({ key: "harvest-test", role: "source", system: "harvest", name: "Harvest (simulator)", baseUrl: src.apiUrl, accountId: src.accountId })
    .returning({ id: connectors.id });
  connectorId = c!.id;
  harvest = src.connector();
}, 120_000);
afterAll(async () => {
  await src?.stop();
  await app?.drop();
});

const pull = (connector: SourceConnector = harvest, now?: () => Date) =>
  pullTimeEntries({ ctx: systemCtx(app.db, "sync"), connector, connectorId, perPage: 500, ...(now && { now }) });

describe("pulling time from the source", () => {
  it("a first, full pull of the same firm finds what the demo already holds: nothing new, nothing corrected", async () => {
    const [{ n }] = (await src.sql`select count(*)::int as n from sim_harvest.time_entries`) as unknown as [{ n: number }];
    const s = await pull();
    expect(s.fetched).toBe(n);
    expect(s.pages).toBe(Math.ceil(n / 500));
    expect(s).toMatchObject({ created: 0, corrected: 0, refused: 0 });
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ status: "succeeded", kind: "time_pull", fetched: n, created: 0 });
    const [cur] = await app.db.select().from(syncCursors).where(eq(syncCursors.connectorId, connectorId));
    expect(JSON.parse(cur!.cursor)).toMatchObject({ walk: null });
  });

  it("an incremental pull after the source moves on reads only the changes and queues the newly approved", async () => {
    const changes = await tick(src.sql, { seed: OPTS.seed, now: new Date(Date.now() + 60_000) });
    const s = await pull();
    expect(s.fetched).toBeGreaterThanOrEqual(changes.added.length + changes.edited.length);
    expect(s.fetched).toBeLessThan(200);
    expect(s.created).toBe(changes.added.length);
    const added = await app.db.select().from(timeEntries).where(sql`${timeEntries.sourceId} in ${changes.added.map(String)}`);
    expect(added).toHaveLength(changes.added.length);
  });

  it("a pull that stops mid-walk keeps its place, and the next run resumes from the page it had not read", async () => {
    const [cur0] = await app.db.select().from(syncCursors).where(eq(syncCursors.connectorId, connectorId));
    // forget the cursor: a full walk of several pages, failing after the first page
    await app.db.update(syncCursors).set({ cursor: JSON.stringify({ since: null, walk: null }) }).where(eq(syncCursors.connectorId, connectorId));
    const failing: SourceConnector = {
      system: "harvest",
      setProjectActive: harvest.setProjectActive,
      async *timeEntries(opts: SourcePullOptions) {
        let pages = 0;
        for await (const page of harvest.timeEntries(opts)) {
          yield page;
          if (++pages === 1) throw new Error("connection reset by peer");
        }
      },
    };
    await expect(pull(failing)).rejects.toThrow("connection reset by peer");
    const [run] = await app.db.select().from(syncRuns).orderBy(sql`${syncRuns.startedAt} desc`).limit(1);
    expect(run).toMatchObject({ status: "partial", fetched: 500 });
    expect(run!.error).toBe("The pull stopped after 1 page(s): connection reset by peer");
    const [cur] = await app.db.select().from(syncCursors).where(eq(syncCursors.connectorId, connectorId));
    expect(JSON.parse(cur!.cursor)).toMatchObject({ since: null, walk: { nextPage: 2, updatedSince: null } });

    const resumed = await pull();
    const [{ n }] = (await src.sql`select count(*)::int as n from sim_harvest.time_entries`) as unknown as [{ n: number }];
    expect(resumed.fetched).toBe(n - 500);
    expect(resumed.created).toBe(0);
    expect(JSON.parse((await app.db.select().from(syncCursors).where(eq(syncCursors.connectorId, connectorId)))[0]!.cursor)).toMatchObject({ walk: null });
    expect(cur0).toBeTruthy();
  });
});
