import { eq, sql } from "drizzle-orm";
import type { ErpConnector } from "@/sync/connectors/types";
import type { Db } from "../../db/client";
import { syncRuns } from "../../db/schema";
import { logOf, type ServiceCtx } from "../context";
import { DEFAULT_BREAKER_POLICY, type BreakerPolicy } from "./breaker";
import { DEFAULT_POSTING_POLICY, sendDuePostings, type PostingPolicy, type SendSummary } from "./send-due";

export type OutboxRun = {
  /** null when a scheduled run found nothing due (no run is recorded for an idle minute) */
  runId: string | null;
  rounds: number;
  claimed: number;
  accepted: number;
  rejected: number;
  retrying: number;
  dead: number;
  foundAlready: number;
  superseded: number;
  stale: number;
  circuit: SendSummary["circuit"];
};

/**
 * Drains what is due to one ERP connector, in bounded rounds, behind its circuit breaker,
 * and records the work as a sync run (kind `posting`) with its counts: posted, rejected,
 * failed (dead-lettered), found already in the ERP (duplicates skipped), still retrying. A run
 * is `partial` when it dead-lettered postings (a person must act); postings still retrying are
 * the sender's ordinary work, counted in its details, and do not mark the run.
 */
export async function postOutbox({
  ctx,
  connector,
  connectorId,
  trigger = "schedule",
  policy = DEFAULT_POSTING_POLICY,
  breakerPolicy = DEFAULT_BREAKER_POLICY,
  maxRounds = 50,
}: {
  ctx: ServiceCtx & { db: Db };
  connector: ErpConnector;
  connectorId: string;
  trigger?: "schedule" | "manual" | "replay" | "webhook";
  policy?: PostingPolicy;
  breakerPolicy?: BreakerPolicy;
  maxRounds?: number;
}): Promise<OutboxRun> {
  const log = logOf(ctx).child({ connectorId, kind: "posting" });
  const total: OutboxRun = { runId: null, rounds: 0, claimed: 0, accepted: 0, rejected: 0, retrying: 0, dead: 0, foundAlready: 0, superseded: 0, stale: 0, circuit: "closed" };
  const started = Date.now();
  let failure: string | null = null;
  let lastError: string | null = null;

  const openRun = async () => {
    if (total.runId) return;
    const [run] = await ctx.db.insert(syncRuns).values({ connectorId, kind: "posting", trigger, correlationId: ctx.correlationId }).returning({ id: syncRuns.id });
    total.runId = run!.id;
  };

  try {
    for (let round = 0; round < maxRounds; round++) {
      const s = await sendDuePostings({ ctx, connector, policy, breaker: { connectorId, policy: breakerPolicy } });
      if (round === 0) total.circuit = s.circuit;
      total.rounds += 1;
      if (s.claimed === 0) {
        if (s.circuit !== "closed") log.warn(`the ERP circuit is ${s.circuit}: nothing sent`, { circuit: s.circuit });
        break;
      }
      await openRun();
      for (const k of ["claimed", "accepted", "rejected", "retrying", "dead", "foundAlready", "superseded", "stale"] as const) total[k] += s[k];
      lastError = s.lastError ?? lastError;
      log.info(`sent ${s.claimed}: ${s.accepted} accepted, ${s.rejected} rejected, ${s.retrying} to retry, ${s.dead} dead`, { runId: total.runId, round, ...s });
    }
  } catch (err) {
    failure = `Posting stopped: ${(err as Error).message}`;
    log.error("posting stopped", { err });
  }

  if (!total.runId && trigger !== "schedule") await openRun();
  if (!total.runId) return total;
  // nothing got through although postings were tried: the ERP is not taking them
  const blocked = total.claimed > 0 && total.accepted + total.rejected === 0 && total.dead === 0;
  const status = failure ? "failed" : (total.claimed === 0 && total.circuit !== "closed") || blocked ? "failed" : total.dead > 0 ? "partial" : "succeeded";
  const reason =
    failure ??
    (total.claimed === 0 && total.circuit !== "closed"
      ? "The ERP's circuit breaker is open after repeated failures: nothing was sent; it probes the ERP again after its cool-down."
      : blocked
        ? `The ERP took none of the ${total.claimed} posting${total.claimed === 1 ? "" : "s"} tried${lastError ? ` (${lastError})` : ""}; they are retried with backoff.`
        : total.dead > 0
          ? `${total.dead} posting${total.dead === 1 ? "" : "s"} exhausted their attempts and were dead-lettered (POSTING_DEAD); replay them once the ERP answers.`
          : null);
  await ctx.db
    .update(syncRuns)
    .set({
      status,
      finishedAt: sql`now()`,
      fetched: total.claimed,
      posted: total.accepted,
      rejected: total.rejected,
      failed: total.dead,
      duplicatesSkipped: total.foundAlready,
      details: { retrying: total.retrying, superseded: total.superseded, staleOutcomes: total.stale, rounds: total.rounds, circuit: total.circuit, durationMs: Date.now() - started },
      error: reason,
    })
    .where(eq(syncRuns.id, total.runId));
  return total;
}
