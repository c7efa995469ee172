import { and, eq, gte, inArray, isNotNull, isNull, lte, or, sql } from "drizzle-orm";
import type { SourceSystem } from "@/server/domain/enums";
import { NetSuiteReadError } from "@/sync/connectors/netsuite/readback";
import type { ErpConnector, ErpInvoice, ErpTimeRecord } from "@/sync/connectors/types";
import { withTx, type Db, type Tx } from "../../db/client";
import { customers, erpPostings, erpTimeRecords, invoiceLines, invoices, legalEntities, projects, syncRuns, timeEntries } from "../../db/schema";
import { transition } from "../../domain/entry-state";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { logOf } from "../context";
import { recordEntryEvents, type EntryEventInput } from "../entries/events";

/**
 * What one read-back found and changed. Time-record counts are of distinct ERP records read
 * by this run; `missing` is every record of the range the ERP no longer shows (this run's
 * and earlier ones'), `newlyMissing` those this run found gone.
 */
export type ReadBackSummary = {
  runId: string;
  status: "succeeded" | "failed";
  /** one sentence, when the run failed */
  error: string | null;
  /** whether a failed run may pass when tried again (network, 5xx, 429, odd answers) */
  retryable: boolean;
  pages: number;
  // time records
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  /** linked to one of our entries */
  matched: number;
  /** in the ERP, unknown to us */
  unmatched: number;
  missing: number;
  newlyMissing: number;
  /** seen again after having been missing */
  reappeared: number;
  /** ERP records beyond the first claimed by the same entry (every row is kept) */
  duplicates: number;
  // invoices
  invoicesFetched: number;
  invoicesCreated: number;
  invoicesUpdated: number;
  invoicesUnchanged: number;
  /** invoices whose subsidiary is no legal entity of ours: not stored */
  invoicesSkipped: number;
  /** invoices whose lines differed from what we held, and were replaced */
  invoiceLinesReplaced: number;
  /** time lines whose time bill links to none of our entries */
  invoiceLinesUnmatched: number;
  // entries
  /** moved from posted to billed by this run (also when moved from one invoice to another) */
  billed: number;
  /**
   * moved from billed back to posted by this run: their invoice, as read, no longer bills them
   * (the line was removed, or the invoice was voided or credited)
   */
  uninvoiced: number;
  alreadyBilled: number;
  /** on an invoice, but neither posted nor billed here (void, or back to approved): left for reconciliation */
  invoicedButNotPosted: number;
};

export type ReadBackTrigger = "schedule" | "manual" | "replay";

/** An ERP answer that is well formed for the connector but not a value we can store. */
class ErpAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ErpAnswerError";
  }
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^-?\d{1,12}(\.\d+)?$/;
const CURRENCY = /^[A-Z]{3}$/;

const isDay = (v: string) => DAY.test(v) && !Number.isNaN(Date.parse(`${v}T00:00:00Z`)) && new Date(`${v}T00:00:00Z`).toISOString().startsWith(v);

/** The labels the ERP connector writes in a time record's memo (`Harvest 123 v2`), back to our source systems. */
const MEMO_SOURCES: Record<string, SourceSystem> = { Harvest: "harvest", Clockify: "clockify", CSV: "csv" };
const MEMO = /^(Harvest|Clockify|CSV) (\S{1,100}) v([1-9]\d{0,8})$/;

/**
 * The entry a memo names, when the memo is exactly what the posting wrote: a source label,
 * one space, the source id (no spaces), one space, `v` and the version. Anything else
 * (extra words, other spacing, another label, a version 0) names nothing.
 */
export function parseMemoReference(memo: string | null): { sourceSystem: SourceSystem; sourceId: string; version: number } | null {
  if (!memo) return null;
  const m = MEMO.exec(memo);
  if (!m) return null;
  return { sourceSystem: MEMO_SOURCES[m[1]!]!, sourceId: m[2]!, version: Number(m[3]) };
}

/**
 * Reads back what the ERP holds for the days `from` to `to` (inclusive) and brings the
 * canonical side in line, recorded as a `read_back` sync run:
 *
 * 1. Time records, page by page (one transaction each), upserted into `erp_time_records` by
 *    (connector, ERP id) and linked to their entry — by the entry's ERP id, else by an
 *    accepted create posting that received that id, else by the memo's reference. Entity and
 *    project come from the linked entry, else from the ERP's subsidiary and job ids.
 * 2. Once every page is in: records of the range this read did not see are marked missing
 *    (deleted or moved in the ERP); records seen again have the mark cleared.
 * 3. Invoices, page by page (one transaction each), upserted by ERP id; their lines are
 *    replaced when they differ from what we hold. A voided or credited invoice is kept with
 *    its lines as the ERP shows them, but its lines bill no entry.
 * 4. The entries those invoices concern, in one transaction (see `settleEntries`): a posted
 *    entry that an invoice bills becomes billed (the state machine's `invoice` event) with the
 *    invoice linked and `billedAt` = the invoice date at 00:00 UTC — the date the ERP billed it,
 *    not the date we learned of it, so invoice cycle time measures the firm and a re-read gives
 *    the same value. A billed entry whose invoice was read and no longer bills it (the line was
 *    removed, the invoice voided or credited) is unbilled again (`credit`: back to posted,
 *    invoice and `billedAt` cleared), and billed anew when another invoice read bills it. Each
 *    move is in the entry's lineage (`invoiced`, `uninvoiced`). Entries in another state are
 *    left alone and counted as `invoicedButNotPosted` for reconciliation. Only invoices this
 *    read saw are evidence: an entry billed on an invoice dated outside the range is left as it is.
 *
 * Read-backs of one connector run one at a time (a transaction-scoped advisory lock, waited
 * for without holding a connection), so two at once — the hourly one and a reconciliation's,
 * or several reconciliations' — give what they would one after the other: none judges missing
 * what the other is reading, and each run's counts are its own.
 *
 * A bad answer from the ERP ends the run `failed` with a sentence (committed pages stay) and
 * is returned, not thrown; any other error is recorded the same way and thrown. A second run
 * over the same range changes nothing.
 */
export async function readBack({
  ctx,
  connector,
  connectorId,
  trigger = "manual",
  from,
  to,
  pageSize,
  signal,
  lockHeld = false,
}: {
  ctx: ServiceCtx & { db: Db };
  connector: ErpConnector;
  connectorId: string;
  trigger?: ReadBackTrigger;
  from: string;
  to: string;
  pageSize?: number;
  signal?: AbortSignal;
  /** the caller already holds this connector's read-back lock (`withReadBackLock`) */
  lockHeld?: boolean;
}): Promise<ReadBackSummary> {
  if (!isDay(from)) throw new Error(`The read-back's first day must be a day as YYYY-MM-DD, not ${JSON.stringify(from)}.`);
  if (!isDay(to)) throw new Error(`The read-back's last day must be a day as YYYY-MM-DD, not ${JSON.stringify(to)}.`);
  if (from > to) throw new Error(`The read-back's first day (${from}) is after its last day (${to}).`);

  const read = () => readBackLocked({ ctx, connector, connectorId, trigger, from, to, pageSize, signal });
  return lockHeld ? read() : withReadBackLock(ctx, connectorId, signal, read);
}

async function readBackLocked({
  ctx,
  connector,
  connectorId,
  trigger,
  from,
  to,
  pageSize,
  signal,
}: {
  ctx: ServiceCtx & { db: Db };
  connector: ErpConnector;
  connectorId: string;
  trigger: ReadBackTrigger;
  from: string;
  to: string;
  pageSize?: number;
  signal?: AbortSignal;
}): Promise<ReadBackSummary> {
  const db = ctx.db;
  const [run] = await db
    .insert(syncRuns)
    .values({ connectorId, kind: "read_back", trigger, correlationId: ctx.correlationId, details: { from, to } })
    .returning({ id: syncRuns.id });
  const runId = run!.id;
  const s: ReadBackSummary = {
    runId,
    status: "succeeded",
    error: null,
    retryable: false,
    pages: 0,
    fetched: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    matched: 0,
    unmatched: 0,
    missing: 0,
    newlyMissing: 0,
    reappeared: 0,
    duplicates: 0,
    invoicesFetched: 0,
    invoicesCreated: 0,
    invoicesUpdated: 0,
    invoicesUnchanged: 0,
    invoicesSkipped: 0,
    invoiceLinesReplaced: 0,
    invoiceLinesUnmatched: 0,
    billed: 0,
    uninvoiced: 0,
    alreadyBilled: 0,
    invoicedButNotPosted: 0,
  };

  /** the invoices this read saw (ours, by id), in the order it saw them */
  const seen = new Map<string, SeenInvoice>();
  let failure: unknown = null;
  const fail = (err: unknown) => {
    failure = err;
    const message = ((err as Error)?.message ?? String(err)).replace(/[.\s]+$/, "");
    s.status = "failed";
    s.error = `The read-back of ${from} to ${to} stopped after ${s.pages} page(s): ${message}.`;
    s.retryable = err instanceof NetSuiteReadError ? err.transient : false;
  };
  try {
    for await (const page of connector.timeRecords(from, to, { pageSize, signal })) {
      if (page.length === 0) continue;
      // a page's counts count once it commits
      const next = { ...s };
      await withTx(db, (tx) => storeTimeRecords(tx, connectorId, runId, page, next));
      Object.assign(s, next, { pages: s.pages + 1 });
    }
    const next = { ...s };
    await withTx(db, (tx) => markMissing(tx, connectorId, runId, from, to, next));
    Object.assign(s, next);
    for await (const page of connector.invoices(from, to, { pageSize, signal })) {
      if (page.length === 0) continue;
      const next = { ...s };
      const found = new Map<string, SeenInvoice>();
      await withTx(db, (tx) => storeInvoices(tx, connectorId, page, next, found));
      Object.assign(s, next, { pages: s.pages + 1 });
      for (const [id, v] of found) seen.set(id, v);
    }
  } catch (err) {
    fail(err);
  }
  // what the invoices read say of our entries — also after a failure, for the invoices read
  // before it: each was read whole, lines and all
  if (seen.size > 0) {
    try {
      const next = { ...s };
      await withTx(db, (tx) => settleEntries(tx, ctx, runId, seen, next));
      Object.assign(s, next);
    } catch (err) {
      if (!failure) fail(err);
    }
  }

  await withTx(db, async (tx) => {
    await countRun(tx, connectorId, runId, from, to, s);
    const { status, error, fetched, created, updated, unchanged } = s;
    // the counts the run's columns do not hold
    const details: Record<string, unknown> = { from, to };
    for (const [k, v] of Object.entries(s)) if (typeof v === "number" && !["fetched", "created", "updated", "unchanged"].includes(k)) details[k] = v;
    await tx
      .update(syncRuns)
      .set({ status, error, finishedAt: sql`now()`, fetched, created, updated, unchanged, posted: 0, failed: 0, details })
      .where(eq(syncRuns.id, runId));
    await writeAudit(
      { ...ctx, db: tx },
      { action: "erp.read_back", entityType: "sync_run", entityId: runId, after: { connectorId, status, error, fetched, created, updated, unchanged, ...details } },
    );
  });

  if (failure && !(failure instanceof NetSuiteReadError) && !(failure instanceof ErpAnswerError)) throw failure;
  return s;
}

// ---- one read-back of a connector at a time ----------------------------------------------

/** The lock's key: one per ERP connector. */
const lockKey = (connectorId: string) => sql`hashtext(${`hourbridge:read-back:${connectorId}`})`;

/**
 * Runs `fn` while holding the connector's read-back lock, which every read-back of the
 * connector takes; a caller that must see the ERP's side exactly as one read-back left it (a
 * reconciliation comparing right after its read) holds it across both and passes `lockHeld`.
 *
 * The lock is a transaction-scoped advisory lock, held by a transaction that stays open (and
 * idle) for as long as `fn` runs on other connections, so it is released when `fn` ends — or
 * when the process dies and its connection closes. A read-back that finds the lock taken does
 * not wait inside PostgreSQL (that would hold one connection per waiter, and a pool full of
 * waiters would starve the holder of the connection it needs to finish): it tries again after
 * a short pause, from 25 ms doubling to 1 s, with jitter. The holder uses two connections.
 */
export async function withReadBackLock<T>(ctx: ServiceCtx & { db: Db }, connectorId: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  let waited = false;
  for (let attempt = 0; ; attempt++) {
    signal?.throwIfAborted();
    const got = await ctx.db.transaction(async (lockTx) => {
      const [row] = (await lockTx.execute(sql`select pg_try_advisory_xact_lock(${lockKey(connectorId)}) as ok`)) as unknown as { ok: boolean }[];
      if (!row?.ok) return { held: false as const };
      return { held: true as const, value: await fn() };
    });
    if (got.held) return got.value;
    if (!waited) {
      waited = true;
      logOf(ctx).info("another read-back of this connector is running: waiting for it to finish", { connectorId });
    }
    await pause(Math.min(1000, 25 * 2 ** attempt) * (0.5 + Math.random() / 2), signal);
  }
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    const timer = setTimeout(done, ms);
    function done() {
      signal?.removeEventListener("abort", abort);
      resolve();
    }
    function abort() {
      clearTimeout(timer);
      reject(signal!.reason);
    }
    signal?.addEventListener("abort", abort, { once: true });
  });

// ---- time records ------------------------------------------------------------------------

type RecordRow = typeof erpTimeRecords.$inferInsert;

function checkRecord(r: ErpTimeRecord): void {
  const bad = (what: string, v: unknown) => new ErpAnswerError(`the ERP's time record ${r.erpId} has ${what} ${JSON.stringify(v)}`);
  if (!isDay(r.workDate)) throw bad("a date that is not a day,", r.workDate);
  if (!DECIMAL.test(r.hours)) throw bad("hours that are not a number,", r.hours);
  if (r.rate !== null && !DECIMAL.test(r.rate)) throw bad("a rate that is not a number,", r.rate);
  if (r.lastModifiedAt !== null && Number.isNaN(Date.parse(r.lastModifiedAt))) throw bad("a modification time that is not a time,", r.lastModifiedAt);
}

async function storeTimeRecords(tx: Tx, connectorId: string, runId: string, page: ErpTimeRecord[], s: ReadBackSummary): Promise<void> {
  // the same record twice in one page (the ERP's paging shifted): the last reading wins
  const byId = new Map<string, ErpTimeRecord>();
  for (const r of page) {
    checkRecord(r);
    byId.set(r.erpId, r);
  }
  const records = [...byId.values()];
  const ids = records.map((r) => r.erpId);

  const existing = new Map(
    (
      await tx
        .select()
        .from(erpTimeRecords)
        .where(and(eq(erpTimeRecords.connectorId, connectorId), inArray(erpTimeRecords.erpId, ids)))
        .for("update")
    ).map((r) => [r.erpId, r]),
  );

  const links = await entriesForErpIds(tx, ids);
  const byMemo = records.filter((r) => !links.has(r.erpId)).flatMap((r) => {
    const ref = parseMemoReference(r.memo);
    return ref ? [{ erpId: r.erpId, ...ref }] : [];
  });
  if (byMemo.length) {
    const found = await tx
      .select({ id: timeEntries.id, sourceSystem: timeEntries.sourceSystem, sourceId: timeEntries.sourceId })
      .from(timeEntries)
      .where(
        or(
          ...[...new Set(byMemo.map((m) => m.sourceSystem))].map((sys) =>
            and(eq(timeEntries.sourceSystem, sys), inArray(timeEntries.sourceId, byMemo.filter((m) => m.sourceSystem === sys).map((m) => m.sourceId))),
          ),
        ),
      );
    const bySource = new Map(found.map((e) => [`${e.sourceSystem}:${e.sourceId}`, e.id]));
    for (const m of byMemo) {
      const id = bySource.get(`${m.sourceSystem}:${m.sourceId}`);
      if (id) links.set(m.erpId, id);
    }
  }

  const entryIds = [...new Set(links.values())];
  const entries = new Map(
    entryIds.length
      ? (
          await tx
            .select({ id: timeEntries.id, legalEntityId: timeEntries.legalEntityId, projectId: timeEntries.projectId })
            .from(timeEntries)
            .where(inArray(timeEntries.id, entryIds))
        ).map((e) => [e.id, e])
      : [],
  );
  const entities = await legalEntitiesBySubsidiary(tx, records.map((r) => r.subsidiaryId));
  const jobs = await projectsByJob(tx, records.map((r) => r.jobId));

  const rows: RecordRow[] = records.map((r) => {
    const entryId = links.get(r.erpId) ?? null;
    const entry = entryId ? entries.get(entryId) : undefined;
    return {
      connectorId,
      erpId: r.erpId,
      timeEntryId: entryId,
      legalEntityId: entry?.legalEntityId ?? entities.get(r.subsidiaryId) ?? null,
      projectId: entry?.projectId ?? jobs.get(r.jobId) ?? null,
      employeeErpId: r.employeeId,
      jobErpId: r.jobId,
      itemErpId: r.itemId,
      subsidiaryErpId: r.subsidiaryId,
      workDate: r.workDate,
      hours: r.hours,
      rate: r.rate,
      billable: r.billable,
      memo: r.memo,
      approvalStatus: r.approvalStatus,
      invoiceErpId: r.invoiceId,
      erpModifiedAt: r.lastModifiedAt === null ? null : new Date(r.lastModifiedAt),
      syncRunId: runId,
      missingSince: null,
    };
  });

  for (const row of rows) {
    const old = existing.get(row.erpId);
    if (!old) s.created += 1;
    else if (sameRecord(old, row)) s.unchanged += 1;
    else s.updated += 1;
    if (old?.missingSince) s.reappeared += 1;
  }

  const excluded = (col: string) => sql.raw(`excluded.${col}`);
  await tx
    .insert(erpTimeRecords)
    .values(rows)
    .onConflictDoUpdate({
      target: [erpTimeRecords.connectorId, erpTimeRecords.erpId],
      set: {
        timeEntryId: excluded("time_entry_id"),
        legalEntityId: excluded("legal_entity_id"),
        projectId: excluded("project_id"),
        employeeErpId: excluded("employee_erp_id"),
        jobErpId: excluded("job_erp_id"),
        itemErpId: excluded("item_erp_id"),
        subsidiaryErpId: excluded("subsidiary_erp_id"),
        workDate: excluded("work_date"),
        hours: excluded("hours"),
        rate: excluded("rate"),
        billable: excluded("billable"),
        memo: excluded("memo"),
        approvalStatus: excluded("approval_status"),
        invoiceErpId: excluded("invoice_erp_id"),
        erpModifiedAt: excluded("erp_modified_at"),
        lastSeenAt: sql`now()`,
        missingSince: sql`null`,
        syncRunId: excluded("sync_run_id"),
      },
    });
}

const sameNumber = (a: string | null | undefined, b: string | null | undefined) => (a ?? null) === null ? (b ?? null) === null : b != null && Number(a) === Number(b);
const sameTime = (a: Date | null | undefined, b: Date | null | undefined) => (a?.getTime() ?? null) === (b?.getTime() ?? null);

/** Whether what the ERP says of a record now is what we held (when and by which run it was seen aside). */
function sameRecord(old: typeof erpTimeRecords.$inferSelect, row: RecordRow): boolean {
  return (
    old.timeEntryId === row.timeEntryId &&
    old.legalEntityId === row.legalEntityId &&
    old.projectId === row.projectId &&
    old.employeeErpId === row.employeeErpId &&
    old.jobErpId === row.jobErpId &&
    old.itemErpId === row.itemErpId &&
    old.subsidiaryErpId === row.subsidiaryErpId &&
    old.workDate === row.workDate &&
    sameNumber(old.hours, row.hours) &&
    sameNumber(old.rate, row.rate) &&
    old.billable === row.billable &&
    old.memo === row.memo &&
    old.approvalStatus === row.approvalStatus &&
    old.invoiceErpId === row.invoiceErpId &&
    sameTime(old.erpModifiedAt, row.erpModifiedAt)
  );
}

/**
 * The entries that own these ERP time records: the entry that holds the ERP id, else the
 * entry of an accepted create posting that received it. (The memo is the caller's last resort.)
 */
async function entriesForErpIds(tx: Tx, erpIds: string[]): Promise<Map<string, string>> {
  const links = new Map<string, string>();
  if (erpIds.length === 0) return links;
  const held = await tx
    .select({ id: timeEntries.id, erpId: timeEntries.erpId })
    .from(timeEntries)
    .where(inArray(timeEntries.erpId, erpIds))
    .orderBy(timeEntries.id);
  for (const e of held) if (e.erpId && !links.has(e.erpId)) links.set(e.erpId, e.id);
  const rest = erpIds.filter((id) => !links.has(id));
  if (rest.length) {
    const posted = await tx
      .select({ entryId: erpPostings.timeEntryId, erpId: erpPostings.erpId })
      .from(erpPostings)
      .where(and(eq(erpPostings.status, "accepted"), eq(erpPostings.kind, "create"), inArray(erpPostings.erpId, rest)))
      .orderBy(erpPostings.acceptedAt);
    for (const p of posted) if (p.erpId && p.entryId && !links.has(p.erpId)) links.set(p.erpId, p.entryId);
  }
  return links;
}

async function legalEntitiesBySubsidiary(tx: Tx, subsidiaries: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(subsidiaries)];
  if (ids.length === 0) return new Map();
  const rows = await tx.select({ id: legalEntities.id, erpId: legalEntities.erpSubsidiaryId }).from(legalEntities).where(inArray(legalEntities.erpSubsidiaryId, ids));
  return new Map(rows.map((r) => [r.erpId, r.id]));
}

async function projectsByJob(tx: Tx, jobs: (string | null)[]): Promise<Map<string, string>> {
  const ids = [...new Set(jobs.filter((j): j is string => j !== null))];
  if (ids.length === 0) return new Map();
  const rows = await tx.select({ id: projects.id, erpId: projects.erpId }).from(projects).where(inArray(projects.erpId, ids));
  return new Map(rows.map((r) => [r.erpId, r.id]));
}

/**
 * Records of the range this run did not see: missing from now on (the first time only). Not
 * seen means neither written by this run nor seen by anyone since it started — so a record
 * another reader saw meanwhile is never taken for gone (read-backs of a connector are
 * serialised anyway; this keeps the judgement right on its own).
 */
async function markMissing(tx: Tx, connectorId: string, runId: string, from: string, to: string, s: ReadBackSummary): Promise<void> {
  const marked = await tx
    .update(erpTimeRecords)
    .set({ missingSince: sql`now()` })
    .where(
      and(
        eq(erpTimeRecords.connectorId, connectorId),
        gte(erpTimeRecords.workDate, from),
        lte(erpTimeRecords.workDate, to),
        isNull(erpTimeRecords.missingSince),
        sql`${erpTimeRecords.syncRunId} is distinct from ${runId}`,
        sql`${erpTimeRecords.lastSeenAt} < (select r.started_at from ${syncRuns} r where r.id = ${runId})`,
      ),
    )
    .returning({ id: erpTimeRecords.id });
  s.newlyMissing = marked.length;
}

/** The run's record counts, from what it stored (distinct records, also after a failure). */
async function countRun(tx: Tx, connectorId: string, runId: string, from: string, to: string, s: ReadBackSummary): Promise<void> {
  const [seen] = (await tx.execute(sql`
    select count(*)::int as fetched, count(time_entry_id)::int as matched
    from ${erpTimeRecords} where connector_id = ${connectorId} and sync_run_id = ${runId}`)) as unknown as { fetched: number; matched: number }[];
  s.fetched = seen!.fetched;
  s.matched = seen!.matched;
  s.unmatched = seen!.fetched - seen!.matched;
  const [missing] = (await tx.execute(sql`
    select count(*)::int as n from ${erpTimeRecords}
    where connector_id = ${connectorId} and work_date between ${from}::date and ${to}::date and missing_since is not null`)) as unknown as { n: number }[];
  s.missing = missing!.n;
  // an entry claimed by several records the ERP still holds: each one beyond the first is a duplicate
  const [dup] = (await tx.execute(sql`
    select coalesce(sum(n - 1), 0)::int as n from (
      select count(*) as n from ${erpTimeRecords}
      where connector_id = ${connectorId} and missing_since is null
        and time_entry_id in (select time_entry_id from ${erpTimeRecords} where connector_id = ${connectorId} and sync_run_id = ${runId})
      group by time_entry_id having count(*) > 1
    ) d`)) as unknown as { n: number }[];
  s.duplicates = dup!.n;
}

// ---- invoices ----------------------------------------------------------------------------

type LineRow = typeof invoiceLines.$inferInsert;

/**
 * Invoice statuses (the ERP connector's words) under which an invoice bills nothing any more:
 * the ERP released its time, which may be billed again.
 */
export const NOT_BILLING_STATUSES = ["voided", "credited"] as const;
type NotBilling = (typeof NOT_BILLING_STATUSES)[number];
const notBilling = (status: string): NotBilling | null => (NOT_BILLING_STATUSES as readonly string[]).includes(status) ? (status as NotBilling) : null;

/** An invoice a read saw, as stored: the evidence `settleEntries` judges entries by. */
type SeenInvoice = { erpId: string; number: string; invoiceDate: string; cancelled: NotBilling | null };

function checkInvoice(v: ErpInvoice): void {
  const bad = (what: string, val: unknown) => new ErpAnswerError(`the ERP's invoice ${v.erpId} has ${what} ${JSON.stringify(val)}`);
  if (!isDay(v.invoiceDate)) throw bad("a date that is not a day,", v.invoiceDate);
  if (!DECIMAL.test(v.total)) throw bad("a total that is not a number,", v.total);
  if (!CURRENCY.test(v.currency)) throw bad("a currency that is not an ISO code,", v.currency);
  for (const l of v.lines) {
    if (!DECIMAL.test(l.amount)) throw bad(`on line ${l.line} an amount that is not a number,`, l.amount);
    if (l.quantity !== null && !DECIMAL.test(l.quantity)) throw bad(`on line ${l.line} a quantity that is not a number,`, l.quantity);
    if (!Number.isInteger(l.line)) throw bad("a line number that is not a number,", l.line);
  }
}

async function storeInvoices(tx: Tx, connectorId: string, page: ErpInvoice[], s: ReadBackSummary, seen: Map<string, SeenInvoice>): Promise<void> {
  const byId = new Map<string, ErpInvoice>();
  for (const v of page) {
    checkInvoice(v);
    byId.set(v.erpId, v);
  }
  const list = [...byId.values()];
  s.invoicesFetched += list.length;

  const entities = await legalEntitiesBySubsidiary(tx, list.map((v) => v.subsidiaryId));
  const jobs = await projectsByJob(tx, list.map((v) => v.jobId));
  const custIds = [...new Set(list.map((v) => v.customerId))];
  const custs = new Map(
    (await tx.select({ id: customers.id, erpId: customers.erpId }).from(customers).where(inArray(customers.erpId, custIds))).map((c) => [c.erpId, c.id]),
  );
  const existing = new Map(
    (
      await tx
        .select()
        .from(invoices)
        .where(inArray(invoices.erpId, list.map((v) => v.erpId)))
        .for("update")
    ).map((v) => [v.erpId, v]),
  );

  // which entry each time line of an invoice that still bills bills
  const timeBills = [...new Set(list.flatMap((v) => (notBilling(v.status) ? [] : v.lines.map((l) => l.timeBillId).filter((t): t is string => t !== null))))];
  const billOwner = await entriesForTimeBills(tx, connectorId, timeBills);

  for (const v of list) {
    const legalEntityId = entities.get(v.subsidiaryId);
    if (!legalEntityId) {
      s.invoicesSkipped += 1;
      continue;
    }
    const row = {
      erpId: v.erpId,
      number: v.number,
      customerId: custs.get(v.customerId) ?? null,
      legalEntityId,
      projectId: v.jobId === null ? null : (jobs.get(v.jobId) ?? null),
      invoiceDate: v.invoiceDate,
      currency: v.currency,
      total: v.total,
      status: v.status,
    };
    const old = existing.get(v.erpId);
    let invoiceId: string;
    if (!old) {
      // a concurrent read-back may have stored it meanwhile: then this reading updates it
      const [created] = await tx
        .insert(invoices)
        .values(row)
        .onConflictDoUpdate({ target: invoices.erpId, set: { ...row, updatedAt: sql`now()` } })
        .returning({ id: invoices.id, inserted: sql<boolean>`xmax = 0` });
      invoiceId = created!.id;
      if (created!.inserted) s.invoicesCreated += 1;
      else s.invoicesUpdated += 1;
    } else {
      invoiceId = old.id;
      const same =
        old.number === row.number &&
        old.customerId === row.customerId &&
        old.legalEntityId === row.legalEntityId &&
        old.projectId === row.projectId &&
        old.invoiceDate === row.invoiceDate &&
        old.currency === row.currency &&
        sameNumber(old.total, row.total) &&
        old.status === row.status;
      if (same) s.invoicesUnchanged += 1;
      else {
        await tx
          .update(invoices)
          .set({ ...row, updatedAt: sql`now()` })
          .where(eq(invoices.id, old.id));
        s.invoicesUpdated += 1;
      }
    }

    // a voided or credited invoice keeps the lines the ERP shows, linked to no entry: it bills no one
    const cancelled = notBilling(v.status);
    const wanted: LineRow[] = v.lines.map((l) => {
      const entryId = l.timeBillId === null || cancelled ? null : (billOwner.get(l.timeBillId) ?? null);
      if (l.timeBillId !== null && !cancelled && entryId === null) s.invoiceLinesUnmatched += 1;
      return { invoiceId, erpLineId: `${v.erpId}#${l.line}`, timeEntryId: entryId, hours: l.quantity, amount: l.amount };
    });
    if (await replaceLinesIfChanged(tx, invoiceId, wanted)) s.invoiceLinesReplaced += 1;
    seen.set(invoiceId, { erpId: v.erpId, number: v.number, invoiceDate: v.invoiceDate, cancelled });
  }
}

/**
 * The entries that own these time bills: first as this connector's read-back linked them
 * (which also knows memo references), else by the entry's ERP id or an accepted posting.
 */
async function entriesForTimeBills(tx: Tx, connectorId: string, timeBills: string[]): Promise<Map<string, string>> {
  const owners = new Map<string, string>();
  if (timeBills.length === 0) return owners;
  const known = await tx
    .select({ erpId: erpTimeRecords.erpId, entryId: erpTimeRecords.timeEntryId })
    .from(erpTimeRecords)
    .where(and(eq(erpTimeRecords.connectorId, connectorId), inArray(erpTimeRecords.erpId, timeBills)));
  for (const k of known) if (k.entryId) owners.set(k.erpId, k.entryId);
  const rest = timeBills.filter((t) => !owners.has(t));
  for (const [erpId, entryId] of await entriesForErpIds(tx, rest)) owners.set(erpId, entryId);
  return owners;
}

const lineKey = (l: { timeEntryId?: string | null; hours?: string | null; amount: string }) =>
  `${l.timeEntryId ?? "-"}|${l.hours == null ? "-" : Number(l.hours).toFixed(2)}|${Number(l.amount).toFixed(2)}`;

/**
 * Replaces an invoice's lines with the ERP's when they differ in substance (which entry,
 * hours, amount); returns whether it did. A line we held keeps its description and expense
 * link when the ERP's line is the same line (same entry; or, without one, same hours and amount).
 */
async function replaceLinesIfChanged(tx: Tx, invoiceId: string, wanted: LineRow[]): Promise<boolean> {
  const held = await tx.select().from(invoiceLines).where(eq(invoiceLines.invoiceId, invoiceId)).orderBy(invoiceLines.erpLineId, invoiceLines.id);
  const a = held.map(lineKey).sort();
  const b = wanted.map(lineKey).sort();
  if (a.length === b.length && a.every((k, i) => k === b[i])) return false;

  const unused = [...held];
  const rows = wanted.map((w) => {
    const i = w.timeEntryId
      ? unused.findIndex((h) => h.timeEntryId === w.timeEntryId)
      : unused.findIndex((h) => h.timeEntryId === null && lineKey(h) === lineKey(w));
    const prev = i >= 0 ? unused.splice(i, 1)[0] : undefined;
    return { ...w, description: prev?.description ?? null, expenseEntryId: prev?.expenseEntryId ?? null };
  });
  await tx.delete(invoiceLines).where(eq(invoiceLines.invoiceId, invoiceId));
  if (rows.length) await tx.insert(invoiceLines).values(rows);
  return true;
}

const CHUNK = 5000;
const chunks = <T>(xs: T[]): T[][] => Array.from({ length: Math.ceil(xs.length / CHUNK) }, (_, i) => xs.slice(i * CHUNK, (i + 1) * CHUNK));

/**
 * Brings the entries the invoices read concern in line with them, judging only by those
 * invoices (as stored by this read, lines and all):
 *
 * - an entry billed on an invoice that was read and no longer bills it (the line is gone, or
 *   the invoice was voided or credited) is unbilled: `credit` (billed → posted), invoice and
 *   `billedAt` cleared, an `uninvoiced` lineage row saying why;
 * - a posted entry (also one just unbilled) that an invoice read bills becomes billed on it:
 *   `invoice`, an `invoiced` lineage row. Several invoices billing one entry: the earliest
 *   (invoice date, then ERP id);
 * - an entry billed on an invoice that was not read (dated outside the range) stays as it is:
 *   that it is absent from this read says nothing; one in any other state is counted
 *   (`invoicedButNotPosted`) and left for reconciliation.
 *
 * Updates are conditional on the state read under the row lock, so a re-read changes nothing.
 */
async function settleEntries(tx: Tx, ctx: ServiceCtx, runId: string, seen: Map<string, SeenInvoice>, s: ReadBackSummary): Promise<void> {
  const invoiceIds = [...seen.keys()];
  const billing = invoiceIds.filter((id) => !seen.get(id)!.cancelled);
  const order = (a: string, b: string) => {
    const x = seen.get(a)!;
    const y = seen.get(b)!;
    return x.invoiceDate.localeCompare(y.invoiceDate) || x.erpId.localeCompare(y.erpId);
  };

  /** entry → the invoices read that bill it, earliest first */
  const billers = new Map<string, string[]>();
  for (const part of chunks(billing)) {
    const lines = await tx
      .selectDistinct({ entryId: invoiceLines.timeEntryId, invoiceId: invoiceLines.invoiceId })
      .from(invoiceLines)
      .where(and(inArray(invoiceLines.invoiceId, part), isNotNull(invoiceLines.timeEntryId)));
    for (const l of lines) {
      const list = billers.get(l.entryId!);
      if (list) list.push(l.invoiceId);
      else billers.set(l.entryId!, [l.invoiceId]);
    }
  }
  for (const list of billers.values()) list.sort(order);

  // the entries concerned: those an invoice read bills, and those billed on an invoice read
  const ids = new Set(billers.keys());
  for (const part of chunks(invoiceIds)) {
    const onThem = await tx
      .select({ id: timeEntries.id })
      .from(timeEntries)
      .where(and(eq(timeEntries.state, "billed"), inArray(timeEntries.invoiceId, part)));
    for (const e of onThem) ids.add(e.id);
  }
  if (ids.size === 0) return;

  type Entry = { id: string; state: (typeof timeEntries.$inferSelect)["state"]; invoiceId: string | null; version: number; postedVersion: number | null };
  const entries: Entry[] = [];
  for (const part of chunks([...ids].sort())) {
    entries.push(
      ...(await tx
        .select({ id: timeEntries.id, state: timeEntries.state, invoiceId: timeEntries.invoiceId, version: timeEntries.version, postedVersion: timeEntries.postedVersion })
        .from(timeEntries)
        .where(inArray(timeEntries.id, part))
        .orderBy(timeEntries.id)
        .for("update")),
    );
  }

  /** by the invoice they leave */
  const unbill = new Map<string, Entry[]>();
  /** by the invoice that bills them */
  const bill = new Map<string, Entry[]>();
  const add = (m: Map<string, Entry[]>, k: string, e: Entry) => {
    const list = m.get(k);
    if (list) list.push(e);
    else m.set(k, [e]);
  };
  for (const e of entries) {
    const on = billers.get(e.id) ?? [];
    if (e.state === "billed") {
      const own = e.invoiceId;
      if (own && seen.has(own) && !on.includes(own)) {
        add(unbill, own, e);
        if (on.length) add(bill, on[0]!, e);
      } else if (on.length) s.alreadyBilled += 1;
    } else if (on.length) {
      if (e.state === "posted") add(bill, on[0]!, e);
      else s.invoicedButNotPosted += 1;
    }
  }

  const actorLabel = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  const events: EntryEventInput[] = [];
  for (const [invoiceId, list] of unbill) {
    const v = seen.get(invoiceId)!;
    const to = transition("billed", "credit");
    const done = await tx
      .update(timeEntries)
      .set({ state: to, invoiceId: null, billedAt: null, updatedAt: sql`now()` })
      .where(and(inArray(timeEntries.id, list.map((e) => e.id)), eq(timeEntries.state, "billed"), eq(timeEntries.invoiceId, invoiceId)))
      .returning({ id: timeEntries.id });
    const moved = new Set(done.map((d) => d.id));
    const why =
      v.cancelled === "voided"
        ? `Invoice ${v.number} was voided in the ERP`
        : v.cancelled === "credited"
          ? `Invoice ${v.number} was credited in full in the ERP`
          : `Its line was removed from invoice ${v.number} in the ERP`;
    for (const e of list) {
      if (!moved.has(e.id)) continue;
      // the entry is posted again until an invoice bills it
      e.state = to;
      s.uninvoiced += 1;
      events.push({
        timeEntryId: e.id,
        kind: "uninvoiced",
        fromState: "billed",
        toState: to,
        version: e.postedVersion ?? e.version,
        message: `${why}: no longer billed, posted and billable again.`,
        data: { invoiceId, invoiceErpId: v.erpId, invoiceNumber: v.number, reason: v.cancelled ?? "line_removed", syncRunId: runId },
      });
    }
  }
  for (const [invoiceId, list] of bill) {
    const v = seen.get(invoiceId)!;
    const ready = list.filter((e) => e.state === "posted");
    if (ready.length === 0) continue;
    const to = transition("posted", "invoice");
    const done = await tx
      .update(timeEntries)
      .set({ state: to, billedAt: new Date(`${v.invoiceDate}T00:00:00Z`), invoiceId, updatedAt: sql`now()` })
      .where(and(inArray(timeEntries.id, ready.map((e) => e.id)), eq(timeEntries.state, "posted")))
      .returning({ id: timeEntries.id });
    const moved = new Set(done.map((d) => d.id));
    for (const e of ready) {
      if (!moved.has(e.id)) continue;
      s.billed += 1;
      events.push({
        timeEntryId: e.id,
        kind: "invoiced",
        fromState: "posted",
        toState: to,
        version: e.postedVersion ?? e.version,
        message: `Billed by the ERP on invoice ${v.number} of ${v.invoiceDate}.`,
        data: { invoiceId, invoiceErpId: v.erpId, invoiceNumber: v.number, invoiceDate: v.invoiceDate, syncRunId: runId },
      });
    }
  }
  await recordEntryEvents(tx, actorLabel, ctx.correlationId, events);
}
