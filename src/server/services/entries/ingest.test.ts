import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { erpPostings, exceptionEntries, exceptions, rawRecords, timeEntries } from "@/server/db/schema";
import { idempotencyKey } from "@/server/domain/idempotency";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { validateEntries } from "../validation/validate-entries";
import { buildWorld, type World } from "../../../../test/world";
import { ingestTimeEntries } from "./ingest";

let t: TestDatabase;
let w: World;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
});
afterAll(async () => t?.drop());

let next = 900_000;
function item(over: Record<string, unknown> = {}) {
  next += 1;
  const entry = {
    sourceId: String(next),
    sourceUserId: w.ext.ana,
    sourceProjectId: w.ext.acme,
    sourceTaskId: w.ext.senior,
    // one entry a day, so entries of different tests never look like duplicates
    workDate: `2026-05-${String((next % 28) + 1).padStart(2, "0")}`,
    hours: "3.50",
    billable: true,
    notes: "Workshop",
    status: "approved",
    approvedAt: "2026-05-18T09:00:00Z",
    deleted: false,
    ...over,
  };
  const payload: Record<string, unknown> = { id: Number(entry.sourceId), spent_date: entry.workDate, hours: Number(entry.hours), is_closed: entry.status === "approved" };
  return { payload, entry };
}
const ingest = (items: ReturnType<typeof item>[]) =>
  ingestTimeEntries({ ctx: systemCtx(t.db, "sync"), input: { sourceSystem: "harvest", items } });
const entryBySource = async (sourceId: string) =>
  (await t.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "harvest"), eq(timeEntries.sourceId, sourceId))))[0];

describe("ingesting source time entries", () => {
  it("creates approved entries, keeps the payload, and hands them to validation", async () => {
    const a = item();
    const r = await ingest([a]);
    expect(r).toMatchObject({ received: 1, created: 1, refused: [] });
    const row = await entryBySource(a.entry.sourceId);
    expect(row).toMatchObject({ state: "approved", version: 1, hours: "3.50", workDate: a.entry.workDate });
    expect(r.toValidate).toEqual([row!.id]);
    const [raw] = await t.db.select().from(rawRecords).where(eq(rawRecords.id, row!.rawRecordId!));
    expect(raw!.body).toEqual(a.payload);
  });

  it("the same payload twice is stored once and changes nothing", async () => {
    const a = item();
    await ingest([a]);
    const r = await ingest([a]);
    expect(r).toMatchObject({ created: 0, unchanged: 1 });
    const raws = await t.db.select().from(rawRecords).where(eq(rawRecords.sourceId, a.entry.sourceId));
    expect(raws).toHaveLength(1);
  });

  it("refuses a payload that fails the schema, naming its source id and what is wrong, and keeps it as received", async () => {
    const bad = item({ hours: "-2.00" });
    const missing = item({ sourceProjectId: undefined, workDate: "12/05/2026" });
    const good = item();
    const r = await ingest([bad, missing, good]);
    expect(r.created).toBe(1);
    expect(r.refused).toEqual([
      { sourceId: bad.entry.sourceId, reason: "hours: hours cannot be negative" },
      { sourceId: missing.entry.sourceId, reason: "sourceProjectId: project id is missing; workDate: work date must be a date (YYYY-MM-DD)" },
    ]);
    expect(await entryBySource(bad.entry.sourceId)).toBeUndefined();

    const [x] = await t.db.select().from(exceptions).where(eq(exceptions.subjectKey, `raw:harvest:time_entry:${bad.entry.sourceId}`));
    expect(x).toMatchObject({ code: "PAYLOAD_INVALID", owner: "integration", status: "open", entriesCount: 1 });
    expect(x!.message).toBe(`Harvest time entry ${bad.entry.sourceId} was refused: hours: hours cannot be negative.`);
    const [link] = await t.db.select().from(exceptionEntries).where(eq(exceptionEntries.exceptionId, x!.id));
    const [raw] = await t.db.select().from(rawRecords).where(eq(rawRecords.id, link!.rawRecordId!));
    expect(raw!.body).toEqual(bad.payload);
  });

  it("a change before posting makes a new version and withdraws the queued posting of the old one", async () => {
    const a = item();
    await ingest([a]);
    const row = (await entryBySource(a.entry.sourceId))!;
    await validateEntries({ ctx: systemCtx(t.db, "validation"), input: { entryIds: [row.id] } });
    const r = await ingest([{ ...a, entry: { ...a.entry, hours: "5.00" }, payload: { ...a.payload, hours: 5 } }]);
    expect(r).toMatchObject({ updated: 1, toValidate: [row.id] });
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ version: 2, hours: "5.00", state: "approved" });
    const [p] = await t.db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, row.id));
    expect(p).toMatchObject({ entryVersion: 1, status: "superseded" });
  });

  it("a change after posting is a correction: the posted version is reversed, the new one awaits posting", async () => {
    const a = item();
    await ingest([a]);
    const row = (await entryBySource(a.entry.sourceId))!;
    await t.db.update(timeEntries).set({ state: "posted", postedVersion: 1, erpId: "TB-1" }).where(eq(timeEntries.id, row.id));
    const r = await ingest([{ payload: { ...a.payload, task_id: "internal" }, entry: { ...a.entry, sourceTaskId: w.ext.internal } }]);
    expect(r.corrected).toBe(1);
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ state: "approved", version: 2 });
    const postings = await t.db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, row.id));
    expect(postings).toEqual([
      expect.objectContaining({
        kind: "reverse",
        entryVersion: 1,
        status: "pending",
        idempotencyKey: idempotencyKey({ sourceSystem: "harvest", sourceId: a.entry.sourceId, version: 1, kind: "reverse" }),
      }),
    ]);
  });

  it("a change after invoicing changes nothing and raises CHANGED_AFTER_INVOICE", async () => {
    const a = item();
    await ingest([a]);
    const row = (await entryBySource(a.entry.sourceId))!;
    await t.db.update(timeEntries).set({ state: "billed", postedVersion: 1, billAmount: "630.00", currency: "USD" }).where(eq(timeEntries.id, row.id));
    const r = await ingest([{ ...a, entry: { ...a.entry, hours: "1.00" }, payload: { ...a.payload, hours: 1 } }]);
    expect(r.changedAfterInvoice).toEqual([a.entry.sourceId]);
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ state: "billed", version: 1, hours: "3.50" });
    const [x] = await t.db.select().from(exceptions).where(eq(exceptions.subjectKey, `entry:harvest:${a.entry.sourceId}`));
    expect(x).toMatchObject({ code: "CHANGED_AFTER_INVOICE", owner: "finance", severity: "critical", hoursAtStake: "3.50", valueAtStake: "630.00" });
  });

  it("follows the source's approval: withdrawn approval reopens, deletion voids", async () => {
    const a = item();
    await ingest([a]);
    await ingest([{ payload: { ...a.payload, is_closed: false }, entry: { ...a.entry, status: "submitted" } }]);
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ state: "submitted" });
    await ingest([{ payload: { ...a.payload, is_closed: false, rejected: true }, entry: { ...a.entry, status: "rejected" } }]);
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ state: "rejected" });
    const r = await ingest([{ payload: { id: a.payload.id, deleted: true }, entry: { ...a.entry, status: "rejected", deleted: true } }]);
    expect(r.voided).toBe(1);
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ state: "void" });
  });

  it("re-reading the payload an entry already reflects changes nothing, even where the source cannot show the entry's state", async () => {
    const a = item({ status: "submitted" });
    await ingest([a]);
    const row = (await entryBySource(a.entry.sourceId))!;
    // rejected in the console's world; the source (like Harvest) shows it as merely not approved
    await t.db.update(timeEntries).set({ state: "rejected" }).where(eq(timeEntries.id, row.id));
    const r = await ingest([a]);
    expect(r).toMatchObject({ unchanged: 1, updated: 0 });
    expect(await entryBySource(a.entry.sourceId)).toMatchObject({ state: "rejected", version: 1, updatedAt: row.updatedAt });
    // a connector that now reads the same payload differently is heard
    const r2 = await ingest([{ ...a, entry: { ...a.entry, hours: "4.00" } }]);
    expect(r2.updated).toBe(1);
  });
});
