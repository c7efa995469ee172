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

// ---- changes made to invoices in the ERP after billing ----------------------------------

/** An admin request the account's state refuses: answered with `status` and the message. */
export class BillingChangeError extends Error {
  constructor(
    readonly status: 404 | 409,
    message: string,
  ) {
    super(message);
    this.name = "BillingChangeError";
  }
}

/** Invoice statuses that bill nothing any more: their time bills have been released. */
export const CANCELLED_INVOICE_STATUSES = ["voided", "credited"] as const;

type Tx = postgres.TransactionSql;

/** The invoice, locked for the change, or a 404; a voided or credited one cannot change again (409). */
async function changeableInvoice(tx: Tx, id: string) {
  const [inv] = await tx`
    select id, tranid, entity, job, subsidiary, currency, foreigntotal::text as total, status
    from sim_netsuite."transaction" where id = ${id} and type = 'CustInvc' for update`;
  if (!inv) throw new BillingChangeError(404, `There is no invoice ${id}.`);
  if ((CANCELLED_INVOICE_STATUSES as readonly string[]).includes(inv.status as string)) {
    throw new BillingChangeError(409, `Invoice ${inv.tranid as string} is ${inv.status as string} and cannot be changed.`);
  }
  return inv as { id: string; tranid: string; entity: string; job: string | null; subsidiary: string; currency: string; total: string; status: string };
}

/** The invoice's total again from its lines. */
async function retotal(tx: Tx, id: string): Promise<{ total: string; lines: number }> {
  const [t] = await tx`
    update sim_netsuite."transaction" x set foreigntotal = l.total
    from (select coalesce(sum(foreignamount), 0) as total, count(*)::int as lines from sim_netsuite.transactionline where "transaction" = ${id}) l
    where x.id = ${id} returning l.total::text as total, l.lines`;
  return { total: t!.total as string, lines: t!.lines as number };
}

/** Every time bill the invoice bills is released (on no invoice again, so a billing run takes it again). */
async function releaseTimeBills(tx: Tx, id: string): Promise<string[]> {
  const released = await tx`
    update sim_netsuite.timebill set invoice = null, lastmodifieddate = now() where invoice = ${id} returning id`;
  return released.map((r) => r.id as string).sort();
}

/**
 * Takes one time bill off its invoice, as a user editing the invoice removes a line: the line
 * is deleted (the other lines keep their numbers), the time bill is on no invoice again, and
 * the invoice's total is the sum of the lines left.
 */
export async function removeTimeBillFromInvoice(
  sql: postgres.Sql,
  timeBillId: string,
): Promise<{ invoice: string; tranId: string; timeBill: string; line: number; total: string; lines: number }> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('sim_netsuite.billing'))`;
    const [tb] = await tx`select id, invoice from sim_netsuite.timebill where id = ${timeBillId} for update`;
    if (!tb) throw new BillingChangeError(404, `There is no time bill ${timeBillId}.`);
    if (!tb.invoice) throw new BillingChangeError(409, `Time bill ${timeBillId} is on no invoice.`);
    const inv = await changeableInvoice(tx, tb.invoice as string);
    const removed = await tx`
      delete from sim_netsuite.transactionline where "transaction" = ${inv.id} and timebill = ${timeBillId} returning linesequencenumber`;
    await tx`update sim_netsuite.timebill set invoice = null, lastmodifieddate = now() where id = ${timeBillId}`;
    const t = await retotal(tx, inv.id);
    return { invoice: inv.id, tranId: inv.tranid, timeBill: timeBillId, line: (removed[0]?.linesequencenumber as number | undefined) ?? 0, ...t };
  });
}

/**
 * Voids an invoice, as NetSuite does when voids do not post reversing journals: the invoice
 * stays, with status `voided` and its amounts (lines and total) set to zero; its lines keep
 * their items, quantities, rates and time bill links, so the voided invoice still shows what
 * it had billed. Its time bills are on no invoice again, billable by the next billing run.
 */
export async function voidInvoice(sql: postgres.Sql, invoiceId: string): Promise<{ invoice: string; tranId: string; status: "voided"; total: string; released: string[] }> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('sim_netsuite.billing'))`;
    const inv = await changeableInvoice(tx, invoiceId);
    const released = await releaseTimeBills(tx, inv.id);
    await tx`update sim_netsuite.transactionline set foreignamount = 0 where "transaction" = ${inv.id}`;
    await tx`update sim_netsuite."transaction" set status = 'voided', foreigntotal = 0 where id = ${inv.id}`;
    return { invoice: inv.id, tranId: inv.tranid, status: "voided", total: "0.00", released };
  });
}

/**
 * Credits an invoice in full: a credit memo (type `CustCred`, tranId `CM-<id>`, status
 * `applied`) for the invoice's customer, job, subsidiary and currency, dated `date`, with one
 * line per invoice line (same item, quantity, rate and amount, the memo naming the invoice and
 * line it credits) and the invoice's total. The invoice keeps its lines and amounts and takes
 * the status `credited`; its time bills are on no invoice again.
 */
export async function creditInvoice(
  sql: postgres.Sql,
  invoiceId: string,
  opts: { date: Date | string },
): Promise<{ invoice: string; tranId: string; status: "credited"; creditMemo: { id: string; tranId: string; date: string; total: string }; released: string[] }> {
  const date = typeof opts.date === "string" ? opts.date.slice(0, 10) : opts.date.toISOString().slice(0, 10);
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('sim_netsuite.billing'))`;
    const inv = await changeableInvoice(tx, invoiceId);
    const [memo] = await tx`
      insert into sim_netsuite."transaction" (id, tranid, type, entity, job, subsidiary, trandate, currency, foreigntotal, status)
      select s.n::text, 'CM-' || s.n, 'CustCred', ${inv.entity}, ${inv.job}, ${inv.subsidiary}, ${date}::date, ${inv.currency}, ${inv.total}::numeric, 'applied'
      from (select nextval('sim_netsuite.invoice_seq') as n) s
      returning id, tranid, foreigntotal::text as total`;
    await tx`
      insert into sim_netsuite.transactionline ("transaction", linesequencenumber, timebill, item, memo, quantity, rate, foreignamount)
      select ${memo!.id as string}, linesequencenumber, null, item, 'Credit of ' || ${inv.tranid} || ' line ' || linesequencenumber, quantity, rate, foreignamount
      from sim_netsuite.transactionline where "transaction" = ${inv.id}`;
    const released = await releaseTimeBills(tx, inv.id);
    await tx`update sim_netsuite."transaction" set status = 'credited' where id = ${inv.id}`;
    return {
      invoice: inv.id,
      tranId: inv.tranid,
      status: "credited",
      creditMemo: { id: memo!.id as string, tranId: memo!.tranid as string, date, total: memo!.total as string },
      released,
    };
  });
}
