import type postgres from "postgres";

export type BillingResult = { invoices: { id: string; job: string; lines: number; total: string }[] };

/**
 * One billing run: every approved, billable time bill dated on or before `asOf` that is on
 * no invoice yet is invoiced, one invoice per job, each line linked to its time bill
 * (amount = hours × rate, rounded to cents). Runs are serialised with an advisory lock and
 * done in one transaction, so two runs never bill a time bill twice.
 */
export async function runBilling(sql: postgres.Sql, opts: { asOf: Date | string }): Promise<BillingResult> {
  const asOf = typeof opts.asOf === "string" ? opts.asOf.slice(0, 10) : opts.asOf.toISOString().slice(0, 10);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('sim_netsuite.billing'))`;
    const jobs = await tx`
      select t.customer as job, j.customer, j.subsidiary, j.currency, count(*)::int as lines,
             sum(round(t.hours * coalesce(t.rate, 0), 2))::text as total
      from sim_netsuite.timebill t join sim_netsuite.job j on j.id = t.customer
      where t.invoice is null and t.isbillable and t.approvalstatus = '3' and t.trandate <= ${asOf}::date
      group by t.customer, j.customer, j.subsidiary, j.currency
      order by t.customer`;
    const invoices: BillingResult["invoices"] = [];
    for (const j of jobs) {
      const [inv] = await tx`
        insert into sim_netsuite."transaction" (id, tranid, type, entity, job, subsidiary, trandate, currency, foreigntotal, status)
        select s.n::text, 'INV-' || s.n, 'CustInvc', ${j.customer}, ${j.job}, ${j.subsidiary}, ${asOf}::date, ${j.currency}, ${j.total}::numeric, 'open'
        from (select nextval('sim_netsuite.invoice_seq') as n) s
        returning id`;
      const id = inv!.id as string;
      await tx`
        with billed as (
          update sim_netsuite.timebill set invoice = ${id}, lastmodifieddate = now()
          where customer = ${j.job} and invoice is null and isbillable and approvalstatus = '3' and trandate <= ${asOf}::date
          returning id, item, memo, hours, rate, trandate
        )
        insert into sim_netsuite.transactionline ("transaction", linesequencenumber, timebill, item, memo, quantity, rate, foreignamount)
        select ${id}, row_number() over (order by trandate, id), id, item, memo, hours, rate, round(hours * coalesce(rate, 0), 2)
        from billed`;
      // the total from the lines actually written (a time bill created meanwhile may have joined)
      const [t] = await tx`
        update sim_netsuite."transaction" x set foreigntotal = l.total
        from (select coalesce(sum(foreignamount), 0) as total, count(*)::int as lines from sim_netsuite.transactionline where "transaction" = ${id}) l
        where x.id = ${id} returning l.total::text as total, l.lines`;
      invoices.push({ id, job: j.job as string, lines: t!.lines as number, total: t!.total as string });
    }
    return { invoices };
  });
}
