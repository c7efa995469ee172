import { sql, type SQL } from "drizzle-orm";
import type { Scope } from "../../auth/scope";

/**
 * The KPIs, each defined once, in SQL (DESIGN §5; docs/kpis.md quotes these fragments with a
 * worked example each). The dashboard's tiles, its breakdowns, the daily snapshots and the
 * entries drill-down all select from the row sets below, so a tile's figure and the sum of the
 * entries behind it are the same query.
 *
 * Every row set exposes the same slicing columns: `entity_id`, `entity_code`, `region`,
 * `business_unit`, `practice` (the project's; the region falls back to the legal entity's), so
 * one condition applies a user's scope and the dashboard's filter to any of them.
 */

/** A selection of the firm: legal entity (code), region, business unit, practice. */
export type Slice = { entity?: string; region?: string; businessUnit?: string; practice?: string };
/** Calendar days, inclusive, as YYYY-MM-DD (UTC). */
export type Window = { from: string; to: string };

export const AGE_BUCKETS = ["0-7", "8-30", "31-60", "over-60"] as const;
export type AgeBucket = (typeof AGE_BUCKETS)[number];
export const BLOCKERS = ["exception", "awaiting_posting", "awaiting_invoice"] as const;
export type Blocker = (typeof BLOCKERS)[number];
export const SLA_OUTCOMES = ["met", "missed", "pending"] as const;
export type SlaOutcome = (typeof SLA_OUTCOMES)[number];

/** The start of a UTC day as a timestamptz, whatever the session's time zone. */
export const dayStart = (day: string | SQL) => sql`((${day})::date::timestamp at time zone 'UTC')`;
/** The start of the UTC day after. */
export const dayEnd = (day: string | SQL) => sql`(((${day})::date + 1)::timestamp at time zone 'UTC')`;
/** A timestamptz's UTC calendar day. */
export const utcDay = (ts: SQL) => sql`((${ts}) at time zone 'UTC')::date`;

const list = (values: string[]) => sql.join(values.map((v) => sql`${v}`), sql`, `);

/**
 * The user's scope and the dashboard's selection, as a condition on a row set aliased `alias`.
 * A scoped user never sees rows whose legal entity (or region) is unknown: `in (…)` is not true
 * for null.
 */
export function sliceCondition(scope: Scope, slice: Slice, alias = "f"): SQL {
  const a = sql.raw(alias);
  const parts: SQL[] = [sql`true`];
  if (scope.entities.length) parts.push(sql`${a}.entity_code in (${list(scope.entities)})`);
  if (scope.regions.length) parts.push(sql`${a}.region in (${list(scope.regions)})`);
  if (slice.entity) parts.push(sql`${a}.entity_code = ${slice.entity}`);
  if (slice.region) parts.push(sql`${a}.region = ${slice.region}`);
  if (slice.businessUnit) parts.push(sql`${a}.business_unit = ${slice.businessUnit}`);
  if (slice.practice) parts.push(sql`${a}.practice = ${slice.practice}`);
  return sql.join(parts, sql` and `);
}

/**
 * An amount in the reporting currency at the work date's rate: the latest `fx_rates` rate from
 * the currency to the reporting currency dated on the work date or up to three days before (the
 * same look-back as validation's FX rule, src/sync/rules/lookups.ts), rounded to cents. Null
 * when the amount or its currency is unknown, or no rate is found: such entries are counted as
 * "not valued", never summed as zero.
 */
export function reportingValue(amount: SQL, currency: SQL, day: SQL, reportingCurrency: string): SQL {
  return sql`(case when ${amount} is null or ${currency} is null then null
    when ${currency} = ${reportingCurrency} then ${amount}
    else round(${amount} * (select fx.rate from fx_rates fx
      where fx.from_currency = ${currency} and fx.to_currency = ${reportingCurrency}
        and fx.rate_date between (${day}) - 3 and (${day})
      order by fx.rate_date desc limit 1), 2) end)`;
}

/**
 * The project an entry belongs to: the one validation enriched it with, else the one its source
 * project is mapped to on the work date (an entry that never passed validation — blocked by an
 * exception — still belongs to a project, a legal entity, a region…). Null only when the source
 * project is mapped to nothing.
 */
export const effectiveProjectId = (te: SQL) => sql`coalesce(${te}.project_id, (select m.target_id from id_mappings m
  where m.source_system = ${te}.source_system and m.kind = 'project' and m.external_id = ${te}.source_project_id and m.active
    and (m.valid_from is null or m.valid_from <= ${te}.work_date) and (m.valid_to is null or m.valid_to >= ${te}.work_date)
  order by m.valid_from desc nulls last limit 1))`;

/** The person an entry belongs to: as enriched, else as its source user is mapped on the work date. */
export const effectiveEmployeeId = (te: SQL) => sql`coalesce(${te}.employee_id, (select m.target_id from id_mappings m
  where m.source_system = ${te}.source_system and m.kind = 'user' and m.external_id = ${te}.source_user_id and m.active
    and (m.valid_from is null or m.valid_from <= ${te}.work_date) and (m.valid_to is null or m.valid_to >= ${te}.work_date)
  order by m.valid_from desc nulls last limit 1))`;

/**
 * One row per time entry with its slicing columns and its value in its own currency: the bill
 * amount validation priced it at, else hours × the source's own bill rate (what is at stake
 * while it cannot be priced). `where` filters the entries (on `te.`) before anything is joined.
 */
function entryFacts(where: SQL, extra: SQL = sql``): SQL {
  return sql`
    select te.id, te.source_system, te.source_id, te.version, te.state, te.billable, te.hours, te.work_date,
           te.approved_at, te.posted_at, te.billed_at, p.id as project_id, ${effectiveEmployeeId(sql`te`)} as employee_id,
           e.id as entity_id, e.code as entity_code, coalesce(e.posting_sla_hours, 24) as sla_hours,
           coalesce(p.region, e.region) as region, p.business_unit, p.practice,
           coalesce(te.bill_amount, round(te.hours * te.source_bill_rate, 2)) as amount,
           coalesce(te.currency, te.source_currency) as currency
           ${extra}
    from time_entries te
    left join projects p on p.id = ${effectiveProjectId(sql`te`)}
    left join legal_entities e on e.id = coalesce(te.legal_entity_id, p.legal_entity_id)
    where ${where}`;
}

/** Whether an entry is blocked by an open exception now. */
const openExceptionOn = (entry: SQL) => sql`exists (
  select 1 from exception_entries ee join exceptions x on x.id = ee.exception_id
  where ee.time_entry_id = ${entry} and x.status = 'open')`;

/** Whole days since a moment, as of `asOf`. */
const ageDays = (since: SQL, asOf: Date) => sql`floor(extract(epoch from (${asOf.toISOString()}::timestamptz - ${since})) / 86400)::int`;

export const ageBucketOf = (days: SQL) =>
  sql`(case when ${days} is null then null when ${days} <= 7 then '0-7' when ${days} <= 30 then '8-30' when ${days} <= 60 then '31-60' else 'over-60' end)`;

/**
 * UNBILLED APPROVED HOURS — billable entries approved and not yet on an invoice, now: state
 * `approved` (not yet accepted by the ERP) or `posted` (in the ERP, not yet invoiced).
 * Blocker: `awaiting_invoice` when posted; else `exception` when an open exception blocks it;
 * else `awaiting_posting`. Age: whole days since approval, bucketed 0–7, 8–30, 31–60, over 60.
 */
export function unbilledRows(asOf: Date, reportingCurrency: string): SQL {
  const facts = entryFacts(
    sql`te.billable and te.state in ('approved', 'posted')`,
    sql`, (case when te.state = 'posted' then 'awaiting_invoice' when ${openExceptionOn(sql`te.id`)} then 'exception' else 'awaiting_posting' end) as blocker,
          ${ageDays(sql`te.approved_at`, asOf)} as age_days`,
  );
  return sql`select f.*, ${ageBucketOf(sql`f.age_days`)} as age_bucket,
      ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (${facts}) f`;
}

/**
 * UNPOSTED APPROVED HOURS — approved entries (billable or not) whose current version has no
 * accepted ERP posting: state `approved` (acceptance moves an entry to `posted`).
 */
export function unpostedRows(asOf: Date, reportingCurrency: string): SQL {
  const facts = entryFacts(
    sql`te.state = 'approved' and not exists (select 1 from erp_postings p where p.time_entry_id = te.id and p.kind = 'create' and p.status = 'accepted' and p.entry_version = te.version)`,
    sql`, ${ageDays(sql`te.approved_at`, asOf)} as age_days`,
  );
  return sql`select f.*, ${ageBucketOf(sql`f.age_days`)} as age_bucket,
      ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (${facts}) f`;
}

/**
 * POSTED WITHIN SLA — entries approved in the window (still approved, posted or billed), each
 * with the first acceptance by the ERP of a create posting at or after its approval: `met` when
 * that came within the entity's posting SLA (hours, default 24), `missed` when it came later or
 * the SLA ran out without one, `pending` while the SLA still runs. Share = met / (met + missed).
 */
export function slaRows(window: Window, asOf: Date, reportingCurrency: string): SQL {
  const facts = entryFacts(
    sql`te.state in ('approved', 'posted', 'billed') and te.approved_at >= ${dayStart(window.from)} and te.approved_at < ${dayEnd(window.to)}
        and te.approved_at <= ${asOf.toISOString()}::timestamptz`,
    sql`, (select min(p.accepted_at) from erp_postings p
           where p.time_entry_id = te.id and p.kind = 'create' and p.status = 'accepted' and p.accepted_at >= te.approved_at
             and p.accepted_at <= ${asOf.toISOString()}::timestamptz) as first_accepted_at`,
  );
  return sql`select f.*,
      (case when f.first_accepted_at is not null and f.first_accepted_at <= f.approved_at + make_interval(hours => f.sla_hours) then 'met'
            when f.first_accepted_at is not null or ${asOf.toISOString()}::timestamptz > f.approved_at + make_interval(hours => f.sla_hours) then 'missed'
            else 'pending' end) as outcome,
      ${utcDay(sql`f.approved_at`)} as event_day,
      ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (${facts}) f`;
}

/**
 * POSTING LATENCY — per create posting the ERP accepted in the window: whole seconds from the
 * entry's approval to the acceptance (postings of an earlier version, accepted before the
 * current approval, are left out). p50 / p95 are `percentile_cont` over those seconds.
 */
export function latencyRows(window: Window, reportingCurrency: string): SQL {
  return sql`select f.*, floor(extract(epoch from f.accepted_at - f.approved_at))::int as seconds, ${utcDay(sql`f.accepted_at`)} as event_day,
      ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (
      select ef.*, ep.accepted_at from erp_postings ep
      join lateral (${entryFacts(sql`te.id = ep.time_entry_id`)}) ef on true
      where ep.kind = 'create' and ep.status = 'accepted' and ep.accepted_at >= ${dayStart(window.from)} and ep.accepted_at < ${dayEnd(window.to)}
        and ep.accepted_at >= ef.approved_at
    ) f`;
}

/**
 * INVOICE CYCLE TIME — billed entries whose invoice is dated in the window (`billed_at` is the
 * invoice date, 00:00 UTC): seconds from approval to the invoice date; the KPI is the median,
 * in days.
 */
export function cycleRows(window: Window, reportingCurrency: string): SQL {
  const facts = entryFacts(sql`te.state = 'billed' and te.billed_at >= ${dayStart(window.from)} and te.billed_at < ${dayEnd(window.to)} and te.approved_at is not null`);
  return sql`select f.*, floor(extract(epoch from f.billed_at - f.approved_at))::int as seconds, ${utcDay(sql`f.billed_at`)} as event_day,
      ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (${facts}) f`;
}

/**
 * Billable hours worked in the window (entries approved, posted or billed, by work date, of the
 * person as enriched or as the source user is mapped), the numerator of UTILIZATION. Sliced by the person's legal entity and region (capacity belongs to
 * people, so utilization has no business-unit or practice slice).
 */
export function workedRows(window: Window, reportingCurrency: string): SQL {
  return sql`select f.*, ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (
      select te.id, te.source_system, te.source_id, te.state, te.billable, te.hours, te.work_date, te.approved_at, ${effectiveProjectId(sql`te`)} as project_id, em.id as employee_id,
             e.id as entity_id, e.code as entity_code, em.region, null::text as business_unit, null::text as practice,
             coalesce(te.bill_amount, round(te.hours * te.source_bill_rate, 2)) as amount, coalesce(te.currency, te.source_currency) as currency
      from time_entries te
      join employees em on em.id = ${effectiveEmployeeId(sql`te`)}
      join legal_entities e on e.id = em.legal_entity_id
      where te.billable and te.state in ('approved', 'posted', 'billed') and te.work_date between ${window.from}::date and ${window.to}::date
    ) f`;
}

/**
 * UTILIZATION — per person: billable hours worked in the window / capacity hours in the window
 * (weekly capacity ÷ 5 per weekday, Monday to Friday). Active employees only. Rolled up as
 * Σ billable ÷ Σ capacity (not an average of ratios).
 */
export function utilizationRows(window: Window): SQL {
  return sql`
    with days as (select count(*)::int as weekdays from generate_series(${window.from}::date, ${window.to}::date, interval '1 day') d where extract(isodow from d) < 6),
    people as (
      select em.id as employee_id, em.name, e.id as entity_id, e.code as entity_code, em.region, null::text as business_unit, null::text as practice,
             round(em.weekly_capacity_hours / 5 * (select weekdays from days), 2) as capacity_hours
      from employees em join legal_entities e on e.id = em.legal_entity_id where em.active)
    select f.*, coalesce(w.hours, 0) as billable_hours from people f
    left join (select ${effectiveEmployeeId(sql`te`)} as employee_id, sum(te.hours) as hours from time_entries te
               where te.billable and te.state in ('approved', 'posted', 'billed') and te.work_date between ${window.from}::date and ${window.to}::date
               group by 1) w on w.employee_id = f.employee_id`;
}

/**
 * EXCEPTION BACKLOG AND AGING — open exceptions, each with its owner team and age in whole days
 * since it was first seen (bucketed like unbilled time). Sliced by the exception's legal entity,
 * region and business unit, and its project's practice.
 */
export function openExceptionRows(asOf: Date): SQL {
  return sql`select f.*, ${ageBucketOf(sql`f.age_days`)} as age_bucket from (
    select x.id, x.code, x.owner, x.severity, x.subject_label, x.entries_count, x.hours_at_stake, x.value_reporting, x.first_seen_at,
           e.id as entity_id, e.code as entity_code, coalesce(x.region, e.region) as region, x.business_unit, p.practice,
           ${ageDays(sql`x.first_seen_at`, asOf)} as age_days
    from exceptions x
    left join legal_entities e on e.id = x.legal_entity_id
    left join projects p on p.id = x.project_id
    where x.status = 'open') f`;
}

/**
 * The entries open exceptions block now (any state; of one owner team when given), with the
 * codes blocking each: what the exception backlog tile drills into.
 */
export function blockedRows(reportingCurrency: string, owner?: string): SQL {
  const ownerCondition = owner ? sql`and x.owner = ${owner}` : sql``;
  const facts = entryFacts(
    sql`exists (select 1 from exception_entries ee join exceptions x on x.id = ee.exception_id where ee.time_entry_id = te.id and x.status = 'open' ${ownerCondition})`,
    sql`, (select string_agg(distinct x.code, ', ') from exception_entries ee join exceptions x on x.id = ee.exception_id
           where ee.time_entry_id = te.id and x.status = 'open' ${ownerCondition}) as codes`,
  );
  return sql`select f.*, ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting from (${facts}) f`;
}

/** Exceptions resolved in the window, with hours from first seen to resolved: median time to resolve. */
export function resolvedExceptionRows(window: Window): SQL {
  return sql`select f.* from (
    select x.id, x.owner, extract(epoch from x.resolved_at - x.first_seen_at) / 3600 as hours_to_resolve, ${utcDay(sql`x.resolved_at`)} as event_day,
           e.id as entity_id, e.code as entity_code, coalesce(x.region, e.region) as region, x.business_unit, p.practice
    from exceptions x
    left join legal_entities e on e.id = x.legal_entity_id
    left join projects p on p.id = x.project_id
    where x.status = 'resolved' and x.resolved_at >= ${dayStart(window.from)} and x.resolved_at < ${dayEnd(window.to)}) f`;
}

// ---- reconstruction for days before snapshots existed (backfill) ---------------------------

/**
 * Unbilled approved billable time as it stood at `at`, reconstructed from the entries'
 * life-cycle timestamps: approved before `at`, not billed and not voided before `at`, in a
 * state that went through approval. Blocker: `awaiting_invoice` when posted before `at`, else
 * `awaiting_posting` — which exceptions blocked an entry in the past is not kept (links go when
 * an entry passes), so backfilled days show no exception split.
 */
export function unbilledAsOfRows(at: Date, reportingCurrency: string): SQL {
  const t = sql`${at.toISOString()}::timestamptz`;
  const facts = entryFacts(
    sql`te.billable and te.state in ('approved', 'posted', 'billed', 'void') and te.approved_at < ${t}
        and (te.billed_at is null or te.billed_at >= ${t}) and (te.voided_at is null or te.voided_at >= ${t})`,
    sql`, (case when te.posted_at < ${t} then 'awaiting_invoice' else 'awaiting_posting' end) as blocker, ${ageDays(sql`te.approved_at`, at)} as age_days`,
  );
  return sql`select f.*, ${ageBucketOf(sql`f.age_days`)} as age_bucket,
      ${reportingValue(sql`f.amount`, sql`f.currency`, sql`f.work_date`, reportingCurrency)} as value_reporting
    from (${facts}) f`;
}

/** Approved entries not yet posted at `at` (reconstructed like unbilledAsOfRows). */
export function unpostedAsOfRows(at: Date): SQL {
  const t = sql`${at.toISOString()}::timestamptz`;
  return sql`select f.* from (${entryFacts(
    sql`te.state in ('approved', 'posted', 'billed', 'void') and te.approved_at < ${t} and (te.posted_at is null or te.posted_at >= ${t})
        and (te.voided_at is null or te.voided_at >= ${t})`,
  )}) f`;
}

/** Exceptions open at `at`: first seen before it, not resolved before it. */
export function openExceptionsAsOfRows(at: Date): SQL {
  const t = sql`${at.toISOString()}::timestamptz`;
  return sql`select f.* from (
    select x.id, e.id as entity_id, e.code as entity_code, coalesce(x.region, e.region) as region, x.business_unit, p.practice
    from exceptions x
    left join legal_entities e on e.id = x.legal_entity_id
    left join projects p on p.id = x.project_id
    where x.first_seen_at < ${t} and (x.resolved_at is null or x.resolved_at >= ${t}) and x.status <> 'ignored') f`;
}
