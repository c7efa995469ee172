import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import { VARIANCE_CLASSES, type ReconciliationTotals, type VarianceClass } from "../../db/schema/reporting";
import type { ServiceCtx } from "../context";
import { invalid, notFound } from "../errors";
import { scopeOnEntities } from "../kpis/selection";
import { isSourceApprovalClass } from "./classes";
import { resolveEntityPeriod } from "./run";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const runIdInput = z.string().regex(UUID, "runId must be the id of a reconciliation run");

export type RunSummary = {
  id: string;
  entityCode: string;
  entityName: string;
  period: string;
  status: "queued" | "running" | "succeeded" | "failed";
  trigger: string;
  requestedBy: string;
  requestedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  erpSideNote: string | null;
  readBackRunId: string | null;
  reportingCurrency: string;
  totals: ReconciliationTotals | null;
  matchedLines: number | null;
  totalLines: number | null;
  error: string | null;
};

type RunRow = {
  id: string; entity_code: string; entity_name: string; entity_region: string; period: string; status: RunSummary["status"]; trigger: string; requested_by: string;
  requested_at: Date | string; started_at: Date | string | null; finished_at: Date | string | null; erp_side_note: string | null; read_back_run_id: string | null;
  reporting_currency: string; totals: ReconciliationTotals | null; matched_lines: number | null; total_lines: number | null; error: string | null;
};
const iso = (d: Date | string | null) => (d ? new Date(d).toISOString() : null);
const RUN_COLUMNS = sql`r.id, e.code as entity_code, e.name as entity_name, e.region as entity_region, r.period, r.status, r.trigger, r.requested_by, r.requested_at,
  r.started_at, r.finished_at, r.erp_side_note, r.read_back_run_id, r.reporting_currency, r.totals, r.matched_lines, r.total_lines, r.error`;
const summary = (r: RunRow): RunSummary => ({
  id: r.id,
  entityCode: r.entity_code,
  entityName: r.entity_name,
  period: r.period,
  status: r.status,
  trigger: r.trigger,
  requestedBy: r.requested_by,
  requestedAt: iso(r.requested_at)!,
  startedAt: iso(r.started_at),
  finishedAt: iso(r.finished_at),
  erpSideNote: r.erp_side_note,
  readBackRunId: r.read_back_run_id,
  reportingCurrency: r.reporting_currency,
  totals: r.totals,
  matchedLines: r.matched_lines,
  totalLines: r.total_lines,
  error: r.error,
});

/** A run the user may see; one outside the scope is "not found", like one that does not exist. */
export async function runInScope(db: DbOrTx, scope: Scope, runId: string): Promise<RunSummary> {
  const [r] = (await db.execute(sql`select ${RUN_COLUMNS} from reconciliation_runs r join legal_entities e on e.id = r.legal_entity_id where r.id = ${runId} and ${scopeOnEntities(scope)}`)) as unknown as RunRow[];
  if (!r) throw notFound("No reconciliation run with that id is in your scope.");
  return summary(r);
}

export const overviewInput = z.object({
  entity: z.string().trim().min(1).max(20).optional(),
  period: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "period must be an accounting period as YYYY-MM, e.g. 2026-05").optional(),
});

export type ReconciliationOverview = {
  /** the legal entities and periods the user may reconcile (newest period first) */
  choices: { entityCode: string; entityName: string; periods: { period: string; status: "open" | "closed" }[] }[];
  selected: { entityCode: string; entityName: string; period: string; status: "open" | "closed"; startsOn: string; endsOn: string } | null;
  /** the selected entity and period's runs, newest first (at most 20) */
  runs: RunSummary[];
  /** whether the approved entries without a legal entity may be shown (unrestricted users only) */
  showUnassigned: boolean;
};

/**
 * What the reconciliation page opens with: the entities and periods in the user's scope, the
 * one selected (by default the first entity's latest period that has started), and its runs.
 */
export async function reconciliationOverview({ ctx, input, scope, now = new Date() }: { ctx: ServiceCtx; input: z.infer<typeof overviewInput>; scope: Scope; now?: Date }): Promise<ReconciliationOverview> {
  const rows = (await ctx.db.execute(sql`
    select e.code, e.name, ap.period, ap.status::text as status from accounting_periods ap join legal_entities e on e.id = ap.legal_entity_id
    where ${scopeOnEntities(scope)} order by e.code, ap.period desc`)) as unknown as { code: string; name: string; period: string; status: "open" | "closed" }[];
  const choices: ReconciliationOverview["choices"] = [];
  for (const r of rows) {
    let c = choices.find((x) => x.entityCode === r.code);
    if (!c) choices.push((c = { entityCode: r.code, entityName: r.name, periods: [] }));
    c.periods.push({ period: r.period, status: r.status });
  }
  const showUnassigned = scope.entities.length === 0 && scope.regions.length === 0;
  const entity = input.entity ?? choices[0]?.entityCode;
  if (!entity) return { choices, selected: null, runs: [], showUnassigned };
  const thisMonth = now.toISOString().slice(0, 7);
  const period = input.period ?? choices.find((c) => c.entityCode.toUpperCase() === entity.toUpperCase())?.periods.find((p) => p.period <= thisMonth)?.period;
  if (!period) {
    if (input.entity) await resolveEntityPeriod(ctx.db, scope, { entity, period: thisMonth });
    return { choices, selected: null, runs: [], showUnassigned };
  }
  const t = await resolveEntityPeriod(ctx.db, scope, { entity, period });
  const runs = (await ctx.db.execute(sql`
    select ${RUN_COLUMNS} from reconciliation_runs r join legal_entities e on e.id = r.legal_entity_id
    where r.legal_entity_id = ${t.entityId} and r.period = ${t.period} order by r.requested_at desc limit 20`)) as unknown as RunRow[];
  return {
    choices,
    selected: { entityCode: t.entityCode, entityName: t.entityName, period: t.period, status: t.status, startsOn: t.startsOn, endsOn: t.endsOn },
    runs: runs.map(summary),
    showUnassigned,
  };
}

export type Breakdown = {
  key: string;
  label: string;
  source: { count: number; hours: string; value: string };
  canonical: { count: number; hours: string; value: string };
  erp: { count: number; hours: string; value: string };
  invoiced: { count: number; hours: string; value: string };
  variances: number;
};

export const runInput = z.object({ runId: runIdInput });

/** One run with its breakdowns by project and by person (projects and people with variances first). */
export async function reconciliationRun({ ctx, input, scope }: { ctx: ServiceCtx; input: z.infer<typeof runInput>; scope: Scope }): Promise<RunSummary & { byProject: Breakdown[]; byPerson: Breakdown[] }> {
  const run = await runInScope(ctx.db, scope, input.runId);
  const rows = (await ctx.db.execute(sql`
    select * from reconciliation_breakdowns where run_id = ${run.id} order by dimension, variances desc, source_value desc, label`)) as unknown as Record<string, string | number>[];
  const side = (r: Record<string, string | number>, p: string) => ({ count: Number(r[`${p}_count`]), hours: String(r[`${p}_hours`]), value: String(r[`${p}_value`]) });
  const map = (r: Record<string, string | number>): Breakdown => ({
    key: String(r.key),
    label: String(r.label),
    source: side(r, "source"),
    canonical: side(r, "canonical"),
    erp: side(r, "erp"),
    invoiced: side(r, "invoiced"),
    variances: Number(r.variances),
  });
  return { ...run, byProject: rows.filter((r) => r.dimension === "project").map(map), byPerson: rows.filter((r) => r.dimension === "person").map(map) };
}

export const variancesInput = z.object({
  runId: runIdInput,
  varianceClass: z.enum(VARIANCE_CLASSES).optional(),
  /** a project's or person's id from the run's breakdowns */
  project: z.string().regex(UUID).optional(),
  person: z.string().regex(UUID).optional(),
  cursor: z.number().int().positive().nullish(),
  limit: z.number().int().min(1).max(500).default(50),
});

export type VarianceLine = {
  id: number;
  varianceClass: VarianceClass;
  timeEntryId: string | null;
  erpId: string | null;
  sourceRef: string | null;
  projectLabel: string | null;
  personLabel: string | null;
  workDate: string;
  hoursOurs: string | null;
  hoursErp: string | null;
  amountOurs: string | null;
  amountErp: string | null;
  currency: string | null;
  valueReporting: string | null;
  explanation: string | null;
};

/** A run's variance lines, of one class or all, keyset-paged by line id. */
export async function varianceLines({ ctx, input, scope }: { ctx: ServiceCtx; input: z.input<typeof variancesInput>; scope: Scope }): Promise<{ items: VarianceLine[]; nextCursor: number | null }> {
  const q = variancesInput.parse(input);
  const run = await runInScope(ctx.db, scope, q.runId);
  const rows = (await ctx.db.execute(sql`
    select id, variance_class, time_entry_id, erp_id, source_ref, project_label, person_label, work_date::text as work_date, hours_ours::text as hours_ours,
           hours_erp::text as hours_erp, amount_ours::text as amount_ours, amount_erp::text as amount_erp, currency, value_reporting::text as value_reporting, explanation
    from reconciliation_variances
    where run_id = ${run.id} ${q.varianceClass ? sql`and variance_class = ${q.varianceClass}` : sql``}
      ${q.project ? sql`and project_id = ${q.project}` : sql``} ${q.person ? sql`and employee_id = ${q.person}` : sql``}
      ${q.cursor ? sql`and id > ${q.cursor}` : sql``}
    order by id limit ${q.limit + 1}`)) as unknown as Record<string, string | number | null>[];
  const items = rows.slice(0, q.limit).map(
    (r): VarianceLine => ({
      id: Number(r.id),
      varianceClass: r.variance_class as VarianceClass,
      timeEntryId: r.time_entry_id as string | null,
      erpId: r.erp_id as string | null,
      sourceRef: r.source_ref as string | null,
      projectLabel: r.project_label as string | null,
      personLabel: r.person_label as string | null,
      workDate: String(r.work_date),
      hoursOurs: r.hours_ours as string | null,
      hoursErp: r.hours_erp as string | null,
      amountOurs: r.amount_ours as string | null,
      amountErp: r.amount_erp as string | null,
      currency: r.currency as string | null,
      valueReporting: r.value_reporting as string | null,
      explanation: r.explanation as string | null,
    }),
  );
  return { items, nextCursor: rows.length > q.limit ? items.at(-1)!.id : null };
}

export const compareInput = z.object({ runId: runIdInput, otherRunId: runIdInput });

export type RunComparison = {
  run: RunSummary;
  other: RunSummary;
  /**
   * per class: lines in `run` not in `other` (new), in `other` not in `run` (gone), in both; null
   * where a run did not check the class (the approval classes, when the sources were not asked)
   */
  classes: { varianceClass: VarianceClass; inRun: number | null; inOther: number | null; added: number | null; gone: number | null }[];
};

/**
 * Two runs side by side — two runs of one period (what changed since), or two periods of an
 * entity. A variance line is the same in both when it is about the same entry or ERP record
 * and of the same class.
 */
export async function compareRuns({ ctx, input, scope }: { ctx: ServiceCtx; input: z.infer<typeof compareInput>; scope: Scope }): Promise<RunComparison> {
  if (input.runId === input.otherRunId) throw invalid("Choose two different runs to compare.");
  const run = await runInScope(ctx.db, scope, input.runId);
  const other = await runInScope(ctx.db, scope, input.otherRunId);
  if (run.status !== "succeeded" || other.status !== "succeeded") throw invalid("Only finished runs can be compared; wait for the run to finish or choose another.");
  const rows = (await ctx.db.execute(sql`
    with a as (select variance_class, coalesce(time_entry_id::text, '') || '|' || coalesce(erp_id, '') as k from reconciliation_variances where run_id = ${run.id}),
         b as (select variance_class, coalesce(time_entry_id::text, '') || '|' || coalesce(erp_id, '') as k from reconciliation_variances where run_id = ${other.id})
    select c as variance_class,
           (select count(*) from a where a.variance_class = c)::int as in_run,
           (select count(*) from b where b.variance_class = c)::int as in_other,
           (select count(*) from a where a.variance_class = c and not exists (select 1 from b where b.variance_class = c and b.k = a.k))::int as added,
           (select count(*) from b where b.variance_class = c and not exists (select 1 from a where a.variance_class = c and a.k = b.k))::int as gone
    from unnest(${`{${VARIANCE_CLASSES.join(",")}}`}::text[]) c`)) as unknown as { variance_class: VarianceClass; in_run: number; in_other: number; added: number; gone: number }[];
  return {
    run,
    other,
    classes: VARIANCE_CLASSES.map((c) => {
      const r = rows.find((x) => x.variance_class === c);
      const checkedIn = (x: RunSummary) => !isSourceApprovalClass(c) || Boolean(x.totals?.variances[c]);
      const both = checkedIn(run) && checkedIn(other);
      return {
        varianceClass: c,
        inRun: checkedIn(run) ? Number(r?.in_run ?? 0) : null,
        inOther: checkedIn(other) ? Number(r?.in_other ?? 0) : null,
        added: both ? Number(r?.added ?? 0) : null,
        gone: both ? Number(r?.gone ?? 0) : null,
      };
    }),
  };
}

/** The runs of an entity the user may compare a run with (other periods' latest runs and this period's earlier ones). */
export async function comparableRuns(db: DbOrTx, scope: Scope, runId: string) {
  const run = await runInScope(db, scope, runId);
  const rows = (await db.execute(sql`
    select r.id, r.period, r.finished_at from reconciliation_runs r join legal_entities e on e.id = r.legal_entity_id
    where e.code = ${run.entityCode} and r.status = 'succeeded' and r.id <> ${run.id} order by r.period desc, r.finished_at desc limit 30`)) as unknown as { id: string; period: string; finished_at: Date | string }[];
  return rows.map((r) => ({ id: r.id, period: r.period, finishedAt: iso(r.finished_at)! }));
}

