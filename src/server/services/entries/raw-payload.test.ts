/**
 * A source's page holding text a database cannot hold (U+0000 above all) loses nothing and
 * fails nothing: the record is kept (escaped when jsonb cannot hold it) and refused as
 * PAYLOAD_INVALID, and the rest of the page goes in.
 */
import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exceptions, rawRecords, timeEntries } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { ingestTimeEntries } from "./ingest";
import { keepPayload } from "./raw-payload";

let t: TestDatabase;
let w: World;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
});
afterAll(async () => t?.drop());

let next = 700_000;
function item(entryOver: Record<string, unknown> = {}, payloadOver: Record<string, unknown> = {}) {
  next += 1;
  const entry = {
    sourceId: String(next),
    sourceUserId: w.ext.ana,
    sourceProjectId: w.ext.acme,
    sourceTaskId: w.ext.senior,
    workDate: `2026-04-${String((next % 28) + 1).padStart(2, "0")}`,
    hours: "2.00",
    billable: true,
    notes: "Workshop",
    status: "approved",
    approvedAt: "2026-04-30T09:00:00Z",
    deleted: false,
    ...entryOver,
  };
  return { payload: { id: next, notes: entry.notes, hours: 2, ...payloadOver }, entry };
}
const ingest = (items: ReturnType<typeof item>[]) => ingestTimeEntries({ ctx: systemCtx(t.db, "sync"), input: { sourceSystem: "harvest", items } });
const rawOf = async (sourceId: string) => (await t.db.select().from(rawRecords).where(and(eq(rawRecords.sourceSystem, "harvest"), eq(rawRecords.sourceId, sourceId))))[0];
const exceptionOf = async (sourceId: string) => (await t.db.select().from(exceptions).where(eq(exceptions.subjectKey, `raw:harvest:time_entry:${sourceId}`)))[0];

describe("a page holding text a database cannot hold", () => {
  it("keeps every record, refuses the ones holding it as PAYLOAD_INVALID, and takes the rest", async () => {
    const nulNote = item({ notes: "Kick-off\u0000" });
    const escInProject = item({ sourceProjectId: "p\u001b1" });
    const vendorField = item({}, { external_ref: "ref\u0007" });
    const loneSurrogate = item({ notes: "half \ud83d" });
    const good = item({ notes: "Two\nlines\tand a tab" });
    const r = await ingest([nulNote, escInProject, vendorField, loneSurrogate, good]);

    expect(r).toMatchObject({ received: 5, created: 1 });
    expect(r.refused).toEqual([
      { sourceId: nulNote.entry.sourceId, reason: "notes contains a control character (U+0000, NUL), which text cannot hold" },
      { sourceId: escInProject.entry.sourceId, reason: "sourceProjectId contains a control character (U+001B, ESC), which a one-line value cannot hold" },
      { sourceId: vendorField.entry.sourceId, reason: "external_ref contains a control character (U+0007), which text cannot hold" },
      { sourceId: loneSurrogate.entry.sourceId, reason: "notes contains half of a character (an unpaired surrogate, U+D83D), which text cannot hold" },
    ]);
    const [created] = await t.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "harvest"), eq(timeEntries.sourceId, good.entry.sourceId)));
    expect(created!.notes).toBe("Two\nlines\tand a tab");
    for (const bad of [nulNote, escInProject, vendorField, loneSurrogate]) {
      const [none] = await t.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "harvest"), eq(timeEntries.sourceId, bad.entry.sourceId)));
      expect(none).toBeUndefined();
    }

    // U+0000 and half a surrogate: kept as escaped JSON text that gives back what was received
    for (const bad of [nulNote, loneSurrogate]) {
      const raw = await rawOf(bad.entry.sourceId);
      const body = raw!.body as { escaped: boolean; why: string; json: string };
      expect(body.escaped).toBe(true);
      expect(body.why).toMatch(/^The payload held U\+(0000|D83D) in notes, which the database cannot store as JSON/);
      expect(JSON.parse(body.json)).toEqual(bad.payload);
      const x = await exceptionOf(bad.entry.sourceId);
      expect(x).toMatchObject({ code: "PAYLOAD_INVALID", status: "open", details: { payloadEscaped: true, rawRecordId: raw!.id } });
      expect(x!.message).toMatch(/was refused: notes contains .*\. The payload as received is kept escaped \(as JSON text\) in its lineage\.$/);
    }
    // other control characters: jsonb holds them, so the payload is kept as it came
    expect((await rawOf(escInProject.entry.sourceId))!.body).toEqual(escInProject.payload);
    expect((await rawOf(vendorField.entry.sourceId))!.body).toEqual(vendorField.payload);
    expect((await exceptionOf(vendorField.entry.sourceId))!.message).toBe(
      `Harvest time entry ${vendorField.entry.sourceId} was refused: external_ref contains a control character (U+0007), which text cannot hold.`,
    );

    // received again: stored once, refused once
    const again = await ingest([nulNote, good]);
    expect(again).toMatchObject({ created: 0, unchanged: 1 });
    expect(await t.db.$count(rawRecords, and(eq(rawRecords.sourceSystem, "harvest"), eq(rawRecords.sourceId, nulNote.entry.sourceId)))).toBe(1);
    expect((await exceptionOf(nulNote.entry.sourceId))!.occurrences).toBe(2);
  });

  it("an id holding U+0000 is kept under its escaped form", async () => {
    const odd = item({ sourceId: "77\u00001" }, { id: "77\u00001" });
    const r = await ingest([odd]);
    expect(r.refused).toEqual([{ sourceId: "77\\u00001", reason: "id contains a control character (U+0000, NUL), which text cannot hold" }]);
    const body = (await rawOf("77\\u00001"))!.body as { json: string };
    expect(JSON.parse(body.json)).toEqual(odd.payload);
  });
});

describe("keepPayload", () => {
  it("takes text with tabs and line breaks as it is", () => {
    expect(keepPayload({ a: "x\ty\r\nz", b: [1, "😀"] }, { notes: "n\nn" })).toEqual({ body: { a: "x\ty\r\nz", b: [1, "😀"] }, escaped: false, problem: null });
  });
  it("refuses a tab in a one-line field of the canonical reading, not in notes", () => {
    expect(keepPayload({}, { sourceUserId: "u\t1", notes: "a\tb" }).problem).toBe("sourceUserId contains a tab (U+0009), which a one-line value cannot hold");
  });
  it("escapes a payload whose key holds U+0000", () => {
    const kept = keepPayload({ "k\u0000": 1 }, {});
    expect(kept).toMatchObject({ escaped: true, problem: "k\\u0000 has a name that contains a control character (U+0000, NUL), which text cannot hold" });
    expect(JSON.parse((kept.body as { json: string }).json)).toEqual({ "k\u0000": 1 });
  });
});
