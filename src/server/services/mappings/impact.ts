import Big from "big.js";
import { sql, type SQL } from "drizzle-orm";
import { env } from "@/env";
import type { DbOrTx } from "../../db/client";
import type { MappingKind, SourceSystem } from "../../domain/enums";
import { KINDS } from "./kinds";

/** Entries, their hours and their value in the reporting currency (null when none could be valued). */
export type Bucket = { entries: number; hours: string; value: string | null };

/**
 * What a mapping change does to time already received: the entries whose mapping on their
 * work date changes, by where they stand.
 */
export type Impact = {
  reportingCurrency: string;
  /** false for kinds no validation rule reads (customers, cost centers): nothing is re-decided */
  applies: boolean;
  affected: Bucket;
  /** approved, not yet queued (most of them blocked by an exception): re-validated right after the save */
  toValidate: Bucket & { blocked: number };
  /** queued to the ERP under the old mapping, not sent yet: corrected (re-queued under the new one) when asked */
  queued: Bucket;
  /** being sent right now: left alone, corrected once posted if need be */
  inFlight: Bucket;
  /** in the ERP under the old mapping: a correction (reverse, then repost) is offered, never made silently */
  posted: Bucket;
  /** already invoiced: cannot be corrected here (a credit note in the ERP) */
  billed: Bucket;
  /** entries that will have no mapping on their work date afterwards (they will be blocked) */
  losesMapping: Bucket;
  /** open exceptions holding affected entries, by code */
  exceptions: { code: string; exceptions: number; entries: number }[];
};

export type Range = { targetKey: string; validFrom: string | null; validTo: string | null };

export type AffectedEntry = { id: string; cls: "to_validate" | "queued" | "in_flight" | "posted" | "billed"; hours: string; value: string | null; lost: boolean; blocked: boolean };

const empty = (): Bucket => ({ entries: 0, hours: "0.00", value: null });

function ranges(rs: Range[]): SQL {
  if (rs.length === 0) return sql`select null::text as t, null::date as vf, null::date as vt where false`;
  return sql`select * from (values ${sql.join(
    rs.map((r) => sql`(${r.targetKey}::text, ${r.validFrom}::date, ${r.validTo}::date)`),
    sql`, `,
  )}) as v(t, vf, vt)`;
}

/**
 * The entries of one source object whose mapping on their work date differs between two sets
 * of active mappings (before and after a change), each with where it stands and its value.
 * The resolution is the validation rules' own: the mapping in effect on the day, the latest
 * start winning should two ever overlap.
 */
export async function affectedEntries(
  db: DbOrTx,
  k: { kind: MappingKind; sourceSystem: SourceSystem; sourceKey: string },
  before: Range[],
  after: Range[],
): Promise<AffectedEntry[]> {
  const column = KINDS[k.kind].entryColumn;
  if (!column) return [];
  const rep = env.REPORTING_CURRENCY;
  const rows = (await db.execute(sql`
    with e as (
      select te.id, te.state, te.version, te.work_date, te.hours, te.bill_amount, te.currency
      from time_entries te
      where te.source_system = ${k.sourceSystem} and te.${sql.raw(column)} = ${k.sourceKey} and te.state in ('approved', 'posted', 'billed')
    ),
    r as (
      select e.*,
        (select b.t from (${ranges(before)}) b where (b.vf is null or b.vf <= e.work_date) and (b.vt is null or e.work_date <= b.vt) order by b.vf desc nulls last limit 1) as old_t,
        (select a.t from (${ranges(after)}) a where (a.vf is null or a.vf <= e.work_date) and (a.vt is null or e.work_date <= a.vt) order by a.vf desc nulls last limit 1) as new_t
      from e
    ),
    c as (
      select r.*,
        case
          when r.state = 'billed' then 'billed'
          when r.state = 'posted' then 'posted'
          when exists (select 1 from erp_postings p where p.time_entry_id = r.id and p.kind = 'create' and p.entry_version = r.version and p.status = 'pending') then 'queued'
          when exists (select 1 from erp_postings p where p.time_entry_id = r.id and p.kind = 'create' and p.entry_version = r.version and p.status in ('sent', 'accepted')) then 'in_flight'
          else 'to_validate'
        end as cls,
        (select max(l.value_reporting) from exception_entries l join exceptions x on x.id = l.exception_id and x.status = 'open' where l.time_entry_id = r.id) as blocked_value,
        exists (select 1 from exception_entries l join exceptions x on x.id = l.exception_id and x.status = 'open' where l.time_entry_id = r.id) as blocked
      from r
      where r.old_t is distinct from r.new_t
    )
    select c.id::text as id, c.cls, c.hours::text as hours, c.new_t is null as lost, c.blocked,
      (case
         when c.cls <> 'to_validate' and c.bill_amount is not null then
           case when c.currency = ${rep} then c.bill_amount
                else c.bill_amount * (select f.rate from fx_rates f where f.from_currency = c.currency and f.to_currency = ${rep}
                                        and f.rate_date between c.work_date - 3 and c.work_date order by f.rate_date desc limit 1) end
         else c.blocked_value
       end)::numeric(14, 2)::text as value
    from c
    order by c.work_date, c.id`)) as unknown as AffectedEntry[];
  return rows;
}

function add(b: Bucket, e: AffectedEntry) {
  b.entries += 1;
  b.hours = new Big(b.hours).plus(e.hours).toFixed(2);
  if (e.value !== null) b.value = new Big(b.value ?? 0).plus(e.value).toFixed(2);
}

/** The foresight of a change: affected entries summed by where they stand, and the exceptions that hold them. */
export async function impactOf(db: DbOrTx, k: { kind: MappingKind; sourceSystem: SourceSystem; sourceKey: string }, before: Range[], after: Range[]): Promise<{ impact: Impact; entries: AffectedEntry[] }> {
  const impact: Impact = {
    reportingCurrency: env.REPORTING_CURRENCY,
    applies: KINDS[k.kind].entryColumn !== null,
    affected: empty(),
    toValidate: { ...empty(), blocked: 0 },
    queued: empty(),
    inFlight: empty(),
    posted: empty(),
    billed: empty(),
    losesMapping: empty(),
    exceptions: [],
  };
  const entries = await affectedEntries(db, k, before, after);
  for (const e of entries) {
    add(impact.affected, e);
    if (e.cls === "to_validate") {
      add(impact.toValidate, e);
      if (e.blocked) impact.toValidate.blocked += 1;
    } else if (e.cls === "queued") add(impact.queued, e);
    else if (e.cls === "in_flight") add(impact.inFlight, e);
    else if (e.cls === "posted") add(impact.posted, e);
    else add(impact.billed, e);
    if (e.lost) add(impact.losesMapping, e);
  }
  if (entries.length) {
    const ids = entries.map((e) => e.id);
    const rows = (await db.execute(sql`
      select x.code, count(distinct x.id)::int as exceptions, count(distinct l.time_entry_id)::int as entries
      from exception_entries l join exceptions x on x.id = l.exception_id
      where x.status = 'open' and l.time_entry_id in (select unnest(${sql`${`{${ids.join(",")}}`}::uuid[]`}))
      group by x.code order by entries desc, x.code`)) as unknown as { code: string; exceptions: number; entries: number }[];
    impact.exceptions = rows;
  }
  return { impact, entries };
}
