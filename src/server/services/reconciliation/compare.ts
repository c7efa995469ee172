import { sql, type SQL } from "drizzle-orm";
import type { Tx } from "../../db/client";
import { SOURCE_APPROVAL_CLASSES, VARIANCE_CLASSES, type ReconciliationTotals, type SideTotals, type VarianceClass, type VarianceFigures } from "../../db/schema/reporting";
import { effectiveEmployeeId, effectiveProjectId, reportingValue } from "../kpis/definitions";
import { isSourceApprovalClass } from "./classes";
import { approvalsCheckOf, stageApprovalLines, type SourceApprovalReading } from "./source-approvals";

/**
 * The three-way comparison of one legal entity and accounting period, in the caller's
 * transaction, from what Hourbridge holds (the canonical entries, their postings, exceptions)
 * and what the last read-back stored of the ERP (erp_time_records). Writes the run's variance
 * lines and breakdowns and returns its totals. See docs/reconciliation.md.
 *
 * Lines: each of our entries of the period approved at the source (state approved, posted or
 * billed), plus each ERP record of the entity and period that no such entry claims. An entry is
 * compared with the live ERP records linked to it (wherever they are dated):
 *
 *   no record, entry approved            → not_posted (explained by an open exception, the outbox, a refusal or a dead letter)
 *   no record, entry posted or billed    → missing_in_erp
 *   more than one record                 → duplicated_in_erp (one line per record beyond the first)
 *   one record, other hours              → hours_mismatch
 *   one record, other amount             → amount_mismatch (hours × the ERP's rate vs our bill amount)
 *   one record, billable, not invoiced   → posted_not_invoiced (explained: awaiting the ERP's invoice run)
 *   otherwise                            → matched
 *   an ERP record no approved entry claims → unknown_in_erp
 *
 * And, when the sources were asked during the run (`approvals`, see source-approvals.ts), one
 * line per entry whose approval at the source now disagrees with ours:
 *
 *   approved here, not (or no longer) at the source → approved_here_not_in_source (its entry line is then not matched)
 *   approved at the source, not here (or unknown)  → approved_in_source_not_here (a line of its own)
 *
 * Without them those two classes have no figures ("not checked") and the run's note says why.
 */
/** What an ERP record is worth in its job's currency: hours × its rate; a non-billable record without a rate is worth nothing. */
const erpAmount = (r: SQL) => sql`(case when ${r}.rate is null and not ${r}.billable then 0 else round(${r}.hours * ${r}.rate, 2) end)`;

export async function compareEntityPeriod(
  tx: Tx,
  {
    runId,
    legalEntityId,
    from,
    to,
    reportingCurrency,
    approvals = { checked: false, reason: "no source was asked in this run." },
  }: { runId: string; legalEntityId: string; from: string; to: string; reportingCurrency: string; approvals?: SourceApprovalReading },
): Promise<ReconciliationTotals> {
  const rc = reportingCurrency;
  await tx.execute(sql`drop table if exists pg_temp.recon_lines`);
  await tx.execute(sql`
    create temp table recon_lines on commit drop as
    with s as (
      select te.id, te.state, te.hours, te.work_date, te.billable, te.version, te.erp_id, te.source_system, te.source_id,
             te.bill_amount, coalesce(te.bill_amount, round(te.hours * te.source_bill_rate, 2)) as amount, coalesce(te.currency, te.source_currency) as currency,
             p.id as project_id, ${effectiveEmployeeId(sql`te`)} as employee_id
      from time_entries te left join projects p on p.id = ${effectiveProjectId(sql`te`)}
      where coalesce(te.legal_entity_id, p.legal_entity_id) = ${legalEntityId} and te.work_date between ${from}::date and ${to}::date
        and te.state in ('approved', 'posted', 'billed')),
    r as (
      select etr.id, etr.erp_id, etr.time_entry_id, etr.hours, etr.rate, etr.billable, etr.invoice_erp_id, etr.work_date,
             row_number() over (partition by etr.time_entry_id order by (etr.erp_id = s.erp_id) desc, etr.first_seen_at, etr.erp_id) as n,
             count(*) over (partition by etr.time_entry_id) as records
      from erp_time_records etr join s on s.id = etr.time_entry_id where etr.missing_since is null),
    entry_lines as (
      select s.id as time_entry_id, r1.id as erp_record_id, r1.erp_id, s.work_date, s.project_id, s.employee_id,
             s.source_system || ' ' || s.source_id || ' v' || s.version as source_ref,
             s.hours as hours_ours, r1.hours as hours_erp, s.amount as amount_ours, ${erpAmount(sql`r1`)} as amount_erp, s.currency,
             coalesce(r1.records, 0)::int as records,
             (s.state in ('posted', 'billed') or exists (select 1 from erp_postings ep where ep.time_entry_id = s.id and ep.kind = 'create'
                and ep.entry_version = s.version and ep.status in ('pending', 'sent', 'accepted'))) as canonical,
             (r1.invoice_erp_id is not null or s.state = 'billed' or exists (select 1 from invoice_lines il where il.time_entry_id = s.id)) as invoiced,
             case
               when r1.id is null and s.state = 'approved' then 'not_posted'
               when r1.id is null then 'missing_in_erp'
               when r1.records > 1 then 'duplicated_in_erp'
               when r1.hours <> s.hours then 'hours_mismatch'
               when s.bill_amount is not null and r1.rate is not null and round(r1.hours * r1.rate, 2) <> s.bill_amount then 'amount_mismatch'
               when s.billable and r1.invoice_erp_id is null and s.state <> 'billed' and not exists (select 1 from invoice_lines il where il.time_entry_id = s.id) then 'posted_not_invoiced'
               else 'matched'
             end as variance_class,
             case
               when r1.id is not null then null
               when s.state <> 'approved' then (select 'the ERP no longer shows record ' || m.erp_id || ' (gone since ' || to_char(m.missing_since at time zone 'UTC', 'YYYY-MM-DD') || ')'
                                                from erp_time_records m where m.time_entry_id = s.id and m.missing_since is not null order by m.missing_since desc limit 1)
               else coalesce(
                 (select 'open exception: ' || string_agg(distinct x.code, ', ') from exception_entries ee join exceptions x on x.id = ee.exception_id
                   where ee.time_entry_id = s.id and x.status = 'open' having count(*) > 0),
                 (select case ep.status when 'pending' then 'queued in the outbox' when 'sent' then 'sent to the ERP, outcome awaited'
                                        when 'rejected' then 'refused by the ERP: ' || coalesce(ep.last_error, 'see the exception queue')
                                        when 'dead' then 'dead-lettered after repeated failures' end
                    from erp_postings ep where ep.time_entry_id = s.id and ep.kind = 'create' and ep.entry_version = s.version
                      and ep.status in ('pending', 'sent', 'rejected', 'dead') order by ep.created_at desc limit 1))
             end as explanation
      from s left join r r1 on r1.time_entry_id = s.id and r1.n = 1),
    extra_records as (
      select r.time_entry_id, r.id as erp_record_id, r.erp_id, s.work_date, s.project_id, s.employee_id,
             s.source_system || ' ' || s.source_id || ' v' || s.version as source_ref,
             null::numeric as hours_ours, r.hours as hours_erp, null::numeric as amount_ours, ${erpAmount(sql`r`)} as amount_erp, s.currency,
             0 as records, false as canonical, r.invoice_erp_id is not null as invoiced, 'duplicated_in_erp' as variance_class, null::text as explanation, true as extra
      from r join s on s.id = r.time_entry_id where r.n > 1),
    unknown as (
      select etr.time_entry_id, etr.id as erp_record_id, etr.erp_id, etr.work_date, etr.project_id,
             (select em.id from employees em where em.erp_id = etr.employee_erp_id) as employee_id,
             coalesce(etr.memo, 'no reference') as source_ref,
             null::numeric as hours_ours, etr.hours as hours_erp, null::numeric as amount_ours, ${erpAmount(sql`etr`)} as amount_erp,
             coalesce(jp.currency, le.functional_currency) as currency,
             1 as records, false as canonical, etr.invoice_erp_id is not null as invoiced, 'unknown_in_erp' as variance_class,
             (select 'the entry it names is ' || te.state || ' here' from time_entries te where te.id = etr.time_entry_id) as explanation, false as extra
      from erp_time_records etr
      join legal_entities le on le.id = etr.legal_entity_id
      left join projects jp on jp.id = etr.project_id
      where etr.legal_entity_id = ${legalEntityId} and etr.work_date between ${from}::date and ${to}::date and etr.missing_since is null
        and (etr.time_entry_id is null or not exists (select 1 from time_entries te where te.id = etr.time_entry_id and te.state in ('approved', 'posted', 'billed'))))
    select l.*, ${reportingValue(sql`l.amount_ours`, sql`l.currency`, sql`l.work_date`, rc)} as value_ours,
           ${reportingValue(sql`l.amount_erp`, sql`l.currency`, sql`l.work_date`, rc)} as value_erp
    from (select *, false as extra from entry_lines union all select * from extra_records union all select * from unknown) l`);

  const staged = await stageApprovalLines(tx, { legalEntityId, from, to, reportingCurrency: rc, reading: approvals });
  // the run's entity's approval lines (recon_approval_lines is firm-wide, within the period's dates)
  await tx.execute(sql`drop table if exists pg_temp.recon_entity_approvals`);
  await tx.execute(sql`create temp table recon_entity_approvals on commit drop as select * from recon_approval_lines where entity_id = ${legalEntityId}`);

  await tx.execute(sql`
    insert into reconciliation_variances (run_id, variance_class, time_entry_id, erp_record_id, erp_id, source_ref, project_id, employee_id, project_label, person_label,
                                          work_date, hours_ours, hours_erp, amount_ours, amount_erp, currency, value_reporting, explanation)
    select ${runId}, l.variance_class, l.time_entry_id, l.erp_record_id, l.erp_id, l.source_ref, l.project_id, l.employee_id,
           (select p.code || ' ' || p.name from projects p where p.id = l.project_id), (select em.name from employees em where em.id = l.employee_id),
           l.work_date, l.hours_ours, l.hours_erp, l.amount_ours, l.amount_erp, l.currency,
           case when l.variance_class in ('hours_mismatch', 'amount_mismatch') then l.value_erp - l.value_ours
                when l.variance_class in ('unknown_in_erp') or l.extra then l.value_erp
                else l.value_ours end,
           case when l.variance_class = 'posted_not_invoiced' then 'awaiting the ERP''s next invoice run' else l.explanation end
    from recon_lines l
    -- an entry with several ERP records: the records beyond the first are the variance lines
    where l.variance_class <> 'matched' and not (l.variance_class = 'duplicated_in_erp' and not l.extra)
    order by l.variance_class, l.work_date, l.source_ref`);
  await tx.execute(sql`
    insert into reconciliation_variances (run_id, variance_class, time_entry_id, erp_id, source_ref, project_id, employee_id, project_label, person_label,
                                          work_date, hours_ours, amount_ours, currency, value_reporting, explanation)
    select ${runId}, a.variance_class, a.time_entry_id, a.erp_id, a.source_ref, a.project_id, a.employee_id,
           (select p.code || ' ' || p.name from projects p where p.id = a.project_id), (select em.name from employees em where em.id = a.employee_id),
           a.work_date, a.hours_ours, a.amount_ours, a.currency, a.value_reporting, a.explanation
    from recon_entity_approvals a order by a.variance_class, a.work_date, a.source_ref`);

  const side = (cond: string, hours: string, value: string) =>
    sql.raw(`json_build_object('count', count(*) filter (where ${cond}), 'hours', coalesce(sum(${hours}) filter (where ${cond}), 0)::text,
      'value', coalesce(sum(${value}) filter (where ${cond}), 0)::text, 'unvalued', count(*) filter (where ${cond} and ${value} is null))`);
  const [totals] = (await tx.execute(sql`
    select ${side("not extra and hours_ours is not null", "hours_ours", "value_ours")} as source_approved,
           ${side("not extra and canonical", "hours_ours", "value_ours")} as canonical,
           ${side("erp_record_id is not null and work_date between '" + from + "' and '" + to + "'", "hours_erp", "value_erp")} as erp_posted,
           ${side("erp_record_id is not null and invoiced and work_date between '" + from + "' and '" + to + "'", "hours_erp", "value_erp")} as invoiced,
           count(*) filter (where variance_class = 'matched' and not extra
             and not exists (select 1 from recon_entity_approvals a where a.time_entry_id = recon_lines.time_entry_id))::int as matched,
           (count(*) filter (where not extra) + (select count(*) from recon_entity_approvals a where a.variance_class = 'approved_in_source_not_here'))::int as lines
    from recon_lines`)) as unknown as { source_approved: SideTotals; canonical: SideTotals; erp_posted: SideTotals; invoiced: SideTotals; matched: number; lines: number }[];

  const byClass = (await tx.execute(sql`
    select variance_class, count(*)::int as count, coalesce(sum(coalesce(hours_ours, hours_erp)), 0)::text as hours, coalesce(sum(value_reporting), 0)::text as value,
           count(*) filter (where explanation is null)::int as unexplained
    from reconciliation_variances where run_id = ${runId} and variance_class <> all(${`{${SOURCE_APPROVAL_CLASSES.join(",")}}`}::text[]) group by variance_class
    union all
    -- an entry never received has no hours of ours: the source's are what is at stake
    select variance_class, count(*)::int, coalesce(sum(hours_at_stake), 0)::text, coalesce(sum(value_reporting), 0)::text, count(*) filter (where explanation is null)::int
    from recon_entity_approvals group by variance_class`)) as unknown as { variance_class: VarianceClass; count: number; hours: string; value: string; unexplained: number }[];

  for (const [dimension, key, label] of [
    ["project", "project_id", "(select p.code || ' ' || p.name from projects p where p.id = g.k)"],
    ["person", "employee_id", "(select em.name from employees em where em.id = g.k)"],
  ] as const) {
    await tx.execute(sql`
      insert into reconciliation_breakdowns (run_id, dimension, key, label, source_count, source_hours, source_value, canonical_count, canonical_hours, canonical_value,
                                             erp_count, erp_hours, erp_value, invoiced_count, invoiced_hours, invoiced_value, variances)
      select ${runId}, ${dimension}, coalesce(g.k::text, ''), coalesce(${sql.raw(label)}, 'Not in our master data'),
             g.source_count, g.source_hours, g.source_value, g.canonical_count, g.canonical_hours, g.canonical_value,
             g.erp_count, g.erp_hours, g.erp_value, g.invoiced_count, g.invoiced_hours, g.invoiced_value, g.variances
      from (
        select l.${sql.raw(key)} as k,
               count(*) filter (where not l.extra and l.hours_ours is not null) as source_count, coalesce(sum(l.hours_ours) filter (where not l.extra), 0) as source_hours,
               coalesce(sum(l.value_ours) filter (where not l.extra), 0) as source_value,
               count(*) filter (where not l.extra and l.canonical) as canonical_count, coalesce(sum(l.hours_ours) filter (where not l.extra and l.canonical), 0) as canonical_hours,
               coalesce(sum(l.value_ours) filter (where not l.extra and l.canonical), 0) as canonical_value,
               count(*) filter (where l.erp_record_id is not null) as erp_count, coalesce(sum(l.hours_erp), 0) as erp_hours, coalesce(sum(l.value_erp), 0) as erp_value,
               count(*) filter (where l.erp_record_id is not null and l.invoiced) as invoiced_count, coalesce(sum(l.hours_erp) filter (where l.invoiced), 0) as invoiced_hours,
               coalesce(sum(l.value_erp) filter (where l.invoiced), 0) as invoiced_value,
               count(*) filter (where l.variance_class <> 'matched' and not (l.variance_class = 'duplicated_in_erp' and not l.extra)) as variances
        from (select project_id, employee_id, extra, hours_ours, value_ours, canonical, erp_record_id, hours_erp, value_erp, invoiced, variance_class from recon_lines
              union all
              select project_id, employee_id, true, null::numeric, null::numeric, false, null::uuid, null::numeric, null::numeric, false, variance_class from recon_entity_approvals) l
        group by l.${sql.raw(key)}) g`);
  }

  const t = totals!;
  const empty: VarianceFigures = { count: 0, hours: "0", value: "0", unexplained: 0 };
  const numeric = (x: SideTotals): SideTotals => ({ count: Number(x.count), hours: x.hours, value: x.value, unvalued: Number(x.unvalued) });
  return {
    sourceApproved: numeric(t.source_approved),
    canonical: numeric(t.canonical),
    erpPosted: numeric(t.erp_posted),
    invoiced: numeric(t.invoiced),
    matched: Number(t.matched),
    lines: Number(t.lines),
    variances: Object.fromEntries(
      VARIANCE_CLASSES.filter((c) => approvals.checked || !isSourceApprovalClass(c)).map((c) => {
        const r = byClass.find((b) => b.variance_class === c);
        return [c, r ? { count: Number(r.count), hours: r.hours, value: r.value, unexplained: Number(r.unexplained) } : empty];
      }),
    ) as ReconciliationTotals["variances"],
    sourceApprovals: approvalsCheckOf(approvals, staged),
  };
}
