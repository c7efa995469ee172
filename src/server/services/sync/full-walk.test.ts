/**
 * Finding entries deleted in the source by full walks, over real HTTP: the Harvest
 * connector against the Harvest simulator, into an app database seeded from the same demo
 * generator. Deletions are made in the simulator's tables as its own clock makes them.
 */
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, erpPostings, exceptions, syncRuns, timeEntries } from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import type { SourceConnector, SourcePage, SourcePullOptions } from "@/sync/connectors/types";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startHarvest, type HarvestSimulator } from "../../../../test/simulators";
import { fullWalk, monthWindows } from "./full-walk";
import { pullTimeEntries } from "./pull-time";

const OPTS = { seed: 8, consultants: 20, projects: 15, months: 2, endDate: "2026-11-18" };

let app: TestDatabase;
let src: HarvestSimulator;
let connectorId: string;
let harvest: SourceConnector;
let range: { from: string; to: string };

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  src = await startHarvest(OPTS);
  const [c] = await app.db
    .insert(connectors)
    .values({ key: "harvest-full-walk", role: "source", system: "harvest", name: "Harvest (simulator)", baseUrl: src.apiUrl, accountId: src.accountId })
    .returning({ id: connectors.id });
  connectorId = c!.id;
  harvest = src.connector();
  const [r] = (await src.sql`select min(spent_date)::text as "from", max(spent_date)::text as "to" from sim_harvest.time_entries`) as unknown as [{ from: string; to: string }];
  range = r;
}, 120_000);
afterAll(async () => {
  await src?.stop();
  await app?.drop();
});

const walk = (opts: { connector?: SourceConnector; from?: string; to?: string; maxMissingShare?: number } = {}) =>
  fullWalk({
    ctx: systemCtx(app.db, "sync"),
    connector: opts.connector ?? harvest,
    connectorId,
    sourceSystem: "harvest",
    from: opts.from ?? range.from,
    to: opts.to ?? range.to,
    trigger: "manual",
    perPage: 200,
    ...(opts.maxMissingShare !== undefined && { maxMissingShare: opts.maxMissingShare }),
  });

/** Every entry of the app as it stands: what a walk must leave alone. */
const snapshot = async () => {
  const rows = await app.db
    .select({ id: timeEntries.id, state: timeEntries.state, version: timeEntries.version, hours: timeEntries.hours, workDate: timeEntries.workDate, updatedAt: timeEntries.updatedAt })
    .from(timeEntries)
    .orderBy(asc(timeEntries.id));
  return new Map(rows.map((r) => [r.id, r]));
};
const counts = async () => {
  const [p] = await app.db.select({ n: sql<number>`count(*)::int` }).from(erpPostings);
  const [e] = await app.db.select({ n: sql<number>`count(*)::int`, occ: sql<number>`coalesce(sum(occurrences), 0)::int` }).from(exceptions);
  return { postings: p!.n, exceptions: e!.n, occurrences: e!.occ };
};

/** Deletes entries in the source, as its clock does (the body kept in a tombstone). */
const deleteInSource = (ids: string[]) =>
  src.sql`
    with gone as (delete from sim_harvest.time_entries where id in ${src.sql(ids.map(Number))} returning id, body)
    insert into sim_harvest.time_entry_tombstones (id, deleted_at, body) select id, now(), body from gone`;

/** One harvest entry in the given state, in the walked range, present in the source. */
async function pickEntry(state: "approved" | "posted" | "billed", not: string[] = []) {
  const rows = await app.db
    .select()
    .from(timeEntries)
    .where(and(eq(timeEntries.sourceSystem, "harvest"), eq(timeEntries.state, state), sql`${timeEntries.workDate} between ${range.from} and ${range.to}`))
    .orderBy(asc(timeEntries.workDate), asc(timeEntries.sourceId))
    .limit(50);
  const inSource = new Set(
    ((await src.sql`select id::text as id from sim_harvest.time_entries where id in ${src.sql(rows.map((r) => Number(r.sourceId)))}`) as unknown as { id: string }[]).map((r) => r.id),
  );
  const row = rows.find((r) => inSource.has(r.sourceId) && !not.includes(r.sourceId));
  expect(row, `a ${state} entry in the source`).toBeTruthy();
  return row!;
}

describe("month windows", () => {
  it("cuts a range into calendar months, clipped to its ends", () => {
    expect(monthWindows("2026-09-18", "2026-11-18")).toEqual([
      { from: "2026-09-18", to: "2026-09-30", label: "2026-09-18 to 2026-09-30" },
      { from: "2026-10-01", to: "2026-10-31", label: "2026-10" },
      { from: "2026-11-01", to: "2026-11-18", label: "2026-11-01 to 2026-11-18" },
    ]);
    expect(monthWindows("2028-02-01", "2028-02-29")).toEqual([{ from: "2028-02-01", to: "2028-02-29", label: "2028-02" }]);
    expect(monthWindows("2026-12-15", "2027-01-10").map((w) => w.label)).toEqual(["2026-12-15 to 2026-12-31", "2027-01-01 to 2027-01-10"]);
  });
});

describe("finding deletions by full walks", () => {
  it("a walk of a source in step with the app finds no deletion, and a second one changes nothing", async () => {
    const c0 = await counts();
    const s = await walk();
    expect(s.status).toBe("succeeded");
    expect(s).toMatchObject({ created: 0, corrected: 0, voided: 0, reversalsQueued: 0, changedAfterInvoice: 0, error: null });
    expect(s.windows.every((w) => w.status === "checked" && w.missing === 0)).toBe(true);
    const [{ n }] = (await src.sql`select count(*)::int as n from sim_harvest.time_entries`) as unknown as [{ n: number }];
    expect(s.fetched).toBe(n);
    expect(await counts()).toEqual(c0);
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ kind: "full_walk", trigger: "manual", status: "succeeded", fetched: n, created: 0, error: null });
    expect(run!.details).toMatchObject({ voided: 0, reversalsQueued: 0, changedAfterInvoice: 0, windowsChecked: s.windows.length, windowsSkipped: 0 });

    const before = await snapshot();
    const again = await walk();
    expect(again).toMatchObject({ status: "succeeded", created: 0, updated: 0, unchanged: n, voided: 0 });
    expect(await snapshot()).toEqual(before);
    expect(await counts()).toEqual(c0);
  });

  it("voids what the source deleted, reverses what was posted, and raises CHANGED_AFTER_INVOICE for what was billed", async () => {
    const approved = await pickEntry("approved");
    const posted = await pickEntry("posted");
    const billed = await pickEntry("billed");
    const before = await snapshot();
    const c0 = await counts();
    await deleteInSource([approved.sourceId, posted.sourceId, billed.sourceId]);

    const s = await walk();
    expect(s.status).toBe("succeeded");
    expect(s).toMatchObject({ created: 0, voided: 2, reversalsQueued: 1, changedAfterInvoice: 1 });
    expect(s.windows.reduce((n, w) => n + w.missing, 0)).toBe(3);

    const after = await snapshot();
    const changed = [...after.values()].filter((r) => JSON.stringify(r) !== JSON.stringify(before.get(r.id))).map((r) => r.id);
    expect(changed.sort()).toEqual([approved.id, posted.id].sort());
    expect(after.get(approved.id)!.state).toBe("void");
    expect(after.get(posted.id)!.state).toBe("void");
    expect(after.get(billed.id)!.state).toBe("billed");

    const reversals = await app.db.select().from(erpPostings).where(and(eq(erpPostings.timeEntryId, posted.id), eq(erpPostings.kind, "reverse")));
    expect(reversals).toHaveLength(1);
    expect(reversals[0]).toMatchObject({ status: "pending", entryVersion: posted.postedVersion });
    const [cai] = await app.db.select().from(exceptions).where(and(eq(exceptions.code, "CHANGED_AFTER_INVOICE"), eq(exceptions.subjectKey, `entry:harvest:${billed.sourceId}`)));
    expect(cai).toMatchObject({ status: "open", owner: "finance" });
    expect(cai!.message).toContain("deleted");
    const c1 = await counts();
    expect(c1.postings).toBe(c0.postings + 1);
    expect(c1.exceptions).toBe(c0.exceptions + 1);

    // the deletion is kept as received, with what found it
    const [raw] = (await app.db.execute(
      sql`select body from raw_records where source_system = 'harvest' and source_id = ${approved.sourceId} and sync_run_id = ${s.runId}`,
    )) as unknown as { body: Record<string, unknown> }[];
    expect(raw!.body).toMatchObject({ id: approved.sourceId, deleted: true, detectedBy: "full walk", runId: s.runId });

    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ status: "succeeded", kind: "full_walk" });
    expect(run!.details).toMatchObject({ voided: 2, reversalsQueued: 1, changedAfterInvoice: 1 });

    // a second walk finds the same three missing and changes nothing
    const again = await walk();
    expect(again).toMatchObject({ status: "succeeded", voided: 0, reversalsQueued: 0, changedAfterInvoice: 0, created: 0 });
    expect(again.windows.reduce((n, w) => n + w.alreadyReported, 0)).toBe(1);
    expect(await snapshot()).toEqual(after);
    expect(await counts()).toEqual(c1);
  });

  it("an entry moved to a later month in the source is updated, not taken for deleted", async () => {
    // the incremental pull has caught up: only the changes since are listed to tell a move from a deletion
    await pullTimeEntries({ ctx: systemCtx(app.db, "sync"), connector: harvest, connectorId, perPage: 500 });
    const windows = monthWindows(range.from, range.to);
    const first = windows[0]!;
    const last = windows.at(-1)!;
    const [candidate] = await app.db
      .select({ sourceId: timeEntries.sourceId })
      .from(timeEntries)
      .where(and(eq(timeEntries.sourceSystem, "harvest"), eq(timeEntries.state, "approved"), sql`${timeEntries.workDate} between ${first.from} and ${first.to}`))
      .orderBy(asc(timeEntries.sourceId))
      .limit(1);
    const row = { id: candidate!.sourceId };
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const stamp = at.toISOString().replace(/\.\d{3}Z$/, "Z");
    await src.sql`
      update sim_harvest.time_entries set spent_date = ${last.to}::date, updated_at = ${at},
             body = body || ${src.sql.json({ spent_date: last.to, updated_at: stamp })}
       where id = ${Number(row.id)}`;

    const s = await walk();
    expect(s).toMatchObject({ status: "succeeded", voided: 0, changedAfterInvoice: 0 });
    expect(s.windows[0]!.movedAway).toBe(1);
    const [{ n }] = (await src.sql`select count(*)::int as n from sim_harvest.time_entries`) as unknown as [{ n: number }];
    expect(s.fetched).toBeLessThan(n + 50);
    const [moved] = await app.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "harvest"), eq(timeEntries.sourceId, row.id)));
    expect(moved!.state).not.toBe("void");
    expect(moved!.workDate).toBe(last.to);
  });

  it("skips a window whose walk failed or was inconsistent, and acts on the others", async () => {
    const victim = await pickEntry("approved");
    await deleteInSource([victim.sourceId]);
    const month = victim.workDate.slice(0, 7);
    const inMonth = (opts: SourcePullOptions) => opts.from?.startsWith(month) ?? false;

    // the source's count changes between the first and the last page of that month
    const racing: SourceConnector = {
      system: "harvest",
      setProjectActive: harvest.setProjectActive,
      async *timeEntries(opts: SourcePullOptions) {
        let n = 0;
        for await (const page of harvest.timeEntries(opts) as AsyncGenerator<SourcePage & { totalEntries: number }>) {
          n += 1;
          yield inMonth(opts) && !page.hasMore && n > 1 ? { ...page, totalEntries: page.totalEntries + 1 } : page;
        }
      },
    };
    const before = await snapshot();
    const s = await walk({ connector: racing });
    expect(s.status).toBe("partial");
    const w = s.windows.find((x) => x.from.startsWith(month))!;
    expect(w.status).toBe("skipped");
    expect(w.reason).toMatch(/was inconsistent: the source counted \d+ entries on the first page and \d+ on the last/);
    expect(s.windows.filter((x) => x !== w).every((x) => x.status === "checked")).toBe(true);
    expect(s.voided).toBe(0);
    expect(await snapshot()).toEqual(before);
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ status: "partial" });
    expect(run!.error).toBe(w.reason);
    expect(run!.details).toMatchObject({ windowsChecked: s.windows.length - 1, windowsSkipped: 1 });

    // a connection lost in the middle of the month: skipped as well
    const failing: SourceConnector = {
      system: "harvest",
      setProjectActive: harvest.setProjectActive,
      async *timeEntries(opts: SourcePullOptions) {
        let n = 0;
        for await (const page of harvest.timeEntries(opts)) {
          yield page;
          if (inMonth(opts) && ++n === 1 && page.hasMore) throw new Error("connection reset by peer");
        }
      },
    };
    const f = await walk({ connector: failing });
    expect(f.status).toBe("partial");
    const fw = f.windows.find((x) => x.from.startsWith(month))!;
    expect(fw.reason).toBe(`The walk of ${fw.label} stopped after 1 page(s): connection reset by peer; nothing was voided in ${fw.label}.`);
    expect(await snapshot()).toEqual(before);

    // with the source answering properly again, the deletion is found
    const ok = await walk();
    expect(ok).toMatchObject({ status: "succeeded", voided: 1 });
    const [row] = await app.db.select().from(timeEntries).where(eq(timeEntries.id, victim.id));
    expect(row!.state).toBe("void");
  });

  it("refuses to void most of a month at once, as implausible, and still checks the other months", async () => {
    const windows = monthWindows(range.from, range.to);
    const month = windows.find((w) => !w.label.includes(" to "))!;
    const ids = ((await src.sql`
      select id::text as id from sim_harvest.time_entries where spent_date between ${month.from}::date and ${month.to}::date order by id`) as unknown as { id: string }[]).map((r) => r.id);
    const gone = ids.slice(0, Math.ceil(ids.length * 0.9));
    await deleteInSource(gone);
    const before = await snapshot();
    const c0 = await counts();

    const s = await walk();
    expect(s.status).toBe("partial");
    const w = s.windows.find((x) => x.label === month.label)!;
    expect(w.status).toBe("refused");
    expect(w.missing).toBe(gone.length);
    expect(w.reason).toBe(`The full walk would void ${gone.length} of ${w.known} entries of ${month.label}; refused as implausible — check the connector's access.`);
    expect(s.voided).toBe(0);
    expect(await snapshot()).toEqual(before);
    expect(await counts()).toEqual(c0);
    const [run] = await app.db.select().from(syncRuns).where(eq(syncRuns.id, s.runId));
    expect(run).toMatchObject({ status: "partial", error: w.reason });

    // a higher threshold, set on purpose, lets it through
    const forced = await walk({ from: month.from, to: month.to, maxMissingShare: 1 });
    expect(forced.status).toBe("succeeded");
    const stillVisible = await app.db
      .select({ state: timeEntries.state })
      .from(timeEntries)
      .where(and(eq(timeEntries.sourceSystem, "harvest"), inArray(timeEntries.sourceId, gone)));
    expect(stillVisible.every((r) => r.state === "void" || r.state === "billed")).toBe(true);
  });
});
