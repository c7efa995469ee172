import type postgres from "postgres";
import { badRequest, NetSuiteError } from "./errors";
import { APPROVAL_STATUS, JOB_STATUS_NAMES, OPEN_JOB_STATUS } from "./seed";

type Sql = postgres.Sql | postgres.TransactionSql;

/** The record types a GET answers, by their REST name. */
export const RECORD_TYPES = ["timeBill", "job", "employee", "customer", "subsidiary", "accountingPeriod", "invoice", "item"] as const;
export type RecordType = (typeof RECORD_TYPES)[number];

// ---------------------------------------------------------------------------------------
// timeBill create: request validation

export type TimeBillInput = {
  employee: string;
  customer: string;
  item: string;
  hours: string;
  rate: string | null;
  isBillable: boolean;
  tranDate: string;
  memo: string | null;
  subsidiary: string | null;
  approvalStatus: string;
};

const REF_FIELDS = ["employee", "customer", "item", "subsidiary", "approvalStatus"] as const;
/** accepted and ignored: real timeBill fields the simulator does not model */
const IGNORED_FIELDS = ["caseTaskEvent", "department", "class", "location"] as const;
const KNOWN_FIELDS = new Set<string>([...REF_FIELDS, ...IGNORED_FIELDS, "hours", "rate", "isBillable", "tranDate", "memo"]);
const REQUIRED = ["employee", "customer", "item", "hours", "tranDate"] as const;

function ref(field: string, value: unknown): string {
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const id = (value as { id?: unknown }).id;
    const extra = Object.keys(value).filter((k) => k !== "id" && k !== "refName" && k !== "links");
    if (extra.length) throw badRequest("INVALID_FLD_VALUE", `Invalid value for field ${field}: unknown reference property '${extra[0]}'. A reference is { "id": "<internal id>" }.`);
    if ((typeof id === "string" && /^[A-Za-z0-9_-]{1,40}$/.test(id)) || (typeof id === "number" && Number.isInteger(id) && id > 0)) return String(id);
  }
  throw badRequest("INVALID_FLD_VALUE", `Invalid value for field ${field}: expected a reference { "id": "<internal id>" }.`);
}

function decimal(field: string, value: unknown, min: number, max: number): string {
  const text = typeof value === "number" && Number.isFinite(value) ? String(value) : typeof value === "string" ? value.trim() : null;
  if (text === null || !/^\d+(\.\d{1,2})?$/.test(text) || Number(text) < min || Number(text) > max) {
    throw badRequest("INVALID_FLD_VALUE", `Invalid value for field ${field}: ${JSON.stringify(value)}. Expected a number from ${min} to ${max} with at most 2 decimals.`);
  }
  return text;
}

export function isIsoDay(s: unknown): s is string {
  if (typeof s !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

/** Shape checks of one timeBill body: unknown fields, required fields, value types. */
export function parseTimeBill(body: unknown): TimeBillInput {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("INVALID_CONTENT", "The request body must be a JSON object describing a timeBill record.");
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => !KNOWN_FIELDS.has(k));
  if (unknown.length) throw badRequest("INVALID_FIELD_NAME", `Invalid field name: '${unknown[0]}' is not a field of record type timeBill.`);
  const missing = REQUIRED.filter((k) => b[k] === undefined || b[k] === null);
  if (missing.length) throw badRequest("USER_ERROR", `Please enter value(s) for: ${missing.join(", ")}.`);
  if (!isIsoDay(b.tranDate)) throw badRequest("INVALID_FLD_VALUE", `Invalid value for field tranDate: ${JSON.stringify(b.tranDate)}. Expected a date as YYYY-MM-DD.`);
  if (b.isBillable !== undefined && typeof b.isBillable !== "boolean") throw badRequest("INVALID_FLD_VALUE", `Invalid value for field isBillable: ${JSON.stringify(b.isBillable)}. Expected true or false.`);
  if (b.memo !== undefined && b.memo !== null && (typeof b.memo !== "string" || b.memo.length > 4000)) throw badRequest("INVALID_FLD_VALUE", "Invalid value for field memo: expected text of at most 4000 characters.");
  for (const f of IGNORED_FIELDS) if (b[f] !== undefined && b[f] !== null) ref(f, b[f]);
  const hours = decimal("hours", b.hours, 0, 24);
  if (Number(hours) <= 0) throw badRequest("INVALID_FLD_VALUE", `Invalid value for field hours: ${JSON.stringify(b.hours)}. Hours must be more than 0.`);
  const approvalStatus = b.approvalStatus == null ? "3" : ref("approvalStatus", b.approvalStatus);
  if (!APPROVAL_STATUS[approvalStatus]) throw badRequest("INVALID_FLD_VALUE", `Invalid value for field approvalStatus: ${approvalStatus}. Expected 1 (Pending Submission), 2 (Pending Approval), 3 (Approved) or 4 (Rejected).`);
  return {
    employee: ref("employee", b.employee),
    customer: ref("customer", b.customer),
    item: ref("item", b.item),
    hours,
    rate: b.rate == null ? null : decimal("rate", b.rate, 0, 1_000_000),
    isBillable: (b.isBillable as boolean | undefined) ?? true,
    tranDate: b.tranDate,
    memo: (b.memo as string | null | undefined) ?? null,
    subsidiary: b.subsidiary == null ? null : ref("subsidiary", b.subsidiary),
    approvalStatus,
  };
}

/** Business checks against the account's records; returns the subsidiary the time bill books to. */
async function checkBusiness(sql: Sql, t: TimeBillInput): Promise<string> {
  const [emp] = await sql`select id, isinactive from sim_netsuite.employee where id = ${t.employee}`;
  if (!emp) throw badRequest("INVALID_KEY_OR_REF", `Invalid employee reference key ${t.employee}.`);
  if (emp.isinactive) throw badRequest("INVALID_KEY_OR_REF", `Invalid employee reference key ${t.employee}: the employee is inactive.`);
  const [job] = await sql`select id, entitystatus, isinactive, subsidiary from sim_netsuite.job where id = ${t.customer}`;
  if (!job) throw badRequest("INVALID_KEY_OR_REF", `Invalid customer reference key ${t.customer}: no project (job) has this internal id.`);
  if (job.isinactive || job.entitystatus !== OPEN_JOB_STATUS) {
    const status = job.isinactive ? "inactive" : (JOB_STATUS_NAMES[job.entitystatus as string] ?? job.entitystatus);
    throw badRequest("INVALID_JOB_STATUS", `Time cannot be entered on project ${t.customer}: its status is ${status}.`);
  }
  const [item] = await sql`select id, isinactive from sim_netsuite.item where id = ${t.item}`;
  if (!item) throw badRequest("INVALID_KEY_OR_REF", `Invalid item reference key ${t.item}.`);
  if (item.isinactive) throw badRequest("INVALID_KEY_OR_REF", `Invalid item reference key ${t.item}: the item is inactive.`);
  const subsidiary = job.subsidiary as string;
  if (t.subsidiary !== null && t.subsidiary !== subsidiary) {
    const [s] = await sql`select id from sim_netsuite.subsidiary where id = ${t.subsidiary}`;
    if (!s) throw badRequest("INVALID_KEY_OR_REF", `Invalid subsidiary reference key ${t.subsidiary}.`);
    throw badRequest("INVALID_FLD_VALUE", `Invalid value for field subsidiary: project ${t.customer} belongs to subsidiary ${subsidiary}, not ${t.subsidiary}.`);
  }
  await assertPeriodOpen(sql, subsidiary, t.tranDate);
  return subsidiary;
}

async function assertPeriodOpen(sql: Sql, subsidiary: string, day: string) {
  const [p] = await sql`select periodname from sim_netsuite.accountingperiod where subsidiary = ${subsidiary} and ${day}::date between startdate and enddate and closed`;
  if (p) throw badRequest("PERIOD_CLOSED", `The accounting period ${p.periodname} is closed for subsidiary ${subsidiary}; the transaction date ${day} falls in it.`);
}

/**
 * Creates one time bill. With an idempotency key, the key is the record's unique column: a
 * repeat (concurrent or later) answers the original id and creates nothing.
 */
export async function createTimeBill(sql: Sql, t: TimeBillInput, idempotencyKey: string | null): Promise<{ id: string; created: boolean }> {
  if (idempotencyKey) {
    const [prior] = await sql`select id from sim_netsuite.timebill where idempotencykey = ${idempotencyKey}`;
    if (prior) return { id: prior.id as string, created: false };
  }
  const subsidiary = await checkBusiness(sql, t);
  const [row] = await sql`
    insert into sim_netsuite.timebill (id, employee, customer, item, subsidiary, hours, rate, isbillable, trandate, memo, approvalstatus, idempotencykey)
    values ('TB-' || nextval('sim_netsuite.timebill_seq'), ${t.employee}, ${t.customer}, ${t.item}, ${subsidiary}, ${t.hours}::numeric, ${t.rate}::numeric,
            ${t.isBillable}, ${t.tranDate}::date, ${t.memo}, ${t.approvalStatus}, ${idempotencyKey})
    on conflict (idempotencykey) do nothing
    returning id`;
  if (row) return { id: row.id as string, created: true };
  const [prior] = await sql`select id from sim_netsuite.timebill where idempotencykey = ${idempotencyKey}`;
  return { id: prior!.id as string, created: false };
}

/** Reversal: deletes a time bill unless it is on an invoice or in a closed period. */
export async function deleteTimeBill(sql: postgres.Sql, id: string): Promise<void> {
  await sql.begin(async (tx) => {
    const [tb] = await tx`select id, invoice, subsidiary, to_char(trandate, 'YYYY-MM-DD') as trandate from sim_netsuite.timebill where id = ${id} for update`;
    if (!tb) throw new NetSuiteError(404, "NONEXISTENT_ID", `The record instance does not exist. Provide a valid record instance ID (timeBill ${id}).`);
    if (tb.invoice) throw badRequest("THIS_RECORD_CANNOT_BE_DELETED", `Time bill ${id} has been billed on invoice ${tb.invoice} and cannot be deleted.`);
    await assertPeriodOpen(tx, tb.subsidiary as string, tb.trandate as string);
    await tx`delete from sim_netsuite.timebill where id = ${id}`;
  });
}

/**
 * PATCH of a job: only `entityStatus` ({ id } of 1 Closed, 2 In Progress, 4 On Hold) and
 * `isInactive` may change — enough to put a project on hold or close it in the ERP.
 */
export async function patchJob(sql: postgres.Sql, id: string, body: unknown): Promise<void> {
  if (!body || typeof body !== "object" || Array.isArray(body)) throw badRequest("INVALID_CONTENT", "The request body must be a JSON object with the job fields to change.");
  const b = body as Record<string, unknown>;
  const unknown = Object.keys(b).filter((k) => k !== "entityStatus" && k !== "isInactive");
  if (unknown.length) throw badRequest("INVALID_FIELD_NAME", `Invalid field name: '${unknown[0]}' cannot be changed on record type job (the simulator changes entityStatus and isInactive).`);
  let status: string | null = null;
  if (b.entityStatus !== undefined) {
    status = ref("entityStatus", b.entityStatus);
    if (!JOB_STATUS_NAMES[status]) throw badRequest("INVALID_FLD_VALUE", `Invalid value for field entityStatus: ${status}. Expected ${Object.entries(JOB_STATUS_NAMES).map(([k, v]) => `${k} (${v})`).join(", ")}.`);
  }
  if (b.isInactive !== undefined && typeof b.isInactive !== "boolean") throw badRequest("INVALID_FLD_VALUE", `Invalid value for field isInactive: ${JSON.stringify(b.isInactive)}. Expected true or false.`);
  const inactive = (b.isInactive as boolean | undefined) ?? null;
  const [row] = await sql`
    update sim_netsuite.job set entitystatus = coalesce(${status}, entitystatus), isinactive = coalesce(${inactive}::boolean, isinactive)
    where id = ${id} returning id`;
  if (!row) throw new NetSuiteError(404, "NONEXISTENT_ID", `The record instance does not exist. Provide a valid record instance ID (job ${id}).`);
}

// ---------------------------------------------------------------------------------------
// GET bodies, NetSuite-style: `links`, `id`, references as { links, id, refName }

type Refs = (type: string, id: string | null | undefined, refName?: string | null) => Record<string, unknown> | undefined;

export function recordUrl(base: string, type: string, id: string) {
  return `${base}/services/rest/record/v1/${type}/${encodeURIComponent(id)}`;
}

function refMaker(base: string): Refs {
  return (type, id, refName) => (id == null ? undefined : { links: [{ rel: "self", href: recordUrl(base, type, id) }], id, ...(refName != null ? { refName } : {}) });
}

const num = (v: unknown) => (v == null ? undefined : Number(v));
const day = (v: unknown) => (v == null ? undefined : v instanceof Date ? v.toISOString().slice(0, 10) : String(v).slice(0, 10));
const ts = (v: unknown) => (v == null ? undefined : v instanceof Date ? v.toISOString() : String(v));
/** drop undefined members, as NetSuite omits empty fields */
const clean = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

export async function getRecord(sql: postgres.Sql, type: RecordType, id: string, base: string): Promise<Record<string, unknown> | null> {
  const r = refMaker(base);
  const self = [{ rel: "self", href: recordUrl(base, type, id) }];
  switch (type) {
    case "timeBill": {
      const [t] = await sql`
        select t.*, e.entityid as employeename, j.companyname as jobname, i.displayname as itemname, s.name as subsidiaryname, x.tranid as invoicename
        from sim_netsuite.timebill t
        join sim_netsuite.employee e on e.id = t.employee join sim_netsuite.job j on j.id = t.customer
        join sim_netsuite.item i on i.id = t.item join sim_netsuite.subsidiary s on s.id = t.subsidiary
        left join sim_netsuite."transaction" x on x.id = t.invoice
        where t.id = ${id}`;
      if (!t) return null;
      return clean({
        links: self,
        id: t.id,
        employee: r("employee", t.employee, t.employeename),
        customer: r("job", t.customer, t.jobname),
        item: r("item", t.item, t.itemname),
        subsidiary: r("subsidiary", t.subsidiary, t.subsidiaryname),
        hours: num(t.hours),
        rate: num(t.rate),
        isBillable: t.isbillable,
        isBilled: t.invoice != null,
        invoice: r("invoice", t.invoice, t.invoicename),
        tranDate: day(t.trandate),
        memo: t.memo ?? undefined,
        approvalStatus: { id: t.approvalstatus, refName: APPROVAL_STATUS[t.approvalstatus as string] },
        createdDate: ts(t.datecreated),
        lastModifiedDate: ts(t.lastmodifieddate),
      });
    }
    case "job": {
      const [j] = await sql`select j.*, c.companyname as customername, s.name as subsidiaryname from sim_netsuite.job j join sim_netsuite.customer c on c.id = j.customer join sim_netsuite.subsidiary s on s.id = j.subsidiary where j.id = ${id}`;
      if (!j) return null;
      return clean({
        links: self,
        id: j.id,
        entityId: j.entityid,
        companyName: j.companyname,
        parent: r("customer", j.customer, j.customername),
        customer: r("customer", j.customer, j.customername),
        subsidiary: r("subsidiary", j.subsidiary, j.subsidiaryname),
        entityStatus: { id: j.entitystatus, refName: JOB_STATUS_NAMES[j.entitystatus as string] },
        isInactive: j.isinactive,
        currency: { id: j.currency, refName: j.currency },
        startDate: day(j.startdate),
        projectedEndDate: day(j.enddate),
      });
    }
    case "employee": {
      const [e] = await sql`select e.*, s.name as subsidiaryname from sim_netsuite.employee e join sim_netsuite.subsidiary s on s.id = e.subsidiary where e.id = ${id}`;
      if (!e) return null;
      return clean({
        links: self,
        id: e.id,
        entityId: e.entityid,
        firstName: e.firstname,
        lastName: e.lastname,
        email: e.email,
        subsidiary: r("subsidiary", e.subsidiary, e.subsidiaryname),
        department: e.department ? { id: e.department, refName: e.department } : undefined,
        laborCost: num(e.laborcost),
        isInactive: e.isinactive,
      });
    }
    case "customer": {
      const [c] = await sql`select c.*, s.name as subsidiaryname from sim_netsuite.customer c join sim_netsuite.subsidiary s on s.id = c.subsidiary where c.id = ${id}`;
      if (!c) return null;
      return clean({ links: self, id: c.id, entityId: c.entityid, companyName: c.companyname, subsidiary: r("subsidiary", c.subsidiary, c.subsidiaryname), isInactive: c.isinactive });
    }
    case "subsidiary": {
      const [s] = await sql`select * from sim_netsuite.subsidiary where id = ${id}`;
      if (!s) return null;
      return clean({ links: self, id: s.id, name: s.name, country: { id: s.country, refName: s.country }, currency: { id: s.currency, refName: s.currency }, isInactive: s.isinactive });
    }
    case "accountingPeriod": {
      const [p] = await sql`select p.*, s.name as subsidiaryname from sim_netsuite.accountingperiod p join sim_netsuite.subsidiary s on s.id = p.subsidiary where p.id = ${id}`;
      if (!p) return null;
      return clean({
        links: self,
        id: p.id,
        periodName: p.periodname,
        startDate: day(p.startdate),
        endDate: day(p.enddate),
        isClosed: p.closed,
        subsidiary: r("subsidiary", p.subsidiary, p.subsidiaryname),
      });
    }
    case "invoice": {
      const [v] = await sql`
        select v.*, c.companyname as customername, j.companyname as jobname, s.name as subsidiaryname
        from sim_netsuite."transaction" v join sim_netsuite.customer c on c.id = v.entity
        left join sim_netsuite.job j on j.id = v.job join sim_netsuite.subsidiary s on s.id = v.subsidiary
        where v.id = ${id} and v.type = 'CustInvc'`;
      if (!v) return null;
      const lines = await sql`select * from sim_netsuite.transactionline where "transaction" = ${id} order by linesequencenumber`;
      return clean({
        links: self,
        id: v.id,
        tranId: v.tranid,
        entity: r("customer", v.entity, v.customername),
        job: r("job", v.job, v.jobname),
        subsidiary: r("subsidiary", v.subsidiary, v.subsidiaryname),
        tranDate: day(v.trandate),
        currency: { id: v.currency, refName: v.currency },
        total: num(v.foreigntotal),
        status: { id: v.status, refName: v.status },
        createdDate: ts(v.datecreated),
        item: {
          links: [],
          count: lines.length,
          items: lines.map((l) =>
            clean({
              line: l.linesequencenumber,
              item: r("item", l.item),
              description: l.memo ?? undefined,
              quantity: num(l.quantity),
              rate: num(l.rate),
              amount: num(l.foreignamount),
              timeBill: r("timeBill", l.timebill),
            }),
          ),
        },
      });
    }
    case "item": {
      const [i] = await sql`select * from sim_netsuite.item where id = ${id}`;
      if (!i) return null;
      return clean({ links: self, id: i.id, itemId: i.itemid, displayName: i.displayname, itemType: { id: i.itemtype, refName: i.itemtype }, isInactive: i.isinactive });
    }
  }
}
