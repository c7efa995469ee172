import { and, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import type { ErpConnector } from "@/sync/connectors/types";
import type { Scope } from "../../auth/scope";
import { withTx, type Db, type DbOrTx } from "../../db/client";
import { reconciliationRuns } from "../../db/schema/reporting";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { logOf } from "../context";
import { forbidden, notFound } from "../errors";
import { enqueueJob } from "../jobs/enqueue";
import { readBack, withReadBackLock } from "../sync/read-back";
import { effectiveProjectId } from "../kpis/definitions";
import { compareEntityPeriod } from "./compare";
import { readSourceApprovals, type ApprovalSources } from "./source-approvals";

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

/** A legal entity (by code) and one of its accounting periods. */
export const entityPeriodInput = z.object({
  entity: z.string().trim().min(1, "entity must not be empty").max(20, "entity can be at most 20 characters"),
  period: z.string().regex(PERIOD, "period must be an accounting period as YYYY-MM, e.g. 2026-05"),
});
export type EntityPeriodInput = z.infer<typeof entityPeriodInput>;

export type EntityPeriod = { entityId: string; entityCode: string; entityName: string; region: string; period: string; startsOn: string; endsOn: string; status: "open" | "closed" };

/**
 * The legal entity and period a reconciliation is about, checked against the user's scope: an
 * entity outside it gets the same answer as one that does not exist, so nothing leaks; a period
 * the entity does not have is "not found", naming the periods it has.
 */
export async function resolveEntityPeriod(db: DbOrTx, scope: Scope, input: EntityPeriodInput): Promise<EntityPeriod> {
  const code = input.entity.toUpperCase();
  const [e] = (await db.execute(sql`select id, code, name, region from legal_entities where upper(code) = ${code}`)) as unknown as { id: string; code: string; name: string; region: string }[];
  const visible = e && (scope.entities.length === 0 || scope.entities.includes(e.code)) && (scope.regions.length === 0 || scope.regions.includes(e.region));
  if (!visible) throw forbidden(`No legal entity "${input.entity}" is in your scope.`);
  const [p] = (await db.execute(sql`
    select period, starts_on::text as starts_on, ends_on::text as ends_on, status::text as status,
           (select min(period) from accounting_periods where legal_entity_id = ${e.id}) as first,
           (select max(period) from accounting_periods where legal_entity_id = ${e.id}) as last
    from accounting_periods where legal_entity_id = ${e.id} and period = ${input.period}`)) as unknown as { period: string; starts_on: string; ends_on: string; status: "open" | "closed" }[];
  if (!p) {
    const [range] = (await db.execute(sql`select min(period) as first, max(period) as last from accounting_periods where legal_entity_id = ${e.id}`)) as unknown as { first: string | null; last: string | null }[];
    throw notFound(`${e.code} has no accounting period ${input.period}.${range?.first ? ` Its periods run from ${range.first} to ${range.last}.` : ""}`);
  }
  return { entityId: e.id, entityCode: e.code, entityName: e.name, region: e.region, period: p.period, startsOn: p.starts_on, endsOn: p.ends_on, status: p.status };
}

export type RequestedRun = { runId: string; status: string; alreadyQueued: boolean };

/**
 * Queues a reconciliation of a legal entity and period for the worker (the `reconcile` job), in
 * one transaction with its audit entry. While one is queued or running for the same entity and
 * period, that one is returned instead (a double click queues one).
 */
export async function requestReconciliation({ ctx, input, scope, trigger = "manual" }: { ctx: ServiceCtx; input: EntityPeriodInput; scope: Scope; trigger?: "manual" | "schedule" }): Promise<RequestedRun> {
  const target = await resolveEntityPeriod(ctx.db, scope, input);
  const requestedBy = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  return withTx(ctx.db, async (tx) => {
    const [created] = await tx
      .insert(reconciliationRuns)
      .values({ legalEntityId: target.entityId, period: target.period, trigger, requestedBy, reportingCurrency: env.REPORTING_CURRENCY, correlationId: ctx.correlationId })
      .onConflictDoNothing()
      .returning({ id: reconciliationRuns.id, status: reconciliationRuns.status });
    if (!created) {
      const [active] = await tx
        .select({ id: reconciliationRuns.id, status: reconciliationRuns.status })
        .from(reconciliationRuns)
        .where(and(eq(reconciliationRuns.legalEntityId, target.entityId), eq(reconciliationRuns.period, target.period), inArray(reconciliationRuns.status, ["queued", "running"])));
      if (active) return { runId: active.id, status: active.status, alreadyQueued: true };
      throw new Error("a reconciliation run neither inserted nor found");
    }
    await enqueueJob(tx, "reconcile", { runId: created.id }, { jobKey: `reconcile:${created.id}`, maxAttempts: 1 });
    await writeAudit({ ...ctx, db: tx }, { action: "reconciliation.requested", entityType: "reconciliation_run", entityId: created.id, after: { entity: target.entityCode, period: target.period, trigger } });
    return { runId: created.id, status: created.status, alreadyQueued: false };
  });
}

/** The ERP connector to read the ERP's side with, when one is configured and running. */
export type ErpSide = { connector: ErpConnector; connectorId: string; connectorName: string } | { connector: null; reason: string };

/**
 * Runs a queued reconciliation: reads the ERP's side of the period back through the read-back
 * service (its time records and invoices, stored in erp_time_records / invoices), asks the
 * sources for their entries' approval now (`sources`, see source-approvals.ts), compares and
 * stores the result. A read-back that fails fails the run with its reason (a comparison against a
 * stale ERP side would mislead); without a running ERP connector the run compares with the last
 * read-back and says so. A source that cannot be read does not fail the run: the approval
 * classes are "not checked" and the run's note says why. Idempotent per run: a run already
 * finished is left alone.
 */
export async function runReconciliation({
  ctx,
  runId,
  erp,
  sources = null,
  sourceTimeoutMs,
  sourcePerPage,
  now = new Date(),
}: {
  ctx: ServiceCtx & { db: Db };
  runId: string;
  erp: ErpSide;
  /** the source connectors to ask for approvals now; none: the approval classes are not checked */
  sources?: ApprovalSources | null;
  /** how long the sources may take to list the period (default: SOURCE_READ_TIMEOUT_MS) */
  sourceTimeoutMs?: number;
  sourcePerPage?: number;
  now?: Date;
}) {
  const log = logOf(ctx);
  const claimed = await ctx.db
    .update(reconciliationRuns)
    .set({ status: "running", startedAt: now, error: null })
    .where(and(eq(reconciliationRuns.id, runId), inArray(reconciliationRuns.status, ["queued", "running"])))
    .returning();
  const run = claimed[0];
  if (!run) return null;
  const [p] = (await ctx.db.execute(sql`
    select ap.starts_on::text as starts_on, ap.ends_on::text as ends_on, e.code from accounting_periods ap join legal_entities e on e.id = ap.legal_entity_id
    where ap.legal_entity_id = ${run.legalEntityId} and ap.period = ${run.period}`)) as unknown as { starts_on: string; ends_on: string; code: string }[];

  const fail = async (error: string) => {
    await withTx(ctx.db, async (tx) => {
      await tx.update(reconciliationRuns).set({ status: "failed", error, finishedAt: new Date() }).where(eq(reconciliationRuns.id, runId));
      await writeAudit({ ...ctx, db: tx }, { action: "reconciliation.failed", entityType: "reconciliation_run", entityId: runId, after: { error } });
    });
    log.warn("reconciliation failed", { runId, error });
    return { runId, status: "failed" as const, error };
  };
  if (!p) return fail(`The accounting period ${run.period} no longer exists for this legal entity.`);

  // first, outside any transaction or lock: listing a source's period can take a while
  const approvals = await readSourceApprovals({ db: ctx.db, sources, from: p.starts_on, to: p.ends_on, timeoutMs: sourceTimeoutMs, perPage: sourcePerPage });
  if (!approvals.checked) log.warn(`approval differences with the source not checked: ${approvals.reason}`, { runId });

  // the ERP's side is read and compared under the connector's read-back lock: reconciliations
  // requested together see each other's reads whole, never half-written
  type Outcome = { failed: string } | { totals: Awaited<ReturnType<typeof compareEntityPeriod>> };
  const underLock = async (): Promise<Outcome> => {
    let readBackRunId: string | null = null;
    let erpSideNote: string;
    if (erp.connector) {
      const s = await readBack({ ctx, connector: erp.connector, connectorId: erp.connectorId, trigger: "manual", from: p.starts_on, to: p.ends_on, lockHeld: true });
      readBackRunId = s.runId;
      if (s.status === "failed") return { failed: `The ERP's side could not be read: ${s.error ?? "the read-back failed"}` };
      erpSideNote = `Read from ${erp.connectorName} for ${p.starts_on} to ${p.ends_on} just before the comparison (${s.fetched} time record(s), ${s.invoicesFetched} invoice(s)).`;
    } else {
      const [last] = (await ctx.db.execute(sql`select max(last_seen_at) as at from erp_time_records where legal_entity_id = ${run.legalEntityId} and work_date between ${p.starts_on}::date and ${p.ends_on}::date`)) as unknown as { at: Date | string | null }[];
      erpSideNote = `${erp.reason} Compared with what the last read-back stored${last?.at ? ` (${new Date(last.at).toISOString().slice(0, 16).replace("T", " ")} UTC)` : " (nothing yet)"}.`;
    }

    const t = await withTx(ctx.db, async (tx) => {
      await tx.execute(sql`delete from reconciliation_variances where run_id = ${runId}`);
      await tx.execute(sql`delete from reconciliation_breakdowns where run_id = ${runId}`);
      const t = await compareEntityPeriod(tx, { runId, legalEntityId: run.legalEntityId, from: p.starts_on, to: p.ends_on, reportingCurrency: run.reportingCurrency, approvals });
      const [unassigned] = (await tx.execute(sql`
        select count(*)::int as count, coalesce(sum(te.hours), 0)::text as hours from time_entries te
        where te.legal_entity_id is null and ${effectiveProjectId(sql`te`)} is null and te.work_date between ${p.starts_on}::date and ${p.ends_on}::date and te.state = 'approved'`)) as unknown as { count: number; hours: string }[];
      t.unassigned = { count: Number(unassigned!.count), hours: unassigned!.hours };
      await tx
        .update(reconciliationRuns)
        .set({ status: "succeeded", finishedAt: new Date(), totals: t, matchedLines: t.matched, totalLines: t.lines, readBackRunId, erpSideNote, error: null })
        .where(eq(reconciliationRuns.id, runId));
      await writeAudit(
        { ...ctx, db: tx },
        {
          action: "reconciliation.completed",
          entityType: "reconciliation_run",
          entityId: runId,
          after: { entity: p.code, period: run.period, matched: t.matched, lines: t.lines, readBackRunId, sourceApprovalsChecked: approvals.checked },
        },
      );
      return t;
    });
    return { totals: t };
  };
  const outcome = erp.connector ? await withReadBackLock(ctx, erp.connectorId, undefined, underLock) : await underLock();
  if ("failed" in outcome) return fail(outcome.failed);
  const totals = outcome.totals;
  log.info(`reconciled ${p.code} ${run.period}: ${totals.matched} of ${totals.lines} line(s) matched`, { runId });
  return { runId, status: "succeeded" as const, totals };
}

/**
 * The schedule's reconciliations: every legal entity's open periods that have started and ended
 * at most two months ago, and its most recent closed period (the one being closed), each queued
 * once.
 */
export async function scheduleReconciliations({ ctx, today = new Date().toISOString().slice(0, 10) }: { ctx: ServiceCtx; today?: string }): Promise<RequestedRun[]> {
  const targets = (await ctx.db.execute(sql`
    select e.code as entity, ap.period from accounting_periods ap join legal_entities e on e.id = ap.legal_entity_id
    where ap.starts_on <= ${today}::date and ((ap.status = 'open' and ap.ends_on >= ${today}::date - 62)
      or ap.period = (select max(c.period) from accounting_periods c where c.legal_entity_id = ap.legal_entity_id and c.status = 'closed'))
    order by e.code, ap.period`)) as unknown as { entity: string; period: string }[];
  const out: RequestedRun[] = [];
  for (const t of targets) out.push(await requestReconciliation({ ctx, input: t, scope: { entities: [], regions: [] }, trigger: "schedule" }));
  return out;
}
