import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import type { Scope } from "../../auth/scope";
import { OWNER_TEAMS } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { forbidden, invalid } from "../errors";
import {
  AGE_BUCKETS,
  BLOCKERS,
  SLA_OUTCOMES,
  cycleRows,
  latencyRows,
  sliceCondition,
  slaRows,
  blockedRows,
  unbilledRows,
  unpostedRows,
  workedRows,
} from "./definitions";
import { resolveSelection, selectionInput } from "./selection";

/** The figures a dashboard number drills into: each is one of the KPI row sets of definitions.ts. */
export const DRILL_METRICS = ["unbilled", "at_risk", "unposted", "sla", "latency", "cycle", "worked", "exceptions"] as const;
export type DrillMetric = (typeof DRILL_METRICS)[number];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const entriesInput = selectionInput.extend({
  metric: z.enum(DRILL_METRICS, { error: `metric must be one of ${DRILL_METRICS.join(", ")}` }),
  blocker: z.enum(BLOCKERS).optional(),
  age: z.enum(AGE_BUCKETS).optional(),
  outcome: z.enum(SLA_OUTCOMES).optional(),
  owner: z.enum(OWNER_TEAMS).optional(),
  employee: z.string().regex(UUID, "employee must be an id").optional(),
  project: z.string().regex(UUID, "project must be an id").optional(),
  cursor: z.string().max(200).nullish(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type EntriesInput = z.input<typeof entriesInput>;

export type DrillEntry = {
  id: string;
  source: string;
  state: string;
  workDate: string;
  hours: string;
  amount: string | null;
  currency: string | null;
  valueReporting: string | null;
  approvedAt: string | null;
  entityCode: string | null;
  projectLabel: string | null;
  personLabel: string | null;
  /** what places the entry in the figure: its blocker, age, SLA outcome, duration or exception codes */
  detail: string | null;
};

export type DrillResult = {
  metric: DrillMetric;
  reportingCurrency: string;
  window: { from: string; to: string; label: string };
  totals: { count: number; hours: string; value: string; unvalued: number };
  items: DrillEntry[];
  nextCursor: string | null;
};

type Cursor = { d: string; id: string };
const encode = (c: Cursor) => Buffer.from(JSON.stringify(c), "utf8").toString("base64url");
function decode(s: string): Cursor {
  try {
    const c = JSON.parse(Buffer.from(s, "base64url").toString("utf8")) as Cursor;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(c.d) || !UUID.test(c.id)) throw new Error("shape");
    return c;
  } catch {
    throw invalid("The page cursor is not one this list gave out; reload the list from its first page.");
  }
}

const hoursText = (seconds: number) => `${(seconds / 3600).toFixed(1)} h`;

/**
 * The entries behind a dashboard figure, with the same row set and the same filter as the
 * figure (so the totals here are the tile's), scoped to what the user may see, newest work
 * date first, keyset-paged. A person or project outside the user's scope is refused with the
 * same words as one that does not exist.
 */
export async function kpiEntries({ ctx, input, scope, now = new Date() }: { ctx: ServiceCtx; input: EntriesInput; scope: Scope; now?: Date }): Promise<DrillResult> {
  const q = entriesInput.parse(input);
  const db = ctx.db;
  const rc = env.REPORTING_CURRENCY;
  const sel = await resolveSelection(db, scope, q, now);

  const extra: SQL[] = [];
  let rowSet: SQL;
  let detail: SQL = sql`null::text`;
  switch (q.metric) {
    case "unbilled":
    case "at_risk":
      rowSet = unbilledRows(now, rc);
      if (q.metric === "at_risk") extra.push(sql`f.blocker = 'exception'`);
      else if (q.blocker) extra.push(sql`f.blocker = ${q.blocker}`);
      if (q.age) extra.push(sql`f.age_bucket = ${q.age}`);
      detail = sql`f.blocker || '|' || coalesce(f.age_days::text, '')`;
      break;
    case "unposted":
      rowSet = unpostedRows(now, rc);
      if (q.age) extra.push(sql`f.age_bucket = ${q.age}`);
      detail = sql`'age|' || coalesce(f.age_days::text, '')`;
      break;
    case "sla":
      rowSet = slaRows(sel.window, now, rc);
      if (q.outcome) extra.push(sql`f.outcome = ${q.outcome}`);
      detail = sql`'sla|' || f.outcome || '|' || coalesce(floor(extract(epoch from f.first_accepted_at - f.approved_at))::text, '')`;
      break;
    case "latency":
      rowSet = latencyRows(sel.window, rc);
      detail = sql`'seconds|' || f.seconds::text`;
      break;
    case "cycle":
      rowSet = cycleRows(sel.window, rc);
      detail = sql`'seconds|' || f.seconds::text`;
      break;
    case "worked":
      if (sel.slice.businessUnit || sel.slice.practice) throw invalid("Utilization has no business-unit or practice breakdown: capacity belongs to people, not projects. Remove that filter.");
      rowSet = workedRows(sel.window, rc);
      break;
    case "exceptions":
      rowSet = blockedRows(rc, q.owner);
      detail = sql`'codes|' || f.codes`;
      break;
  }

  if (q.employee) {
    const [p] = (await db.execute(sql`select e.code as entity_code, em.region from employees em join legal_entities e on e.id = em.legal_entity_id where em.id = ${q.employee}`)) as unknown as { entity_code: string; region: string }[];
    if (!p || (scope.entities.length && !scope.entities.includes(p.entity_code)) || (scope.regions.length && !scope.regions.includes(p.region))) throw forbidden("No person with that id is in your scope.");
    extra.push(sql`f.employee_id = ${q.employee}`);
  }
  if (q.project) {
    const [p] = (await db.execute(sql`select e.code as entity_code, p.region from projects p join legal_entities e on e.id = p.legal_entity_id where p.id = ${q.project}`)) as unknown as { entity_code: string; region: string }[];
    if (!p || (scope.entities.length && !scope.entities.includes(p.entity_code)) || (scope.regions.length && !scope.regions.includes(p.region))) throw forbidden("No project with that id is in your scope.");
    extra.push(sql`f.project_id = ${q.project}`);
  }

  const where = sql.join([sliceCondition(scope, sel.slice), ...extra], sql` and `);
  const [totals] = (await db.execute(sql`
    select count(*)::int as count, coalesce(sum(f.hours), 0)::text as hours, coalesce(sum(f.value_reporting), 0)::text as value,
           count(*) filter (where f.value_reporting is null)::int as unvalued
    from (${rowSet}) f where ${where}`)) as unknown as { count: number; hours: string; value: string; unvalued: number }[];

  const after = q.cursor ? decode(q.cursor) : null;
  const page = (await db.execute(sql`
    select f.id, f.source_system, f.source_id, f.state, f.work_date::text as work_date, f.hours::text as hours, f.amount::text as amount, f.currency,
           f.value_reporting::text as value_reporting, f.approved_at, f.entity_code, ${detail} as detail,
           (select coalesce(pp.code || ' ' || pp.name, null) from projects pp where pp.id = f.project_id) as project_label,
           (select em.name from employees em where em.id = f.employee_id) as person_label
    from (${rowSet}) f
    where ${where} ${after ? sql`and (f.work_date, f.id) < (${after.d}::date, ${after.id}::uuid)` : sql``}
    order by f.work_date desc, f.id desc
    limit ${q.limit + 1}`)) as unknown as {
    id: string; source_system: string; source_id: string; state: string; work_date: string; hours: string; amount: string | null; currency: string | null;
    value_reporting: string | null; approved_at: Date | string | null; entity_code: string | null; detail: string | null; project_label: string | null; person_label: string | null;
  }[];

  const items = page.slice(0, q.limit).map(
    (r): DrillEntry => ({
      id: r.id,
      source: `${r.source_system} ${r.source_id}`,
      state: r.state,
      workDate: r.work_date,
      hours: r.hours,
      amount: r.amount,
      currency: r.currency,
      valueReporting: r.value_reporting,
      approvedAt: r.approved_at ? new Date(r.approved_at).toISOString() : null,
      entityCode: r.entity_code,
      projectLabel: r.project_label,
      personLabel: r.person_label,
      detail: describe(r.detail),
    }),
  );
  const last = items.at(-1);
  return {
    metric: q.metric,
    reportingCurrency: rc,
    window: sel.window,
    totals: { count: Number(totals!.count), hours: totals!.hours, value: totals!.value, unvalued: Number(totals!.unvalued) },
    items,
    nextCursor: page.length > q.limit && last ? encode({ d: last.workDate, id: last.id }) : null,
  };
}

const BLOCKER_WORDS: Record<string, string> = { exception: "blocked by an open exception", awaiting_posting: "awaiting posting", awaiting_invoice: "posted, awaiting invoice" };

/** The detail column in words. */
function describe(raw: string | null): string | null {
  if (!raw) return null;
  const [kind, a, b] = raw.split("|");
  if (kind && kind in BLOCKER_WORDS) return `${BLOCKER_WORDS[kind]}; approved ${a} day(s) ago`;
  if (kind === "age") return a ? `approved ${a} day(s) ago` : null;
  if (kind === "sla") return a === "pending" ? "SLA still running" : b ? `accepted ${hoursText(Number(b))} after approval (${a})` : `no acceptance (${a})`;
  if (kind === "seconds") return `${(Number(a) / 86_400).toFixed(1)} days (${hoursText(Number(a))})`;
  if (kind === "codes") return a ?? null;
  return raw;
}
