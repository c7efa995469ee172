import type postgres from "postgres";

/**
 * The simulator's own state, in schema `sim_netsuite`. Tables and columns are named like
 * NetSuite's SuiteQL tables and columns, so the SuiteQL subset (suiteql.ts) maps onto them
 * one to one. Ids are text, as NetSuite's internal ids travel as strings in REST.
 */
export const SCHEMA = "sim_netsuite";

const DDL = `
create schema if not exists sim_netsuite;

create table if not exists sim_netsuite.subsidiary (
  id text primary key,
  name text not null,
  country text not null,
  currency text not null,
  isinactive boolean not null default false
);

create table if not exists sim_netsuite.customer (
  id text primary key,
  entityid text not null,
  companyname text not null,
  subsidiary text not null references sim_netsuite.subsidiary(id),
  isinactive boolean not null default false
);

-- entitystatus: '2' In Progress (active), '4' On Hold (on_hold), '1' Closed (closed)
create table if not exists sim_netsuite.job (
  id text primary key,
  entityid text not null,
  companyname text not null,
  customer text not null references sim_netsuite.customer(id),
  subsidiary text not null references sim_netsuite.subsidiary(id),
  entitystatus text not null,
  isinactive boolean not null default false,
  currency text not null,
  startdate date,
  enddate date
);

create table if not exists sim_netsuite.employee (
  id text primary key,
  entityid text not null,
  firstname text not null,
  lastname text not null,
  email text not null,
  subsidiary text not null references sim_netsuite.subsidiary(id),
  department text,
  laborcost numeric(12,2),
  isinactive boolean not null default false
);

create table if not exists sim_netsuite.item (
  id text primary key,
  itemid text not null,
  displayname text not null,
  itemtype text not null default 'Service',
  isinactive boolean not null default false
);

-- one row per (subsidiary, month): the simulator closes periods per subsidiary
create table if not exists sim_netsuite.accountingperiod (
  id text primary key,
  subsidiary text not null references sim_netsuite.subsidiary(id),
  periodname text not null,
  startdate date not null,
  enddate date not null,
  closed boolean not null default false,
  unique (subsidiary, startdate)
);

create sequence if not exists sim_netsuite.timebill_seq;
create sequence if not exists sim_netsuite.invoice_seq;
create sequence if not exists sim_netsuite.asyncjob_seq;

create table if not exists sim_netsuite."transaction" (
  id text primary key,
  tranid text not null,
  type text not null default 'CustInvc',
  entity text not null references sim_netsuite.customer(id),
  job text references sim_netsuite.job(id),
  subsidiary text not null references sim_netsuite.subsidiary(id),
  trandate date not null,
  currency text not null,
  foreigntotal numeric(14,2) not null,
  status text not null,
  datecreated timestamptz not null default now()
);

create table if not exists sim_netsuite.timebill (
  id text primary key,
  employee text not null references sim_netsuite.employee(id),
  customer text not null references sim_netsuite.job(id),
  item text not null references sim_netsuite.item(id),
  subsidiary text not null references sim_netsuite.subsidiary(id),
  hours numeric(8,2) not null,
  rate numeric(12,2),
  isbillable boolean not null,
  trandate date not null,
  memo text,
  approvalstatus text not null default '3',
  invoice text references sim_netsuite."transaction"(id),
  -- a repeated X-NetSuite-Idempotency-Key never creates a second record
  idempotencykey text unique,
  datecreated timestamptz not null default now(),
  lastmodifieddate timestamptz not null default now()
);
create index if not exists timebill_trandate_idx on sim_netsuite.timebill (subsidiary, trandate);
-- the billing run's work list
create index if not exists timebill_unbilled_idx on sim_netsuite.timebill (customer) where invoice is null and isbillable;

create table if not exists sim_netsuite.transactionline (
  "transaction" text not null references sim_netsuite."transaction"(id),
  linesequencenumber integer not null,
  timebill text references sim_netsuite.timebill(id),
  item text,
  memo text,
  quantity numeric(8,2),
  rate numeric(12,2),
  foreignamount numeric(14,2) not null,
  primary key ("transaction", linesequencenumber)
);
create index if not exists transactionline_timebill_idx on sim_netsuite.transactionline (timebill);

create table if not exists sim_netsuite.asyncjob (
  id text primary key,
  idempotencykey text unique,
  recordtype text not null,
  status text not null default 'pending',
  created timestamptz not null default now(),
  completed timestamptz
);

create table if not exists sim_netsuite.asynctask (
  job text not null references sim_netsuite.asyncjob(id),
  id integer not null,
  request jsonb not null,
  status text not null default 'pending',
  result jsonb,
  primary key (job, id)
);
`;

/** Creates the schema and tables if they are missing; safe to run from several processes. */
export async function ensureSchema(sql: postgres.Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('sim_netsuite.ddl'))`;
    await tx.unsafe(DDL);
  });
}
