/**
 * Approved entries are always decided: a named entry that another transaction holds while it
 * is validated is looked at again (and left to a job if still held), and the sweep finds
 * approved entries nothing explains — no posting for their version, no open exception.
 */
import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erpPostings, timeEntries } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { validateEntries } from "./validate-entries";

let t: TestDatabase;
let w: World;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
});
afterAll(async () => t?.drop());

/** Another transaction holds the entry's row (as a sender recording an outcome does) until released. */
async function holdEntry(id: string) {
  const other = postgres(t.url, { max: 1 });
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = other.begin(async (tx) => {
    await tx`select id from time_entries where id = ${id} for update`;
    locked();
    await held;
  });
  await isLocked;
  return {
    release,
    done: async () => {
      await holder;
      await other.end();
    },
  };
}

const postingsOf = (id: string) => t.db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, id));

describe("every approved entry is decided", () => {
  it("a named entry held by another transaction is validated once it is free", async () => {
    const e = await w.entry({ hours: "2.00" });
    const hold = await holdEntry(e.id);
    setTimeout(hold.release, 300);
    const s = await validateEntries({ ctx: systemCtx(t.db, "validation"), input: { entryIds: [e.id] } });
    await hold.done();
    expect(s).toMatchObject({ validated: 1, postingsCreated: 1, deferred: 0 });
    expect(await postingsOf(e.id)).toHaveLength(1);
  });

  it("one held throughout is left to a validate job, not dropped", async () => {
    const e = await w.entry({ hours: "2.50" });
    const hold = await holdEntry(e.id);
    const s = await validateEntries({ ctx: systemCtx(t.db, "validation"), input: { entryIds: [e.id] } });
    hold.release();
    await hold.done();
    expect(s).toMatchObject({ validated: 0, deferred: 1 });
    const jobs = (await t.db.execute(sql`select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id where k.identifier = 'validate'`)) as unknown as { payload: { entryIds: string[] } }[];
    expect(jobs.some((j) => j.payload.entryIds?.includes(e.id))).toBe(true);
  });

  it("the sweep validates approved entries nothing explains, and leaves the ones an exception holds", async () => {
    const clean = await w.entry({ hours: "3.00" });
    const blocked = await w.entry({ hours: "30.00" }); // HOURS_INVALID
    await validateEntries({ ctx: systemCtx(t.db, "validation"), input: { entryIds: [blocked.id] } });
    // both untouched for more than a minute; the clean one was never decided (its validation was lost)
    await t.db.update(timeEntries).set({ updatedAt: sql`now() - interval '5 minutes'` }).where(sql`${timeEntries.id} in (${clean.id}, ${blocked.id})`);
    const s = await validateEntries({ ctx: systemCtx(t.db, "validation"), input: { stragglers: true } });
    expect(s).toMatchObject({ validated: 1, postingsCreated: 1 });
    expect(await postingsOf(clean.id)).toHaveLength(1);
    expect(await postingsOf(blocked.id)).toHaveLength(0);
  });
});
