// npm run bench:exceptions [-- --exceptions 100000] [--runs 7]
//
// How fast the exception queue answers on a large queue: a fresh embedded PostgreSQL with
// N exceptions (one blocked entry each, spread over 6 legal entities in 3 regions, 15 codes,
// 60 days of age, a third assigned), then each query the page makes, timed over several runs
// (median and worst), for an unrestricted and a region-scoped user; then one action, a bulk
// resolve of 500, and a CSV export. Figures go to stdout and bench/results/exceptions-<size>.json.
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { createDb } from "../src/server/db/client";
import { EXCEPTION_CODES, EXCEPTION_CODE_LIST } from "../src/server/domain/enums";
import { systemActor, type ServiceCtx } from "../src/server/services/context";
import { actOnException } from "../src/server/services/exceptions/act";
import { runBulkAction, startBulkAction } from "../src/server/services/exceptions/bulk";
import { exceptionDetail } from "../src/server/services/exceptions/detail";
import { exportExceptionsCsv } from "../src/server/services/exceptions/export";
import { queueFigures } from "../src/server/services/exceptions/figures";
import { queueGroups } from "../src/server/services/exceptions/groups";
import { listExceptions, type ListInput, type Viewer } from "../src/server/services/exceptions/list";
import { benchDatabase, ms, record } from "./lib";

const { values: args } = parseArgs({ options: { exceptions: { type: "string", default: "100000" }, runs: { type: "string", default: "7" } } });
const N = Number(args.exceptions);
const RUNS = Number(args.runs);
if (!Number.isInteger(N) || N < 1000) throw new Error(`--exceptions must be a whole number of at least 1000, not ${args.exceptions}.`);
const size = N % 1_000_000 === 0 ? `${N / 1_000_000}m` : N % 1000 === 0 ? `${N / 1000}k` : String(N);
process.env.BENCH_PG_PORT ??= "54491";

const pg = await benchDatabase(`exceptions-${size}`);
const { db, sql: client } = createDb(pg.url, { max: 4 });

// ---------------------------------------------------------------------------------------
// The queue

let t0 = performance.now();
await db.execute(sql`
  insert into legal_entities (code, name, erp_subsidiary_id, functional_currency, country, region)
  values ('US01','US Inc','1','USD','US','NA'), ('US02','US Gov','2','USD','US','NA'), ('UK01','UK Ltd','3','GBP','GB','EMEA'),
         ('DE01','DE GmbH','4','EUR','DE','EMEA'), ('SG01','SG Pte','5','SGD','SG','APAC'), ('AU01','AU Pty','6','AUD','AU','APAC')`);
await db.execute(sql`insert into customers (erp_id, name, legal_entity_id) select 'C' || g, 'Customer ' || g, (select id from legal_entities order by code offset (g % 6) limit 1) from generate_series(1, 200) g`);
await db.execute(sql`
  insert into projects (erp_id, code, name, customer_id, legal_entity_id, region, business_unit, practice, contract_type, currency)
  select 'J' || g, 'HV-' || (1000 + g), 'Project ' || g, c.id, c.legal_entity_id, le.region, (array['Consulting','Digital','Managed Services'])[1 + g % 3],
         'Practice ' || (g % 7), 'time_and_materials', le.functional_currency
  from generate_series(1, 2000) g
  join lateral (select id, legal_entity_id from customers order by erp_id offset (g % 200) limit 1) c on true
  join legal_entities le on le.id = c.legal_entity_id`);
await db.execute(sql`
  insert into employees (erp_id, name, email, legal_entity_id, region, department, cost_center)
  select 'E' || g, 'Person ' || g, 'p' || g || '@bench.test', le.id, le.region, 'Delivery', 'CC-' || (g % 20)
  from generate_series(1, 5000) g join lateral (select id, region from legal_entities order by code offset (g % 6) limit 1) le on true`);
await db.execute(sql`
  insert into users (email, name, roles) select 'user' || g || '@bench.test', 'User ' || g, array[(array['finance_ops','pmo','admin'])[1 + g % 3]] from generate_series(1, 30) g`);
const codes = EXCEPTION_CODE_LIST.map((c) => `('${c}', '${EXCEPTION_CODES[c].owner}', '${EXCEPTION_CODES[c].severity}')`).join(", ");
await db.execute(sql.raw(`
  create table bench_codes (code text, owner text, severity text);
  insert into bench_codes values ${codes};
  create table bench_projects as select row_number() over (order by erp_id) as n, id, legal_entity_id, region, business_unit from projects;
  create table bench_people as select row_number() over (order by erp_id) as n, id from employees;
  create table bench_users as select row_number() over (order by email) as n, id from users;
  create table bench_code_list as select row_number() over () as n, * from bench_codes;`));
// one approved entry per exception, blocked by it
await db.execute(sql`
  insert into time_entries (source_system, source_id, state, content_hash, source_user_id, source_project_id, source_task_id, work_date, hours, billable, approved_at, project_id, employee_id, legal_entity_id)
  select 'harvest', 'b' || g, 'approved', md5(g::text), 'u' || (g % 5000), 'p' || (g % 2000), 't1',
         current_date - (g % 90), (1 + g % 8)::numeric(8,2), true, now() - make_interval(days => (g % 90)::int), p.id, e.id, p.legal_entity_id
  from generate_series(1, ${N}) g
  join bench_projects p on p.n = 1 + g % 2000
  join bench_people e on e.n = 1 + g % 5000`);
await db.execute(sql`
  insert into exceptions (code, owner, severity, subject_type, subject_key, subject_label, message, suggested_fix, legal_entity_id, region, business_unit,
                          project_id, employee_id, entries_count, hours_at_stake, value_at_stake, currency, value_reporting, oldest_work_date,
                          first_seen_at, last_seen_at, occurrences, assignee_id, details)
  select c.code, c.owner::owner_team, c.severity::severity, 'entry', 'bench:' || t.source_id, 'Harvest entry ' || t.source_id,
         'Entry ' || t.source_id || ' cannot post: ' || lower(replace(c.code, '_', ' ')) || '.', 'Fix it where the problem is.',
         t.legal_entity_id, p.region, p.business_unit, t.project_id, t.employee_id, 1, t.hours, t.hours * 180, 'USD',
         case when g % 11 = 0 then null else t.hours * 180 end, t.work_date,
         now() - make_interval(mins => ((g * 37) % 86400)::int), now() - make_interval(mins => ((g * 13) % 1440)::int), 1 + g % 5,
         case when g % 3 = 0 then (select id from bench_users u where u.n = 1 + g % 30) end, '{}'::jsonb
  from (select row_number() over (order by id) as g, * from time_entries) t
  join bench_code_list c on c.n = 1 + t.g % 15
  join bench_projects p on p.id = t.project_id`);
await db.execute(sql`
  insert into exception_entries (exception_id, time_entry_id, work_date, hours, value, currency, value_reporting)
  select e.id, t.id, t.work_date, t.hours, e.value_at_stake, 'USD', e.value_reporting
  from exceptions e join time_entries t on 'bench:' || t.source_id = e.subject_key`);
await db.execute(sql`analyze`);
const seedMs = ms(t0);
console.log(`seeded ${N} exceptions in ${(seedMs / 1000).toFixed(1)} s`);

// ---------------------------------------------------------------------------------------
// Timings

const ctx: ServiceCtx = { db, actor: systemActor("bench"), correlationId: "bench" };
const [admin] = (await db.execute(sql`select id from users where 'admin' = any(roles) limit 1`)) as unknown as { id: string }[];
const [finance] = (await db.execute(sql`select id, email from users where 'finance_ops' = any(roles) limit 1`)) as unknown as { id: string; email: string }[];
const all: Viewer = { userId: admin!.id, roles: ["admin"], scope: { entities: [], regions: [] } };
const emea: Viewer = { userId: finance!.id, roles: ["finance_ops"], scope: { entities: [], regions: ["EMEA"] } };

async function time(fn: () => Promise<unknown>) {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const s = performance.now();
    await fn();
    samples.push(performance.now() - s);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: Math.round(samples[Math.floor(samples.length / 2)]!), maxMs: Math.round(samples.at(-1)!) };
}

const pageAt = async (viewer: Viewer, input: ListInput, n: number) => {
  let cursor: string | null = null;
  for (let i = 0; i < n; i++) cursor = (await listExceptions({ ctx, viewer, input: { ...input, cursor } })).nextCursor;
  return cursor;
};
const page20 = await pageAt(all, {}, 19);
const queries: Record<string, () => Promise<unknown>> = {
  "list: first page, largest value first": () => listExceptions({ ctx, viewer: all, input: {} }),
  "list: page 20 by cursor": () => listExceptions({ ctx, viewer: all, input: { cursor: page20 } }),
  "list: finance, older than 3 days, oldest first": () => listExceptions({ ctx, viewer: all, input: { filter: { owner: ["finance"], age: ["d3_7", "d7_30", "d30p"] }, sort: "age" } }),
  "list: text search": () => listExceptions({ ctx, viewer: all, input: { filter: { q: "b4242" } } }),
  "list: blocking this month's billing": () => listExceptions({ ctx, viewer: all, input: { filter: { period: new Date().toISOString().slice(0, 7) } } }),
  "list: past SLA": () => listExceptions({ ctx, viewer: all, input: { filter: { overSla: true }, sort: "age" } }),
  "list: EMEA-scoped user": () => listExceptions({ ctx, viewer: emea, input: {} }),
  "figures: whole queue": () => queueFigures({ ctx, viewer: all, input: {} }),
  "figures: finance older than 3 days": () => queueFigures({ ctx, viewer: all, input: { filter: { owner: ["finance"], age: ["d3_7", "d7_30", "d30p"] } } }),
  "figures: EMEA-scoped user": () => queueFigures({ ctx, viewer: emea, input: {} }),
  "groups: by code": () => queueGroups({ ctx, viewer: all, input: { by: "code" } }),
  "groups: by project": () => queueGroups({ ctx, viewer: all, input: { by: "project" } }),
};
const [one] = (await db.execute(sql`select id from exceptions order by value_reporting desc nulls last limit 1`)) as unknown as { id: string }[];
queries["detail (drawer)"] = () => exceptionDetail({ ctx, viewer: all, input: { id: one!.id } });

const timings: Record<string, { medianMs: number; maxMs: number }> = {};
for (const [name, fn] of Object.entries(queries)) {
  timings[name] = await time(fn);
  console.log(`${name.padEnd(48)} median ${String(timings[name]!.medianMs).padStart(5)} ms   max ${String(timings[name]!.maxMs).padStart(5)} ms`);
}

// one action, as a person does it
const asFinance: ServiceCtx = { ...ctx, actor: { kind: "user", userId: finance!.id, email: finance!.email, roles: ["finance_ops"] } };
const financeAll: Viewer = { ...emea, scope: { entities: [], regions: [] } };
const [target] = (await db.execute(sql`select id, version from exceptions where owner = 'finance' and status = 'open' limit 1`)) as unknown as { id: string; version: number }[];
t0 = performance.now();
await actOnException({ ctx: asFinance, viewer: financeAll, input: { id: target!.id, expectedVersion: target!.version, act: { action: "comment", text: "bench" } } });
const actMs = ms(t0);

// a bulk resolve of 500, as the worker runs it
const picked = (await db.execute(sql`select id, version from exceptions where owner = 'finance' and status = 'open' order by id limit 500`)) as unknown as { id: string; version: number }[];
t0 = performance.now();
const bulk = await startBulkAction({ ctx: asFinance, viewer: financeAll, input: { act: { action: "resolve", reason: "bench" }, items: picked } });
await runBulkAction({ ctx, bulkId: bulk.id });
const bulkMs = ms(t0);

// the CSV export of the finance queue
t0 = performance.now();
let lines = 0;
for await (const _line of exportExceptionsCsv({ ctx: asFinance, viewer: financeAll, input: { filter: { owner: ["finance"] } } })) lines++;
const exportMs = ms(t0);

console.log(`act (comment): ${actMs} ms; bulk resolve of 500: ${bulkMs} ms (${Math.round(500 / (bulkMs / 1000))}/s); export ${lines - 1} rows: ${exportMs} ms`);
await record(`exceptions-${size}`, {
  exceptions: N,
  runsPerQuery: RUNS,
  seedMs,
  queries: timings,
  actions: {
    singleCommentMs: actMs,
    bulkResolve500Ms: bulkMs,
    bulkResolvePerSecond: Math.round(500 / (bulkMs / 1000)),
    exportRows: lines - 1,
    exportMs,
    exportRowsPerSecond: Math.round((lines - 1) / (exportMs / 1000)),
  },
});
await client.end();
await pg.stop();
