/**
 * The Harvest simulator's state: its own schema `sim_harvest`, created at start with raw
 * SQL (not part of the app's Drizzle migrations), and seeded once from the app's demo
 * generator so that its clients, projects, tasks, users and time entries are the very
 * objects the demo's source_refs and raw_records describe.
 *
 * Every object is kept as its Harvest-shaped JSON (`body`) next to the few columns the
 * list filters need; the body is what the API returns, byte for byte.
 */
import { createHash } from "node:crypto";
import type postgres from "postgres";
import { generateDemo, type GenerateOptions } from "../../server/demo/generate";
import { harvestTimestamp } from "../../server/demo/harvest";
import type { SourceRefRow } from "../../server/demo/types";

export const SCHEMA = "sim_harvest";

const DDL = [
  `create schema if not exists sim_harvest`,
  `create table if not exists sim_harvest.meta (key text primary key, value jsonb not null)`,
  `create table if not exists sim_harvest.clients (
     id bigint primary key, is_active boolean not null, created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`,
  `create table if not exists sim_harvest.projects (
     id bigint primary key, client_id bigint not null, is_active boolean not null, created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`,
  `create table if not exists sim_harvest.tasks (
     id bigint primary key, is_active boolean not null, created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`,
  `create table if not exists sim_harvest.users (
     id bigint primary key, is_active boolean not null, created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`,
  `create table if not exists sim_harvest.task_assignments (
     id bigint primary key, project_id bigint not null, task_id bigint not null, is_active boolean not null,
     created_at timestamptz not null, updated_at timestamptz not null, body jsonb not null)`,
  `create table if not exists sim_harvest.time_entries (
     id bigint primary key, spent_date date not null, user_id bigint not null, client_id bigint not null, project_id bigint not null,
     task_id bigint not null, is_closed boolean not null, is_billed boolean not null, is_running boolean not null,
     updated_at timestamptz not null, body jsonb not null)`,
  // the list order (spent_date desc, id desc) and the incremental cursor
  `create index if not exists time_entries_order_ix on sim_harvest.time_entries (spent_date desc, id desc)`,
  `create index if not exists time_entries_updated_ix on sim_harvest.time_entries (updated_at)`,
  // partial: the clock picks open entries to edit, approve and delete
  `create index if not exists time_entries_open_ix on sim_harvest.time_entries (id) where not is_closed`,
  `create table if not exists sim_harvest.time_entry_tombstones (id bigint primary key, deleted_at timestamptz not null, body jsonb not null)`,
];

export async function ensureSchema(sql: postgres.Sql): Promise<void> {
  // concurrent starts would race on "create schema if not exists"; serialise them
  await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('hourbridge:sim-harvest-ddl'))`;
    for (const stmt of DDL) await tx.unsafe(stmt);
  });
}

export type SeedOptions = Required<Omit<GenerateOptions, "endDate">> & { endDate: string };
export type SeedResult = { skipped: true } | { skipped: false; counts: Record<string, number>; ms: number };

/** Harvest answers second-precision UTC timestamps. */
export const ts = (iso: string) => harvestTimestamp(new Date(iso).toISOString());

type Row = Record<string, unknown>;

async function bulk(tx: postgres.TransactionSql, table: string, columns: [string, string][], rows: Row[]) {
  if (rows.length === 0) return;
  const names = columns.map(([n]) => n).join(", ");
  const defs = columns.map(([n, t]) => `${n} ${t}`).join(", ");
  await tx.unsafe(`insert into sim_harvest.${table} (${names}) select ${names} from json_to_recordset($1::text::json) as x(${defs})`, [JSON.stringify(rows)]);
}

const MASTER_COLS: [string, string][] = [
  ["id", "bigint"],
  ["is_active", "boolean"],
  ["created_at", "timestamptz"],
  ["updated_at", "timestamptz"],
  ["body", "jsonb"],
];
const ENTRY_COLS: [string, string][] = [
  ["id", "bigint"],
  ["spent_date", "date"],
  ["user_id", "bigint"],
  ["client_id", "bigint"],
  ["project_id", "bigint"],
  ["task_id", "bigint"],
  ["is_closed", "boolean"],
  ["is_billed", "boolean"],
  ["is_running", "boolean"],
  ["updated_at", "timestamptz"],
  ["body", "jsonb"],
];

/** Harvest-shaped master data from the generator's source_refs. */
export function masterData(refs: SourceRefRow[], seed: number) {
  const of = (kind: string) => refs.filter((r) => r.kind === kind);
  const attrs = (r: SourceRefRow) => (r.attributes ?? {}) as Record<string, unknown>;
  const stamp = (r: SourceRefRow) => ts(r.firstSeenAt as string);
  const clients = of("customer").map((r) => {
    const a = attrs(r);
    const t = stamp(r);
    return {
      id: Number(r.externalId),
      name: r.name,
      is_active: a.is_active !== false,
      address: null,
      statement_key: createHash("md5").update(`${seed}:client:${r.externalId}`).digest("hex"),
      currency: String(a.currency),
      created_at: t,
      updated_at: t,
    };
  });
  const clientById = new Map(clients.map((c) => [c.id, c]));
  const projects = of("project").map((r) => {
    const a = attrs(r);
    const t = stamp(r);
    const client = clientById.get(Number(a.client_id));
    return {
      id: Number(r.externalId),
      name: r.name,
      code: r.code ?? null,
      is_active: a.is_active !== false,
      bill_by: (a.bill_by as string) ?? "Tasks",
      budget: null,
      budget_by: (a.budget_by as string) ?? "none",
      budget_is_monthly: false,
      notify_when_over_budget: false,
      over_budget_notification_percentage: 80,
      show_budget_to_all: false,
      created_at: t,
      updated_at: t,
      starts_on: (a.starts_on as string | null) ?? null,
      ends_on: (a.ends_on as string | null) ?? null,
      over_budget_notification_date: null,
      notes: "",
      cost_budget: null,
      cost_budget_include_expenses: false,
      hourly_rate: null,
      fee: null,
      is_billable: a.is_billable !== false,
      is_fixed_fee: a.is_fixed_fee === true,
      client: { id: Number(a.client_id), name: client?.name ?? String(a.client_name ?? ""), currency: client?.currency ?? "USD" },
    };
  });
  const tasks = of("task").map((r) => {
    const a = attrs(r);
    const t = stamp(r);
    return {
      id: Number(r.externalId),
      name: r.name,
      billable_by_default: a.billable_by_default !== false,
      default_hourly_rate: (a.default_hourly_rate as number | null) ?? null,
      is_default: false,
      is_active: a.is_active !== false,
      created_at: t,
      updated_at: t,
    };
  });
  const users = of("user").map((r) => {
    const a = attrs(r);
    const t = stamp(r);
    return {
      id: Number(r.externalId),
      first_name: String(a.first_name),
      last_name: String(a.last_name),
      email: String(a.email),
      telephone: "",
      timezone: String(a.timezone),
      weekly_capacity: Number(a.weekly_capacity),
      has_access_to_all_future_projects: false,
      is_contractor: a.is_contractor === true,
      is_active: a.is_active !== false,
      created_at: t,
      updated_at: t,
      default_hourly_rate: null,
      cost_rate: null,
      roles: [] as string[],
      access_roles: ["member"],
      avatar_url: null,
    };
  });
  return { clients, projects, tasks, users };
}

const masterRow = (o: { id: number; is_active: boolean; created_at: string; updated_at: string }) => ({
  id: o.id,
  is_active: o.is_active,
  created_at: o.created_at,
  updated_at: o.updated_at,
  body: o,
});

/**
 * Seeds the simulator unless it already holds data (then it does nothing), in one
 * transaction; concurrent starts serialise on an advisory lock and seed once.
 */
export async function seedIfEmpty(sql: postgres.Sql, opts: SeedOptions, chunkSize = 5000): Promise<SeedResult> {
  const started = performance.now();
  await ensureSchema(sql);
  return sql.begin(async (tx): Promise<SeedResult> => {
    await tx`select pg_advisory_xact_lock(hashtext('hourbridge:sim-harvest-seed'))`;
    const [seeded] = await tx`select 1 from sim_harvest.meta where key = 'seed'`;
    if (seeded) return { skipped: true };
    const data = generateDemo(opts);
    const m = masterData(data.sourceRefs, opts.seed);
    await bulk(tx, "clients", MASTER_COLS, m.clients.map(masterRow));
    await bulk(tx, "projects", [...MASTER_COLS, ["client_id", "bigint"]], m.projects.map((p) => ({ ...masterRow(p), client_id: p.client.id })));
    await bulk(tx, "tasks", MASTER_COLS, m.tasks.map(masterRow));
    await bulk(tx, "users", MASTER_COLS, m.users.map(masterRow));

    // task assignments are the ones the entries carry, with their project and task
    const projectById = new Map(m.projects.map((p) => [p.id, p]));
    const assignments = new Map<number, Row>();
    let entries = 0;
    for (const chunk of data.timeEntryChunks(chunkSize)) {
      const rows: Row[] = [];
      for (const bundle of chunk) {
        const body = bundle.raws[bundle.raws.length - 1]!.body as unknown as HarvestEntryBody;
        rows.push(entryRow(body));
        const ta = body.task_assignment;
        if (ta && !assignments.has(ta.id)) {
          const p = projectById.get(body.project.id);
          assignments.set(ta.id, {
            id: ta.id,
            project_id: body.project.id,
            task_id: body.task.id,
            is_active: ta.is_active,
            created_at: ta.created_at,
            updated_at: ta.updated_at,
            body: {
              id: ta.id,
              billable: ta.billable,
              is_active: ta.is_active,
              created_at: ta.created_at,
              updated_at: ta.updated_at,
              hourly_rate: ta.hourly_rate,
              budget: ta.budget,
              project: { id: body.project.id, name: p?.name ?? body.project.name, code: p?.code ?? body.project.code },
              task: { id: body.task.id, name: body.task.name },
            },
          });
        }
      }
      await bulk(tx, "time_entries", ENTRY_COLS, rows);
      entries += rows.length;
    }
    await bulk(
      tx,
      "task_assignments",
      [...MASTER_COLS, ["project_id", "bigint"], ["task_id", "bigint"]],
      [...assignments.values()],
    );
    await tx`insert into sim_harvest.meta (key, value) values ('seed', ${tx.json({ ...opts })}), ('tick', ${tx.json(0)})`;
    return {
      skipped: false,
      counts: { clients: m.clients.length, projects: m.projects.length, tasks: m.tasks.length, users: m.users.length, taskAssignments: assignments.size, timeEntries: entries },
      ms: Math.round(performance.now() - started),
    };
  });
}

export type HarvestEntryBody = import("../../server/demo/harvest").HarvestTimeEntry;

export function entryRow(body: HarvestEntryBody): Row {
  return {
    id: body.id,
    spent_date: body.spent_date,
    user_id: body.user.id,
    client_id: body.client.id,
    project_id: body.project.id,
    task_id: body.task.id,
    is_closed: body.is_closed,
    is_billed: body.is_billed,
    is_running: body.is_running,
    updated_at: body.updated_at,
    body,
  };
}
