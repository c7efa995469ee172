/**
 * The people using the source: consultants correcting their time (hours, project, task),
 * managers withdrawing and giving approvals, entries deleted. They change the source's own
 * tables (schema sim_harvest) exactly as the Harvest simulator's clock does: the row's
 * columns and its Harvest-shaped body together, `updated_at` moved to now so an incremental
 * pull finds the change, and a deletion moved to the tombstones so the entry no longer lists.
 *
 * Choices come from the scenario's seeded generator over rows read in id order.
 */
import Big from "big.js";
import type postgres from "postgres";
import type { HarvestEntryBody } from "@/simulators/harvest/store";
import { LOCKED_REASON_APPROVED } from "@/server/demo/harvest";

export const OP_KINDS = ["hours", "project", "task", "withdraw", "approve", "reapprove", "delete"] as const;
export type OpKind = (typeof OP_KINDS)[number];
/**
 * Which entries an operation picks from: `posted` = approved and live in the ERP (read from the
 * ledger), `approved` = approved in the source whatever the ERP holds, `fresh` = approved by
 * these people a moment ago (likely not posted yet), `recent` = one they already changed.
 */
export type Pick = "posted" | "approved" | "fresh" | "recent" | "submitted" | "withdrawn";

type Sql = postgres.Sql;
const stampOf = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");

export class People {
  readonly counts: Record<OpKind, number> = { hours: 0, project: 0, task: 0, withdraw: 0, approve: 0, reapprove: 0, delete: 0 };
  /** every entry changed, with what was done to it, in order */
  readonly history = new Map<number, string[]>();
  private readonly withdrawn = new Set<number>();
  private readonly fresh: number[] = [];
  private readonly recent: number[] = [];
  private projects: Map<number, { id: number; name: string; code: string | null; client: { id: number; name: string; currency: string } }> | null = null;
  private tasks: Map<number, { id: number; name: string }> | null = null;

  constructor(
    private readonly sql: Sql,
    private readonly rng: () => number,
  ) {}

  get operations(): number {
    return Object.values(this.counts).reduce((a, b) => a + b, 0);
  }

  private pickOne<T>(xs: T[]): T | null {
    return xs.length ? xs[Math.floor(this.rng() * xs.length)]! : null;
  }

  /** Entry ids to choose from, in id order. */
  private async candidates(pick: Pick): Promise<number[]> {
    const ids = (rows: postgres.RowList<postgres.Row[]>) => rows.map((r) => Number(r.id));
    switch (pick) {
      case "posted":
        return ids(await this.sql`
          select t.id from sim_harvest.time_entries t
          where t.is_closed and not t.is_running
            and t.id in (select (regexp_match(memo, '^Harvest (\\d+) v'))[1]::bigint from sim_netsuite.timebill where memo ~ '^Harvest \\d+ v')
          order by t.id`);
      case "approved":
        return ids(await this.sql`select id from sim_harvest.time_entries where is_closed and not is_running order by id`);
      case "submitted":
        return ids(await this.sql`select id from sim_harvest.time_entries where not is_closed and not is_running order by id`);
      case "fresh":
        return this.alive(this.fresh.slice(-12));
      case "recent":
        return this.alive(this.recent.slice(-12));
      case "withdrawn":
        return this.alive([...this.withdrawn].sort((a, b) => a - b));
    }
  }

  private async alive(ids: number[]): Promise<number[]> {
    if (!ids.length) return [];
    const rows = await this.sql`select id from sim_harvest.time_entries where id = any(${ids}::bigint[]) order by id`;
    return rows.map((r) => Number(r.id));
  }

  private note(id: number, what: string) {
    const h = this.history.get(id) ?? [];
    h.push(what);
    this.history.set(id, h);
    this.recent.push(id);
    if (this.recent.length > 50) this.recent.shift();
  }

  private async body(id: number): Promise<HarvestEntryBody | null> {
    const [row] = await this.sql`select body from sim_harvest.time_entries where id = ${id}`;
    return row ? (row.body as HarvestEntryBody) : null;
  }

  private async save(id: number, body: HarvestEntryBody, at: Date) {
    await this.sql`
      update sim_harvest.time_entries
         set updated_at = ${at}, is_closed = ${body.is_closed}, project_id = ${body.project.id}, client_id = ${body.client.id}, task_id = ${body.task.id},
             body = ${this.sql.json(body as unknown as postgres.JSONValue)}
       where id = ${id}`;
  }

  private async loadMasterData() {
    if (this.projects && this.tasks) return;
    this.projects = new Map(
      (await this.sql`select id, body from sim_harvest.projects order by id`).map((r) => {
        const b = r.body as { id: number; name: string; code: string | null; client: { id: number; name: string; currency: string } };
        return [Number(r.id), { id: b.id, name: b.name, code: b.code, client: b.client }];
      }),
    );
    this.tasks = new Map((await this.sql`select id, body from sim_harvest.tasks order by id`).map((r) => [Number(r.id), { id: Number(r.id), name: (r.body as { name: string }).name }]));
  }

  /**
   * One operation of `kind` on an entry taken from `pick`; returns the entry id, or null when
   * nothing fitted (no candidate, or nothing to change it to).
   */
  async act(kind: OpKind, pick: Pick): Promise<number | null> {
    const id = this.pickOne(await this.candidates(pick));
    if (id === null) return null;
    const body = await this.body(id);
    if (!body) return null;
    const at = new Date(Math.floor(Date.now() / 1000) * 1000);
    const stamp = stampOf(at);

    switch (kind) {
      case "hours": {
        const steps = 1 + Math.floor(this.rng() * 8);
        const sign = this.rng() < 0.5 ? -1 : 1;
        const old = new Big(String(body.hours));
        let next = old.plus(new Big(steps).times("0.25").times(sign));
        if (next.lte(0)) next = old.plus(new Big(steps).times("0.25"));
        if (next.gt(12)) next = new Big("12");
        if (next.eq(old)) next = old.minus("0.25").gt(0) ? old.minus("0.25") : old.plus("0.25");
        const hours = Number(next.toFixed(2)); // Harvest sends hours as a JSON number
        await this.save(id, { ...body, hours, hours_without_timer: hours, rounded_hours: hours, updated_at: stamp }, at);
        this.note(id, `hours ${old.toFixed(2)}→${next.toFixed(2)}`);
        break;
      }
      case "project": {
        await this.loadMasterData();
        // a project this person logs time to, other than the current one
        const mine = (await this.sql`select distinct project_id from sim_harvest.time_entries where user_id = ${body.user.id} and project_id <> ${body.project.id} order by project_id`).map((r) => Number(r.project_id));
        const to = this.pickOne(mine.length ? mine : [...this.projects!.keys()].filter((p) => p !== body.project.id));
        const project = to === null ? null : this.projects!.get(to);
        if (!project) return null;
        // keep the task where the new project uses it, else one the new project uses
        const used = (await this.sql`select distinct task_id from sim_harvest.time_entries where project_id = ${project.id} order by task_id`).map((r) => Number(r.task_id));
        const taskId = used.includes(body.task.id) || used.length === 0 ? body.task.id : this.pickOne(used)!;
        const task = this.tasks!.get(taskId) ?? body.task;
        await this.save(
          id,
          { ...body, project: { id: project.id, name: project.name, code: project.code ?? "" }, client: { ...body.client, ...project.client }, task: { id: task.id, name: task.name }, updated_at: stamp },
          at,
        );
        this.note(id, `project ${body.project.id}→${project.id}${taskId !== body.task.id ? ` task ${body.task.id}→${taskId}` : ""}`);
        break;
      }
      case "task": {
        await this.loadMasterData();
        const used = (await this.sql`select distinct task_id from sim_harvest.time_entries where project_id = ${body.project.id} and task_id <> ${body.task.id} order by task_id`).map((r) => Number(r.task_id));
        const to = this.pickOne(used.length ? used : [...this.tasks!.keys()].filter((t) => t !== body.task.id));
        const task = to === null ? null : this.tasks!.get(to);
        if (!task) return null;
        await this.save(id, { ...body, task: { id: task.id, name: task.name }, updated_at: stamp }, at);
        this.note(id, `task ${body.task.id}→${task.id}`);
        break;
      }
      case "withdraw": {
        if (!body.is_closed) return null;
        await this.save(id, { ...body, is_closed: false, is_locked: false, locked_reason: null, updated_at: stamp }, at);
        this.withdrawn.add(id);
        this.note(id, "approval withdrawn");
        break;
      }
      case "approve":
      case "reapprove": {
        if (body.is_closed) return null;
        await this.save(id, { ...body, is_closed: true, is_locked: true, locked_reason: LOCKED_REASON_APPROVED, updated_at: stamp }, at);
        this.withdrawn.delete(id);
        this.fresh.push(id);
        if (this.fresh.length > 50) this.fresh.shift();
        this.note(id, kind === "approve" ? "approved" : "approved again");
        break;
      }
      case "delete": {
        await this.sql.begin(async (tx) => {
          await tx`
            with gone as (delete from sim_harvest.time_entries where id = ${id} returning id, body)
            insert into sim_harvest.time_entry_tombstones (id, deleted_at, body) select id, ${at}, body from gone
            on conflict (id) do nothing`;
        });
        this.withdrawn.delete(id);
        this.note(id, "deleted");
        break;
      }
    }
    this.counts[kind] += 1;
    return id;
  }
}
