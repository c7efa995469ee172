import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../../auth/scope";
import { withTx, type DbOrTx, type Tx } from "../../db/client";
import { SOURCE_SYSTEMS, type MappingKind, type SourceSystem } from "../../domain/enums";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { invalid } from "../errors";
import { CsvStructureError, DEFAULT_LIMITS, scanCsv, type CsvLimits, type CsvRecord } from "../imports/csv-time";
import { isRealDay, KINDS, kindInput, overlaps, rangeText } from "./kinds";
import { csvLine, undefuseFormula } from "@/lib/csv-write";
import { controlProblem, escapeControls, findControl } from "@/lib/control-chars";
import { mappingsRelation, type MappingListItem } from "./list";
import { queueRecovery } from "./recovery";
import { insertMapping, lockKind, recordVersion, updateMapping, type Mapping, type MappingState } from "./store";
import { cannotChangeKind, targetsByKey, targetVisible, type Target } from "./targets";

/**
 * The mapping file, the same for every kind: one row per mapping. `source_label` and
 * `target_label` are written by the export for people reading the file and ignored on import.
 * For cost centers, `source_id` is the source's cost center code and `target_erp_id` the ERP's.
 */
export const MAPPING_CSV_COLUMNS = ["source_system", "source_id", "source_label", "target_erp_id", "target_label", "valid_from", "valid_to", "active", "reason"] as const;
const REQUIRED = ["source_system", "source_id", "target_erp_id"] as const;
type Column = (typeof MAPPING_CSV_COLUMNS)[number];

/** Mapping files are master data, not time: a smaller row limit than the time feed. */
export const MAPPING_CSV_LIMITS: CsvLimits = { ...DEFAULT_LIMITS, maxRows: 200_000, maxRecordChars: 10_000 };
const ROW_RESULTS_SHOWN = 1000;
const ERRORS_SHOWN = 200;
const CHUNK = 1000;

export type RowOutcome = "new" | "changed" | "unchanged" | "error";
export type MappingRowResult = { line: number; sourceSystem: string; sourceKey: string; validFrom: string | null; outcome: RowOutcome; message: string | null };

export type MappingImportReport = {
  kind: MappingKind;
  dryRun: boolean;
  fileName: string;
  bytes: number;
  rows: number;
  totals: Record<RowOutcome, number>;
  rowResults: MappingRowResult[];
  rowResultsTruncated: boolean;
  errors: { line: number; message: string }[];
  errorCount: number;
  /** after an import: what was written, and what it set in motion */
  applied: null | {
    created: number;
    changed: number;
    recovery: { id: string; total: number } | null;
    /** posted or invoiced entries that the new mappings now resolve elsewhere: to correct from each mapping's editor */
    inErpUnderOtherMapping: number;
  };
};

type Parsed = {
  line: number;
  sourceSystem: SourceSystem;
  sourceKey: string;
  targetKey: string;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  reason: string | null;
};

type ParsedRow = { line: number; raw: { sourceSystem: string; sourceKey: string; validFrom: string | null; targetKey: string }; row: Parsed | null; problems: string[] };

const TRUE = new Set(["", "true", "yes", "1"]);
const FALSE = new Set(["false", "no", "0"]);
const shown = (v: string) => `"${escapeControls(v.length > 40 ? v.slice(0, 40) : v, false)}${v.length > 40 ? "…" : ""}"`;

function readHeader(record: CsvRecord): Column[] {
  const names = record.fields.map((f) => f.trim().toLowerCase());
  if (record.issues.length) throw new CsvStructureError(`The header row (line ${record.line}) is not valid CSV: ${record.issues.join("; ")}.`);
  const unknown = names.filter((n) => !(MAPPING_CSV_COLUMNS as readonly string[]).includes(n));
  if (unknown.length) {
    const list = unknown.map((n) => (n === "" ? "(an empty column name)" : `"${escapeControls(n.slice(0, 60), false)}"`)).join(", ");
    throw new CsvStructureError(
      `The header row names ${unknown.length === 1 ? "a column" : "columns"} a mapping file does not have: ${list}. The columns are: ${MAPPING_CSV_COLUMNS.join(", ")}.`,
    );
  }
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (repeated.length) throw new CsvStructureError(`The header row names ${[...new Set(repeated)].map((n) => `"${n}"`).join(", ")} more than once.`);
  const missing = REQUIRED.filter((c) => !names.includes(c));
  if (missing.length) throw new CsvStructureError(`The header row lacks the required ${missing.length === 1 ? "column" : "columns"} ${missing.join(", ")}. Required columns: ${REQUIRED.join(", ")}.`);
  return names as Column[];
}

/** Only a reason may span lines (or hold tabs); every other column is one value on one line. */
const MULTILINE: readonly Column[] = ["reason"];

/** The first column whose value holds a character text cannot hold (U+0000 above all, which PostgreSQL refuses), as a problem. */
function controlProblemOf(fields: string[], columns: Column[]): string | null {
  for (const [i, v] of fields.entries()) {
    const c = columns[i];
    const multiline = c === undefined || MULTILINE.includes(c);
    const hit = findControl(multiline ? v : v.trim(), multiline);
    if (hit) return `${c ?? "a field after the last column"} ${controlProblem(hit, multiline)} (at character ${hit.index + 1})`;
  }
  return null;
}

/** One data row checked on its own (no database): its mapping, or what is wrong with it. */
function checkRow(record: CsvRecord, columns: Column[], seen: Map<string, number>): ParsedRow {
  // a value that starts with an apostrophe before a formula start is read without it: the export defuses that way
  const get = (c: Column) => {
    const i = columns.indexOf(c);
    return i >= 0 && i < record.fields.length ? undefuseFormula(record.fields[i]!.trim()) : "";
  };
  const raw = { sourceSystem: get("source_system"), sourceKey: get("source_id"), validFrom: get("valid_from") || null, targetKey: get("target_erp_id") };
  const problems: string[] = [...record.issues];
  const controlled = controlProblemOf(record.fields, columns);
  if (controlled) {
    // a character text cannot hold: the row is refused as it is, its values named escaped
    const safe = (v: string) => escapeControls(v, false);
    return { line: record.line, raw: { sourceSystem: safe(raw.sourceSystem), sourceKey: safe(raw.sourceKey), validFrom: raw.validFrom && safe(raw.validFrom), targetKey: safe(raw.targetKey) }, row: null, problems: [...problems, controlled] };
  }
  if (record.fields.length !== columns.length) {
    problems.unshift(`the row has ${record.fields.length} ${record.fields.length === 1 ? "field" : "fields"}, the header has ${columns.length}`);
    // with the fields out of place, their values say nothing more
    return { line: record.line, raw: { ...raw, targetKey: "" }, row: null, problems };
  }
  const system = raw.sourceSystem.toLowerCase();
  if (!(SOURCE_SYSTEMS as readonly string[]).includes(system)) {
    problems.push(raw.sourceSystem ? `source_system ${shown(raw.sourceSystem)} is not one of ${SOURCE_SYSTEMS.join(", ")}` : `source_system is empty (expected one of ${SOURCE_SYSTEMS.join(", ")})`);
  }
  if (!raw.sourceKey) problems.push("source_id is empty");
  else if (raw.sourceKey.length > 200) problems.push("source_id is longer than 200 characters");
  const targetKey = get("target_erp_id");
  if (!targetKey) problems.push("target_erp_id is empty");
  else if (targetKey.length > 200) problems.push("target_erp_id is longer than 200 characters");
  const validFrom = get("valid_from") || null;
  const validTo = get("valid_to") || null;
  if (validFrom && !isRealDay(validFrom)) problems.push(`valid_from ${shown(validFrom)} is not a date (expected YYYY-MM-DD, or empty for "always")`);
  if (validTo && !isRealDay(validTo)) problems.push(`valid_to ${shown(validTo)} is not a date (expected YYYY-MM-DD, or empty for "open-ended")`);
  if (validFrom && validTo && isRealDay(validFrom) && isRealDay(validTo) && validTo < validFrom) problems.push(`valid_to ${validTo} is before valid_from ${validFrom}`);
  const activeText = get("active").toLowerCase();
  if (!TRUE.has(activeText) && !FALSE.has(activeText)) problems.push(`active ${shown(get("active"))} is not valid (expected true/false, yes/no, 1/0, or empty for true)`);
  const reason = get("reason");
  if (reason.length > 500) problems.push("reason is longer than 500 characters");
  const k = `${system}|${raw.sourceKey}|${validFrom ?? ""}`;
  if (raw.sourceKey && problems.length === 0) {
    const first = seen.get(k);
    if (first !== undefined) problems.push(`it repeats the mapping of ${raw.sourceKey} starting ${validFrom ?? "always"} on line ${first}; each mapping may appear once`);
    else seen.set(k, record.line);
  }
  if (problems.length) return { line: record.line, raw, row: null, problems };
  return {
    line: record.line,
    raw,
    problems,
    row: { line: record.line, sourceSystem: system as SourceSystem, sourceKey: raw.sourceKey, targetKey, validFrom, validTo, active: !FALSE.has(activeText), reason: reason || null },
  };
}

/** Reads and checks the whole file as it streams; structural faults refuse it at once. */
async function readFile(stream: AsyncIterable<Uint8Array>, limits: CsvLimits): Promise<{ bytes: number; rows: number; parsed: ParsedRow[] }> {
  const seen = new Map<string, number>();
  let columns: Column[] = [];
  const parsed: ParsedRow[] = [];
  const { bytes, rows } = await scanCsv(stream, limits, {
    what: "a mapping file",
    header: (r) => {
      columns = readHeader(r);
    },
    row: (r) => {
      parsed.push(checkRow(r, columns, seen));
    },
  });
  return { bytes, rows, parsed };
}

type Decision = { row: Parsed; outcome: RowOutcome; message: string | null; match: Mapping | null; target: Target | null };

/** A row's problems as one sentence; one that starts with a column keeps the column as the file spells it. */
const sentence = (s: string) => {
  if (!s) return s;
  const first = s.split(/\s/, 1)[0]!;
  return (MAPPING_CSV_COLUMNS as readonly string[]).includes(first) ? `${s}.` : `${s[0]!.toUpperCase()}${s.slice(1)}.`;
};

/**
 * Decides every row against the database: new, changed or unchanged, or an error (a target
 * the ERP does not have or that is inactive, a target outside the user's scope, a range that
 * overlaps another mapping of the same source object, in the file or already held).
 */
async function decide(db: DbOrTx, kind: MappingKind, parsed: ParsedRow[], scope: Scope): Promise<{ results: MappingRowResult[]; decisions: Decision[] }> {
  const results: MappingRowResult[] = [];
  const decisions: Decision[] = [];
  const good = parsed.filter((p): p is ParsedRow & { row: Parsed } => p.row !== null);
  const kindRefusal = cannotChangeKind(kind, scope);

  // every mapping held for the file's source objects, and every target the file names
  const byKey = new Map<string, Mapping[]>();
  const targets = new Map<string, Target>();
  const keys = [...new Map(good.map((p) => [`${p.row.sourceSystem}|${p.row.sourceKey}`, p.row])).values()];
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    for (const m of await heldMappings(db, kind, chunk)) {
      const k = `${m.sourceSystem}|${m.sourceKey}`;
      byKey.set(k, [...(byKey.get(k) ?? []), m]);
    }
  }
  // the targets of rows wrong in other ways are checked too, so a row's every problem is named at once
  const targetKeys = [...new Set(parsed.map((p) => p.row?.targetKey ?? p.raw.targetKey).filter((k) => k && k.length <= 200))];
  for (let i = 0; i < targetKeys.length; i += CHUNK) {
    for (const [k, t] of await targetsByKey(db, kind, targetKeys.slice(i, i + CHUNK))) targets.set(k, t);
  }

  const errorsOf = new Map<number, string[]>();
  const addError = (line: number, msg: string) => errorsOf.set(line, [...(errorsOf.get(line) ?? []), msg]);
  const rowsByKey = new Map<string, (ParsedRow & { row: Parsed })[]>();
  for (const p of good) {
    const k = `${p.row.sourceSystem}|${p.row.sourceKey}`;
    rowsByKey.set(k, [...(rowsByKey.get(k) ?? []), p]);
  }

  const pending: Decision[] = [];
  for (const [k, rows] of rowsByKey) {
    const held = byKey.get(k) ?? [];
    const matched = new Set<string>();
    const finals: { line: number | null; m: { targetKey: string; validFrom: string | null; validTo: string | null; version?: number } }[] = [];
    for (const p of rows) {
      const r = p.row;
      const match =
        held.find((m) => m.active && m.validFrom === r.validFrom && !matched.has(m.id)) ??
        held.find((m) => !m.active && m.validFrom === r.validFrom && m.targetKey === r.targetKey && !matched.has(m.id)) ??
        null;
      if (match) matched.add(match.id);
      const target = targets.get(r.targetKey) ?? null;
      const same =
        match !== null && match.targetKey === r.targetKey && match.validTo === r.validTo && match.active === r.active && (r.reason === null || r.reason === match.reason);
      const settingTarget = r.active && (!match || match.targetKey !== r.targetKey || !match.active);
      if (!same) {
        if (kindRefusal) addError(p.line, kindRefusal);
        if (!target) addError(p.line, `${KINDS[kind].targetNoun} ${r.targetKey} does not exist in the master data pulled from the ERP`);
        else if (settingTarget && !target.active) addError(p.line, `${KINDS[kind].targetNoun} ${r.targetKey} '${target.name}' ${target.inactiveReason}`);
        if (target && !targetVisible(kind, target, scope)) addError(p.line, `${KINDS[kind].targetNoun} ${r.targetKey} belongs to ${target.entityCode ?? "another entity"}, outside your scope`);
      }
      if (r.active) finals.push({ line: p.line, m: r });
      pending.push({
        row: r,
        match,
        target,
        outcome: !match ? "new" : same ? "unchanged" : "changed",
        message: !match
          ? `A new mapping to ${KINDS[kind].targetNoun} ${r.targetKey}, ${rangeText(r.validFrom, r.validTo)}${r.active ? "" : " (inactive)"}.`
          : same
            ? null
            : describeChange(kind, match, r),
      });
    }
    // overlaps among what the source object will hold afterwards
    for (const m of held) if (m.active && !matched.has(m.id)) finals.push({ line: null, m });
    for (let i = 0; i < finals.length; i++) {
      for (let j = i + 1; j < finals.length; j++) {
        const a = finals[i]!;
        const b = finals[j]!;
        if (!overlaps(a.m, b.m)) continue;
        const describe = (x: (typeof finals)[number]) =>
          x.line !== null ? `line ${x.line} (${KINDS[kind].targetNoun} ${x.m.targetKey}, ${rangeText(x.m.validFrom, x.m.validTo)})` : `the mapping held to ${KINDS[kind].targetNoun} ${x.m.targetKey} (${rangeText(x.m.validFrom, x.m.validTo)}, not in the file)`;
        if (a.line !== null) addError(a.line, `its dates overlap ${describe(b)}: one source object can have one mapping per day`);
        if (b.line !== null) addError(b.line, `its dates overlap ${describe(a)}: one source object can have one mapping per day`);
      }
    }
  }

  const decisionByLine = new Map(pending.map((d) => [d.row.line, d]));
  for (const p of parsed) {
    const missingTarget = !p.row && p.raw.targetKey && p.raw.targetKey.length <= 200 && !targets.has(p.raw.targetKey);
    const errs = p.row ? (errorsOf.get(p.line) ?? []) : [...p.problems, ...(missingTarget ? [`${KINDS[kind].targetNoun} ${p.raw.targetKey} does not exist in the master data pulled from the ERP`] : [])];
    if (errs.length) {
      results.push({ line: p.line, sourceSystem: p.raw.sourceSystem, sourceKey: p.raw.sourceKey, validFrom: p.raw.validFrom, outcome: "error", message: sentence(errs.join("; ")) });
      continue;
    }
    const d = decisionByLine.get(p.line)!;
    decisions.push(d);
    results.push({ line: p.line, sourceSystem: d.row.sourceSystem, sourceKey: d.row.sourceKey, validFrom: d.row.validFrom, outcome: d.outcome, message: d.message });
  }
  return { results, decisions };
}

function describeChange(kind: MappingKind, m: Mapping, r: Parsed): string {
  const what = [
    m.targetKey !== r.targetKey && `${KINDS[kind].targetNoun} ${m.targetKey} → ${r.targetKey}`,
    m.validTo !== r.validTo && `valid_to ${m.validTo ?? "(open)"} → ${r.validTo ?? "(open)"}`,
    m.active !== r.active && (r.active ? "reactivated" : "deactivated"),
    r.reason !== null && r.reason !== m.reason && "new reason",
  ].filter(Boolean);
  return `Changed: ${what.join(", ")} (now version ${m.version}).`;
}

async function heldMappings(db: DbOrTx, kind: MappingKind, keys: { sourceSystem: SourceSystem; sourceKey: string }[]): Promise<Mapping[]> {
  const store = KINDS[kind].store;
  const table = store === "id" ? sql`id_mappings` : sql`value_mappings`;
  const keyCol = store === "id" ? sql`m.external_id` : sql`m.source_value`;
  const targetCol = store === "id" ? sql`m.target_erp_id` : sql`m.target_value`;
  const targetId = store === "id" ? sql`m.target_id::text` : sql`null::text`;
  const rows = (await db.execute(sql`
    with k(s, key) as (values ${sql.join(keys.map((k) => sql`(${k.sourceSystem}::source_system, ${k.sourceKey}::text)`), sql`, `)})
    select m.id::text as id, ${store} as store, m.kind, m.source_system::text as "sourceSystem", ${keyCol} as "sourceKey", ${targetId} as "targetId",
           ${targetCol} as "targetKey", m.valid_from::text as "validFrom", m.valid_to::text as "validTo", m.active, m.reason,
           m.created_by as "createdBy", m.created_at as "createdAt", m.updated_by as "updatedBy", m.updated_at as "updatedAt", m.version
    from ${table} m join k on m.source_system = k.s and ${keyCol} = k.key
    where m.kind = ${kind}
    order by m.active desc, m.created_at`)) as unknown as (Omit<Mapping, "createdAt" | "updatedAt"> & { createdAt: string | Date; updatedAt: string | Date })[];
  return rows.map((r) => ({ ...r, createdAt: new Date(r.createdAt), updatedAt: new Date(r.updatedAt) }));
}

function emptyReport(kind: MappingKind, dryRun: boolean, fileName: string): MappingImportReport {
  return { kind, dryRun, fileName, bytes: 0, rows: 0, totals: { new: 0, changed: 0, unchanged: 0, error: 0 }, rowResults: [], rowResultsTruncated: false, errors: [], errorCount: 0, applied: null };
}

function fill(report: MappingImportReport, results: MappingRowResult[]) {
  for (const r of results) {
    report.totals[r.outcome] += 1;
    if (report.rowResults.length < ROW_RESULTS_SHOWN) report.rowResults.push(r);
    else report.rowResultsTruncated = true;
    if (r.outcome === "error") {
      report.errorCount += 1;
      if (report.errors.length < ERRORS_SHOWN) report.errors.push({ line: r.line, message: r.message ?? "" });
    }
  }
}

export const importInput = z.object({ kind: kindInput, fileName: z.string().default("mappings.csv"), dryRun: z.boolean() });

/**
 * Imports a mapping file for one kind, read as a stream. A file whose structure is wrong
 * (columns, encoding, quoting, size) is refused whole with a sentence naming the problem. The
 * dry run says what each row would do (new, changed, unchanged, or an error with its line and
 * reason) and writes nothing but an audit entry. The import applies the file in one
 * transaction, and only when no row has an error: a file with a bad row applies nothing. Rows
 * identical to what is held change nothing, so exporting and re-importing a file is a no-op.
 * Mappings held but absent from the file are left as they are. What the new mappings may
 * unblock is re-validated in the background.
 */
export async function importMappingsCsv({
  ctx,
  input,
  scope,
  limits: given,
}: {
  ctx: ServiceCtx;
  input: z.input<typeof importInput> & { stream: AsyncIterable<Uint8Array> };
  scope: Scope;
  limits?: Partial<CsvLimits>;
}): Promise<MappingImportReport> {
  const q = importInput.parse({ kind: input.kind, fileName: input.fileName, dryRun: input.dryRun });
  const limits = { ...MAPPING_CSV_LIMITS, ...given };
  const fileName = escapeControls(q.fileName.trim(), false).slice(0, 200) || "mappings.csv";
  const report = emptyReport(q.kind, q.dryRun, fileName);
  let file: Awaited<ReturnType<typeof readFile>>;
  try {
    file = await readFile(input.stream, limits);
  } catch (err) {
    if (err instanceof CsvStructureError) throw invalid(err.message);
    throw err;
  }
  report.bytes = file.bytes;
  report.rows = file.rows;

  if (q.dryRun) {
    const { results } = await decide(ctx.db, q.kind, file.parsed, scope);
    fill(report, results);
    await writeAudit(ctx, {
      action: "mappings.import.dry_run",
      entityType: "mappings",
      entityId: null,
      after: { kind: q.kind, fileName, bytes: report.bytes, rows: report.rows, totals: report.totals },
    });
    return report;
  }

  return withTx(ctx.db, async (tx) => {
    const txCtx = { ...ctx, db: tx };
    await lockKind(tx, q.kind);
    const { results, decisions } = await decide(tx, q.kind, file.parsed, scope);
    fill(report, results);
    if (report.errorCount > 0) {
      throw invalid(
        `${report.errorCount} ${report.errorCount === 1 ? "row has an error" : "rows have errors"}, so nothing was imported. Correct ${report.errorCount === 1 ? "it" : "them"} and import the file again.`,
        { report },
      );
    }
    const written = await write(tx, txCtx, q.kind, decisions);
    const keys = decisions.filter((d) => d.outcome !== "unchanged").map((d) => ({ sourceSystem: d.row.sourceSystem, sourceKey: d.row.sourceKey }));
    const { toValidate, inErp } = await entriesOfKeys(tx, q.kind, keys);
    const recovery = await queueRecovery(tx, txCtx, {
      kind: q.kind,
      label: `Imported ${fileName} (${written.created} new, ${written.changed} changed ${KINDS[q.kind].label.toLowerCase()} mappings)`,
      mappingIds: written.ids,
      entryIds: toValidate,
    });
    report.applied = { created: written.created, changed: written.changed, recovery, inErpUnderOtherMapping: inErp };
    await writeAudit(txCtx, {
      action: "mappings.import",
      entityType: "mappings",
      entityId: null,
      after: { kind: q.kind, fileName, bytes: report.bytes, rows: report.rows, totals: report.totals, created: written.created, changed: written.changed, recovery: recovery?.id ?? null, inErpUnderOtherMapping: inErp },
    });
    return report;
  });
}

async function write(tx: Tx, ctx: ServiceCtx, kind: MappingKind, decisions: Decision[]) {
  const out = { created: 0, changed: 0, ids: [] as string[] };
  // deactivations and range changes first, so a row taking over a freed range never meets the old one
  const ordered = [...decisions].sort((a, b) => rank(a) - rank(b));
  for (const d of ordered) {
    if (d.outcome === "unchanged") continue;
    const r = d.row;
    const state: MappingState = {
      kind,
      sourceSystem: r.sourceSystem,
      sourceKey: r.sourceKey,
      targetId: d.target?.id ?? null,
      targetKey: r.targetKey,
      validFrom: r.validFrom,
      validTo: r.validTo,
      active: r.active,
      reason: r.reason ?? (d.match?.reason && d.match.targetKey === r.targetKey ? d.match.reason : "Imported from a mapping file"),
    };
    if (!d.match) {
      const saved = await insertMapping(tx, ctx, state);
      await recordVersion(tx, ctx, { before: null, after: saved, action: "imported", reason: state.reason });
      out.created += 1;
      out.ids.push(saved.id);
    } else {
      const saved = await updateMapping(tx, ctx, d.match, d.match.version, state);
      if (!saved) throw invalid(`The mapping of ${r.sourceKey} changed while the file was being imported; nothing was imported. Check the file again.`);
      await recordVersion(tx, ctx, { before: d.match, after: saved, action: "imported", reason: state.reason });
      out.changed += 1;
      out.ids.push(saved.id);
    }
  }
  return out;
}

const rank = (d: Decision) => (d.match && !d.row.active ? 0 : d.match ? 1 : 2);

/**
 * For the source objects an import changed: the approved entries not yet queued (to
 * re-validate), and how many entries in the ERP the mappings now resolve to another target
 * than the one they were posted with.
 */
async function entriesOfKeys(tx: Tx, kind: MappingKind, keys: { sourceSystem: SourceSystem; sourceKey: string }[]) {
  const info = KINDS[kind];
  if (!info.entryColumn || !info.enrichedColumn || keys.length === 0) return { toValidate: [] as string[], inErp: 0 };
  const toValidate: string[] = [];
  let inErp = 0;
  for (let i = 0; i < keys.length; i += CHUNK) {
    const chunk = keys.slice(i, i + CHUNK);
    const values = sql.join(chunk.map((k) => sql`(${k.sourceSystem}::source_system, ${k.sourceKey}::text)`), sql`, `);
    const rows = (await tx.execute(sql`
      with k(s, key) as (values ${values})
      select te.id::text as id from time_entries te join k on te.source_system = k.s and te.${sql.raw(info.entryColumn)} = k.key
      where te.state = 'approved'
        and not exists (select 1 from erp_postings p where p.time_entry_id = te.id and p.kind = 'create' and p.entry_version = te.version and p.status <> 'rejected')`)) as unknown as { id: string }[];
    toValidate.push(...rows.map((r) => r.id));
    const [n] = (await tx.execute(sql`
      with k(s, key) as (values ${values})
      select count(*)::int as n from time_entries te join k on te.source_system = k.s and te.${sql.raw(info.entryColumn)} = k.key
      where te.state in ('posted', 'billed')
        and te.${sql.raw(info.enrichedColumn)} is distinct from (
          select m.target_id from id_mappings m
          where m.kind = ${kind} and m.active and m.source_system = te.source_system and m.external_id = k.key
            and (m.valid_from is null or m.valid_from <= te.work_date) and (m.valid_to is null or te.work_date <= m.valid_to)
          order by m.valid_from desc nulls last limit 1)`)) as unknown as { n: number }[];
    inErp += n!.n;
  }
  return { toValidate, inErp };
}

/* ------------------------------------------------------------------------------------------
 * Export
 * ---------------------------------------------------------------------------------------- */

const labelOf = (code: string | null, name: string | null) => (code && name && code !== name ? `${code} ${name}` : (name ?? code ?? ""));

/**
 * The kind's mappings the user may see, as a mapping file (the import's format), produced page
 * by page so a large table is never held whole. Importing the file again changes nothing.
 */
export async function* exportMappingsCsv({ ctx, input, scope }: { ctx: ServiceCtx; input: { kind: MappingKind }; scope: Scope }): AsyncGenerator<string> {
  const kind = kindInput.parse(input.kind);
  yield csvLine([...MAPPING_CSV_COLUMNS]);
  let after: { s: string; k: string; f: string; id: string } | null = null;
  for (;;) {
    const cursor: typeof after = after;
    const rows = (await ctx.db.execute(sql`
      select * from (${mappingsRelation(kind, scope)}) x
      ${cursor ? sql`where (x."sourceSystem", x."sourceKey", coalesce(x."validFrom", ''), x.id) > (${cursor.s}, ${cursor.k}, ${cursor.f}, ${cursor.id})` : sql``}
      order by x."sourceSystem", x."sourceKey", coalesce(x."validFrom", ''), x.id
      limit 1000`)) as unknown as MappingListItem[];
    if (rows.length === 0) return;
    // every field through csvLine: a reason, a key or a label a spreadsheet would run as a
    // formula is defused with a leading apostrophe, which the import takes off again
    yield rows
      .map((m) =>
        csvLine([m.sourceSystem, m.sourceKey, labelOf(m.sourceCode, m.sourceName), m.targetKey, labelOf(m.targetCode, m.targetName), m.validFrom, m.validTo, m.active ? "true" : "false", m.reason]),
      )
      .join("");
    const last = rows.at(-1)!;
    after = { s: last.sourceSystem, k: last.sourceKey, f: last.validFrom ?? "", id: last.id };
    if (rows.length < 1000) return;
  }
}
