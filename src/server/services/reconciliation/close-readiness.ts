import Big from "big.js";
import { sql } from "drizzle-orm";
import { env } from "@/env";
import { buildLookups } from "@/sync/rules/lookups";
import type { EntryForValidation } from "@/sync/rules/types";
import { validateBatch } from "@/sync/rules/validate";
import type { Scope } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import type { ReconciliationTotals } from "../../db/schema/reporting";
import { OWNER_TEAMS, type ExceptionCode, type OwnerTeam } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { effectiveProjectId } from "../kpis/definitions";
import { loadLookupData } from "../validation/load-lookups";
import { resolveEntityPeriod, type EntityPeriod, type EntityPeriodInput } from "./run";

export type DryRun = {
  /** approved entries of the period that the ERP has not accepted yet */
  considered: number;
  wouldPost: { count: number; hours: string; value: string; unvalued: number };
  wouldFail: { code: ExceptionCode; owner: OwnerTeam; count: number; hours: string }[];
};

export type ChecklistItem = { key: string; ok: boolean; label: string; detail: string; href: string | null };

export type CloseReadiness = {
  entityCode: string;
  entityName: string;
  period: string;
  status: "open" | "closed";
  startsOn: string;
  endsOn: string;
  reportingCurrency: string;
  ready: boolean;
  checklist: ChecklistItem[];
  exceptionsByOwner: { owner: OwnerTeam; exceptions: number; entries: number; hours: string }[];
  unposted: { count: number; hours: string };
  /** the latest finished run; `approvalsNotChecked` says why it could not compare approvals with the source (null: it did) */
  reconciliation: { runId: string; finishedAt: string; matched: number; lines: number; unexplained: number; approvalsNotChecked: string | null } | null;
  dryRun: DryRun;
};

const big = (v: string | number | null | undefined) => new Big(v ?? 0);

/**
 * What still stands between today and a clean close of a legal entity's period: open exceptions
 * on its entries (by owner team), approved hours the ERP has not accepted, and the latest
 * reconciliation's unexplained variances — with a dry run of what validation would post now.
 * Reads only: nothing is written, not even the audit log.
 */
export async function closeReadiness({ ctx, input, scope }: { ctx: ServiceCtx; input: EntityPeriodInput; scope: Scope }): Promise<CloseReadiness> {
  const db = ctx.db;
  const t = await resolveEntityPeriod(db, scope, input);
  const inPeriod = sql`coalesce(te.legal_entity_id, p.legal_entity_id) = ${t.entityId} and te.work_date between ${t.startsOn}::date and ${t.endsOn}::date`;
  const joinProject = sql`left join projects p on p.id = ${effectiveProjectId(sql`te`)}`;

  const owners = (await db.execute(sql`
    select x.owner, count(distinct x.id)::int as exceptions, count(distinct te.id)::int as entries, coalesce(sum(ee.hours), 0)::text as hours
    from exceptions x join exception_entries ee on ee.exception_id = x.id join time_entries te on te.id = ee.time_entry_id ${joinProject}
    where x.status = 'open' and ${inPeriod} group by x.owner`)) as unknown as { owner: OwnerTeam; exceptions: number; entries: number; hours: string }[];
  const exceptionsByOwner = OWNER_TEAMS.map((o) => {
    const r = owners.find((x) => x.owner === o);
    return { owner: o, exceptions: Number(r?.exceptions ?? 0), entries: Number(r?.entries ?? 0), hours: r?.hours ?? "0" };
  });

  const [unposted] = (await db.execute(sql`
    select count(*)::int as count, coalesce(sum(te.hours), 0)::text as hours from time_entries te ${joinProject} where te.state = 'approved' and ${inPeriod}`)) as unknown as { count: number; hours: string }[];

  const [latest] = (await db.execute(sql`
    select id, finished_at, totals from reconciliation_runs where legal_entity_id = ${t.entityId} and period = ${t.period} and status = 'succeeded'
    order by finished_at desc limit 1`)) as unknown as { id: string; finished_at: Date | string; totals: ReconciliationTotals }[];
  const reconciliation = latest
    ? {
        runId: latest.id,
        finishedAt: new Date(latest.finished_at).toISOString(),
        matched: latest.totals.matched,
        lines: latest.totals.lines,
        unexplained: Object.values(latest.totals.variances).reduce((a, v) => a + (v?.unexplained ?? 0), 0),
        approvalsNotChecked: latest.totals.sourceApprovals?.checked
          ? null
          : (latest.totals.sourceApprovals?.note ?? "Approval differences with the source were not checked: the run predates the check."),
      }
    : null;

  const dryRun = await dryRunPosting(db, t, inPeriod, joinProject);

  const openTotal = exceptionsByOwner.reduce((a, o) => a + o.exceptions, 0);
  const base = `/reconciliation?entity=${encodeURIComponent(t.entityCode)}&period=${t.period}`;
  const checklist: ChecklistItem[] = [
    {
      key: "exceptions",
      ok: openTotal === 0,
      label: "No open exception on the period's time",
      detail:
        openTotal === 0
          ? "Nothing blocks the period's entries."
          : exceptionsByOwner.filter((o) => o.exceptions > 0).map((o) => `${o.owner}: ${o.exceptions} exception(s), ${o.entries} entr${o.entries === 1 ? "y" : "ies"}, ${o.hours} h`).join("; "),
      href: `/kpis/entries?metric=exceptions&entity=${encodeURIComponent(t.entityCode)}`,
    },
    {
      key: "unposted",
      ok: Number(unposted!.count) === 0,
      label: "Every approved hour accepted by the ERP",
      detail: Number(unposted!.count) === 0 ? "No approved entry of the period is waiting." : `${unposted!.count} approved entr${Number(unposted!.count) === 1 ? "y" : "ies"} (${unposted!.hours} h) not yet accepted by the ERP.`,
      href: `/kpis/entries?metric=unposted&entity=${encodeURIComponent(t.entityCode)}`,
    },
    {
      key: "reconciled",
      // approvals not compared with the source are not "no difference": the check is not done
      ok: reconciliation !== null && reconciliation.unexplained === 0 && reconciliation.approvalsNotChecked === null,
      label: "Reconciled with no unexplained variance",
      detail: !reconciliation
        ? "No reconciliation has run for this period yet: run one."
        : (reconciliation.unexplained === 0
            ? `The latest run (${reconciliation.finishedAt.slice(0, 16).replace("T", " ")} UTC) matched ${reconciliation.matched} of ${reconciliation.lines} line(s); every variance is explained.`
            : `The latest run (${reconciliation.finishedAt.slice(0, 16).replace("T", " ")} UTC) has ${reconciliation.unexplained} unexplained variance line(s).`) +
          (reconciliation.approvalsNotChecked ? ` ${reconciliation.approvalsNotChecked}` : ""),
      href: reconciliation ? `${base}&run=${reconciliation.runId}` : base,
    },
  ];
  return {
    entityCode: t.entityCode,
    entityName: t.entityName,
    period: t.period,
    status: t.status,
    startsOn: t.startsOn,
    endsOn: t.endsOn,
    reportingCurrency: env.REPORTING_CURRENCY,
    ready: checklist.every((c) => c.ok),
    checklist,
    exceptionsByOwner,
    unposted: { count: Number(unposted!.count), hours: unposted!.hours },
    reconciliation,
    dryRun,
  };
}

/**
 * What validation would decide now about the period's approved entries the ERP has not
 * accepted: the same lookups and the same pure rules the validation run uses, with nothing
 * applied — no posting queued, no exception raised or resolved, no enrichment written.
 */
async function dryRunPosting(db: DbOrTx, t: EntityPeriod, inPeriod: ReturnType<typeof sql>, joinProject: ReturnType<typeof sql>): Promise<DryRun> {
  const rc = env.REPORTING_CURRENCY;
  const entries = (await db.execute(sql`
    select te.id, te.source_system as "sourceSystem", te.source_id as "sourceId", te.version, te.state, te.work_date::text as "workDate", te.hours::text as hours,
           te.billable, te.source_user_id as "sourceUserId", te.source_project_id as "sourceProjectId", te.source_task_id as "sourceTaskId",
           te.source_bill_rate::text as "sourceBillRate", te.source_currency as "sourceCurrency"
    from time_entries te ${joinProject} where te.state = 'approved' and ${inPeriod} order by te.work_date, te.id`)) as unknown as EntryForValidation[];
  let hours = big(0);
  let value = big(0);
  let count = 0;
  let unvalued = 0;
  const fails = new Map<string, { code: ExceptionCode; owner: OwnerTeam; count: number; hours: Big }>();
  for (let i = 0; i < entries.length; i += 2000) {
    const batch = entries.slice(i, i + 2000);
    const lookups = buildLookups(await loadLookupData(db, batch, rc));
    const verdicts = validateBatch(batch, lookups);
    verdicts.forEach((v, j) => {
      const e = batch[j]!;
      if (v.ok) {
        count += 1;
        hours = hours.plus(e.hours);
        const fx = lookups.fxRate(v.enrichment.currency, rc, e.workDate);
        if (fx === null) unvalued += 1;
        else value = value.plus(big(v.enrichment.billAmount).times(fx).round(2, Big.roundHalfUp));
      } else {
        for (const f of v.failures) {
          const k = f.code;
          const cur = fails.get(k) ?? { code: f.code, owner: f.owner, count: 0, hours: big(0) };
          cur.count += 1;
          cur.hours = cur.hours.plus(e.hours);
          fails.set(k, cur);
        }
      }
    });
  }
  return {
    considered: entries.length,
    wouldPost: { count, hours: hours.toFixed(2), value: value.toFixed(2), unvalued },
    wouldFail: [...fails.values()].sort((a, b) => b.count - a.count || a.code.localeCompare(b.code)).map((f) => ({ code: f.code, owner: f.owner, count: f.count, hours: f.hours.toFixed(2) })),
  };
}
