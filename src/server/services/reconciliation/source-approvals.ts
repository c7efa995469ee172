import { sql } from "drizzle-orm";
import type { SourceConnector, SourcePage } from "@/sync/connectors/types";
import { SUBJECTS } from "@/sync/rules/types";
import type { Db, Tx } from "../../db/client";
import type { SourceApprovalsCheck } from "../../db/schema/reporting";
import type { SourceSystem } from "../../domain/enums";
import { effectiveEmployeeId, effectiveProjectId, reportingValue } from "../kpis/definitions";

/**
 * Approval differences with the sources, found from each source's *current* state rather than
 * from what Hourbridge last pulled (docs/reconciliation.md, "Approval differences with the
 * source"). Two steps:
 *
 * 1. `readSourceApprovals` (outside any transaction: reading a source can be slow) lists the
 *    source's time entries dated in the period through each running source connector, page by
 *    page, and keeps only what disagrees with Hourbridge: entries approved here that the source
 *    shows submitted or rejected, entries approved at the source that Hourbridge holds as
 *    submitted, rejected or void or never received, and — once the listing is proven complete —
 *    entries approved here that the source no longer lists. Memory holds the listed ids and the
 *    differences, not the entries.
 * 2. `stageApprovalLines` (inside the comparison's transaction) checks each difference again
 *    against Hourbridge's rows as they stand then, names the legal entity the way the comparison
 *    does (the entry's, else its project's; an entry never received through its source project's
 *    mapping), and stages the variance lines of the run's entity and period.
 *
 * A source that cannot be read (an error, a listing that cannot be proven complete, no running
 * source connector, too slow) makes the whole check "not checked" with the reason: a partial
 * count would read as "no difference" where nobody looked.
 */

/** A source connector the run may ask. */
export type ApprovalSource = { connector: SourceConnector; connectorId: string; connectorName: string };

/** The source connectors as the run found them: those it may ask, and those it may not, with why. */
export type ApprovalSources = { usable: ApprovalSource[]; notUsed: { name: string; system: string; reason: string }[] };

/** What the source says of an entry now. */
export type AtSource = "approved" | "submitted" | "rejected" | "deleted";

/** One entry whose approval at the source disagrees with Hourbridge's state, with the source's facts. */
export type ApprovalFinding = {
  sourceSystem: string;
  sourceId: string;
  atSource: AtSource;
  workDate: string | null;
  hours: string | null;
  sourceProjectId: string | null;
  sourceUserId: string | null;
  sourceBillRate: string | null;
  sourceCurrency: string | null;
  approvedAt: string | null;
  /** when the connector's last complete pull began (null: none has finished) */
  pulledSince: string | null;
  /** the subject key a refusal of this payload on arrival is raised under */
  refusedKey: string;
};

export type SourceApprovalReading =
  | {
      checked: true;
      from: string;
      to: string;
      readAt: string;
      /** the source systems asked (their entries are compared; others are not) */
      systems: string[];
      sources: { name: string; system: string; listed: number }[];
      findings: ApprovalFinding[];
      /** listed entries whose approval could not be read (left out) */
      unreadable: number;
      /** sentences to add to the run's note (connectors not asked, deletions not judged) */
      remarks: string[];
    }
  | { checked: false; reason: string };

/** How long the sources may take to list the period, all together, before the check gives up. */
export const SOURCE_READ_TIMEOUT_MS = 5 * 60_000;
/** Walks of one source that changed under the listing (counts disagree) before giving up. */
const WALK_ATTEMPTS = 2;
const HERE_APPROVED = new Set(["approved", "posted", "billed"]);
const NOT_APPROVED_HERE = new Set(["submitted", "rejected", "void"]);

/** A page as a connector that can prove a listing complete reports it (see full-walk.ts). */
type CountedPage = SourcePage & { totalEntries?: number; received?: number };

/** A text[] literal for a list of ids (quoted, so any id survives). */
export function pgTextArray(values: Iterable<string>): string {
  const parts: string[] = [];
  for (const v of values) parts.push(`"${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`);
  return `{${parts.join(",")}}`;
}

const str = (v: unknown, re?: RegExp): string | null => (typeof v === "string" && v !== "" && (!re || re.test(v)) ? v : null);
const DECIMAL = /^\d+(\.\d+)?$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

type ListedItem = { sourceId: string | null; status: AtSource | null; facts: Omit<ApprovalFinding, "sourceSystem" | "sourceId" | "atSource" | "pulledSince" | "refusedKey"> };

/**
 * A listed item read leniently from its canonical reading (the connector's job): a payload the
 * canonical schema would refuse still has an id and, usually, an approval to compare.
 */
function readItem(item: { payload: unknown; entry: unknown }): ListedItem {
  const e = (typeof item.entry === "object" && item.entry !== null ? item.entry : {}) as Record<string, unknown>;
  const payloadId = (item.payload as { id?: unknown } | null)?.id;
  const sourceId = str(e.sourceId) ?? (typeof payloadId === "string" || typeof payloadId === "number" ? String(payloadId) : null);
  const status: AtSource | null = e.deleted === true ? "deleted" : e.status === "approved" || e.status === "submitted" || e.status === "rejected" ? e.status : null;
  const approvedAt = str(e.approvedAt);
  return {
    sourceId,
    status,
    facts: {
      workDate: str(e.workDate, DATE),
      hours: str(e.hours, DECIMAL),
      sourceProjectId: str(e.sourceProjectId),
      sourceUserId: str(e.sourceUserId),
      sourceBillRate: str(e.sourceBillRate, DECIMAL),
      sourceCurrency: str(e.sourceCurrency, /^[A-Z]{3}$/),
      approvedAt: approvedAt && !Number.isNaN(Date.parse(approvedAt)) ? new Date(approvedAt).toISOString() : null,
    },
  };
}

const NO_FACTS: ListedItem["facts"] = { workDate: null, hours: null, sourceProjectId: null, sourceUserId: null, sourceBillRate: null, sourceCurrency: null, approvedAt: null };

/** When the connector's last complete pull began, from its cursor (null when none has finished). */
async function pulledSinceOf(db: Db, connectorId: string): Promise<string | null> {
  const [row] = (await db.execute(sql`select cursor from sync_cursors where connector_id = ${connectorId} and object_type = 'time_entries'`)) as unknown as { cursor: string }[];
  if (!row) return null;
  try {
    const since = (JSON.parse(row.cursor) as { since?: unknown }).since;
    return typeof since === "string" && !Number.isNaN(Date.parse(since)) ? new Date(since).toISOString() : null;
  } catch {
    return null;
  }
}

type Walk = { ok: true; listed: Set<string>; findings: Map<string, ApprovalFinding>; unreadable: number } | { ok: false; reason: string; retry: boolean };

/**
 * One listing of a source over the dates, compared page by page with Hourbridge's states, and
 * proven complete as the full walk proves it: the source's count agrees on the first and last
 * pages, that many were received, and as many distinct ids. `retry`: the entries changed under
 * the listing, so listing again may succeed.
 */
async function walkSource(
  db: Db,
  src: ApprovalSource,
  { from, to, signal, timeoutMs, perPage, pulledSince }: { from: string; to: string; signal: AbortSignal; timeoutMs: number; perPage: number | undefined; pulledSince: string | null },
): Promise<Walk> {
  const system = src.connector.system;
  const listed = new Set<string>();
  const findings = new Map<string, ApprovalFinding>();
  let unreadable = 0;
  let withoutId = 0;
  let received = 0;
  let first: CountedPage | null = null;
  let last: CountedPage | null = null;
  const pages = src.connector.timeEntries({ from, to, perPage, signal })[Symbol.asyncIterator]();
  try {
    for (;;) {
      const step = await pages.next();
      if (step.done) break;
      const page = step.value as CountedPage;
      first ??= page;
      last = page;
      received += page.items.length;
      const items = page.items.map(readItem);
      const ids = items.map((i) => i.sourceId).filter((id): id is string => id !== null);
      const here = ids.length
        ? ((await db.execute(sql`
            select source_id, state::text as state from time_entries
            where source_system = ${system} and source_id = any(${pgTextArray(ids)}::text[])`)) as unknown as { source_id: string; state: string }[])
        : [];
      const stateOf = new Map(here.map((r) => [r.source_id, r.state]));
      for (const item of items) {
        if (item.sourceId === null) {
          withoutId += 1;
          continue;
        }
        listed.add(item.sourceId);
        if (item.status === null) {
          unreadable += 1;
          continue;
        }
        const state = stateOf.get(item.sourceId);
        const differs = item.status === "approved" ? state === undefined || NOT_APPROVED_HERE.has(state) : state !== undefined && HERE_APPROVED.has(state);
        if (differs) {
          findings.set(item.sourceId, {
            sourceSystem: system,
            sourceId: item.sourceId,
            atSource: item.status,
            ...item.facts,
            pulledSince,
            refusedKey: SUBJECTS.raw(system as SourceSystem, "time_entry", item.sourceId),
          });
        } else findings.delete(item.sourceId); // listed twice (pages shifted): the later reading wins
      }
      if (!page.hasMore) break;
    }
  } catch (err) {
    if (signal.aborted) return { ok: false, reason: `${src.connectorName} did not finish listing the period's entries within ${timeoutMs / 1000} s`, retry: false };
    return { ok: false, reason: `${src.connectorName} could not be read: ${(err as Error)?.message ?? String(err)}`, retry: false };
  } finally {
    await pages.return?.(undefined);
  }
  if (!first || !last) return { ok: false, reason: `${src.connectorName} answered with no page`, retry: false };
  if (last.hasMore) return { ok: false, reason: `${src.connectorName}'s listing ended before its last page`, retry: false };
  const total = first.totalEntries;
  if (typeof total !== "number" || total < 0 || typeof last.received !== "number") {
    return { ok: false, reason: `${src.connectorName} does not say how many entries it lists, so an entry missing from its listing would prove nothing`, retry: false };
  }
  if (last.totalEntries !== total || last.received !== total || received !== total) {
    return { ok: false, reason: `${src.connectorName}'s entries changed while they were listed (it counted ${total} on the first page, ${last.totalEntries} on the last; ${received} were received)`, retry: true };
  }
  if (withoutId > 0) return { ok: false, reason: `${src.connectorName} listed ${withoutId} entr${withoutId === 1 ? "y" : "ies"} without an id`, retry: false };
  if (listed.size !== received) return { ok: false, reason: `${src.connectorName} listed ${received} entries but only ${listed.size} distinct (pages shifted during the listing)`, retry: true };
  return { ok: true, listed, findings, unreadable };
}

/**
 * Lists every usable source's entries dated `from` to `to` and keeps what disagrees with
 * Hourbridge (see the module's comment). Never throws for a source's failure: the reading says
 * "not checked" and why.
 */
export async function readSourceApprovals({
  db,
  sources,
  from,
  to,
  timeoutMs = SOURCE_READ_TIMEOUT_MS,
  perPage,
  now = () => new Date(),
}: {
  db: Db;
  sources: ApprovalSources | null;
  from: string;
  to: string;
  timeoutMs?: number;
  perPage?: number;
  now?: () => Date;
}): Promise<SourceApprovalReading> {
  const notUsedWords = (sources?.notUsed ?? []).map((n) => `${n.name} (${n.reason})`).join("; ");
  if (!sources || sources.usable.length === 0) {
    return { checked: false, reason: `no source connector is set up and running${notUsedWords ? `: ${notUsedWords}` : ""}.` };
  }
  const readAt = now().toISOString();
  const signal = AbortSignal.timeout(timeoutMs);
  const listedBySystem = new Map<string, Set<string>>();
  const findings = new Map<string, ApprovalFinding>();
  const read: { name: string; system: string; listed: number }[] = [];
  let unreadable = 0;
  for (const src of sources.usable) {
    const pulledSince = await pulledSinceOf(db, src.connectorId);
    let walk: Walk = { ok: false, reason: "not read", retry: true };
    for (let attempt = 1; attempt <= WALK_ATTEMPTS && !walk.ok && walk.retry; attempt++) {
      walk = await walkSource(db, src, { from, to, signal, timeoutMs, perPage, pulledSince });
    }
    if (!walk.ok) return { checked: false, reason: `${walk.reason}.` };
    const system = src.connector.system;
    const seen = listedBySystem.get(system) ?? new Set<string>();
    for (const id of walk.listed) seen.add(id);
    listedBySystem.set(system, seen);
    for (const [id, f] of walk.findings) findings.set(`${system}|${id}`, f);
    unreadable += walk.unreadable;
    read.push({ name: src.connectorName, system, listed: walk.listed.size });
  }

  // approved here, no longer listed: judged per source system, only when every connector of that system was read
  const remarks: string[] = [];
  if (sources.notUsed.length) remarks.push(`Not asked: ${notUsedWords}.`);
  for (const [system, listed] of listedBySystem) {
    if (sources.notUsed.some((n) => n.system === system)) {
      remarks.push(`Entries of ${system} missing from the listing were not judged deleted: another ${system} connector was not asked.`);
      continue;
    }
    const pulledSince = await pulledSinceOf(db, sources.usable.find((s) => s.connector.system === system)!.connectorId);
    const missing = (await db.execute(sql`
      select te.source_id from time_entries te
      left join unnest(${pgTextArray(listed)}::text[]) as l(id) on l.id = te.source_id
      where te.source_system = ${system} and te.work_date between ${from}::date and ${to}::date
        and te.state in ('approved', 'posted', 'billed') and te.created_at < ${readAt}::timestamptz and l.id is null`)) as unknown as { source_id: string }[];
    for (const m of missing) {
      findings.set(`${system}|${m.source_id}`, {
        sourceSystem: system,
        sourceId: m.source_id,
        atSource: "deleted",
        ...NO_FACTS,
        pulledSince,
        refusedKey: SUBJECTS.raw(system as SourceSystem, "time_entry", m.source_id),
      });
    }
  }
  return { checked: true, from, to, readAt, systems: [...listedBySystem.keys()], sources: read, findings: [...findings.values()], unreadable, remarks };
}

/** What the staging found beyond the entity's lines, for the run's note. */
export type StagedApprovals = {
  /** differences no legal entity can be named for (firm-wide, in the period's dates) */
  unattributed: { count: number; hours: string; refs: string[] };
  /** the entity's approved entries of the period from sources nobody asked */
  notCompared: { system: string; count: number; hours: string }[];
};

/** How many of the unattributed differences the note names. */
const NAMED = 10;

/**
 * In the comparison's transaction: checks each difference again against Hourbridge's rows as
 * they stand now (a pull since the listing may have settled it), names its legal entity and
 * stages the lines of the run's entity and period in `recon_approval_lines` (dropped on commit):
 *
 *   the source shows it submitted / rejected / no longer lists it, we hold it approved, posted or billed → approved_here_not_in_source
 *   the source shows it approved, we hold it submitted, rejected or void, or never received it     → approved_in_source_not_here
 *
 * Entity: the entry's, else its project's (as enriched, else its source project's mapping on the
 * work date); an entry never received, through its source project's mapping on the source's work
 * date. Date: ours when we hold it approved, else the source's. The table exists (empty) when the
 * sources were not checked, so the comparison reads it either way.
 */
export async function stageApprovalLines(
  tx: Tx,
  { legalEntityId, from, to, reportingCurrency, reading }: { legalEntityId: string; from: string; to: string; reportingCurrency: string; reading: SourceApprovalReading },
): Promise<StagedApprovals | null> {
  await tx.execute(sql`drop table if exists pg_temp.recon_source_findings`);
  await tx.execute(sql`drop table if exists pg_temp.recon_approval_lines`);
  await tx.execute(sql`
    create temp table recon_source_findings (
      source_system source_system not null, source_id text not null, at_source text not null, work_date date, hours numeric, source_project_id text,
      source_user_id text, source_bill_rate numeric, source_currency text, approved_at timestamptz, pulled_since timestamptz, refused_key text not null
    ) on commit drop`);
  const findings = reading.checked ? reading.findings : [];
  for (let i = 0; i < findings.length; i += 1000) {
    const chunk = findings.slice(i, i + 1000).map((f) => ({
      source_system: f.sourceSystem,
      source_id: f.sourceId,
      at_source: f.atSource,
      work_date: f.workDate,
      hours: f.hours,
      source_project_id: f.sourceProjectId,
      source_user_id: f.sourceUserId,
      source_bill_rate: f.sourceBillRate,
      source_currency: f.sourceCurrency,
      approved_at: f.approvedAt,
      pulled_since: f.pulledSince,
      refused_key: f.refusedKey,
    }));
    await tx.execute(sql`
      insert into recon_source_findings
      select * from jsonb_to_recordset(${JSON.stringify(chunk)}::jsonb) as x(
        source_system source_system, source_id text, at_source text, work_date date, hours numeric, source_project_id text,
        source_user_id text, source_bill_rate numeric, source_currency text, approved_at timestamptz, pulled_since timestamptz, refused_key text)`);
  }

  const value = (amount: string, currency: string) => reportingValue(sql.raw(amount), sql.raw(currency), sql`y.line_date`, reportingCurrency);
  await tx.execute(sql`
    create temp table recon_approval_lines on commit drop as
    with x as (
      select f.source_system, f.source_id, f.at_source, f.approved_at, f.pulled_since, f.refused_key, f.work_date as source_work_date,
             f.hours as source_hours, round(f.hours * f.source_bill_rate, 2) as source_amount, f.source_currency,
             te.id as time_entry_id, te.state::text as state, te.version, te.erp_id, te.project_id, te.employee_id, te.legal_entity_id,
             coalesce(te.source_project_id, f.source_project_id) as source_project_id, coalesce(te.source_user_id, f.source_user_id) as source_user_id,
             coalesce(te.work_date, f.work_date) as work_date,
             te.hours as hours_ours, coalesce(te.bill_amount, round(te.hours * te.source_bill_rate, 2)) as amount_ours, coalesce(te.currency, te.source_currency) as currency_ours,
             case when f.at_source = 'approved' and (te.id is null or te.state in ('submitted', 'rejected', 'void')) then 'approved_in_source_not_here'
                  when f.at_source <> 'approved' and te.state in ('approved', 'posted', 'billed') then 'approved_here_not_in_source' end as variance_class
      from recon_source_findings f left join time_entries te on te.source_system = f.source_system and te.source_id = f.source_id),
    y as (
      select x.*, p.id as line_project_id, ${effectiveEmployeeId(sql`x`)} as line_employee_id, coalesce(x.legal_entity_id, p.legal_entity_id) as entity_id,
             case when x.variance_class = 'approved_in_source_not_here' then coalesce(x.source_work_date, x.work_date) else x.work_date end as line_date
      from x left join projects p on p.id = ${effectiveProjectId(sql`x`)}
      where x.variance_class is not null and x.work_date is not null)
    select y.variance_class, y.time_entry_id, y.entity_id, y.line_date as work_date, y.line_project_id as project_id, y.line_employee_id as employee_id,
           case when y.variance_class = 'approved_here_not_in_source' and y.state in ('posted', 'billed') then y.erp_id end as erp_id,
           y.source_system::text || ' ' || y.source_id as short_ref,
           y.source_system::text || ' ' || y.source_id || coalesce(' v' || y.version, '') || ': ' ||
             case when y.variance_class = 'approved_here_not_in_source'
                  then y.state || ' here; ' || case y.at_source when 'submitted' then 'submitted again at the source (approval withdrawn)'
                                                             when 'rejected' then 'rejected at the source'
                                                             else 'no longer listed at the source for these dates (deleted, or its date moved)' end
                  else case when y.time_entry_id is null then 'never received here' else y.state || ' here' end
                       || '; approved at the source' || coalesce(', ' || y.source_hours::text || ' h', '') end as source_ref,
           y.hours_ours, y.amount_ours, coalesce(y.currency_ours, y.source_currency) as currency,
           coalesce(y.hours_ours, y.source_hours) as hours_at_stake,
           case when y.variance_class = 'approved_in_source_not_here' and y.source_amount is not null and y.source_currency is not null
                then ${value("y.source_amount", "y.source_currency")} else ${value("y.amount_ours", "y.currency_ours")} end as value_reporting,
           case when y.variance_class = 'approved_in_source_not_here' then
             case when y.time_entry_id is null and exists (select 1 from exceptions ex where ex.code = 'PAYLOAD_INVALID' and ex.status = 'open' and ex.subject_key = y.refused_key)
                    then 'refused on arrival: open exception PAYLOAD_INVALID'
                  when y.pulled_since is null then 'no pull of this source has finished yet; the first brings it in'
                  -- the sources' clocks count whole seconds
                  when y.approved_at >= date_trunc('second', y.pulled_since)
                    then 'approved at the source after the last pull began (' || to_char(y.pulled_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC); the next pull brings it in'
             end
           end as explanation
    from y where y.line_date between ${from}::date and ${to}::date`);

  if (!reading.checked) return null;
  const [u] = (await tx.execute(sql`
    select count(*)::int as count, coalesce(sum(hours_at_stake), 0)::text as hours,
           coalesce((select array_agg(r.short_ref order by r.work_date, r.short_ref) from (select short_ref, work_date from recon_approval_lines where entity_id is null
                     order by work_date, short_ref limit ${NAMED}) r), '{}') as refs
    from recon_approval_lines where entity_id is null`)) as unknown as { count: number; hours: string; refs: string[] }[];
  const notCompared = (await tx.execute(sql`
    select te.source_system::text as system, count(*)::int as count, coalesce(sum(te.hours), 0)::text as hours
    from time_entries te left join projects p on p.id = ${effectiveProjectId(sql`te`)}
    where coalesce(te.legal_entity_id, p.legal_entity_id) = ${legalEntityId} and te.work_date between ${from}::date and ${to}::date
      and te.state in ('approved', 'posted', 'billed') and te.source_system::text <> all(${pgTextArray(reading.systems)}::text[])
    group by 1 order by 1`)) as unknown as { system: string; count: number; hours: string }[];
  return {
    unattributed: { count: Number(u!.count), hours: u!.hours, refs: u!.refs },
    notCompared: notCompared.map((n) => ({ system: n.system, count: Number(n.count), hours: n.hours })),
  };
}

const plural = (n: number, one: string, many: string) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/** The run's account of the check, in sentences (stored with the run's totals). */
export function approvalsCheckOf(reading: SourceApprovalReading, staged: StagedApprovals | null): SourceApprovalsCheck {
  if (!reading.checked || !staged) {
    return { checked: false, note: `Approval differences with the source were not checked: ${reading.checked ? "the comparison did not run them." : reading.reason}` };
  }
  const listed = reading.sources.map((s) => `${s.name} listed ${plural(s.listed, "entry", "entries")}`).join(", ");
  const parts = [`Approvals compared with the source as it stands now: ${listed} dated ${reading.from} to ${reading.to} (read ${reading.readAt.slice(0, 16).replace("T", " ")} UTC).`];
  if (reading.unreadable > 0) parts.push(`${plural(reading.unreadable, "listed entry", "listed entries")} whose approval could not be read ${reading.unreadable === 1 ? "was" : "were"} left out.`);
  const u = staged.unattributed;
  if (u.count > 0) {
    const more = u.count > u.refs.length ? ` and ${(u.count - u.refs.length).toLocaleString("en-US")} more` : "";
    parts.push(
      `${plural(u.count, "approval difference", "approval differences")} (${u.hours} h) ${u.count === 1 ? "belongs" : "belong"} to no legal entity (the project maps to no ERP job), so ${u.count === 1 ? "it is" : "they are"} in no entity's lines: ${u.refs.join(", ")}${more}.`,
    );
  }
  for (const n of staged.notCompared) {
    parts.push(`${plural(n.count, "approved entry", "approved entries")} (${n.hours} h) of this entity from ${n.system} ${n.count === 1 ? "was" : "were"} not compared: no running connector reads that source.`);
  }
  parts.push(...reading.remarks);
  return { checked: true, note: parts.join(" "), sources: reading.sources.map((s) => ({ name: s.name, listed: s.listed })), unattributed: u };
}
