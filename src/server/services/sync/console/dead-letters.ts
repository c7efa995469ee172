import Big from "big.js";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { scopeCondition, type Scope } from "../../../auth/scope";
import { legalEntities } from "../../../db/schema";
import type { ServiceCtx } from "../../context";
import { cursorInput, decodeCursor, limitInput, pageOf } from "./keyset";
import { causeLabel } from "./labels";

export const DEAD_LETTER_STATUSES = ["dead", "rejected"] as const;
export type DeadLetterStatus = (typeof DEAD_LETTER_STATUSES)[number];

const statusesInput = z
  .array(z.enum(DEAD_LETTER_STATUSES, { error: "statuses may hold dead and rejected" }))
  .min(1, { error: "statuses needs at least one of dead, rejected" })
  .default(["dead", "rejected"]);

export const deadLettersInput = z.object({ statuses: statusesInput }).default({ statuses: ["dead", "rejected"] });
export type DeadLettersInput = z.input<typeof deadLettersInput>;

export const deadLetterItemsInput = z.object({
  /** the group's cause, as deadLetters returned it (an error class, or rejected:<ERP code>) */
  cause: z.string({ error: "cause is the group's cause, as the dead-letter groups name it" }).min(1, { error: "cause is required" }).max(200, { error: "cause is at most 200 characters" }),
  statuses: statusesInput,
  limit: limitInput(200, 50),
  cursor: cursorInput,
});
export type DeadLetterItemsInput = z.input<typeof deadLetterItemsInput>;

export type DeadLetterGroup = {
  /** what groups them: the last attempt's error class (5xx, 429, timeout, network…) or rejected:<the ERP's code> */
  cause: string;
  status: DeadLetterStatus;
  /** the cause in plain words */
  label: string;
  count: number;
  hours: string;
  /** value by currency */
  value: Record<string, string>;
  /** when the longest-waiting of them was dead-lettered or refused */
  oldestAt: Date;
  latestAt: Date;
  /** the error text of the most recent of them */
  latestError: string | null;
};

export type DeadLetters = {
  groups: DeadLetterGroup[];
  totals: { count: number; hours: string; value: Record<string, string> };
};

export type DeadLetterItem = {
  postingId: string;
  status: DeadLetterStatus;
  kind: "create" | "reverse";
  entryId: string | null;
  expenseEntryId: string | null;
  sourceSystem: string | null;
  sourceId: string | null;
  workDate: string | null;
  /** the posting's hours (the entry version it carried) */
  hours: string | null;
  amount: string | null;
  currency: string | null;
  person: string | null;
  project: string | null;
  legalEntityCode: string | null;
  /** attempts since it was last queued (a replay starts again at 0) */
  attempts: number;
  /** every attempt ever recorded for it */
  attemptsTotal: number;
  lastError: string | null;
  updatedAt: Date;
  entryVersion: number;
};

/**
 * The dead-lettered and refused postings the viewer may see, each with its cause: the error
 * class of its latest attempt (by time: a replay restarts the attempt numbers) or, for a
 * refusal recorded without attempts, the ERP's code from its last error.
 */
function base(statuses: DeadLetterStatus[], scope: Scope): SQL {
  const visible = scopeCondition(scope, { entity: legalEntities.code, region: legalEntities.region });
  return sql`
    select p.id, p.status::text as status, p.kind::text as kind, p.time_entry_id, p.expense_entry_id, p.hours, p.amount, p.currency,
           p.attempts, p.last_error, p.updated_at, p.entry_version, legal_entities.code as entity_code,
           coalesce(
             a.error_class,
             case when p.status = 'rejected'
                  then 'rejected:' || coalesce(nullif(btrim(split_part(p.last_error, ':', 1)), ''), 'UNKNOWN')
                  else 'dead:unknown' end
           ) as cause
    from erp_postings p
    left join legal_entities on legal_entities.id = p.legal_entity_id
    left join lateral (
      select x.error_class from erp_posting_attempts x
      where x.posting_id = p.id
      order by x.started_at desc, x.attempt desc
      limit 1
    ) a on true
    where p.status in (${sql.join(statuses.map((s) => sql`${s}::posting_status`), sql`, `)})
      ${visible ? sql`and ${visible}` : sql``}`;
}

const ms = (s: string) => `to_char(${s} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Everything dead-lettered or refused by the ERP within the viewer's scope, grouped by
 * cause, each group with its count, hours, value by currency, oldest and latest, and the
 * latest error text; largest groups first.
 */
export async function deadLetters({ ctx, input, scope }: { ctx: ServiceCtx; input?: DeadLettersInput; scope: Scope }): Promise<DeadLetters> {
  const q = deadLettersInput.parse(input ?? {});
  const rows = (await ctx.db.execute(sql`
    with b as (${base(q.statuses, scope)}),
    by_currency as (
      select cause, status, currency, sum(amount) as amount
      from b where currency is not null and amount is not null
      group by cause, status, currency
    )
    select g.cause, g.status, count(*)::int as count, coalesce(sum(g.hours), 0)::text as hours,
           ${sql.raw(ms("min(g.updated_at)"))} as oldest_at, ${sql.raw(ms("max(g.updated_at)"))} as latest_at,
           (array_agg(g.last_error order by g.updated_at desc, g.id desc))[1] as latest_error,
           (select coalesce(jsonb_object_agg(c.currency, c.amount::text order by c.currency), '{}'::jsonb)
              from by_currency c where c.cause = g.cause and c.status = g.status) as value
    from b g
    group by g.cause, g.status
    order by count(*) desc, g.cause
  `)) as unknown as { cause: string; status: DeadLetterStatus; count: number; hours: string; oldest_at: string; latest_at: string; latest_error: string | null; value: Record<string, string> }[];

  const groups: DeadLetterGroup[] = rows.map((r) => ({
    cause: r.cause,
    status: r.status,
    label: causeLabel(r.cause),
    count: r.count,
    hours: new Big(r.hours).toFixed(2),
    value: Object.fromEntries(Object.entries(r.value).map(([c, v]) => [c, new Big(v).toFixed(2)])),
    oldestAt: new Date(r.oldest_at),
    latestAt: new Date(r.latest_at),
    latestError: r.latest_error,
  }));
  let hours = new Big(0);
  const value = new Map<string, Big>();
  for (const g of groups) {
    hours = hours.plus(g.hours);
    for (const [c, v] of Object.entries(g.value)) value.set(c, (value.get(c) ?? new Big(0)).plus(v));
  }
  return {
    groups,
    totals: {
      count: groups.reduce((n, g) => n + g.count, 0),
      hours: hours.toFixed(2),
      value: Object.fromEntries([...value].sort(([a], [b]) => a.localeCompare(b)).map(([c, v]) => [c, v.toFixed(2)])),
    },
  };
}

/**
 * The postings of one dead-letter group, most recently failed first, keyset-paged on
 * (updated at, id), each with its entry (source id, work date, hours), who and what it is
 * for, its attempts and last error. Scoped like the groups.
 */
export async function deadLetterItems({ ctx, input, scope }: { ctx: ServiceCtx; input: DeadLetterItemsInput; scope: Scope }): Promise<{ items: DeadLetterItem[]; nextCursor: string | null }> {
  const q = deadLetterItemsInput.parse(input);
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const rows = (await ctx.db.execute(sql`
    with b as (${base(q.statuses, scope)})
    select b.id, b.status, b.kind, b.time_entry_id, b.expense_entry_id, b.hours::text as hours, b.amount::text as amount, b.currency,
           b.attempts, b.last_error, b.entry_version, b.entity_code,
           ${sql.raw(ms("b.updated_at"))} as updated_key,
           (select count(*)::int from erp_posting_attempts x where x.posting_id = b.id) as attempts_total,
           te.source_system::text as source_system, te.source_id, te.work_date::text as work_date,
           coalesce(emp.name, su.name, te.source_user_id) as person,
           coalesce(pr.code || ' ' || pr.name, sp.name, te.source_project_id) as project
    from b
    left join time_entries te on te.id = b.time_entry_id
    left join employees emp on emp.id = te.employee_id
    left join projects pr on pr.id = te.project_id
    left join source_refs su on su.source_system = te.source_system and su.kind = 'user' and su.external_id = te.source_user_id
    left join source_refs sp on sp.source_system = te.source_system and sp.kind = 'project' and sp.external_id = te.source_project_id
    where b.cause = ${q.cause}
      ${after ? sql`and (b.updated_at, b.id) < (${after.t}::timestamptz, ${after.id}::uuid)` : sql``}
    order by b.updated_at desc, b.id desc
    limit ${q.limit + 1}
  `)) as unknown as {
    id: string;
    status: DeadLetterStatus;
    kind: "create" | "reverse";
    time_entry_id: string | null;
    expense_entry_id: string | null;
    hours: string | null;
    amount: string | null;
    currency: string | null;
    attempts: number;
    last_error: string | null;
    entry_version: number;
    entity_code: string | null;
    updated_key: string;
    attempts_total: number;
    source_system: string | null;
    source_id: string | null;
    work_date: string | null;
    person: string | null;
    project: string | null;
  }[];
  const page = pageOf(rows, q.limit, (r) => ({ t: r.updated_key, id: r.id }));
  return {
    nextCursor: page.nextCursor,
    items: page.items.map((r) => ({
      postingId: r.id,
      status: r.status,
      kind: r.kind,
      entryId: r.time_entry_id,
      expenseEntryId: r.expense_entry_id,
      sourceSystem: r.source_system,
      sourceId: r.source_id,
      workDate: r.work_date,
      hours: r.hours,
      amount: r.amount,
      currency: r.currency,
      person: r.person,
      project: r.project,
      legalEntityCode: r.entity_code,
      attempts: r.attempts,
      attemptsTotal: r.attempts_total,
      lastError: r.last_error,
      updatedAt: new Date(r.updated_key),
      entryVersion: r.entry_version,
    })),
  };
}
