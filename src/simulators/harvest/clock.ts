/**
 * "Time moves on": each step adds a few entries for today, approves last week's open
 * entries when the step falls on a Monday, edits a couple of open entries and now and then
 * deletes one (kept in a tombstone table). Every change bumps updated_at to `now`, so an
 * incremental pull with updated_since finds exactly what changed.
 *
 * Deterministic: the choices come from `rng` and the rows in id order, so the same state,
 * `now` and generator give the same changes. `tick` derives the generator from
 * (seed, tick number) and counts the ticks in sim_harvest.meta.
 */
import { generator } from "../shared/faults";
import type postgres from "postgres";
import { LOCKED_REASON_APPROVED } from "../../server/demo/harvest";
import type { HarvestEntryBody } from "./store";
import { entryRow } from "./store";

export type TickResult = { tick?: number; now: string; added: number[]; approved: number[]; edited: number[]; deleted: number[] };

/** the same seeded generator as the fault injector */
export const rngFrom = generator;

const harvestTs = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
const pick = <T>(rng: () => number, xs: T[]): T => xs[Math.floor(rng() * xs.length)]!;

export async function advance(sql: postgres.Sql | postgres.TransactionSql, { now, rng }: { now: Date; rng: () => number }): Promise<TickResult> {
  const run = async (tx: postgres.TransactionSql): Promise<TickResult> => {
    const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const stamp = harvestTs(at);
    const today = at.toISOString().slice(0, 10);
    const result: TickResult = { now: stamp, added: [], approved: [], edited: [], deleted: [] };

    // 1. approvals: on a Monday, last week's open entries are approved and locked
    if (at.getUTCDay() === 1) {
      const monday = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
      const lastMonday = new Date(monday.getTime() - 7 * 86_400_000).toISOString().slice(0, 10);
      const lastSunday = new Date(monday.getTime() - 86_400_000).toISOString().slice(0, 10);
      const rows = await tx`
        update sim_harvest.time_entries
           set is_closed = true, updated_at = ${at},
               body = body || ${tx.json({ is_closed: true, is_locked: true, locked_reason: LOCKED_REASON_APPROVED, updated_at: stamp })}
         where not is_closed and spent_date between ${lastMonday}::date and ${lastSunday}::date
        returning id`;
      result.approved = rows.map((r) => Number(r.id)).sort((a, b) => a - b);
    }

    // 2. edits and a deletion among the open entries (not those just added)
    const open = (await tx`select id from sim_harvest.time_entries where not is_closed and not is_running order by id`).map((r) => Number(r.id));
    const edits = Math.min(open.length, 1 + Math.floor(rng() * 2));
    const chosen = new Set<number>();
    while (chosen.size < edits) chosen.add(pick(rng, open));
    for (const id of [...chosen].sort((a, b) => a - b)) {
      const [row] = await tx`select body from sim_harvest.time_entries where id = ${id}`;
      const body = row!.body as HarvestEntryBody;
      const delta = (1 + Math.floor(rng() * 4)) * 0.25 * (rng() < 0.5 ? -1 : 1);
      const hours = Math.max(0.25, Math.min(12, body.hours + delta));
      const next = { ...body, hours, hours_without_timer: hours, rounded_hours: hours, notes: `${body.notes ?? ""} (revised)`.trim(), updated_at: stamp };
      await tx`update sim_harvest.time_entries set updated_at = ${at}, body = ${tx.json(next as unknown as postgres.JSONValue)} where id = ${id}`;
      result.edited.push(id);
    }
    const remaining = open.filter((id) => !chosen.has(id));
    if (remaining.length && rng() < 0.35) {
      const id = pick(rng, remaining);
      await tx`
        with gone as (delete from sim_harvest.time_entries where id = ${id} returning id, body)
        insert into sim_harvest.time_entry_tombstones (id, deleted_at, body) select id, ${at}, body from gone`;
      result.deleted.push(id);
    }

    // 3. a few new entries for today, modelled on recent ones (same person, project, task)
    const templates = await tx`
      select body from sim_harvest.time_entries
       where spent_date >= ${today}::date - 14 order by id desc limit 200`;
    const pool = templates.length ? templates : await tx`select body from sim_harvest.time_entries order by id desc limit 200`;
    if (pool.length) {
      const [{ max }] = (await tx`
        select greatest((select max(id) from sim_harvest.time_entries), (select max(id) from sim_harvest.time_entry_tombstones), 0)::bigint as max`) as unknown as [
        { max: string },
      ];
      let nextId = Number(max);
      const count = 2 + Math.floor(rng() * 3);
      const rows = [];
      for (let i = 0; i < count; i++) {
        const t = pick(rng, pool).body as HarvestEntryBody;
        const hours = (2 + Math.floor(rng() * 14)) * 0.25;
        const body: HarvestEntryBody = {
          ...t,
          id: ++nextId,
          spent_date: today,
          hours,
          hours_without_timer: hours,
          rounded_hours: hours,
          is_locked: false,
          locked_reason: null,
          is_closed: false,
          is_billed: false,
          invoice: null,
          created_at: stamp,
          updated_at: stamp,
        };
        rows.push(entryRow(body));
        result.added.push(body.id);
      }
      await tx.unsafe(
        `insert into sim_harvest.time_entries (id, spent_date, user_id, client_id, project_id, task_id, is_closed, is_billed, is_running, updated_at, body)
         select id, spent_date, user_id, client_id, project_id, task_id, is_closed, is_billed, is_running, updated_at, body
           from json_to_recordset($1::text::json) as x(id bigint, spent_date date, user_id bigint, client_id bigint, project_id bigint, task_id bigint,
                is_closed boolean, is_billed boolean, is_running boolean, updated_at timestamptz, body jsonb)`,
        [JSON.stringify(rows)],
      );
    }
    return result;
  };
  // inside a transaction already (it has savepoints): run there; else open one
  return "savepoint" in sql ? run(sql as postgres.TransactionSql) : (sql as postgres.Sql).begin(run) as Promise<TickResult>;
}

/** One step of the clock: the tick number comes from the database, the generator from (seed, tick). */
export async function tick(sql: postgres.Sql, { now = new Date(), seed }: { now?: Date; seed: number }): Promise<TickResult> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('hourbridge:sim-harvest-tick'))`;
    const [row] = await tx`
      insert into sim_harvest.meta (key, value) values ('tick', '1'::jsonb)
      on conflict (key) do update set value = to_jsonb((sim_harvest.meta.value)::text::int + 1)
      returning value`;
    const n = Number(row!.value);
    const result = await advance(tx, { now, rng: rngFrom((seed * 1_000_003 + n * 7919) >>> 0) });
    return { ...result, tick: n };
  });
}
