/**
 * The CSV feed of approved time: the RFC 4180 reader on its own, then the import against a
 * real database (a small firm whose CSV ids are mapped, so good rows reach the outbox).
 */
import { and, desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditLog, erpPostings, exceptions, idMappings, rawRecords, syncRuns, timeEntries } from "@/server/db/schema";
import { DomainError } from "@/server/services/errors";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { CsvParser, CsvStructureError, importTimeCsv, parseCsv, type CsvLimits, type CsvRecord } from "./csv-time";

const enc = new TextEncoder();

/** The bytes in small pieces, so records, CRLFs and multi-byte characters straddle chunks. */
async function* piecesOf(data: string | Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  const bytes = typeof data === "string" ? enc.encode(data) : data;
  for (let i = 0; i < bytes.length; i += size) yield bytes.slice(i, i + size);
}

const lines = (records: CsvRecord[]) => records.map((r) => [r.line, r.fields]);

describe("the CSV reader", () => {
  it("reads quoted values with commas, doubled quotes and line breaks, giving each record the line it starts on", () => {
    const text = 'a,b,c\n1,"x, y","say ""hi"""\n2,"two\nlines\r\nthree",z\n3,,\n';
    expect(lines(parseCsv(text))).toEqual([
      [1, ["a", "b", "c"]],
      [2, ["1", "x, y", 'say "hi"']],
      [3, ["2", "two\nlines\r\nthree", "z"]],
      [6, ["3", "", ""]],
    ]);
  });

  it("accepts CRLF, LF and lone CR line ends, skips blank lines, and needs no final line end", () => {
    expect(lines(parseCsv("a,b\r\n1,2\r\n\r\n3,4\r5,6\n7,8"))).toEqual([
      [1, ["a", "b"]],
      [2, ["1", "2"]],
      [4, ["3", "4"]],
      [5, ["5", "6"]],
      [6, ["7", "8"]],
    ]);
  });

  it("drops a byte order mark before the first column", () => {
    expect(parseCsv("\ufeffentry_id,person\n1,2\n")[0]!.fields).toEqual(["entry_id", "person"]);
  });

  it("reads the same records whatever the chunks the text arrives in", () => {
    const text = 'h1,h2\r\n"a\r\nb","c""d"\r\n\r\n"e",f\r\n';
    const whole = parseCsv(text);
    for (let size = 1; size <= text.length; size += 1) {
      const p = new CsvParser();
      const out: CsvRecord[] = [];
      for (let i = 0; i < text.length; i += size) p.push(text.slice(i, i + size), out);
      p.end(out);
      expect(out, `chunks of ${size}`).toEqual(whole);
    }
  });

  it("refuses a quote that is never closed, naming the line it opens on", () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3\n')).toThrow(new CsvStructureError('The file ends inside a quoted value that starts on line 2: a closing quote is missing.'));
  });

  it("flags stray quotes on the record instead of guessing", () => {
    const [, bad, after] = parseCsv('a,b\n1,x"y\n2,"z"w\n');
    expect(bad!.issues[0]).toMatch(/column 2 has a quote inside an unquoted value/);
    expect(after!.issues).toEqual(["column 2 has text after its closing quote"]);
  });

  it("refuses a record that grows past the bound (a runaway quote, a file of junk)", () => {
    expect(() => parseCsv(`a\n"${"x".repeat(200)}`, 100)).toThrow(/quoted value that starts on line 2 runs on for more than 100 characters/);
    expect(() => parseCsv(",".repeat(500), 100)).toThrow(/Line 1 is longer than 100 characters/);
  });
});

const HEADER = "entry_id,person,project,task,work_date,hours,billable,notes,approved_at,approved_by,bill_rate,currency";

let t: TestDatabase;
let w: World;

beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
  await t.db.insert(idMappings).values(
    (
      [
        ["project", "csv-acme", w.acme.id, w.acme.erpId],
        ["task", "csv-senior", w.senior.id, w.senior.erpItemId],
        ["user", "csv-ana", w.ana.id, w.ana.erpId],
      ] as const
    ).map(([kind, externalId, targetId, targetErpId]) => ({ sourceSystem: "csv" as const, kind, externalId, targetId, targetErpId, reason: "test", createdBy: "system:test", updatedBy: "system:test" })),
  );
}, 60_000);
afterAll(async () => {
  await t?.drop();
});

const run = (file: string | Uint8Array | AsyncIterable<Uint8Array>, dryRun: boolean, limits?: Partial<CsvLimits>, fileName = "emea-may.csv") =>
  importTimeCsv({ ctx: systemCtx(t.db, "csv-test"), input: { stream: typeof file === "string" || file instanceof Uint8Array ? piecesOf(file) : file, fileName, dryRun }, limits });

/** The sentence a refused file gets. */
async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    expect((err as DomainError).kind).toBe("invalid");
    return (err as DomainError).message;
  }
  throw new Error("the file was accepted");
}

async function counts() {
  const [row] = Array.from(
    await t.db.execute<{ entries: number; raws: number; runs: number; postings: number; exceptions: number }>(sql`
      select (select count(*)::int from time_entries) as entries, (select count(*)::int from raw_records) as raws,
             (select count(*)::int from sync_runs) as runs, (select count(*)::int from erp_postings) as postings,
             (select count(*)::int from exceptions) as exceptions`),
  );
  return row!;
}

describe("refusing a file whose structure is wrong, before anything is written", () => {
  it("names unknown, missing and repeated columns", async () => {
    expect(await refusal(run("entry_id,person,project,task,work_date,hours,billable,client\n", true))).toBe(
      `The header row names a column this import does not know: "client". The columns are: ${HEADER.split(",").join(", ")}.`,
    );
    expect(await refusal(run("Entry_ID,Person,Project,Work_Date,Hours\n", true))).toBe(
      "The header row lacks the required columns task, billable. Required columns: entry_id, person, project, task, work_date, hours, billable.",
    );
    expect(await refusal(run("entry_id,person,project,task,work_date,hours,billable,hours\n", true))).toBe('The header row names "hours" more than once.');
    expect(await refusal(run("", true))).toBe("The file is empty: it has no header row.");
  });

  it("refuses text that is not UTF-8, naming the line, but takes a byte order mark", async () => {
    const good = `${HEADER}\nU-1,csv-ana,csv-acme,csv-senior,2026-05-11,1.5,yes,Café,,,,\n`;
    const latin1 = enc.encode(good.replace("Café", "Caf\u0000"));
    latin1[latin1.indexOf(0)] = 0xe9; // "é" as Windows-1252 writes it
    const before = await counts();
    expect(await refusal(run(latin1, false))).toBe('The file is not valid UTF-8 text (the first invalid bytes are on line 2). Save it as "CSV UTF-8" and import it again.');
    expect(await counts()).toEqual(before);

    const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...enc.encode(good)]);
    const report = await run(withBom, true);
    expect(report).toMatchObject({ rows: 1, errorCount: 0, totals: { new: 1 } });
  });

  it("refuses a file over the size limit as soon as the limit is passed, without reading the rest", async () => {
    let pulled = 0;
    async function* junk() {
      for (let i = 0; i < 50 * 1024; i += 1) {
        pulled += 1;
        yield new Uint8Array(1024).fill(0x41);
      }
    }
    expect(await refusal(run(junk(), true, { maxBytes: 64 * 1024 }))).toBe("The file is larger than the 0.1 MB limit; split it into smaller files and import each.");
    expect(pulled).toBe(65);
  });

  it("refuses 50 MB of junk at once, whatever it is made of", async () => {
    let pulled = 0;
    async function* junk(byte: number) {
      pulled = 0;
      for (let i = 0; i < 50 * 1024; i += 1) {
        pulled += 1;
        yield new Uint8Array(1024).fill(byte);
      }
    }
    expect(await refusal(run(junk(0xff), false))).toMatch(/^The file is not valid UTF-8 text/);
    expect(pulled).toBe(1);
    expect(await refusal(run(junk(0x41), false))).toBe("Line 1 is longer than 100,000 characters; this does not look like a CSV of time entries.");
    expect(pulled).toBeLessThan(100);
  });

  it("refuses a file over the row limit, and an unterminated quote, and writes nothing", async () => {
    const before = await counts();
    const rows = Array.from({ length: 4 }, (_, i) => `L-${i},csv-ana,csv-acme,csv-senior,2026-05-11,1,yes,,,,,`).join("\n");
    expect(await refusal(run(`${HEADER}\n${rows}\n`, false, { maxRows: 3 }))).toBe("The file has more than 3 rows; split it into smaller files and import each.");
    expect(await refusal(run(`${HEADER}\nQ-1,csv-ana,csv-acme,csv-senior,2026-05-11,1,yes,"never closed\nQ-2,csv-ana,csv-acme,csv-senior,2026-05-12,1,yes,,,,,\n`, false))).toBe(
      "The file ends inside a quoted value that starts on line 2: a closing quote is missing.",
    );
    expect(await counts()).toEqual(before);
  });
});

describe("importing approved time", () => {
  // four good rows (one with a note spanning two lines), a row with bad values, a repeated id
  const file = [
    "Work_Date,Entry_ID,Person,Project,Task,Hours,Billable,Notes,Approved_At,Approved_By,Bill_Rate,Currency",
    "2026-05-11,A-1,csv-ana,csv-acme,csv-senior,4,yes,Design workshop,2026-05-18T09:00:00Z,Marta,180.00,usd",
    '2026-05-12,A-2,csv-ana,csv-acme,csv-senior,3.5,TRUE,"Data migration,\nday one",,,,',
    "2026-05-13,A-3,csv-ana,csv-acme,csv-senior,2.25,1,,2026-05-18T10:00:00+02:00,,,",
    "2026-05-14,A-4,csv-ana,csv-acme,csv-senior,7.25,no,,,,,",
    "2026-05-15,A-5,csv-ana,csv-acme,csv-senior,4.555,maybe,,,,,",
    "2026-05-15,A-1,csv-ana,csv-acme,csv-senior,1,yes,,,,,",
  ].join("\r\n");

  it("a dry run reports each row with its line and writes nothing", async () => {
    const before = await counts();
    const report = await run(file, true);
    expect(report).toMatchObject({ dryRun: true, rows: 6, errorCount: 2, totals: { new: 4, changed: 0, unchanged: 0, error: 2 }, run: null });
    expect(report.rowResults.map((r) => [r.line, r.entryId, r.outcome])).toEqual([
      [2, "A-1", "new"],
      [3, "A-2", "new"],
      [5, "A-3", "new"],
      [6, "A-4", "new"],
      [7, "A-5", "error"],
      [8, "A-1", "error"],
    ]);
    expect(report.errors).toEqual([
      {
        line: 7,
        entryId: "A-5",
        message:
          'hours "4.555" is not valid (expected a decimal number with a point and at most 2 decimals, e.g. 7.5); billable "maybe" is not valid (expected true/false, yes/no or 1/0).',
      },
      { line: 8, entryId: "A-1", message: 'entry_id "A-1" repeats the row on line 2; each entry may appear once in a file.' },
    ]);
    // the rules say today what validation will say after the import: all four would post
    expect(report.validation).toEqual({ wouldPost: 4, wouldBlock: 0, byCode: {} });
    expect(report.rowResults[0]!.message).toBe("A new approved entry. Passes validation: it would be posted to the ERP.");
    expect(await counts()).toEqual(before);
    const [audit] = await t.db.select().from(auditLog).where(eq(auditLog.action, "imports.time_csv.dry_run")).orderBy(desc(auditLog.id)).limit(1);
    expect(audit!.after).toMatchObject({ fileName: "emea-may.csv", rows: 6, totals: { new: 4, error: 2 } });
  });

  it("the dry run says which rows would be blocked and why: an unmapped project, hours over a day", async () => {
    const before = await counts();
    const odd = [
      "entry_id,person,project,task,work_date,hours,billable",
      "U-1,csv-ana,csv-nowhere,csv-senior,2026-05-11,2,yes",
      "U-2,csv-ana,csv-acme,csv-senior,2026-05-12,25,yes",
    ].join("\n");
    const report = await run(odd, true);
    expect(report.validation).toMatchObject({ wouldPost: 0, wouldBlock: 2, byCode: { PROJECT_UNMAPPED: 1, HOURS_INVALID: 1 } });
    expect(report.rowResults[0]).toMatchObject({ outcome: "new", validation: { ok: false, codes: ["PROJECT_UNMAPPED"] } });
    expect(report.rowResults[0]!.message).toMatch(/^A new approved entry\. Would be blocked: .*csv-nowhere.*mapping/);
    expect(await counts()).toEqual(before);
  });

  it("applying creates the entries, queues their postings, keeps the bad rows as PAYLOAD_INVALID and records the run", async () => {
    const report = await run(file, false);
    expect(report.totals).toEqual({ new: 4, changed: 0, unchanged: 0, error: 2 });
    expect(report.run).toMatchObject({ created: 4, refused: 2, validated: 4, postingsCreated: 4 });

    const entries = await t.db.select().from(timeEntries).where(eq(timeEntries.sourceSystem, "csv")).orderBy(timeEntries.sourceId);
    expect(entries.map((e) => [e.sourceId, e.hours, e.billable, e.state, e.version])).toEqual([
      ["A-1", "4.00", true, "approved", 1],
      ["A-2", "3.50", true, "approved", 1],
      ["A-3", "2.25", true, "approved", 1],
      ["A-4", "7.25", false, "approved", 1],
    ]);
    expect(entries[0]).toMatchObject({ notes: "Design workshop", approvedBy: "Marta", sourceBillRate: "180.00", sourceCurrency: "USD", approvedAt: new Date("2026-05-18T09:00:00Z") });
    expect(entries[1]!.notes).toBe("Data migration,\nday one");
    expect(entries[2]!.approvedAt).toEqual(new Date("2026-05-18T08:00:00Z"));

    const postings = await t.db.select().from(erpPostings).where(sql`${erpPostings.timeEntryId} in ${entries.map((e) => e.id)}`);
    expect(postings).toHaveLength(4);
    expect(postings.every((p) => p.kind === "create" && p.status === "pending" && p.entryVersion === 1)).toBe(true);

    // nothing received is lost: the refused rows are kept as received, each with its exception
    const invalid = await t.db.select().from(exceptions).where(and(eq(exceptions.code, "PAYLOAD_INVALID"), eq(exceptions.sourceSystem, "csv"))).orderBy(exceptions.subjectKey);
    expect(invalid.map((x) => x.subjectKey)).toEqual(["raw:csv:time_entry:A-1", "raw:csv:time_entry:A-5"]);
    expect(invalid[0]!.message).toBe('CSV feed time entry A-1 (line 8 of emea-may.csv) was refused: entry_id "A-1" repeats the row on line 2; each entry may appear once in a file.');
    expect(invalid[1]!.message).toMatch(/^CSV feed time entry A-5 was refused: .*hours/);
    const raws = await t.db.select().from(rawRecords).where(eq(rawRecords.sourceSystem, "csv"));
    expect(raws).toHaveLength(6);
    expect(raws.find((r) => (r.body as Record<string, string>).hours === "4.555")!.body).toEqual({
      work_date: "2026-05-15", entry_id: "A-5", person: "csv-ana", project: "csv-acme", task: "csv-senior", hours: "4.555", billable: "maybe", notes: "", approved_at: "", approved_by: "", bill_rate: "", currency: "",
    });

    const [runRow] = await t.db.select().from(syncRuns).where(eq(syncRuns.id, report.run!.id));
    expect(runRow).toMatchObject({ kind: "csv_import", trigger: "manual", status: "succeeded", connectorId: null, fetched: 6, created: 4, updated: 0, unchanged: 0, failed: 2 });
    expect(runRow!.details).toMatchObject({ fileName: "emea-may.csv", rows: 6, bytes: enc.encode(file).length, errorCount: 2 });
    expect((runRow!.details.errors as { line: number }[]).map((e) => e.line)).toEqual([7, 8]);
    const [audit] = await t.db.select().from(auditLog).where(and(eq(auditLog.action, "imports.time_csv"), eq(auditLog.entityId, report.run!.id)));
    expect(audit!.after).toMatchObject({ fileName: "emea-may.csv", created: 4, refused: 2 });
  });

  it("importing the same file again changes nothing and queues no new posting", async () => {
    const before = await counts();
    const check = await run(file, true);
    expect(check.totals).toEqual({ new: 0, changed: 0, unchanged: 4, error: 2 });

    const again = await run(file, false);
    expect(again.totals).toEqual({ new: 0, changed: 0, unchanged: 4, error: 2 });
    expect(again.run).toMatchObject({ created: 0, updated: 0, postingsCreated: 0 });
    const after = await counts();
    expect(after).toEqual({ ...before, runs: before.runs + 1 });
    const versions = await t.db.select({ v: timeEntries.version }).from(timeEntries).where(eq(timeEntries.sourceSystem, "csv"));
    expect(versions.every((r) => r.v === 1)).toBe(true);
  });

  it("a changed row becomes a new version, and the dry run says what changes", async () => {
    const changed = file.replace("2026-05-14,A-4,csv-ana,csv-acme,csv-senior,7.25,no", "2026-05-14,A-4,csv-ana,csv-acme,csv-senior,6,no");
    const check = await run(changed, true);
    expect(check.totals).toEqual({ new: 0, changed: 1, unchanged: 3, error: 2 });
    expect(check.rowResults.find((r) => r.entryId === "A-4")).toMatchObject({ line: 6, outcome: "changed", message: "Changed (hours 7.25 → 6.00): a new version. Passes validation: it would be posted to the ERP.", validation: { ok: true } });

    const applied = await run(changed, false);
    expect(applied.run).toMatchObject({ created: 0, updated: 1, unchanged: 3, postingsCreated: 1 });
    const [a4] = await t.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "csv"), eq(timeEntries.sourceId, "A-4")));
    expect(a4).toMatchObject({ version: 2, hours: "6.00", state: "approved" });
    const postings = await t.db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, a4!.id)).orderBy(erpPostings.entryVersion);
    expect(postings.map((p) => [p.entryVersion, p.status])).toEqual([
      [1, "superseded"],
      [2, "pending"],
    ]);
  });

  it("a change of notes alone updates the note without a new version, as the dry run says", async () => {
    // the file as last imported (A-4 at 6 h), with A-1's note reworded
    const renoted = file.replace("csv-senior,7.25,no", "csv-senior,6,no").replace("Design workshop", "Design workshop (half day)");
    const check = await run(renoted, true);
    expect(check.rowResults.find((r) => r.entryId === "A-1")).toMatchObject({ outcome: "unchanged", message: "Only the notes differ: they are updated, without a new version." });
    const applied = await run(renoted, false);
    expect(applied.run).toMatchObject({ created: 0, updated: 0, unchanged: 4, postingsCreated: 0 });
    const [a1] = await t.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "csv"), eq(timeEntries.sourceId, "A-1")));
    expect(a1).toMatchObject({ version: 1, notes: "Design workshop (half day)" });
  });

  it("a row whose field count is wrong is an error with its line, kept on import", async () => {
    const report = await run(`${HEADER}\nB-1,csv-ana,csv-acme,csv-senior,2026-05-13,1,yes,extra,comma,,,,\n`, false, undefined, "short.csv");
    expect(report.errors).toEqual([{ line: 2, entryId: "B-1", message: "The row has 13 fields, the header has 12." }]);
    expect(report.totals).toMatchObject({ error: 1, new: 0 });
    const [raw] = await t.db.select().from(rawRecords).where(and(eq(rawRecords.sourceSystem, "csv"), eq(rawRecords.sourceId, "B-1")));
    expect((raw!.body as { extra_fields: string[] }).extra_fields).toEqual([""]);
  });
});

describe("text a database cannot hold", () => {
  // a NUL in a note, an escape character in a person id, a NUL in an entry id; two good rows around them
  const file = [
    HEADER,
    "N-1,csv-ana,csv-acme,csv-senior,2026-06-01,1,yes,fine,,,,",
    "N-2,csv-ana,csv-acme,csv-senior,2026-06-02,2,yes,\"Workshop\u0000notes\",,,,",
    "N-3,csv-\u001bana,csv-acme,csv-senior,2026-06-03,3,yes,,,,,",
    "N\u00004,csv-ana,csv-acme,csv-senior,2026-06-04,4,yes,,,,,",
    "N-5,csv-ana,csv-acme,csv-senior,2026-06-05,5,yes,\"two\nlines\twith a tab\",,,,",
  ].join("\r\n");
  const expectedErrors = [
    { line: 3, entryId: "N-2", message: "notes contains a control character (U+0000, NUL), which text cannot hold (at character 9)." },
    { line: 4, entryId: "N-3", message: "person contains a control character (U+001B, ESC), which a one-line value cannot hold (at character 5)." },
    { line: 5, entryId: "N\\u00004", message: "entry_id contains a control character (U+0000, NUL), which a one-line value cannot hold (at character 2)." },
  ];

  it("the dry run reports each such row as an error, with its line", async () => {
    const before = await counts();
    const report = await run(file, true, undefined, "nul.csv");
    expect(report.totals).toEqual({ new: 2, changed: 0, unchanged: 0, error: 3 });
    expect(report.errors).toEqual(expectedErrors);
    expect(report.rowResults.filter((r) => r.outcome === "error").map((r) => r.message)).toEqual(expectedErrors.map((e) => e.message));
    expect(await counts()).toEqual(before);
  });

  it("the import keeps every row, refuses those rows as PAYLOAD_INVALID exactly as the dry run said, and completes", async () => {
    const report = await run(file, false, undefined, "nul.csv");
    expect(report.errors).toEqual(expectedErrors);
    expect(report.run).toMatchObject({ created: 2, refused: 3 });
    const [runRow] = await t.db.select().from(syncRuns).where(eq(syncRuns.id, report.run!.id));
    expect(runRow).toMatchObject({ status: "succeeded", created: 2, failed: 3 });
    expect(runRow!.details.errors).toEqual(expectedErrors);

    const entries = await t.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, "csv"), sql`${timeEntries.sourceId} like 'N-%'`)).orderBy(timeEntries.sourceId);
    expect(entries.map((e) => [e.sourceId, e.notes])).toEqual([
      ["N-1", "fine"],
      ["N-5", "two\nlines\twith a tab"],
    ]);

    // the raw rows: the one with a NUL as escaped JSON text that gives back exactly what was received
    const raw = async (sourceId: string) => (await t.db.select().from(rawRecords).where(and(eq(rawRecords.sourceSystem, "csv"), eq(rawRecords.sourceId, sourceId))))[0]!;
    const n2 = (await raw("N-2")).body as { escaped: boolean; why: string; json: string };
    expect(n2.escaped).toBe(true);
    expect(n2.why).toMatch(/U\+0000 in notes/);
    expect(JSON.parse(n2.json)).toMatchObject({ entry_id: "N-2", notes: "Workshop\u0000notes" });
    // jsonb holds U+001B: that row is kept as it came
    expect((await raw("N-3")).body).toMatchObject({ entry_id: "N-3", person: "csv-\u001bana" });
    const n4 = (await raw("N\\u00004")).body as { json: string };
    expect(JSON.parse(n4.json)).toMatchObject({ entry_id: "N\u00004" });

    const refused = await t.db.select().from(exceptions).where(and(eq(exceptions.code, "PAYLOAD_INVALID"), sql`${exceptions.subjectKey} in ('raw:csv:time_entry:N-2', 'raw:csv:time_entry:N-3', 'raw:csv:time_entry:N\\u00004')`)).orderBy(exceptions.subjectKey);
    expect(refused).toHaveLength(3);
    expect(refused.find((x) => x.subjectKey === "raw:csv:time_entry:N-2")!.message).toBe(
      "CSV feed time entry N-2 (line 3 of nul.csv) was refused: notes contains a control character (U+0000, NUL), which text cannot hold (at character 9). The payload as received is kept escaped (as JSON text) in its lineage.",
    );
  });

  it("the same file again changes nothing", async () => {
    const before = await counts();
    const again = await run(file, false, undefined, "nul.csv");
    expect(again.run).toMatchObject({ created: 0, updated: 0, refused: 3 });
    expect(await counts()).toEqual({ ...before, runs: before.runs + 1 });
  });

  it("a file name with a control character is named with it escaped", async () => {
    const report = await run(`${HEADER}\nF-1,csv-ana,csv-acme,csv-senior,2026-06-06,1,yes,,,,,\n`, false, undefined, "may\u0000.csv");
    expect(report.fileName).toBe("may\\u0000.csv");
    const [runRow] = await t.db.select().from(syncRuns).where(eq(syncRuns.id, report.run!.id));
    expect(runRow).toMatchObject({ status: "succeeded", details: { fileName: "may\\u0000.csv" } });
  });
});

describe("an import that fails midway", () => {
  it("ends its run failed with the reason, never leaving it running", async () => {
    // a fault in the database itself, for one entry id: the chunk holding it cannot be written
    await t.db.execute(sql`create function test_refuse_boom() returns trigger language plpgsql as $$
      begin if new.source_id = 'BOOM' then raise exception 'the disk is full (a test fault)'; end if; return new; end $$`);
    await t.db.execute(sql`create trigger test_refuse_boom before insert on time_entries for each row execute function test_refuse_boom()`);
    try {
      const file = `${HEADER}\nX-1,csv-ana,csv-acme,csv-senior,2026-06-07,1,yes,,,,,\nBOOM,csv-ana,csv-acme,csv-senior,2026-06-08,1,yes,,,,,\n`;
      await expect(run(file, false, undefined, "boom.csv")).rejects.toThrow();
      const [runRow] = await t.db.select().from(syncRuns).where(sql`${syncRuns.details}->>'fileName' = 'boom.csv'`);
      expect(runRow).toMatchObject({ kind: "csv_import", status: "failed", created: 0 });
      expect(runRow!.finishedAt).toBeInstanceOf(Date);
      expect(runRow!.error).toMatch(/^The import stopped after 0 row\(s\): .*the disk is full \(a test fault\)/);
      expect(await t.db.$count(syncRuns, eq(syncRuns.status, "running"))).toBe(0);
    } finally {
      await t.db.execute(sql`drop trigger test_refuse_boom on time_entries`);
      await t.db.execute(sql`drop function test_refuse_boom()`);
    }
  });
});
