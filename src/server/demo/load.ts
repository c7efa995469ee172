/**
 * Puts generated demo data into the database: multi-row inserts in dependency order, all in
 * one transaction so a seed is either complete or absent. Time entries arrive from the generator a chunk at a
 * time, so a million of them never sit in memory together.
 */
import { randomUUID } from "node:crypto";
import { getTableColumns, getTableName, sql } from "drizzle-orm";
import type { PgTable } from "drizzle-orm/pg-core";
import { withTx, type DbOrTx, type Tx } from "../db/client";
import {
  accountingPeriods,
  billRates,
  costRates,
  customers,
  employees,
  erpPostings,
  expenseEntries,
  fxRates,
  idMappings,
  invoiceLines,
  invoices,
  laborCategories,
  legalEntities,
  milestones,
  projects,
  rawRecords,
  sourceRefs,
  timeEntries,
} from "../db/schema";
import { writeAudit } from "../services/audit/write";
import { systemActor } from "../services/context";
import { generateDemo, type DemoData, type GenerateOptions } from "./generate";
import type { DemoCounts, DemoManifest, EntryBundle, RawRecordRow } from "./types";

/** rows per INSERT statement (they travel as one JSON parameter, so PostgreSQL's bind-parameter limit does not apply) */
const ROWS_PER_STATEMENT = 2_500;
/** time entries taken from the generator per round of inserts */
const DEFAULT_CHUNK = 5_000;

export type LoadOptions = {
  chunkSize?: number;
  /**
   * Only the firm's master data, rates, periods, FX and mappings: no entries, expenses or
   * invoices. The state of a firm before its first sync (the sync tests and benchmark start here).
   */
  masterDataOnly?: boolean;
};

export type LoadResult = { counts: DemoCounts; manifest: DemoManifest; ms: number };
export type SeedResult = { skipped: true } | ({ skipped: false } & LoadResult);

/** Loads the data in one transaction (the caller's, when given one). */
export async function loadDemo(db: DbOrTx, data: DemoData, opts: LoadOptions = {}): Promise<LoadResult> {
  const started = performance.now();
  await withTx(db, (tx) => loadInto(tx, data, opts.chunkSize ?? DEFAULT_CHUNK, opts.masterDataOnly ?? false));
  return { counts: data.counts, manifest: data.manifest, ms: Math.round(performance.now() - started) };
}

/**
 * Seeds the demo firm unless the database already holds master data (any legal entity):
 * then it does nothing. Two starts racing each other seed once (an advisory lock serialises
 * them, and the second sees the first's rows). `endDate` defaults to today (UTC).
 */
export async function seedDemoData(
  db: DbOrTx,
  opts: Partial<GenerateOptions> & { chunkSize?: number } = {},
): Promise<SeedResult> {
  const started = performance.now();
  return withTx(db, async (tx): Promise<SeedResult> => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext('hourbridge:demo-seed'))`);
    const existing = await tx.select({ id: legalEntities.id }).from(legalEntities).limit(1);
    if (existing.length > 0) return { skipped: true };
    const endDate = opts.endDate ?? new Date().toISOString().slice(0, 10);
    const data = generateDemo({ ...opts, endDate });
    await loadInto(tx, data, opts.chunkSize ?? DEFAULT_CHUNK);
    return { skipped: false, counts: data.counts, manifest: data.manifest, ms: Math.round(performance.now() - started) };
  });
}

async function loadInto(tx: Tx, data: DemoData, chunkSize: number, masterDataOnly = false): Promise<void> {
  await insertRows(tx, legalEntities, data.legalEntities);
  await insertRows(tx, customers, data.customers);
  await insertRows(tx, projects, data.projects);
  await insertRows(tx, milestones, data.milestones);
  await insertRows(tx, employees, data.employees);
  await insertRows(tx, laborCategories, data.laborCategories);
  await insertRows(tx, billRates, data.billRates);
  await insertRows(tx, costRates, data.costRates);
  await insertRows(tx, accountingPeriods, data.accountingPeriods);
  await insertRows(tx, fxRates, data.fxRates);
  await insertRows(tx, sourceRefs, data.sourceRefs);
  await insertRows(tx, idMappings, data.idMappings);
  if (masterDataOnly) {
    await tx.execute(sql`analyze`);
    return;
  }
  await insertRows(tx, invoices, data.invoices);
  await insertRows(tx, invoiceLines, data.invoiceLines);

  for (let i = 0; i < data.expenses.length; i += chunkSize) {
    await insertBundles(tx, expenseEntries, data.expenses.slice(i, i + chunkSize));
  }
  // the database stores one chunk while the generator makes the next
  let inFlight: Promise<unknown> = Promise.resolve();
  for (const chunk of data.timeEntryChunks(chunkSize)) {
    await inFlight;
    inFlight = insertBundles(tx, timeEntries, chunk);
  }
  await inFlight;
  // fresh statistics, so the first validation plans its batch lookups on real row counts
  await tx.execute(sql`analyze`);

  await writeAudit(
    { db: tx, actor: systemActor("seed"), correlationId: randomUUID(), ip: null },
    {
      action: "demo.seed",
      entityType: "demo",
      entityId: null,
      after: { ...data.counts, options: data.options, expectedExceptions: data.manifest.expected },
    },
  );
}

/**
 * One chunk of entries with everything that hangs off them. The raw payloads and the entries
 * linked to them go in one statement (the entries find their raw record's generated id by
 * source id and content hash), so the chunk's statements are sent back to back without
 * waiting for each other: they run in order on the transaction's connection.
 */
function insertBundles<E extends { sourceId: string }>(
  tx: Tx,
  table: typeof timeEntries | typeof expenseEntries,
  bundles: EntryBundle<E>[],
): Promise<unknown> {
  if (bundles.length === 0) return Promise.resolve();
  const raws: RawRecordRow[] = bundles.flatMap((b) => b.raws);
  const entries = bundles.map((b) => ({ ...b.entry, rawContentHash: b.raws[b.raws.length - 1]!.contentHash }));
  const r = recordset(rawRecords, raws);
  const e = recordset(table, entries, { rawContentHash: "text" });
  const statement = sql`with r as (
      insert into ${sql.raw(r.table)} (${sql.raw(r.names)}) select ${sql.raw(r.selects)}
      from json_to_recordset(${JSON.stringify(raws)}::json) as x(${sql.raw(r.defs)})
      returning id, source_id, content_hash
    ), e as (
      select * from json_to_recordset(${JSON.stringify(entries)}::json) as x(${sql.raw(e.defs)})
    ), linked as (
      insert into ${sql.raw(e.table)} (${sql.raw(e.names)}, raw_record_id)
      select ${sql.raw(e.selects.split(", ").map((c) => `e.${c}`).join(", "))}, r.id
      from e join r on r.source_id = e."sourceId" and r.content_hash = e."rawContentHash"
      returning 1
    )
    select (select count(*) from linked)::int as linked`;
  const linked = tx.execute(statement).then((rows) => {
    const n = (rows as unknown as { linked: number }[])[0]?.linked;
    if (n !== entries.length) throw new Error(`loadDemo: ${entries.length - (n ?? 0)} entries found no raw record`);
  });
  return Promise.all([
    linked,
    insertRows(tx, erpPostings, bundles.flatMap((b) => (b.posting ? [b.posting] : []))),
    insertRows(tx, invoiceLines, bundles.flatMap((b) => (b.invoiceLine ? [b.invoiceLine] : []))),
  ]);
}

/** The pieces of an INSERT … SELECT from json_to_recordset for these rows' columns. */
function recordset(table: PgTable, rows: object[], extra: Record<string, string> = {}) {
  const columns = getTableColumns(table);
  const keys = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) keys.add(k);
  for (const k of keys) if (!columns[k] && !extra[k]) throw new Error(`loadDemo: ${getTableName(table)} has no column for "${k}"`);
  const used = Object.entries(columns).filter(([k]) => keys.has(k));
  return {
    table: ident(getTableName(table)),
    columns,
    names: used.map(([, c]) => ident(c.name)).join(", "),
    selects: used.map(([k]) => ident(k)).join(", "),
    defs: [...used.map(([k, c]) => `${ident(k)} ${c.getSQLType()}`), ...Object.entries(extra).map(([k, t]) => `${ident(k)} ${t}`)].join(", "),
  };
}

/**
 * Many rows in one statement with a single parameter: the rows travel as one JSON array and
 * PostgreSQL turns it back into typed columns (json_to_recordset, with each column's SQL type
 * from the Drizzle table), so there is no bind-parameter limit and no per-value cost of
 * building a query. Timestamps go in as ISO text, numerics as decimal text, jsonb as JSON.
 * Columns absent from the rows take their defaults.
 */
async function insertRows(tx: Tx, table: PgTable, rows: object[]): Promise<void> {
  if (rows.length === 0) return;
  const r = recordset(table, rows);
  const head = sql.raw(`insert into ${r.table} (${r.names}) select ${r.selects} from json_to_recordset(`);
  const tail = sql.raw(`::json) as x(${r.defs})`);
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    await tx.execute(sql`${head}${JSON.stringify(rows.slice(i, i + ROWS_PER_STATEMENT))}${tail}`);
  }
}

const ident = (name: string) => `"${name.replace(/"/g, '""')}"`;
