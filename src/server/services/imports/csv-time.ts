import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import Big from "big.js";
import { and, eq, inArray, sql } from "drizzle-orm";
import { SUBJECTS } from "@/sync/rules/types";
import { withTx, type Db, type Tx } from "../../db/client";
import { rawRecords, syncRuns, timeEntries } from "../../db/schema";
import { payloadHash, timeEntryMaterialHash } from "../../domain/idempotency";
import { writeAudit } from "../audit/write";
import { logOf, type ServiceCtx } from "../context";
import { ingestTimeEntries, type IngestItem } from "../entries/ingest";
import { canonicalTimeEntry, type CanonicalTimeEntry } from "../entries/schemas";
import { invalid } from "../errors";
import { raiseException } from "../exceptions/raise";
import { validateEntries } from "../validation/validate-entries";
import { loadLookupData } from "../validation/load-lookups";
import { buildLookups } from "@/sync/rules/lookups";
import { validateBatch } from "@/sync/rules/validate";
import type { EntryForValidation } from "@/sync/rules/types";
import { env } from "@/env";
import { controlProblem, escapeControls, findControl } from "@/lib/control-chars";
import { escapedNote, keepPayload, storableId } from "../entries/raw-payload";
import { randomUUID } from "node:crypto";

/* ------------------------------------------------------------------------------------------
 * RFC 4180 parsing, fed text as it arrives
 * ---------------------------------------------------------------------------------------- */

/** One record of the file: the physical line it starts on, its fields, and what is wrong with its quoting. */
export type CsvRecord = { line: number; fields: string[]; issues: string[] };

/** A problem with the file's structure: nothing after it can be read reliably. */
export class CsvStructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CsvStructureError";
  }
}

type ParserState = "fieldStart" | "unquoted" | "quoted" | "quoteInQuoted";

/**
 * An incremental RFC 4180 reader: comma-separated fields, fields in double quotes may hold
 * commas, line breaks and doubled quotes; records end with CRLF, LF or a lone CR. Text is
 * pushed as it is decoded and whole records come out, each with the physical line (1-based)
 * it starts on. Blank lines are skipped. Only one record is ever held, and it is bounded.
 */
export class CsvParser {
  private state: ParserState = "fieldStart";
  private fields: string[] = [];
  private field = "";
  private issues: string[] = [];
  /** the physical line being read */
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private touched = false;
  private recordChars = 0;
  /** a CR was the last character: an LF right after it belongs to the same line break */
  private afterCR = false;
  private started = false;

  /** `what`: what the file should be, for the refusal of a runaway line ("a CSV of time entries") */
  constructor(
    private readonly maxRecordChars = 100_000,
    private readonly what = "a CSV of time entries",
  ) {}

  /** The physical line the reader has reached. */
  get currentLine(): number {
    return this.line;
  }

  push(text: string, out: CsvRecord[]): void {
    let i = 0;
    if (!this.started && text.length > 0) {
      this.started = true;
      // a byte order mark is not part of the first column's name
      if (text.charCodeAt(0) === 0xfeff) i = 1;
    }
    const n = text.length;
    while (i < n) {
      const c = text.charCodeAt(i);

      if (c === 10 /* LF */ && this.afterCR) {
        // the second half of a CRLF: the line was already counted (and the record ended)
        this.afterCR = false;
        if (this.state === "quoted") this.append("\n");
        i += 1;
        continue;
      }
      this.afterCR = false;

      if (this.state === "quoted") {
        // copy a run of ordinary characters at once
        let j = i;
        while (j < n) {
          const d = text.charCodeAt(j);
          if (d === 34 || d === 10 || d === 13) break;
          j += 1;
        }
        if (j > i) {
          this.append(text.slice(i, j));
          i = j;
          continue;
        }
        if (c === 34 /* " */) {
          this.state = "quoteInQuoted";
        } else {
          // a line break inside quotes is part of the field
          this.append(c === 13 ? "\r" : "\n");
          this.line += 1;
          if (c === 13) this.afterCR = true;
        }
        i += 1;
        continue;
      }

      if (c === 10 || c === 13) {
        if (c === 13) this.afterCR = true;
        this.endRecord(out);
        this.line += 1;
        i += 1;
        continue;
      }

      this.touch();
      if (c === 44 /* , */) {
        this.grow(1);
        this.fields.push(this.field);
        this.field = "";
        this.state = "fieldStart";
        i += 1;
        continue;
      }

      switch (this.state) {
        case "fieldStart":
          if (c === 34) {
            this.state = "quoted";
            this.quoteLine = this.line;
            i += 1;
          } else {
            this.state = "unquoted";
          }
          continue;
        case "quoteInQuoted":
          if (c === 34) {
            this.append('"');
            this.state = "quoted";
          } else {
            this.issue(`column ${this.fields.length + 1} has text after its closing quote`);
            this.append(text[i]!);
            this.state = "unquoted";
          }
          i += 1;
          continue;
        case "unquoted": {
          let j = i;
          while (j < n) {
            const d = text.charCodeAt(j);
            if (d === 44 || d === 10 || d === 13) break;
            if (d === 34) this.issue(`column ${this.fields.length + 1} has a quote inside an unquoted value (a value with quotes must be enclosed in quotes, each quote doubled)`);
            j += 1;
          }
          this.append(text.slice(i, j));
          i = j;
          continue;
        }
      }
    }
  }

  /** The end of the text: the last record, or the refusal of a quote never closed. */
  end(out: CsvRecord[]): void {
    if (this.state === "quoted") {
      throw new CsvStructureError(`The file ends inside a quoted value that starts on line ${this.quoteLine}: a closing quote is missing.`);
    }
    this.endRecord(out);
  }

  private touch() {
    if (!this.touched) {
      this.touched = true;
      this.recordLine = this.line;
    }
  }

  private append(s: string) {
    this.touch();
    this.grow(s.length);
    this.field += s;
  }

  /** Keeps one record within bounds: a runaway quote or a file of junk is refused, not buffered. */
  private grow(chars: number) {
    this.recordChars += chars;
    if (this.recordChars > this.maxRecordChars) {
      throw new CsvStructureError(
        this.state === "quoted"
          ? `The quoted value that starts on line ${this.quoteLine} runs on for more than ${this.maxRecordChars.toLocaleString("en-US")} characters: a closing quote is probably missing.`
          : `Line ${this.recordLine} is longer than ${this.maxRecordChars.toLocaleString("en-US")} characters; this does not look like ${this.what}.`,
      );
    }
  }

  private issue(message: string) {
    if (!this.issues.includes(message)) this.issues.push(message);
  }

  private endRecord(out: CsvRecord[]) {
    if (this.touched) {
      this.fields.push(this.field);
      out.push({ line: this.recordLine, fields: this.fields, issues: this.issues });
    }
    this.fields = [];
    this.field = "";
    this.issues = [];
    this.state = "fieldStart";
    this.touched = false;
    this.recordChars = 0;
  }
}

/** Parses a whole CSV text at once (for small inputs and tests). */
export function parseCsv(text: string, maxRecordChars?: number): CsvRecord[] {
  const parser = new CsvParser(maxRecordChars);
  const out: CsvRecord[] = [];
  parser.push(text, out);
  parser.end(out);
  return out;
}

/* ------------------------------------------------------------------------------------------
 * The columns of the regional offices' file of approved time
 * ---------------------------------------------------------------------------------------- */

const REQUIRED = ["entry_id", "person", "project", "task", "work_date", "hours", "billable"] as const;
const OPTIONAL = ["notes", "approved_at", "approved_by", "bill_rate", "currency"] as const;
export const CSV_COLUMNS = [...REQUIRED, ...OPTIONAL] as const;
type Column = (typeof CSV_COLUMNS)[number];

const TRUE = new Set(["true", "yes", "1"]);
const FALSE = new Set(["false", "no", "0"]);
const HOURS = /^\d+(\.\d{1,2})?$/;
const RATE = /^\d+(\.\d{1,2})?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function realDate(s: string): boolean {
  if (!DATE.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** A value as a message quotes it: at most 40 characters, a character text cannot hold written as an escape. */
const shown = (v: string) => `"${escapeControls(v.length > 40 ? v.slice(0, 40) : v, false)}${v.length > 40 ? "…" : ""}"`;

/** Only notes may span lines (or hold tabs); every other column is one value on one line. */
const MULTILINE: readonly Column[] = ["notes"];

/**
 * The first column whose value holds a character text cannot hold (U+0000 above all, which
 * PostgreSQL refuses; in a one-line column also tabs and line breaks, once trimmed away
 * at its ends), as the row's problem.
 */
function controlProblemOf(fields: string[], columns: Column[]): string | null {
  for (const [i, c] of columns.entries()) {
    if (i >= fields.length) break;
    const multiline = MULTILINE.includes(c);
    const v = multiline ? fields[i]! : fields[i]!.trim();
    const hit = findControl(v, multiline);
    if (hit) return `${c} ${controlProblem(hit, multiline)} (at character ${hit.index + 1})`;
  }
  for (const extra of fields.slice(columns.length)) {
    const hit = findControl(extra, true);
    if (hit) return `a field after the last column ${controlProblem(hit)}`;
  }
  return null;
}

/** Reads the header row: the columns by position, or the refusal naming what is wrong. */
function readHeader(record: CsvRecord): Column[] {
  const names = record.fields.map((f) => f.trim().toLowerCase());
  if (record.issues.length) throw new CsvStructureError(`The header row (line ${record.line}) is not valid CSV: ${record.issues.join("; ")}.`);
  const unknown = names.filter((n) => !(CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length) {
    const list = unknown.map((n) => (n === "" ? "(an empty column name)" : `"${escapeControls(n, false)}"`)).join(", ");
    throw new CsvStructureError(
      `The header row names ${unknown.length === 1 ? "a column" : "columns"} this import does not know: ${list}. The columns are: ${CSV_COLUMNS.join(", ")}.`,
    );
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length) throw new CsvStructureError(`The header row names ${[...new Set(repeated)].map((n) => `"${n}"`).join(", ")} more than once.`);
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length) {
    throw new CsvStructureError(`The header row lacks the required ${missing.length === 1 ? "column" : "columns"} ${missing.join(", ")}. Required columns: ${REQUIRED.join(", ")}.`);
  }
  return names as Column[];
}

/** A data row, checked: its canonical entry when it is good, else what is wrong with it. */
export type CheckedRow = {
  line: number;
  entryId: string | null;
  /** the row as received, by column name: what raw_records keeps */
  payload: Record<string, unknown>;
  /** the canonical entry (valid rows), or its reading with the faulty values as received (bad values) */
  entry: Record<string, unknown>;
  problems: string[];
  /**
   * ok: a valid entry; value: a value the canonical schema refuses (ingest keeps and refuses it);
   * row: the row itself is wrong (field count, quoting, a repeated entry id)
   */
  kind: "ok" | "value" | "row";
};

/** Checks one data row against the header; `seen` holds the entry ids met so far (id → line). */
function checkRow(record: CsvRecord, columns: Column[], seen: Map<string, number>): CheckedRow {
  const { line, fields } = record;
  const payload: Record<string, unknown> = {};
  columns.forEach((c, i) => {
    if (i < fields.length) payload[c] = fields[i];
  });
  if (fields.length > columns.length) payload.extra_fields = fields.slice(columns.length);

  const rowProblems: string[] = [...record.issues];
  if (fields.length !== columns.length) {
    rowProblems.unshift(`the row has ${fields.length} ${fields.length === 1 ? "field" : "fields"}, the header has ${columns.length}`);
  }
  const get = (c: Column): string => {
    const i = columns.indexOf(c);
    return i >= 0 && i < fields.length ? fields[i]! : "";
  };
  const trimmed = (c: Column) => get(c).trim();

  const controlled = controlProblemOf(fields, columns);
  if (controlled) rowProblems.push(controlled);
  // named in messages and kept as the raw record's source id: a character text cannot hold is escaped
  const entryId = escapeControls(trimmed("entry_id"), false) || null;
  if (entryId) {
    const first = seen.get(entryId);
    if (first !== undefined) rowProblems.push(`entry_id "${entryId}" repeats the row on line ${first}; each entry may appear once in a file`);
    else seen.set(entryId, line);
  }

  const problems: string[] = [];
  const entry: Record<string, unknown> = {
    sourceId: entryId ?? "",
    sourceUserId: trimmed("person"),
    sourceProjectId: trimmed("project"),
    sourceTaskId: trimmed("task"),
    workDate: trimmed("work_date"),
    hours: trimmed("hours"),
    billable: trimmed("billable"),
    notes: get("notes") === "" ? null : get("notes"),
    status: "approved",
    submittedAt: null,
    approvedAt: trimmed("approved_at") || null,
    approvedBy: trimmed("approved_by") || null,
    sourceBillRate: trimmed("bill_rate") || null,
    sourceCurrency: trimmed("currency").toUpperCase() || null,
    deleted: false,
  };

  for (const [c, what] of [
    ["entry_id", "the legacy system's id of the entry"],
    ["person", "the person's id"],
    ["project", "the project's id"],
    ["task", "the task's id"],
  ] as const) {
    const v = trimmed(c);
    if (!v) problems.push(`${c} is empty (expected ${what})`);
    else if (v.length > 100) problems.push(`${c} is longer than 100 characters`);
  }

  const workDate = trimmed("work_date");
  if (!realDate(workDate)) problems.push(workDate ? `work_date ${shown(workDate)} is not a date (expected YYYY-MM-DD)` : "work_date is empty (expected YYYY-MM-DD)");

  const hours = trimmed("hours");
  if (!HOURS.test(hours)) {
    problems.push(hours ? `hours ${shown(hours)} is not valid (expected a decimal number with a point and at most 2 decimals, e.g. 7.5)` : "hours is empty (expected a decimal number, e.g. 7.5)");
  } else if (Number(hours) > 9999) {
    problems.push(`hours ${shown(hours)} is more than 9999`);
  }

  const billable = trimmed("billable").toLowerCase();
  if (TRUE.has(billable)) entry.billable = true;
  else if (FALSE.has(billable)) entry.billable = false;
  else problems.push(billable ? `billable ${shown(trimmed("billable"))} is not valid (expected true/false, yes/no or 1/0)` : "billable is empty (expected true/false, yes/no or 1/0)");

  const approvedAt = trimmed("approved_at");
  if (approvedAt && (!DATETIME.test(approvedAt) || Number.isNaN(Date.parse(approvedAt)))) {
    problems.push(`approved_at ${shown(approvedAt)} is not valid (expected an ISO date-time with a time zone, e.g. 2026-05-18T09:00:00Z)`);
  }
  if (trimmed("approved_by").length > 200) problems.push("approved_by is longer than 200 characters");
  if (get("notes").length > 10_000) problems.push("notes is longer than 10,000 characters");

  const rate = trimmed("bill_rate");
  const currency = trimmed("currency");
  if (rate && !RATE.test(rate)) problems.push(`bill_rate ${shown(rate)} is not valid (expected a decimal number with at most 2 decimals)`);
  if (currency && !/^[A-Za-z]{3}$/.test(currency)) problems.push(`currency ${shown(currency)} is not valid (expected a 3-letter code such as USD)`);
  if (rate && !currency) {
    problems.push("bill_rate is given without a currency (expected both or neither)");
    // an empty currency is what the canonical schema refuses, so ingest refuses the row too
    entry.sourceCurrency = "";
  }
  if (currency && !rate) {
    problems.push("currency is given without a bill_rate (expected both or neither)");
    entry.sourceBillRate = "";
  }

  // with the wrong number of fields the values are out of place: their own faults say nothing more
  if (fields.length !== columns.length) return { line, entryId, payload, entry, problems: rowProblems, kind: "row" };
  if (rowProblems.length) return { line, entryId, payload, entry, problems: [...rowProblems, ...problems], kind: "row" };
  const parsed = canonicalTimeEntry.safeParse(entry);
  if (problems.length === 0 && parsed.success) return { line, entryId, payload, entry: parsed.data, problems, kind: "ok" };
  if (problems.length === 0 && !parsed.success) problems.push(...parsed.error.issues.map((i) => i.message));
  // a value refused here must be refused by ingest too; if the schema would let it through, the row is refused as a whole
  return { line, entryId, payload, entry, problems, kind: parsed.success ? "row" : "value" };
}

/* ------------------------------------------------------------------------------------------
 * Reading the stream
 * ---------------------------------------------------------------------------------------- */

export type CsvLimits = { maxBytes: number; maxRows: number; maxRecordChars: number };
export const DEFAULT_LIMITS: CsvLimits = { maxBytes: 50 * 1024 * 1024, maxRows: 1_000_000, maxRecordChars: 100_000 };

const megabytes = (n: number) => `${Number((n / (1024 * 1024)).toFixed(1)).toLocaleString("en-US")} MB`;

/** A sentence for a file over the size limit (the HTTP route uses it too). */
export const tooLargeMessage = (limits: Pick<CsvLimits, "maxBytes">) =>
  `The file is larger than the ${megabytes(limits.maxBytes)} limit; split it into smaller files and import each.`;

/**
 * Decodes and parses the stream, calling `onRow` for each checked data row (in order). Refuses,
 * with a CsvStructureError, a file over the size or row limit, text that is not UTF-8, a bad
 * header, an unterminated quote. `onBytes` sees every chunk as received (to keep a copy).
 */
async function scan(
  stream: AsyncIterable<Uint8Array>,
  limits: CsvLimits,
  onRow: (row: CheckedRow) => Promise<void> | void,
  onBytes?: (chunk: Uint8Array) => Promise<void>,
): Promise<{ bytes: number; rows: number }> {
  const seen = new Map<string, number>();
  let columns: Column[] = [];
  return scanCsv(
    stream,
    limits,
    {
      header: (record) => {
        columns = readHeader(record);
      },
      row: (record) => onRow(checkRow(record, columns, seen)),
    },
    onBytes,
  );
}

/**
 * What every CSV import shares: decodes the stream as UTF-8 and parses it as it arrives,
 * handing the header record to `header` (which may refuse it by throwing) and each data
 * record to `row`, in order. Refuses, with a CsvStructureError, a file over the size or row
 * limit, a spreadsheet workbook, text that is not UTF-8, an unterminated quote, an empty
 * file. `onBytes` sees every chunk as received (to keep a copy).
 */
export async function scanCsv(
  stream: AsyncIterable<Uint8Array>,
  limits: CsvLimits,
  handlers: { header: (record: CsvRecord) => void; row: (record: CsvRecord) => Promise<void> | void; what?: string },
  onBytes?: (chunk: Uint8Array) => Promise<void>,
): Promise<{ bytes: number; rows: number }> {
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const parser = new CsvParser(limits.maxRecordChars, handlers.what);
  let headerSeen = false;
  let bytes = 0;
  let rows = 0;
  const out: CsvRecord[] = [];

  const drain = async () => {
    for (const record of out) {
      if (!headerSeen) {
        handlers.header(record);
        headerSeen = true;
        continue;
      }
      rows += 1;
      if (rows > limits.maxRows) {
        throw new CsvStructureError(`The file has more than ${limits.maxRows.toLocaleString("en-US")} rows; split it into smaller files and import each.`);
      }
      await handlers.row(record);
    }
    out.length = 0;
  };

  const decode = (chunk: Uint8Array | undefined) => {
    try {
      return chunk ? decoder.decode(chunk, { stream: true }) : decoder.decode();
    } catch {
      // where: the lines read so far, plus those before the first undecodable byte of this chunk
      const loose = chunk ? new TextDecoder("utf-8").decode(chunk) : "";
      const bad = loose.indexOf("\ufffd");
      const before = bad > 0 ? loose.slice(0, bad).split(/\r\n|\r|\n/).length - 1 : 0;
      throw new CsvStructureError(
        `The file is not valid UTF-8 text (the first invalid bytes are on line ${parser.currentLine + before}). Save it as "CSV UTF-8" and import it again.`,
      );
    }
  };

  for await (const chunk of stream) {
    if (bytes === 0 && chunk[0] === 0x50 && chunk[1] === 0x4b && chunk[2] === 0x03 && chunk[3] === 0x04) {
      throw new CsvStructureError('This is a spreadsheet workbook (or another zip archive), not a CSV file. Save it as "CSV UTF-8" and import that.');
    }
    bytes += chunk.byteLength;
    if (bytes > limits.maxBytes) throw new CsvStructureError(tooLargeMessage(limits));
    if (onBytes) await onBytes(chunk);
    parser.push(decode(chunk), out);
    await drain();
  }
  parser.push(decode(undefined), out);
  parser.end(out);
  await drain();
  if (!headerSeen) throw new CsvStructureError("The file is empty: it has no header row.");
  return { bytes, rows };
}

/** Gathers items in batches of `size`, calling `flush` for each full batch and, at the end, the rest. */
function batcher<T>(size: number, flush: (batch: T[]) => Promise<void>) {
  let batch: T[] = [];
  return {
    async add(item: T) {
      batch.push(item);
      if (batch.length >= size) {
        const b = batch;
        batch = [];
        await flush(b);
      }
    },
    async done() {
      if (batch.length) {
        const b = batch;
        batch = [];
        await flush(b);
      }
    },
  };
}

/* ------------------------------------------------------------------------------------------
 * The import
 * ---------------------------------------------------------------------------------------- */

export type RowOutcome = "new" | "changed" | "unchanged" | "error";
export type RowResult = {
  line: number;
  entryId: string | null;
  outcome: RowOutcome;
  message: string | null;
  /** dry run, rows that would be approved at a new version: what validation would decide today */
  validation?: { ok: true } | { ok: false; codes: string[]; reason: string };
};
export type LineError = { line: number; entryId: string | null; message: string };

export type CsvImportReport = {
  dryRun: boolean;
  fileName: string;
  bytes: number;
  rows: number;
  totals: Record<RowOutcome, number>;
  /** dry run: of the new and changed rows, how many would pass validation and be posted, how many be blocked (by code) */
  validation: { wouldPost: number; wouldBlock: number; byCode: Record<string, number> };
  /** dry run: what would happen to each row, in file order (the first ROW_RESULTS_SHOWN) */
  rowResults: RowResult[];
  rowResultsTruncated: boolean;
  /** the first ERRORS_SHOWN row errors, in file order */
  errors: LineError[];
  errorCount: number;
  /** apply: the sync run and what it did */
  run: null | {
    id: string;
    created: number;
    updated: number;
    corrected: number;
    /** changes to entries already invoiced: each raised CHANGED_AFTER_INVOICE instead */
    changedAfterInvoice: number;
    unchanged: number;
    refused: number;
    validated: number;
    postingsCreated: number;
    exceptionsRaised: number;
  };
};

export const ERRORS_SHOWN = 200;
export const ROW_RESULTS_SHOWN = 1000;
const CHUNK = 500;
const SOURCE = "csv" as const;

const lineError = (row: CheckedRow): LineError => ({ line: row.line, entryId: row.entryId, message: sentence(row.problems.join("; ")) });
/** A row's problems as one sentence; one that starts with a column keeps the column as the file spells it. */
const sentence = (s: string) => {
  if (!s) return s;
  const first = s.split(/\s/, 1)[0]!;
  return (CSV_COLUMNS as readonly string[]).includes(first) ? `${s}.` : `${s[0]!.toUpperCase()}${s.slice(1)}.`;
};

/**
 * Imports a regional office's CSV of approved time (DESIGN §1, legacy feed), read as a stream.
 * A file whose structure is wrong (header, encoding, quoting, size) is refused whole with a
 * sentence naming the problem, before anything is written. A dry run reports, without
 * writing, what each row would do. Applying keeps every row as received (raw_records),
 * ingests the rows 500 to a transaction (a row with bad values becomes PAYLOAD_INVALID; the
 * same file again changes nothing), validates what it approved, and records a sync run.
 */
export async function importTimeCsv({
  ctx,
  input,
  limits: given,
}: {
  ctx: ServiceCtx & { db: Db };
  input: { stream: AsyncIterable<Uint8Array>; fileName: string; dryRun: boolean };
  limits?: Partial<CsvLimits>;
}): Promise<CsvImportReport> {
  const limits = { ...DEFAULT_LIMITS, ...given };
  const fileName = escapeControls(input.fileName.trim(), false).slice(0, 200) || "upload.csv";
  try {
    return input.dryRun ? await dryRun(ctx, input.stream, fileName, limits) : await apply(ctx, input.stream, fileName, limits);
  } catch (err) {
    if (err instanceof CsvStructureError) throw invalid(err.message);
    throw err;
  }
}

function emptyReport(dryRun: boolean, fileName: string): CsvImportReport {
  return {
    dryRun,
    fileName,
    bytes: 0,
    rows: 0,
    totals: { new: 0, changed: 0, unchanged: 0, error: 0 },
    validation: { wouldPost: 0, wouldBlock: 0, byCode: {} },
    rowResults: [],
    rowResultsTruncated: false,
    errors: [],
    errorCount: 0,
    run: null,
  };
}

function noteError(report: CsvImportReport, row: CheckedRow) {
  report.errorCount += 1;
  if (report.errors.length < ERRORS_SHOWN) report.errors.push(lineError(row));
}

/** What ingest would do with a valid row, given the entry already held for its source id. */
function predict(e: CanonicalTimeEntry, current: typeof timeEntries.$inferSelect | undefined): { outcome: RowOutcome; message: string | null } {
  if (!current) return { outcome: "new", message: "A new approved entry." };
  if (current.state === "void") return { outcome: "unchanged", message: "The entry was voided earlier; it stays void." };
  const changed = current.contentHash !== timeEntryMaterialHash(e);
  if (changed) {
    const what = [
      current.workDate !== e.workDate && `work date ${current.workDate} → ${e.workDate}`,
      current.hours !== new Big(e.hours).toFixed(2) && `hours ${current.hours} → ${new Big(e.hours).toFixed(2)}`,
      current.billable !== e.billable && `billable ${current.billable ? "yes" : "no"} → ${e.billable ? "yes" : "no"}`,
      current.sourceUserId !== e.sourceUserId && `person ${current.sourceUserId} → ${e.sourceUserId}`,
      current.sourceProjectId !== e.sourceProjectId && `project ${current.sourceProjectId} → ${e.sourceProjectId}`,
      current.sourceTaskId !== e.sourceTaskId && `task ${current.sourceTaskId} → ${e.sourceTaskId}`,
    ].filter(Boolean);
    const detail = what.length ? ` (${what.join(", ")})` : "";
    if (current.state === "billed") return { outcome: "changed", message: `Already invoiced: the change${detail} raises a CHANGED_AFTER_INVOICE exception instead.` };
    if (current.state === "posted") return { outcome: "changed", message: `Changed${detail}: a new version; the posted one is reversed in the ERP and reposted.` };
    return { outcome: "changed", message: `Changed${detail}: a new version.` };
  }
  if (current.state === "submitted" || current.state === "rejected") return { outcome: "changed", message: `Was ${current.state}; becomes approved.` };
  // ingest counts a change of notes alone as unchanged: notes are not material, no new version
  if ((e.notes ?? null) !== current.notes) return { outcome: "unchanged", message: "Only the notes differ: they are updated, without a new version." };
  return { outcome: "unchanged", message: null };
}

type Judged = { row: CheckedRow; current: typeof timeEntries.$inferSelect | undefined; result: RowResult };

/**
 * The rules, run on the rows that would become approved entries at a new version, exactly as
 * validation would run them after the import (same lookups, same batch rules), writing
 * nothing: the dry run says which rows would post and which would be blocked, and why.
 */
async function judge(ctx: ServiceCtx & { db: Db }, judged: Judged[], report: CsvImportReport) {
  const pending = judged.filter((j) => j.result.outcome === "new" || (j.result.outcome === "changed" && j.current?.state !== "billed"));
  if (pending.length === 0) return;
  const batch: EntryForValidation[] = pending.map(({ row, current }) => {
    const e = row.entry as CanonicalTimeEntry;
    const changed = current ? current.contentHash !== timeEntryMaterialHash(e) : true;
    return {
      id: current?.id ?? randomUUID(),
      sourceSystem: SOURCE,
      sourceId: e.sourceId,
      version: current ? current.version + (changed ? 1 : 0) : 1,
      state: "approved",
      workDate: e.workDate,
      hours: new Big(e.hours).toFixed(2),
      billable: e.billable,
      sourceUserId: e.sourceUserId,
      sourceProjectId: e.sourceProjectId,
      sourceTaskId: e.sourceTaskId,
      sourceBillRate: e.sourceBillRate,
      sourceCurrency: e.sourceCurrency,
    };
  });
  const verdicts = validateBatch(batch, buildLookups(await loadLookupData(ctx.db, batch, env.REPORTING_CURRENCY)));
  for (const [i, v] of verdicts.entries()) {
    const r = pending[i]!.result;
    if (v.ok) {
      r.validation = { ok: true };
      report.validation.wouldPost += 1;
      r.message = `${r.message ?? ""} Passes validation: it would be posted to the ERP.`.trim();
      continue;
    }
    const codes = [...new Set(v.failures.map((f) => f.code))];
    for (const c of codes) report.validation.byCode[c] = (report.validation.byCode[c] ?? 0) + 1;
    report.validation.wouldBlock += 1;
    const first = v.failures[0]!.message;
    const reason = v.failures.length > 1 ? `${first.replace(/\.$/, "")} (and ${v.failures.length - 1} more).` : first;
    r.validation = { ok: false, codes, reason };
    r.message = `${r.message ?? ""} Would be blocked: ${reason}`.trim();
  }
}

async function dryRun(ctx: ServiceCtx & { db: Db }, stream: AsyncIterable<Uint8Array>, fileName: string, limits: CsvLimits): Promise<CsvImportReport> {
  const report = emptyReport(true, fileName);
  const record = (r: RowResult) => {
    report.totals[r.outcome] += 1;
    if (report.rowResults.length < ROW_RESULTS_SHOWN) report.rowResults.push(r);
    else report.rowResultsTruncated = true;
  };
  const chunks = batcher<CheckedRow>(CHUNK, async (batch) => {
    const ids = batch.filter((r) => r.kind === "ok").map((r) => r.entryId!);
    const existing = ids.length
      ? await ctx.db.select().from(timeEntries).where(and(eq(timeEntries.sourceSystem, SOURCE), inArray(timeEntries.sourceId, ids)))
      : [];
    const bySourceId = new Map(existing.map((e) => [e.sourceId, e]));
    const results: Judged[] = [];
    for (const row of batch) {
      if (row.kind !== "ok") {
        noteError(report, row);
        results.push({ row, current: undefined, result: { line: row.line, entryId: row.entryId, outcome: "error", message: lineError(row).message } });
        continue;
      }
      results.push({ row, current: bySourceId.get(row.entryId!), result: { line: row.line, entryId: row.entryId, ...predict(row.entry as CanonicalTimeEntry, bySourceId.get(row.entryId!)) } });
    }
    await judge(ctx, results, report);
    for (const r of results) record(r.result);
  });
  const { bytes, rows } = await scan(stream, limits, (row) => chunks.add(row));
  await chunks.done();
  report.bytes = bytes;
  report.rows = rows;

  await writeAudit(ctx, {
    action: "imports.time_csv.dry_run",
    entityType: "imports",
    entityId: null,
    after: { fileName, bytes, rows, totals: report.totals, errorCount: report.errorCount },
  });
  return report;
}

async function apply(ctx: ServiceCtx & { db: Db }, stream: AsyncIterable<Uint8Array>, fileName: string, limits: CsvLimits): Promise<CsvImportReport> {
  // First pass: read the whole file, keeping a copy on disk, and refuse it before writing
  // anything if its structure is wrong. Second pass: import from the copy.
  const dir = await mkdtemp(path.join(tmpdir(), "hourbridge-import-"));
  const copyPath = path.join(dir, "upload.csv");
  try {
    const report = emptyReport(false, fileName);
    const copy = await open(copyPath, "w");
    try {
      const { bytes, rows } = await scan(
        stream,
        limits,
        (row) => (row.kind === "ok" ? undefined : noteError(report, row)),
        async (chunk) => {
          await copy.write(chunk);
        },
      );
      report.bytes = bytes;
      report.rows = rows;
    } finally {
      await copy.close();
    }
    return await importCopy(ctx, copyPath, report, limits);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function importCopy(ctx: ServiceCtx & { db: Db }, copyPath: string, report: CsvImportReport, limits: CsvLimits): Promise<CsvImportReport> {
  const db = ctx.db;
  const actorLabel = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  const [run] = await db
    .insert(syncRuns)
    .values({ connectorId: null, kind: "csv_import", trigger: "manual", correlationId: ctx.correlationId, details: { fileName: report.fileName, bytes: report.bytes, rows: report.rows } })
    .returning({ id: syncRuns.id });
  const runId = run!.id;
  const summary = { id: runId, created: 0, updated: 0, corrected: 0, changedAfterInvoice: 0, unchanged: 0, refused: 0, validated: 0, postingsCreated: 0, exceptionsRaised: 0 };
  let chunksDone = 0;

  const chunks = batcher<CheckedRow>(CHUNK, async (batch) => {
    const toValidate = await withTx(db, async (tx) => {
      const items: IngestItem[] = batch.filter((r) => r.kind !== "row").map((r) => ({ payload: r.payload, entry: r.entry }));
      const result = await ingestTimeEntries({ ctx: { ...ctx, db: tx }, input: { sourceSystem: SOURCE, items, syncRunId: runId } });
      summary.created += result.created;
      summary.updated += result.updated + result.voided;
      summary.corrected += result.corrected;
      summary.unchanged += result.unchanged;
      summary.changedAfterInvoice += result.changedAfterInvoice.length;
      summary.refused += result.refused.length;
      for (const row of batch.filter((r) => r.kind === "row")) {
        await refuseRow(tx, actorLabel, row, report.fileName, runId);
        summary.refused += 1;
      }
      return result.toValidate;
    });
    chunksDone += 1;
    if (toValidate.length) {
      const v = await validateEntries({ ctx, input: { entryIds: toValidate } });
      summary.validated += v.validated;
      summary.postingsCreated += v.postingsCreated;
      summary.exceptionsRaised += v.exceptionsRaised;
    }
  });

  const counts = () => ({
    fetched: report.rows,
    created: summary.created,
    updated: summary.updated + summary.corrected,
    unchanged: summary.unchanged,
    failed: summary.refused,
    details: {
      fileName: report.fileName,
      bytes: report.bytes,
      rows: report.rows,
      corrected: summary.corrected,
      changedAfterInvoice: summary.changedAfterInvoice,
      validated: summary.validated,
      postingsCreated: summary.postingsCreated,
      exceptionsRaised: summary.exceptionsRaised,
      errorCount: report.errorCount,
      errors: report.errors,
    },
  });

  try {
    await scan(createReadStream(copyPath), limits, (row) => chunks.add(row));
    await chunks.done();
    await withTx(db, async (tx) => {
      await tx.update(syncRuns).set({ status: "succeeded", finishedAt: sql`now()`, ...counts() }).where(eq(syncRuns.id, runId));
      await writeAudit(
        { ...ctx, db: tx },
        {
          action: "imports.time_csv",
          entityType: "sync_runs",
          entityId: runId,
          after: { fileName: report.fileName, bytes: report.bytes, rows: report.rows, ...summary, errorCount: report.errorCount },
        },
      );
    });
  } catch (err) {
    // the chunks already committed stay (the same file again completes the rest); the run never stays "running"
    const reason = `The import stopped after ${(chunksDone * CHUNK).toLocaleString("en-US")} row(s): ${escapeControls(rootMessage(err))}`;
    await endRun(ctx, runId, chunksDone > 0 ? "partial" : "failed", reason, counts);
    throw err;
  }

  report.run = summary;
  report.totals = { new: summary.created, changed: summary.updated + summary.corrected + summary.changedAfterInvoice, unchanged: summary.unchanged, error: summary.refused };
  return report;
}

/** The innermost message of an error (a query's own error, not the query text wrapped around it). */
function rootMessage(err: unknown): string {
  let e = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause instanceof Error; i += 1) e = e.cause;
  return e instanceof Error ? e.message : String(err);
}

/**
 * Ends a run that failed: its status, the reason and its counts; if even that cannot be
 * written (the counts hold something the database refuses), the status and the reason alone.
 */
async function endRun(ctx: ServiceCtx & { db: Db }, runId: string, status: "failed" | "partial", reason: string, counts: () => Partial<typeof syncRuns.$inferInsert>) {
  const error = reason.slice(0, 2000);
  try {
    await ctx.db.update(syncRuns).set({ status, finishedAt: sql`now()`, error, ...counts() }).where(eq(syncRuns.id, runId));
  } catch (first) {
    logOf(ctx).error("the failed import's counts could not be recorded", { runId, err: first });
    try {
      await ctx.db.update(syncRuns).set({ status, finishedAt: sql`now()`, error }).where(eq(syncRuns.id, runId));
    } catch (second) {
      logOf(ctx).error("the failed import's run could not be ended", { runId, err: second });
    }
  }
}

/**
 * A row wrong as a whole (its field count, its quoting, an entry id it repeats): the
 * canonical schema cannot see that, so it is kept as received and refused here, the way
 * ingest refuses a payload that fails the schema.
 */
async function refuseRow(tx: Tx, actorLabel: string, row: CheckedRow, fileName: string, runId: string) {
  // kept as received; a row holding U+0000 (which jsonb cannot hold) is kept as its escaped JSON text
  const kept = keepPayload(row.payload, null);
  const hash = payloadHash(row.payload);
  const sourceId = row.entryId ? storableId(row.entryId) : `unidentified-${hash.slice(0, 12)}`;
  await tx
    .insert(rawRecords)
    .values({ sourceSystem: SOURCE, objectType: "time_entry", sourceId, contentHash: hash, body: kept.body as object, syncRunId: runId })
    .onConflictDoNothing();
  const [raw] = await tx
    .select({ id: rawRecords.id })
    .from(rawRecords)
    .where(and(eq(rawRecords.sourceSystem, SOURCE), eq(rawRecords.objectType, "time_entry"), eq(rawRecords.sourceId, sourceId), eq(rawRecords.contentHash, hash)));
  const reason = row.problems.join("; ");
  await raiseException(tx, actorLabel, {
    code: "PAYLOAD_INVALID",
    subjectType: "raw_record",
    subjectKey: SUBJECTS.raw(SOURCE, "time_entry", sourceId),
    subjectLabel: `CSV feed time entry ${sourceId}`,
    message: `CSV feed time entry ${sourceId} (line ${row.line} of ${fileName}) was refused: ${reason}.${escapedNote(kept)}`,
    suggestedFix: "Correct the row in the regional office's file and import it again; the row as received is kept in the entry's lineage.",
    sourceSystem: SOURCE,
    details: { reason, rawRecordId: raw!.id, line: row.line, fileName, ...(kept.escaped && { payloadEscaped: true }) },
    link: { rawRecordId: raw!.id },
  });
}
