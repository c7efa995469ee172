import type postgres from "postgres";
import { planErpVariances, plantErpVariances } from "@/server/demo/erp-variances";
import { generateDemo, type DemoData } from "@/server/demo/generate";
import type { ProjectStatus } from "@/server/domain/enums";

/** App project status → the job's entityStatus { id, refName } (a simulator-defined list). */
export const JOB_STATUS: Record<ProjectStatus, { id: string; refName: string }> = {
  active: { id: "2", refName: "In Progress" },
  on_hold: { id: "4", refName: "On Hold" },
  closed: { id: "1", refName: "Closed" },
};
export const JOB_STATUS_NAMES: Record<string, string> = Object.fromEntries(Object.values(JOB_STATUS).map((s) => [s.id, s.refName]));
/** Time may be booked only on jobs in this status. */
export const OPEN_JOB_STATUS = JOB_STATUS.active.id;

export const APPROVAL_STATUS: Record<string, string> = {
  "1": "Pending Submission",
  "2": "Pending Approval",
  "3": "Approved",
  "4": "Rejected",
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

export type SeedOptions = {
  seed: number;
  consultants: number;
  projects: number;
  months: number;
  endDate: string;
  /** also plant the demo's ERP-side reconciliation variances (src/server/demo/erp-variances.ts) */
  erpVariances?: boolean;
};

export type SeedCounts = Record<"subsidiary" | "customer" | "job" | "employee" | "item" | "accountingperiod" | "timebill" | "transaction" | "transactionline", number>;

/** Insert rows through one JSON parameter: `insert … select … from json_to_recordset($1)`. */
async function bulkInsert(tx: postgres.Sql | postgres.TransactionSql, table: string, columns: Record<string, string>, rows: Record<string, unknown>[]) {
  if (rows.length === 0) return;
  const names = Object.keys(columns);
  const cols = names.map((c) => `"${c}"`).join(", ");
  const defs = names.map((c) => `"${c}" ${columns[c]}`).join(", ");
  for (let i = 0; i < rows.length; i += 5000) {
    const chunk = rows.slice(i, i + 5000);
    await tx.unsafe(`insert into sim_netsuite.${table} (${cols}) select ${cols} from json_to_recordset($1::text::json) as x(${defs})`, [JSON.stringify(chunk)]);
  }
}

/** The labor cost of each employee: the cost rate in effect on `day` (latest validFrom wins). */
export function laborCostAt(data: DemoData, day: string): Map<string, string> {
  const best = new Map<string, { from: string; rate: string }>();
  for (const r of data.costRates) {
    if (r.validFrom > day || (r.validTo != null && r.validTo < day)) continue;
    const cur = best.get(r.employeeId);
    if (!cur || r.validFrom > cur.from) best.set(r.employeeId, { from: r.validFrom, rate: r.rate });
  }
  return new Map([...best].map(([k, v]) => [k, v.rate]));
}

/**
 * Seeds the simulator from the app's demo generator, so its master data agree with the demo
 * (planted gaps included). Runs only when the schema is empty; everything in one transaction.
 */
export async function seedIfEmpty(sql: postgres.Sql, opts: SeedOptions): Promise<{ seeded: boolean; counts: SeedCounts | null }> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('sim_netsuite.seed'))`;
    const [{ n }] = (await tx`select count(*)::int as n from sim_netsuite.subsidiary`) as unknown as [{ n: number }];
    if (n > 0) return { seeded: false, counts: null };
    const demo = generateDemo(opts);
    const counts = await seed(tx, demo);
    if (opts.erpVariances) {
      const plan = planErpVariances(demo);
      if (plan) await plantErpVariances(tx, plan);
    }
    return { seeded: true, counts };
  });
}

async function seed(tx: postgres.TransactionSql, d: DemoData): Promise<SeedCounts> {
  const ent = new Map(d.legalEntities.map((e) => [e.id, e]));
  const sub = (legalEntityId: string) => ent.get(legalEntityId)!.erpSubsidiaryId;
  const cust = new Map(d.customers.map((c) => [c.id, c]));
  const proj = new Map(d.projects.map((p) => [p.id, p]));
  const emp = new Map(d.employees.map((e) => [e.id, e]));
  const cat = new Map(d.laborCategories.map((c) => [c.id, c]));
  const cost = laborCostAt(d, d.options.endDate);

  const subsidiaries = d.legalEntities.map((e) => ({ id: e.erpSubsidiaryId, name: e.name, country: e.country, currency: e.functionalCurrency }));
  const customers = d.customers.map((c) => ({ id: c.erpId, entityid: c.erpId, companyname: c.name, subsidiary: sub(c.legalEntityId), isinactive: !(c.active ?? true) }));
  const jobs = d.projects.map((p) => ({
    id: p.erpId,
    entityid: p.code,
    companyname: p.name,
    customer: cust.get(p.customerId)!.erpId,
    subsidiary: sub(p.legalEntityId),
    entitystatus: JOB_STATUS[(p.status ?? "active") as ProjectStatus].id,
    currency: p.currency,
    startdate: p.startsOn ?? null,
    enddate: p.endsOn ?? null,
  }));
  const employees = d.employees.map((e) => {
    const [first, ...rest] = e.name.split(" ");
    return {
      id: e.erpId,
      entityid: e.name,
      firstname: first ?? e.name,
      lastname: rest.join(" "),
      email: e.email,
      subsidiary: sub(e.legalEntityId),
      department: e.department,
      laborcost: cost.get(e.id) ?? null,
      isinactive: !(e.active ?? true),
    };
  });
  const items = d.laborCategories.map((c) => ({ id: c.erpItemId, itemid: c.code, displayname: c.name, isinactive: !(c.active ?? true) }));
  const periods = [...d.accountingPeriods]
    .sort((a, b) => a.period.localeCompare(b.period) || sub(a.legalEntityId).localeCompare(sub(b.legalEntityId)))
    .map((p, i) => ({
      id: String(i + 1),
      subsidiary: sub(p.legalEntityId),
      periodname: `${MONTHS[Number(p.period.slice(5, 7)) - 1]} ${p.period.slice(0, 4)}`,
      startdate: p.startsOn,
      enddate: p.endsOn,
      closed: p.status === "closed",
    }));
  const invoiceById = new Map(d.invoices.map((v) => [v.id, v]));
  const transactions = d.invoices.map((v) => ({
    id: v.erpId,
    tranid: v.number,
    entity: v.customerId ? cust.get(v.customerId)!.erpId : v.projectId ? cust.get(proj.get(v.projectId)!.customerId)!.erpId : null,
    job: v.projectId ? proj.get(v.projectId)!.erpId : null,
    subsidiary: sub(v.legalEntityId),
    trandate: v.invoiceDate,
    currency: v.currency,
    foreigntotal: v.total,
    status: v.status,
    datecreated: v.createdAt ?? `${v.invoiceDate}T00:00:00Z`,
  }));

  // time bills and invoice lines come from the entry stream
  const timebills: Record<string, unknown>[] = [];
  const lines: Record<string, unknown>[] = [];
  const lineNo = new Map<string, number>();
  const addLine = (invoiceId: string, line: Omit<Record<string, unknown>, "transaction" | "linesequencenumber">) => {
    const inv = invoiceById.get(invoiceId)!;
    const n = (lineNo.get(inv.erpId) ?? 0) + 1;
    lineNo.set(inv.erpId, n);
    lines.push({ transaction: inv.erpId, linesequencenumber: n, ...line });
  };
  for (const l of d.invoiceLines) addLine(l.invoiceId, { timebill: null, item: null, memo: l.description ?? null, quantity: l.hours ?? null, rate: null, foreignamount: l.amount });
  for (const chunk of d.timeEntryChunks(2000)) {
    for (const { entry: e, posting, invoiceLine } of chunk) {
      // anything the ERP accepted and that was not reversed is a time bill there
      if (e.state === "void" || !e.erpId || !e.employeeId || !e.projectId || !e.laborCategoryId) {
        if (invoiceLine) addLine(invoiceLine.invoiceId, { timebill: null, item: null, memo: invoiceLine.description ?? null, quantity: invoiceLine.hours ?? null, rate: null, foreignamount: invoiceLine.amount });
        continue;
      }
      const p = proj.get(e.projectId)!;
      const invoice = invoiceLine ? invoiceById.get(invoiceLine.invoiceId)!.erpId : null;
      timebills.push({
        id: e.erpId,
        employee: emp.get(e.employeeId)!.erpId,
        customer: p.erpId,
        item: cat.get(e.laborCategoryId)!.erpItemId,
        subsidiary: sub(p.legalEntityId),
        hours: e.hours,
        rate: e.billRate ?? null,
        isbillable: e.billable,
        trandate: e.workDate,
        memo: e.notes ?? null,
        approvalstatus: "3",
        invoice,
        idempotencykey: posting && posting.erpId === e.erpId ? posting.idempotencyKey : null,
        datecreated: posting?.acceptedAt ?? e.postedAt ?? `${e.workDate}T00:00:00Z`,
      });
      if (invoiceLine) {
        addLine(invoiceLine.invoiceId, {
          timebill: e.erpId,
          item: cat.get(e.laborCategoryId)!.erpItemId,
          memo: invoiceLine.description ?? null,
          quantity: invoiceLine.hours ?? e.hours,
          rate: e.billRate ?? null,
          foreignamount: invoiceLine.amount,
        });
      }
    }
  }
  for (const x of d.expenses) {
    if (x.invoiceLine) addLine(x.invoiceLine.invoiceId, { timebill: null, item: null, memo: x.invoiceLine.description ?? null, quantity: null, rate: null, foreignamount: x.invoiceLine.amount });
  }

  await bulkInsert(tx, "subsidiary", { id: "text", name: "text", country: "text", currency: "text" }, subsidiaries);
  await bulkInsert(tx, "customer", { id: "text", entityid: "text", companyname: "text", subsidiary: "text", isinactive: "boolean" }, customers);
  await bulkInsert(
    tx,
    "job",
    { id: "text", entityid: "text", companyname: "text", customer: "text", subsidiary: "text", entitystatus: "text", currency: "text", startdate: "date", enddate: "date" },
    jobs,
  );
  await bulkInsert(
    tx,
    "employee",
    { id: "text", entityid: "text", firstname: "text", lastname: "text", email: "text", subsidiary: "text", department: "text", laborcost: "numeric", isinactive: "boolean" },
    employees,
  );
  await bulkInsert(tx, "item", { id: "text", itemid: "text", displayname: "text", isinactive: "boolean" }, items);
  await bulkInsert(tx, "accountingperiod", { id: "text", subsidiary: "text", periodname: "text", startdate: "date", enddate: "date", closed: "boolean" }, periods);
  await bulkInsert(
    tx,
    "transaction",
    { id: "text", tranid: "text", entity: "text", job: "text", subsidiary: "text", trandate: "date", currency: "text", foreigntotal: "numeric", status: "text", datecreated: "timestamptz" },
    transactions,
  );
  await bulkInsert(
    tx,
    "timebill",
    {
      id: "text",
      employee: "text",
      customer: "text",
      item: "text",
      subsidiary: "text",
      hours: "numeric",
      rate: "numeric",
      isbillable: "boolean",
      trandate: "date",
      memo: "text",
      approvalstatus: "text",
      invoice: "text",
      idempotencykey: "text",
      datecreated: "timestamptz",
    },
    timebills,
  );
  await tx.unsafe(`update sim_netsuite.timebill set lastmodifieddate = datecreated`);
  await bulkInsert(
    tx,
    "transactionline",
    { transaction: "text", linesequencenumber: "integer", timebill: "text", item: "text", memo: "text", quantity: "numeric", rate: "numeric", foreignamount: "numeric" },
    lines,
  );
  // new ids continue after the seeded ones
  await tx.unsafe(`select setval('sim_netsuite.timebill_seq', greatest(1, coalesce((select max(nullif(regexp_replace(id, '\\D', '', 'g'), '')::bigint) from sim_netsuite.timebill), 100000)))`);
  await tx.unsafe(`select setval('sim_netsuite.invoice_seq', greatest(1, coalesce((select max(nullif(regexp_replace(id, '\\D', '', 'g'), '')::bigint) from sim_netsuite."transaction"), 700000)))`);

  return {
    subsidiary: subsidiaries.length,
    customer: customers.length,
    job: jobs.length,
    employee: employees.length,
    item: items.length,
    accountingperiod: periods.length,
    timebill: timebills.length,
    transaction: transactions.length,
    transactionline: lines.length,
  };
}
