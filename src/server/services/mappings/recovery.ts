import Big from "big.js";
import { and, desc, eq, inArray, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import { isUnrestricted, type Scope } from "../../auth/scope";
import type { DbOrTx, Tx } from "../../db/client";
import { mappingRecoveries } from "../../db/schema";
import type { MappingKind } from "../../domain/enums";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { notFound } from "../errors";
import { enqueueJob } from "../jobs/enqueue";
import { validateEntries } from "../validation/validate-entries";
import { actorLabelOf } from "./store";

export type Recovery = typeof mappingRecoveries.$inferSelect;
export type RecoveryView = Omit<Recovery, "entryIds" | "mappingIds"> & { mappingIds: string[]; sentence: string };

/** The worker's job that re-validates what a mapping change may have unblocked. */
export const RECOVERY_JOB = "mapping-recovery" as const;
const CHUNK = 500;

/**
 * Queues the re-validation of the entries a mapping change may unblock, in the caller's
 * transaction: the recovery row and its job commit with the change, or neither does.
 */
export async function queueRecovery(
  tx: Tx,
  ctx: ServiceCtx,
  r: { kind: MappingKind; label: string; mappingIds: string[]; entryIds: string[] },
): Promise<{ id: string; total: number } | null> {
  const entryIds = [...new Set(r.entryIds)];
  if (entryIds.length === 0) return null;
  const [row] = await tx
    .insert(mappingRecoveries)
    .values({
      kind: r.kind,
      label: r.label.slice(0, 500),
      mappingIds: [...new Set(r.mappingIds)],
      entryIds,
      total: entryIds.length,
      currency: env.REPORTING_CURRENCY,
      requestedBy: actorLabelOf(ctx),
      requestedById: ctx.actor.kind === "user" ? ctx.actor.userId : null,
      correlationId: ctx.correlationId,
    })
    .returning({ id: mappingRecoveries.id });
  await enqueueJob(tx, RECOVERY_JOB, { recoveryId: row!.id }, { jobKey: `${RECOVERY_JOB}:${row!.id}`, maxAttempts: 5 });
  return { id: row!.id, total: entryIds.length };
}

export const runRecoveryInput = z.object({ recoveryId: z.uuid({ error: "recoveryId must be a UUID" }) });

/**
 * Re-validates a recovery's entries chunk by chunk, with the mappings as they are now, and
 * records after each chunk how many were unblocked (they now have a posting queued, or are
 * in the ERP) and how many are still blocked, by the code that holds them. Validation
 * resolves the exceptions left with nothing to block. Resumes where it stopped if the
 * worker died midway; a finished recovery is left as it is. Returns whether postings were
 * queued, so the job can wake the sender.
 */
export async function runRecovery({ ctx, input }: { ctx: ServiceCtx; input: z.input<typeof runRecoveryInput> }): Promise<{ postingsCreated: number; status: string }> {
  const { recoveryId } = runRecoveryInput.parse(input);
  const [started] = await ctx.db
    .update(mappingRecoveries)
    .set({ status: "running", startedAt: sql`coalesce(${mappingRecoveries.startedAt}, now())`, updatedAt: sql`now()` })
    .where(and(eq(mappingRecoveries.id, recoveryId), inArray(mappingRecoveries.status, ["queued", "running"])))
    .returning();
  if (!started) {
    const [row] = await ctx.db.select({ status: mappingRecoveries.status }).from(mappingRecoveries).where(eq(mappingRecoveries.id, recoveryId));
    if (!row) throw notFound(`There is no mapping recovery ${recoveryId}.`);
    return { postingsCreated: 0, status: row.status };
  }

  let postingsCreated = 0;
  try {
    for (let offset = started.processed; offset < started.entryIds.length; offset += CHUNK) {
      const ids = started.entryIds.slice(offset, offset + CHUNK);
      const v = await validateEntries({ ctx, input: { entryIds: ids, retryRejected: true } });
      postingsCreated += v.postingsCreated;
      const o = await outcome(ctx.db, ids);
      await ctx.db
        .update(mappingRecoveries)
        .set({
          processed: offset + ids.length,
          unblocked: sql`${mappingRecoveries.unblocked} + ${o.unblocked}`,
          stillBlocked: sql`${mappingRecoveries.stillBlocked} + ${o.stillBlocked}`,
          stillBlockedByCode: sql`(select coalesce(jsonb_object_agg(k, v), '{}'::jsonb) from (
              select k, sum(v::int) as v from (
                select key as k, value as v from jsonb_each_text(${mappingRecoveries.stillBlockedByCode})
                union all select key, value from jsonb_each_text(${JSON.stringify(o.byCode)}::jsonb)
              ) s group by k) t)`,
          hoursUnblocked: sql`${mappingRecoveries.hoursUnblocked} + ${o.hours}::numeric`,
          valueUnblocked: sql`${mappingRecoveries.valueUnblocked} + ${o.value}::numeric`,
          postingsCreated: sql`${mappingRecoveries.postingsCreated} + ${v.postingsCreated}`,
          updatedAt: sql`now()`,
        })
        .where(eq(mappingRecoveries.id, recoveryId));
    }
  } catch (err) {
    await ctx.db
      .update(mappingRecoveries)
      .set({ error: (err as Error).message.slice(0, 1000), updatedAt: sql`now()` })
      .where(eq(mappingRecoveries.id, recoveryId));
    throw err;
  }
  const [done] = await ctx.db
    .update(mappingRecoveries)
    .set({ status: "done", error: null, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(eq(mappingRecoveries.id, recoveryId))
    .returning();
  await writeAudit(ctx, {
    action: "mappings.recovery",
    entityType: "mapping_recoveries",
    entityId: recoveryId,
    after: { label: done!.label, total: done!.total, unblocked: done!.unblocked, stillBlocked: done!.stillBlocked, stillBlockedByCode: done!.stillBlockedByCode, valueUnblocked: done!.valueUnblocked, currency: done!.currency },
  });
  return { postingsCreated, status: "done" };
}

/** Marks a recovery failed once its job has given up (the last attempt failed). */
export async function failRecovery(db: DbOrTx, recoveryId: string, message: string): Promise<void> {
  await db
    .update(mappingRecoveries)
    .set({ status: "failed", error: message.slice(0, 1000), finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(mappingRecoveries.id, recoveryId), inArray(mappingRecoveries.status, ["queued", "running"])));
}

/**
 * Where a chunk's entries stand after re-validation: unblocked (a create posting of the
 * current version queued or accepted, or in the ERP), or still blocked (linked to an open
 * exception), with hours and the value in the reporting currency of the unblocked ones.
 */
async function outcome(db: DbOrTx, ids: string[]) {
  const rep = env.REPORTING_CURRENCY;
  const list = sql`${`{${ids.join(",")}}`}::uuid[]`;
  const [u] = (await db.execute(sql`
    select count(*)::int as n, coalesce(sum(te.hours), 0)::text as hours,
           coalesce(sum(case when te.bill_amount is null then 0
                             when te.currency = ${rep} then te.bill_amount
                             else te.bill_amount * coalesce((select f.rate from fx_rates f where f.from_currency = te.currency and f.to_currency = ${rep}
                                                               and f.rate_date between te.work_date - 3 and te.work_date order by f.rate_date desc limit 1), 0) end), 0)::numeric(14, 2)::text as value
    from time_entries te
    where te.id = any(${list})
      and (te.state in ('posted', 'billed') or exists (
        select 1 from erp_postings p where p.time_entry_id = te.id and p.kind = 'create' and p.entry_version = te.version and p.status in ('pending', 'sent', 'accepted')))`)) as unknown as {
    n: number;
    hours: string;
    value: string;
  }[];
  const blocked = (await db.execute(sql`
    select te.id::text as id, array_agg(distinct x.code order by x.code) as codes
    from time_entries te
    join exception_entries l on l.time_entry_id = te.id
    join exceptions x on x.id = l.exception_id and x.status in ('open', 'ignored')
    where te.id = any(${list}) and te.state = 'approved'
      and not exists (select 1 from erp_postings p where p.time_entry_id = te.id and p.kind = 'create' and p.entry_version = te.version and p.status in ('pending', 'sent', 'accepted'))
    group by te.id`)) as unknown as { id: string; codes: string[] }[];
  const byCode: Record<string, number> = {};
  for (const b of blocked) for (const c of b.codes) byCode[c] = (byCode[c] ?? 0) + 1;
  return { unblocked: u!.n, hours: u!.hours, value: u!.value, stillBlocked: blocked.length, byCode };
}

/** "142 entries unblocked (512.5 h, USD 84,310.00); 38 still blocked by other reasons (BILL_RATE_MISSING 30, PERIOD_CLOSED 8)." */
export function recoverySentence(r: Pick<Recovery, "status" | "total" | "processed" | "unblocked" | "stillBlocked" | "stillBlockedByCode" | "hoursUnblocked" | "valueUnblocked" | "currency" | "error">): string {
  const n = (x: number, one: string, many: string) => `${x.toLocaleString("en-US")} ${x === 1 ? one : many}`;
  if (r.status === "queued") return `Waiting for the worker to re-validate ${n(r.total, "entry", "entries")}.`;
  if (r.status === "failed") return `The re-validation stopped after ${r.processed} of ${r.total}: ${r.error ?? "unknown error"}. The entries keep their exceptions; save the mapping again or ask an admin to check the worker.`;
  const hours = new Big(r.hoursUnblocked).toFixed(2).replace(/\.?0+$/, "");
  const value = `${r.currency} ${new Big(r.valueUnblocked).toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ",")}`;
  const codes = Object.entries(r.stillBlockedByCode).sort((a, b) => b[1] - a[1]).map(([c, k]) => `${c} ${k}`);
  const head = r.status === "running" ? `Re-validating: ${r.processed} of ${r.total} done so far. ` : "";
  const still = r.stillBlocked > 0 ? `${n(r.stillBlocked, "entry", "entries")} still blocked by other reasons (${codes.join(", ")})` : "none still blocked";
  return `${head}${n(r.unblocked, "entry", "entries")} unblocked (${hours} h, ${value}); ${still}.`;
}

function view(r: Recovery): RecoveryView {
  const { entryIds: _entryIds, ...rest } = r;
  return { ...rest, sentence: recoverySentence(r) };
}

export const getRecoveryInput = z.object({ id: z.uuid({ error: "id must be a recovery's UUID" }) });

/**
 * One recovery's progress and outcome. Someone limited to part of the firm sees only the
 * recoveries they started (a recovery's totals may span entities).
 */
export async function getRecovery({ ctx, input, scope }: { ctx: ServiceCtx; input: z.input<typeof getRecoveryInput>; scope: Scope }): Promise<RecoveryView> {
  const { id } = getRecoveryInput.parse(input);
  const [row] = await ctx.db.select().from(mappingRecoveries).where(eq(mappingRecoveries.id, id));
  if (!row || !mayView(ctx, row, scope)) throw notFound("There is no such mapping recovery (or it is outside your scope).");
  return view(row);
}

/** The latest recoveries (what the last mapping changes unblocked). */
export async function recentRecoveries({ ctx, scope }: { ctx: ServiceCtx; scope: Scope }): Promise<RecoveryView[]> {
  const userId = ctx.actor.kind === "user" ? ctx.actor.userId : null;
  const rows = await ctx.db
    .select()
    .from(mappingRecoveries)
    .where(isUnrestricted(scope) ? undefined : userId ? eq(mappingRecoveries.requestedById, userId) : sql`false`)
    .orderBy(desc(mappingRecoveries.createdAt))
    .limit(5);
  return rows.map(view);
}

function mayView(ctx: ServiceCtx, r: Recovery, scope: Scope): boolean {
  if (isUnrestricted(scope)) return true;
  return ctx.actor.kind === "user" && r.requestedById === ctx.actor.userId;
}
