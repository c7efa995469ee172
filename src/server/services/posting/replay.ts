import Big from "big.js";
import { and, desc, eq, gte, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { withTx } from "../../db/client";
import { erpPostings, legalEntities, timeEntries } from "../../db/schema";
import { scopeCondition, type Scope } from "../../auth/scope";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { invalid } from "../errors";
import { enqueueJob } from "../jobs/enqueue";
import { validateEntries } from "../validation/validate-entries";

/** What to replay: some postings, the postings of some entries, or everything dead-lettered since a time. */
export const replayInput = z
  .object({
    postingIds: z.array(z.uuid({ error: "each posting id must be a UUID" })).min(1).max(5000).optional(),
    entryIds: z.array(z.uuid({ error: "each entry id must be a UUID" })).min(1).max(5000).optional(),
    deadSince: z.iso.datetime({ offset: true, error: "deadSince must be an ISO date-time with its zone" }).optional(),
    /** with deadSince: also the postings the ERP refused since then (after their cause was fixed) */
    includeRejected: z.boolean().default(false),
  })
  .refine((v) => [v.postingIds, v.entryIds, v.deadSince].filter((x) => x !== undefined).length === 1, {
    message: "Say what to replay: postingIds, entryIds or deadSince (exactly one).",
  });
export type ReplayInput = z.input<typeof replayInput>;

type Candidate = {
  id: string;
  kind: "create" | "reverse";
  status: string;
  entryVersion: number;
  timeEntryId: string | null;
  currentVersion: number | null;
  entryState: string | null;
  hours: string | null;
  amount: string | null;
  currency: string | null;
  lastError: string | null;
  idempotencyKey: string;
};

export type ReplayPlanItem = Candidate & {
  /** what a replay does with it */
  action: "look_up_then_resend" | "revalidate_then_resend" | "resend" | "skip";
  reason: string;
};

export type ReplayPreview = {
  items: ReplayPlanItem[];
  counts: { replayable: number; skipped: number; dead: number; rejected: number };
  hours: string;
  /** value by currency of what will be sent */
  value: Record<string, string>;
};

export type ReplayResult = {
  requeued: number;
  revalidated: number;
  /** refused postings re-validated that still fail a rule (their exceptions say why) */
  stillBlocked: number;
  skipped: { id: string; reason: string }[];
  /** a concurrent replay or sender got there first */
  changedMeanwhile: number;
};

function selection(input: z.output<typeof replayInput>): SQL {
  if (input.postingIds) return inArray(erpPostings.id, input.postingIds);
  if (input.entryIds) return and(inArray(erpPostings.timeEntryId, input.entryIds), inArray(erpPostings.status, ["dead", "rejected"]))!;
  return and(
    gte(erpPostings.updatedAt, new Date(input.deadSince!)),
    inArray(erpPostings.status, input.includeRejected ? ["dead", "rejected"] : ["dead"]),
  )!;
}

function plan(c: Candidate): ReplayPlanItem {
  const skip = (reason: string): ReplayPlanItem => ({ ...c, action: "skip", reason });
  if (c.status === "accepted") return skip("the ERP already accepted it");
  if (c.status === "pending" || c.status === "sent") return skip("it is still in the queue; the sender will try it");
  if (c.status === "superseded") return skip("a newer version of the entry replaced it");
  // an unknown outcome holds everything else of its entry back: it is always looked up, and a
  // version the entry no longer wants is reversed if found, never sent again
  if (c.status === "dead" && c.kind === "create" && c.timeEntryId && (c.currentVersion !== c.entryVersion || c.entryState !== "approved")) {
    return { ...c, action: "look_up_then_resend", reason: "dead-lettered, and the entry has changed since: the ERP is asked whether it holds it (then it is reversed), it is never sent again" };
  }
  if (c.kind === "create" && c.timeEntryId && c.currentVersion !== c.entryVersion) return skip(`the entry has changed since (now version ${c.currentVersion})`);
  if (c.kind === "create" && c.timeEntryId && c.entryState !== "approved") return skip(`the entry is ${c.entryState}, not waiting to be posted`);
  if (c.status === "dead") return { ...c, action: "look_up_then_resend", reason: "dead-lettered: the ERP is asked first whether it already holds it, then it is sent" };
  if (c.kind === "create") return { ...c, action: "revalidate_then_resend", reason: "refused by the ERP: the entry is validated again and, if it passes, sent with today's mappings" };
  return { ...c, action: "resend", reason: "refused by the ERP: the reversal is sent again" };
}

async function candidates(ctx: ServiceCtx, input: z.output<typeof replayInput>, scope: Scope): Promise<Candidate[]> {
  return ctx.db
    .select({
      id: erpPostings.id,
      kind: erpPostings.kind,
      status: erpPostings.status,
      entryVersion: erpPostings.entryVersion,
      timeEntryId: erpPostings.timeEntryId,
      currentVersion: timeEntries.version,
      entryState: timeEntries.state,
      hours: erpPostings.hours,
      amount: erpPostings.amount,
      currency: erpPostings.currency,
      lastError: erpPostings.lastError,
      idempotencyKey: erpPostings.idempotencyKey,
    })
    .from(erpPostings)
    .innerJoin(legalEntities, eq(legalEntities.id, erpPostings.legalEntityId))
    .leftJoin(timeEntries, eq(timeEntries.id, erpPostings.timeEntryId))
    .where(and(selection(input), scopeCondition(scope, { entity: legalEntities.code, region: legalEntities.region })))
    .orderBy(desc(erpPostings.updatedAt))
    .limit(5001);
}

const TOO_MANY = "More than 5,000 postings match; narrow the selection (a later deadSince, or chosen postings).";

/** What a replay of this selection would send, without changing anything. */
export async function previewReplay({ ctx, input, scope }: { ctx: ServiceCtx; input: ReplayInput; scope: Scope }): Promise<ReplayPreview> {
  const parsed = replayInput.parse(input);
  const rows = await candidates(ctx, parsed, scope);
  if (rows.length > 5000) throw invalid(TOO_MANY);
  const items = rows.map(plan);
  const replayable = items.filter((i) => i.action !== "skip");
  let hours = new Big(0);
  const value = new Map<string, Big>();
  for (const i of replayable) {
    if (i.hours) hours = hours.plus(i.hours);
    if (i.currency && i.amount) value.set(i.currency, (value.get(i.currency) ?? new Big(0)).plus(i.amount));
  }
  return {
    items,
    counts: {
      replayable: replayable.length,
      skipped: items.length - replayable.length,
      dead: replayable.filter((i) => i.status === "dead").length,
      rejected: replayable.filter((i) => i.status === "rejected").length,
    },
    hours: hours.toFixed(2),
    value: Object.fromEntries([...value].map(([k, v]) => [k, v.toFixed(2)])),
  };
}

/**
 * Replays dead-lettered or refused postings. A dead one goes back to the sender as "outcome
 * unknown", so the ERP is asked by idempotency key before it is sent again (never twice in
 * the ERP). A refused create is validated again with today's mappings and master data and,
 * if it passes, queued with its request rebuilt under the same key; if it still fails, its
 * exceptions say why. A refused reversal is queued again. Conditional updates make two
 * replays of the same posting at once harmless. Audited; the sender is woken up.
 */
export async function replayPostings({ ctx, input, scope }: { ctx: ServiceCtx; input: ReplayInput; scope: Scope }): Promise<ReplayResult> {
  const parsed = replayInput.parse(input);
  const preview = await previewReplay({ ctx, input: parsed, scope });
  const result: ReplayResult = { requeued: 0, revalidated: 0, stillBlocked: 0, skipped: preview.items.filter((i) => i.action === "skip").map((i) => ({ id: i.id, reason: i.reason })), changedMeanwhile: 0 };
  const byAction = (a: ReplayPlanItem["action"]) => preview.items.filter((i) => i.action === a).map((i) => i.id);

  await withTx(ctx.db, async (tx) => {
    const dead = byAction("look_up_then_resend");
    if (dead.length) {
      // `sent` = outcome unknown: the sender looks the key up in the ERP before sending again
      const rows = await tx
        .update(erpPostings)
        .set({ status: "sent", attempts: 0, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(inArray(erpPostings.id, dead), eq(erpPostings.status, "dead")))
        .returning({ id: erpPostings.id });
      result.requeued += rows.length;
      result.changedMeanwhile += dead.length - rows.length;
    }
    const reversals = byAction("resend");
    if (reversals.length) {
      const rows = await tx
        .update(erpPostings)
        .set({ status: "pending", attempts: 0, nextAttemptAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(inArray(erpPostings.id, reversals), eq(erpPostings.status, "rejected")))
        .returning({ id: erpPostings.id });
      result.requeued += rows.length;
      result.changedMeanwhile += reversals.length - rows.length;
    }

    const refused = preview.items.filter((i) => i.action === "revalidate_then_resend");
    if (refused.length) {
      const entryIds = [...new Set(refused.map((i) => i.timeEntryId!))];
      const v = await validateEntries({ ctx: { ...ctx, db: tx }, input: { entryIds, retryRejected: true } });
      result.revalidated += v.validated;
      result.requeued += v.postingsCreated;
      result.stillBlocked += v.failed;
      result.changedMeanwhile += Math.max(0, entryIds.length - v.validated);
    }

    await writeAudit(
      { ...ctx, db: tx },
      {
        action: "postings.replay",
        entityType: "erp_postings",
        entityId: null,
        after: {
          selection: parsed.postingIds ? { postingIds: parsed.postingIds.length } : parsed.entryIds ? { entryIds: parsed.entryIds.length } : { deadSince: parsed.deadSince, includeRejected: parsed.includeRejected },
          requeued: result.requeued,
          revalidated: result.revalidated,
          stillBlocked: result.stillBlocked,
          skipped: result.skipped.length,
          changedMeanwhile: result.changedMeanwhile,
          postingIds: preview.items.filter((i) => i.action !== "skip").map((i) => i.id).slice(0, 200),
        },
      },
    );
    if (result.requeued > 0) await enqueueJob(tx, "send-postings", { trigger: "replay" }, { jobKey: "send-postings" });
  });
  return result;
}
