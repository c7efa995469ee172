import { and, asc, eq, gt, inArray, notExists, sql } from "drizzle-orm";
import { env } from "@/env";
import { buildLookups } from "@/sync/rules/lookups";
import { validateBatch } from "@/sync/rules/validate";
import type { EntryForValidation } from "@/sync/rules/types";
import { withTx } from "../../db/client";
import { erpPostings, timeEntries } from "../../db/schema";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { enqueueJob } from "../jobs/enqueue";
import { applyVerdicts, type ApplySummary } from "./apply";
import { loadLookupData } from "./load-lookups";

export type ValidateInput = {
  /** only these entries (those of them that are approved and not yet queued); all such entries when absent */
  entryIds?: string[];
  /**
   * also decide again about entries whose current version the ERP refused (an explicit retry
   * or replay, after the cause was fixed): a pass re-queues the refused posting with the
   * request rebuilt from today's mappings and master data, under the same idempotency key
   */
  retryRejected?: boolean;
  /**
   * the safety net: approved entries awaiting a decision that nothing explains — no posting for
   * their version and no open exception — and untouched for a minute (a validation skipped
   * because another transaction held the entry, or a worker that died between a page and its
   * validation)
   */
  stragglers?: boolean;
  /** how long a straggler has been untouched (seconds, default 60: a validation under way is left to finish) */
  stragglersAfterSeconds?: number;
  chunkSize?: number;
};

export type ValidateSummary = ApplySummary & {
  validated: number;
  chunks: number;
  /** named entries still awaiting a decision that others held locked throughout: queued for a validate job */
  deferred: number;
};

/** Entries nothing explains: no open (or ignored) exception holds them, and untouched for a while. */
const unexplained = (afterSeconds: number) => sql`not exists (select 1 from exception_entries l join exceptions x on x.id = l.exception_id
  where l.time_entry_id = ${timeEntries.id} and x.status in ('open', 'ignored'))
  and ${timeEntries.updatedAt} <= now() - make_interval(secs => ${afterSeconds})`;

const entryColumns = {
  id: timeEntries.id,
  sourceSystem: timeEntries.sourceSystem,
  sourceId: timeEntries.sourceId,
  version: timeEntries.version,
  state: timeEntries.state,
  workDate: timeEntries.workDate,
  hours: timeEntries.hours,
  billable: timeEntries.billable,
  sourceUserId: timeEntries.sourceUserId,
  sourceProjectId: timeEntries.sourceProjectId,
  sourceTaskId: timeEntries.sourceTaskId,
  sourceBillRate: timeEntries.sourceBillRate,
  sourceCurrency: timeEntries.sourceCurrency,
};

/** Approved entries whose current version has no posting yet: what validation decides about. */
const awaitingDecision = and(
  eq(timeEntries.state, "approved"),
  notExists(
    // a subquery per row, served by erp_postings_time_entry_idx
    sql`(select 1 from ${erpPostings} p where p.time_entry_id = ${timeEntries.id} and p.kind = 'create' and p.entry_version = ${timeEntries.version})`,
  ),
);

/** …and, on an explicit retry, those whose current version's posting the ERP refused. */
const awaitingRetry = and(
  eq(timeEntries.state, "approved"),
  notExists(
    sql`(select 1 from ${erpPostings} p where p.time_entry_id = ${timeEntries.id} and p.kind = 'create' and p.entry_version = ${timeEntries.version} and p.status <> 'rejected')`,
  ),
);

/**
 * Validates approved entries in chunks, each chunk in its own transaction with a constant
 * number of queries: lock the chunk (others validating at the same time skip it), load
 * lookups, run the pure rules, apply the verdicts. One audit entry for the whole run.
 */
export async function validateEntries({
  ctx,
  input = {},
  nested = false,
  decided = new Set<string>(),
}: {
  ctx: ServiceCtx;
  input?: ValidateInput;
  /** a second look at named entries that were held: no further look, no audit entry of its own */
  nested?: boolean;
  /** the entries decided so far (filled in here) */
  decided?: Set<string>;
}): Promise<ValidateSummary> {
  const chunkSize = input.chunkSize ?? 2000;
  const total: ValidateSummary = {
    validated: 0,
    chunks: 0,
    deferred: 0,
    passed: 0,
    failed: 0,
    postingsCreated: 0,
    exceptionsRaised: 0,
    exceptionsReopened: 0,
    exceptionsAutoResolved: 0,
  };
  const actorLabel = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  let after: string | null = null;

  for (;;) {
    const startAfter: string | null = after;
    type ChunkResult = { summary: ApplySummary; last: string; count: number } | null;
    const result: ChunkResult = await withTx(ctx.db, async (tx): Promise<ChunkResult> => {
      const rows: EntryForValidation[] = await tx
        .select(entryColumns)
        .from(timeEntries)
        .where(
          and(
            input.retryRejected ? awaitingRetry : awaitingDecision,
            input.entryIds ? inArray(timeEntries.id, input.entryIds) : undefined,
            input.stragglers ? unexplained(input.stragglersAfterSeconds ?? 60) : undefined,
            startAfter ? gt(timeEntries.id, startAfter) : undefined,
          ),
        )
        .orderBy(asc(timeEntries.id))
        .limit(chunkSize)
        .for("update", { skipLocked: true });
      if (rows.length === 0) return null;
      const batch = rows;
      const lookups = await loadLookupData(tx, batch, env.REPORTING_CURRENCY);
      const verdicts = validateBatch(batch, buildLookups(lookups));
      const summary = await applyVerdicts({ tx, actorLabel, correlationId: ctx.correlationId }, batch, verdicts);
      for (const r of rows) decided.add(r.id);
      return { summary, last: rows[rows.length - 1]!.id, count: rows.length };
    });
    if (!result) break;
    total.validated += result.count;
    total.chunks += 1;
    for (const k of ["passed", "failed", "postingsCreated", "exceptionsRaised", "exceptionsReopened", "exceptionsAutoResolved"] as const) {
      total[k] += result.summary[k];
    }
    after = result.last;
    if (result.count < chunkSize) break;
  }

  // named entries another transaction held (a sender recording an outcome, another page): they
  // are decided all the same — looked at again shortly, and left to a job if still held
  if (input.entryIds?.length && !nested) {
    for (let attempt = 0; attempt < 5; attempt++) {
      const waiting = (
        await ctx.db
          .select({ id: timeEntries.id })
          .from(timeEntries)
          .where(and(input.retryRejected ? awaitingRetry : awaitingDecision, inArray(timeEntries.id, input.entryIds)))
      ).filter((w) => !decided.has(w.id));
      if (waiting.length === 0) break;
      if (attempt === 4) {
        await enqueueJob(ctx.db, "validate", { entryIds: waiting.map((w) => w.id) });
        total.deferred = waiting.length;
        break;
      }
      await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
      const again = await validateEntries({ ctx, input: { ...input, entryIds: waiting.map((w) => w.id) }, nested: true, decided });
      total.validated += again.validated;
      for (const k of ["passed", "failed", "postingsCreated", "exceptionsRaised", "exceptionsReopened", "exceptionsAutoResolved"] as const) total[k] += again[k];
    }
  }

  if (total.validated > 0 && !nested) {
    await writeAudit(ctx, { action: "validation.run", entityType: "time_entries", entityId: null, after: total });
  }
  return total;
}
