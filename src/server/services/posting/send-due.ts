import { and, asc, eq, inArray, lte, sql } from "drizzle-orm";
import type { ErpConnector, PostingOutcome, PostingRequest } from "@/sync/connectors/types";
import { withTx, type Db } from "../../db/client";
import { erpPostingAttempts, erpPostings, timeEntries } from "../../db/schema";
import { transition } from "../../domain/entry-state";
import { SUBJECTS } from "@/sync/rules/types";
import { systemName } from "@/sync/rules/rules";
import type { ServiceCtx } from "../context";
import { raiseException, resolveExceptions } from "../exceptions/raise";
import { nextDelayMs, type BackoffPolicy } from "./backoff";
import { breakerGate, breakerRecord, type BreakerPolicy } from "./breaker";

export type PostingPolicy = BackoffPolicy & {
  /** attempts before a posting is dead-lettered */
  maxAttempts: number;
  /** how many postings one call claims */
  batchSize: number;
  /** how long a claim holds before another worker may take the posting over (a crashed sender) */
  leaseMs: number;
  /** requests in flight at once (the ERP connector's concurrency) */
  concurrency: number;
};

export const DEFAULT_POSTING_POLICY: PostingPolicy = {
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 10 * 60_000,
  batchSize: 100,
  leaseMs: 2 * 60_000,
  concurrency: 5,
};

export type SendSummary = {
  claimed: number;
  accepted: number;
  rejected: number;
  retrying: number;
  dead: number;
  foundAlready: number;
  /** the last transient failure's reason, if any */
  lastError?: string | null;
  /** the ERP connector's circuit when sending started */
  circuit: "closed" | "open" | "half_open";
};

type Claimed = typeof erpPostings.$inferSelect;

/**
 * Sends the postings that are due, at most `concurrency` at once, and records each outcome.
 * A claim marks the posting `sent` with a lease before anything leaves: if this worker dies,
 * the posting comes due again and the next sender first asks the ERP whether it already holds
 * it (by idempotency key) — an unknown outcome is never simply re-sent. Accepted postings move
 * their entry to posted; business refusals become ERP_REJECTED exceptions and are not retried;
 * transient failures back off (honouring Retry-After) until the attempts run out, then the
 * posting is dead-lettered with a POSTING_DEAD exception.
 */
export async function sendDuePostings({
  ctx,
  connector,
  policy = DEFAULT_POSTING_POLICY,
  random = Math.random,
  breaker,
}: {
  ctx: ServiceCtx & { db: Db };
  connector: ErpConnector;
  policy?: PostingPolicy;
  random?: () => number;
  /** the connector's shared circuit breaker: an ERP that keeps failing is left alone, then probed */
  breaker?: { connectorId: string; policy: BreakerPolicy };
}): Promise<SendSummary> {
  const summary: SendSummary = { claimed: 0, accepted: 0, rejected: 0, retrying: 0, dead: 0, foundAlready: 0, circuit: "closed" };
  let batchSize = policy.batchSize;
  if (breaker) {
    const gate = await breakerGate(ctx.db, breaker.connectorId, breaker.policy);
    summary.circuit = gate.state;
    if (gate.allow === "none") return summary;
    if (gate.allow === "probe") batchSize = 1;
  }
  const claimed = await claim(ctx.db, { ...policy, batchSize });
  summary.claimed = claimed.length;

  let next = 0;
  const workers = Array.from({ length: Math.min(policy.concurrency, claimed.length) }, async () => {
    while (next < claimed.length) {
      const posting = claimed[next++]!;
      const startedAt = new Date();
      const outcome = await send(connector, posting);
      const attempt = { startedAt, durationMs: Date.now() - startedAt.getTime(), connectorId: breaker?.connectorId ?? null };
      const result = await record(ctx, posting, outcome, policy, random, attempt);
      if (breaker) {
        // an ERP that answers (even with a refusal or a rate limit) is up; silence and 5xx are not
        const down = outcome.kind === "transient" && (outcome.status === null || outcome.status >= 500);
        await breakerRecord(ctx.db, breaker.connectorId, down ? { ok: false, error: outcome.reason } : { ok: true }, breaker.policy);
      }
      summary[result] += 1;
      if (outcome.kind === "transient") summary.lastError = outcome.reason;
      if (outcome.kind === "accepted" && (outcome as { found?: boolean }).found) summary.foundAlready += 1;
    }
  });
  await Promise.all(workers);
  return summary;
}

/** Due postings, claimed with SKIP LOCKED so several workers share the queue without overlap. */
async function claim(db: Db, policy: PostingPolicy): Promise<(Claimed & { previousStatus: string })[]> {
  return withTx(db, async (tx) => {
    const due = await tx
      .select()
      .from(erpPostings)
      .where(and(inArray(erpPostings.status, ["pending", "sent"]), lte(erpPostings.nextAttemptAt, sql`now()`)))
      .orderBy(asc(erpPostings.nextAttemptAt))
      .limit(policy.batchSize)
      .for("update", { skipLocked: true });
    if (due.length === 0) return [];
    await tx
      .update(erpPostings)
      .set({
        status: "sent",
        attempts: sql`${erpPostings.attempts} + 1`,
        sentAt: sql`now()`,
        nextAttemptAt: sql`now() + make_interval(secs => ${policy.leaseMs / 1000})`,
        updatedAt: sql`now()`,
      })
      .where(inArray(erpPostings.id, due.map((p) => p.id)));
    return due.map((p) => ({ ...p, previousStatus: p.status, status: "sent" as const, attempts: p.attempts + 1 }));
  });
}

async function send(connector: ErpConnector, posting: Claimed & { previousStatus: string }): Promise<PostingOutcome & { found?: boolean }> {
  const request = { ...(posting.request as Omit<PostingRequest, "idempotencyKey" | "kind">), idempotencyKey: posting.idempotencyKey, kind: posting.kind };
  try {
    if (posting.previousStatus === "sent") {
      // the last attempt's outcome is unknown: the ERP may already hold it
      const existing = await connector.findByIdempotencyKey(posting.idempotencyKey);
      if (existing) return { kind: "accepted", erpId: existing.erpId, response: { foundByIdempotencyKey: true }, found: true };
    }
    return await connector.post(request as PostingRequest);
  } catch (err) {
    // a connector that throws instead of answering is a transient failure, never a success
    return { kind: "transient", reason: (err as Error).message, retryAfterMs: null, status: null };
  }
}

async function record(
  ctx: ServiceCtx & { db: Db },
  posting: Claimed,
  outcome: PostingOutcome,
  policy: PostingPolicy,
  random: () => number,
  attempt: { startedAt: Date; durationMs: number; connectorId: string | null },
): Promise<"accepted" | "rejected" | "retrying" | "dead"> {
  const actorLabel = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  return withTx(ctx.db, async (tx) => {
    await tx.insert(erpPostingAttempts).values({
      postingId: posting.id,
      connectorId: attempt.connectorId,
      attempt: posting.attempts,
      startedAt: attempt.startedAt,
      durationMs: attempt.durationMs,
      outcome: outcome.kind === "accepted" && (outcome as { found?: boolean }).found ? "found" : outcome.kind,
      httpStatus: outcome.kind === "transient" ? outcome.status : httpStatusOf(outcome.response),
      errorClass: errorClass(outcome),
      error: outcome.kind === "rejected" ? `${outcome.code}: ${outcome.message}` : outcome.kind === "transient" ? outcome.reason : null,
      response: ("response" in outcome ? (outcome.response ?? null) : null) as object | null,
      correlationId: ctx.correlationId,
    });
    const [entry] = posting.timeEntryId
      ? await tx.select().from(timeEntries).where(eq(timeEntries.id, posting.timeEntryId)).for("update")
      : [];
    const label = entry ? `${systemName(entry.sourceSystem)} entry ${entry.sourceId}` : `posting ${posting.idempotencyKey}`;

    if (outcome.kind === "accepted") {
      await tx
        .update(erpPostings)
        .set({ status: "accepted", erpId: outcome.erpId, response: outcome.response as object, acceptedAt: sql`now()`, lastError: null, updatedAt: sql`now()` })
        .where(eq(erpPostings.id, posting.id));
      if (entry && posting.kind === "create" && entry.version === posting.entryVersion && entry.state === "approved") {
        await tx
          .update(timeEntries)
          .set({ state: transition(entry.state, "post"), erpId: outcome.erpId, postedVersion: posting.entryVersion, postedAt: sql`now()`, updatedAt: sql`now()` })
          .where(eq(timeEntries.id, entry.id));
      }
      if (entry) {
        await resolveExceptions(tx, actorLabel, {
          codes: ["ERP_REJECTED", "POSTING_DEAD"],
          subjectKey: SUBJECTS.entry(entry.sourceSystem, entry.sourceId),
          message: `Resolved automatically: the ERP accepted ${label} (${posting.kind === "reverse" ? "reversal" : "time record"} ${outcome.erpId}).`,
          data: { postingId: posting.id, erpId: outcome.erpId },
        });
      }
      return "accepted";
    }

    if (outcome.kind === "rejected") {
      await tx
        .update(erpPostings)
        .set({ status: "rejected", response: outcome.response as object, lastError: `${outcome.code}: ${outcome.message}`, updatedAt: sql`now()` })
        .where(eq(erpPostings.id, posting.id));
      if (entry) {
        await raiseException(tx, actorLabel, {
          code: "ERP_REJECTED",
          ...aboutEntry(entry, label),
          message: `The ERP refused ${label}: ${outcome.message} (${outcome.code}).`,
          suggestedFix: "Correct what the ERP names (in the ERP or the source), then retry the entry from the exception queue.",
          details: { code: outcome.code, postingId: posting.id, idempotencyKey: posting.idempotencyKey },
        });
      }
      return "rejected";
    }

    if (posting.attempts >= policy.maxAttempts) {
      await tx
        .update(erpPostings)
        .set({ status: "dead", lastError: outcome.reason, updatedAt: sql`now()` })
        .where(eq(erpPostings.id, posting.id));
      if (entry) {
        await raiseException(tx, actorLabel, {
          code: "POSTING_DEAD",
          ...aboutEntry(entry, label),
          message: `${label} could not be posted after ${posting.attempts} attempts: ${outcome.reason}.`,
          suggestedFix: "Check the ERP connection on the Sync page, then replay the dead-lettered posting.",
          details: { postingId: posting.id, attempts: posting.attempts, lastError: outcome.reason },
        });
      }
      return "dead";
    }

    // outcome unknown (the ERP may or may not hold it): stays `sent`, so the next try looks it up first
    const delay = nextDelayMs(posting.attempts, policy, outcome.retryAfterMs, random);
    await tx
      .update(erpPostings)
      .set({ status: "sent", lastError: outcome.reason, nextAttemptAt: sql`now() + make_interval(secs => ${delay / 1000})`, updatedAt: sql`now()` })
      .where(eq(erpPostings.id, posting.id));
    return "retrying";
  });
}

/** A short class of what went wrong, for charts and grouping: 5xx, 429, timeout, network, rejected:<code>. */
export function errorClass(outcome: PostingOutcome): string | null {
  if (outcome.kind === "accepted") return null;
  if (outcome.kind === "rejected") return `rejected:${outcome.code}`;
  if (outcome.status === 429) return "429";
  if (outcome.status !== null && outcome.status >= 500) return "5xx";
  if (outcome.status !== null) return `http_${outcome.status}`;
  return /time(d)? ?out|timeout/i.test(outcome.reason) ? "timeout" : "network";
}

function httpStatusOf(response: unknown): number | null {
  const s = (response as { status?: unknown } | null)?.status;
  return typeof s === "number" ? s : null;
}

/** What an exception about one entry says of it: subject, scope and what it blocks. */
function aboutEntry(entry: typeof timeEntries.$inferSelect, label: string) {
  return {
    subjectType: "entry",
    subjectKey: SUBJECTS.entry(entry.sourceSystem, entry.sourceId),
    subjectLabel: label,
    sourceSystem: entry.sourceSystem,
    legalEntityId: entry.legalEntityId,
    projectId: entry.projectId,
    employeeId: entry.employeeId,
    link: { timeEntryId: entry.id, workDate: entry.workDate, hours: entry.hours, value: entry.billAmount, currency: entry.currency },
  };
}
