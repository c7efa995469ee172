import Big from "big.js";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { ErpConnector, PostingOutcome, PostingRequest } from "@/sync/connectors/types";
import { withTx, type Db, type Tx } from "../../db/client";
import { erpPostingAttempts, erpPostings, timeEntries } from "../../db/schema";
import { transition } from "../../domain/entry-state";
import { SUBJECTS } from "@/sync/rules/types";
import { systemName } from "@/sync/rules/rules";
import { logOf, type ServiceCtx } from "../context";
import { recordEntryEvents, type EntryEventInput } from "../entries/events";
import { queueReversal } from "./retire";
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
  /**
   * How long a request may still land after it was sent (the ERP connector's request timeout,
   * with a margin): a version the entry no longer wants is judged absent from the ERP only once
   * no earlier request for it can still arrive.
   */
  inFlightMs: number;
};

export const DEFAULT_POSTING_POLICY: PostingPolicy = {
  maxAttempts: 8,
  baseDelayMs: 2_000,
  maxDelayMs: 10 * 60_000,
  batchSize: 100,
  leaseMs: 2 * 60_000,
  concurrency: 5,
  inFlightMs: 60_000,
};

export type SendSummary = {
  claimed: number;
  accepted: number;
  rejected: number;
  retrying: number;
  dead: number;
  foundAlready: number;
  /** creates the entry no longer wanted, withdrawn unsent (or found absent after an unknown outcome) */
  superseded: number;
  /** outcomes not written because this sender's claim had passed to another */
  stale: number;
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
 * posting is dead-lettered with a POSTING_DEAD exception. What may be sent is decided per
 * entry (see `claim`): at most one version of an entry is ever live in the ERP.
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
  const summary: SendSummary = { claimed: 0, accepted: 0, rejected: 0, retrying: 0, dead: 0, foundAlready: 0, superseded: 0, stale: 0, circuit: "closed" };
  let batchSize = policy.batchSize;
  if (breaker) {
    const gate = await breakerGate(ctx.db, breaker.connectorId, breaker.policy);
    summary.circuit = gate.state;
    if (gate.allow === "none") return summary;
    if (gate.allow === "probe") batchSize = 1;
  }
  let claimed: ClaimedPosting[] = [];
  // a batch made only of postings the entries no longer want is withdrawn: look again
  for (let round = 0; round < 10 && claimed.length === 0; round++) {
    const before = summary.superseded;
    claimed = await claim(ctx.db, { ...policy, batchSize }, summary);
    if (summary.superseded === before) break;
  }
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

type ClaimRow = {
  id: string;
  status: string;
  kind: "create" | "reverse";
  entry_version: number;
  time_entry_id: string | null;
  entry_state: string | null;
  entry_version_now: number | null;
  create_erp_id: string | null;
  /** when the previous claim sent it, and whether that attempt's outcome was ever recorded */
  previous_sent_at: Date | string | null;
  previous_recorded: boolean;
};

export type ClaimedPosting = Claimed & {
  previousStatus: string;
  /** the claim this sender holds: every outcome write is conditional on it */
  claimToken: string;
  /** the entry no longer wants this version (changed, withdrawn, deleted): a create is only looked up, never sent */
  stale: boolean;
  /** until when a request of an earlier claim, whose outcome nobody recorded, may still reach the ERP */
  mayLandUntil: number | null;
};

/**
 * Due postings, claimed with SKIP LOCKED so several workers share the queue without overlap,
 * each claim with a fresh token. The entry-level gate decides what may go, so that at most one
 * version of an entry is ever live in the ERP:
 *
 * - nothing of an entry goes while another of its postings has an unknown outcome (`sent`,
 *   `dead`): the oldest unknown is settled first (a look-up by key);
 * - a create waits while a reversal of the entry is queued or refused, and while another
 *   version the ERP accepted has no confirmed reversal;
 * - a queued create the entry no longer wants (changed since, withdrawn, deleted) is
 *   superseded here instead of being sent; a reversal with nothing accepted to reverse too.
 */
async function claim(db: Db, policy: PostingPolicy, summary: SendSummary): Promise<ClaimedPosting[]> {
  return withTx(db, async (tx) => {
    const due = (await tx.execute(sql`
      select p.id, p.status, p.kind, p.entry_version, p.time_entry_id, te.state as entry_state, te.version as entry_version_now,
             coalesce((select c.erp_id from erp_postings c where c.time_entry_id = p.time_entry_id and c.kind = 'create'
                and c.entry_version = p.entry_version and c.status = 'accepted' limit 1), p.request->>'erpId') as create_erp_id,
             p.sent_at as previous_sent_at,
             exists (select 1 from erp_posting_attempts a where a.posting_id = p.id and a.attempt = p.attempts) as previous_recorded
      from erp_postings p left join time_entries te on te.id = p.time_entry_id
      where p.status in ('pending', 'sent') and p.next_attempt_at <= now()
        and (
          p.time_entry_id is null
          -- a queued create the entry no longer wants: superseded below, never sent
          or (p.kind = 'create' and p.status = 'pending' and (te.state is distinct from 'approved' or te.version <> p.entry_version))
          or (
            not exists (
              select 1 from erp_postings q
              where q.time_entry_id = p.time_entry_id and q.id <> p.id and q.status in ('sent', 'dead')
                and (p.status = 'pending' or (q.created_at, q.id) < (p.created_at, p.id)))
            and (p.kind = 'reverse' or not exists (
              select 1 from erp_postings q
              where q.time_entry_id = p.time_entry_id and q.id <> p.id
                and ((q.kind = 'reverse' and q.status in ('pending', 'rejected'))
                  or (q.kind = 'create' and q.status = 'accepted' and not exists (
                        select 1 from erp_postings r where r.time_entry_id = q.time_entry_id and r.kind = 'reverse'
                          and r.entry_version = q.entry_version and r.status = 'accepted')))))
          )
        )
      order by p.next_attempt_at
      limit ${policy.batchSize}
      for update of p skip locked`)) as unknown as ClaimRow[];
    if (due.length === 0) return [];

    const unwanted = due.filter(
      (d) =>
        d.time_entry_id !== null &&
        d.status === "pending" &&
        ((d.kind === "create" && (d.entry_state !== "approved" || d.entry_version_now !== d.entry_version)) || (d.kind === "reverse" && d.create_erp_id === null)),
    );
    if (unwanted.length) {
      await tx
        .update(erpPostings)
        .set({ status: "superseded", claimToken: null, updatedAt: sql`now()` })
        .where(inArray(erpPostings.id, unwanted.map((d) => d.id)));
      summary.superseded += unwanted.length;
    }
    const skip = new Set(unwanted.map((d) => d.id));
    const go = due.filter((d) => !skip.has(d.id));
    if (go.length === 0) return [];
    const rows = await tx
      .update(erpPostings)
      .set({
        status: "sent",
        attempts: sql`${erpPostings.attempts} + 1`,
        claimToken: sql`gen_random_uuid()`,
        sentAt: sql`now()`,
        nextAttemptAt: sql`now() + make_interval(secs => ${policy.leaseMs / 1000})`,
        updatedAt: sql`now()`,
      })
      .where(inArray(erpPostings.id, go.map((d) => d.id)))
      .returning();
    const byId = new Map(go.map((d) => [d.id, d]));
    return rows.map((p) => {
      const d = byId.get(p.id)!;
      const stale = p.kind === "create" && d.time_entry_id !== null && (d.entry_state !== "approved" || d.entry_version_now !== p.entryVersion);
      // a reversal takes back the record its version's create received, whatever was known when it was queued
      const request = p.kind === "reverse" && d.create_erp_id ? { ...(p.request as object), erpId: d.create_erp_id } : p.request;
      const mayLandUntil = d.status === "sent" && !d.previous_recorded && d.previous_sent_at ? new Date(d.previous_sent_at).getTime() + policy.inFlightMs : null;
      return { ...p, request, previousStatus: d.status, claimToken: p.claimToken!, stale, mayLandUntil };
    });
  });
}

type SendOutcome = PostingOutcome | { kind: "absent" };

async function send(connector: ErpConnector, posting: ClaimedPosting): Promise<SendOutcome & { found?: boolean }> {
  const request = { ...(posting.request as Omit<PostingRequest, "idempotencyKey" | "kind">), idempotencyKey: posting.idempotencyKey, kind: posting.kind };
  try {
    if (posting.kind === "create" && (posting.previousStatus === "sent" || posting.stale)) {
      // the last attempt's outcome is unknown: the ERP may already hold it
      const existing = await connector.findByIdempotencyKey(posting.idempotencyKey);
      if (existing) return { kind: "accepted", erpId: existing.erpId, response: { foundByIdempotencyKey: true }, found: true };
      // a version the entry no longer wants is never sent: known absent, it is done with — once
      // no request of an earlier claim (a sender that died or lost its lease) can still land
      if (posting.stale && posting.mayLandUntil !== null && Date.now() < posting.mayLandUntil) {
        return { kind: "transient", reason: "not in the ERP yet, but an earlier request for it may still arrive: looked up again later", retryAfterMs: posting.mayLandUntil - Date.now(), status: null };
      }
      if (posting.stale) return { kind: "absent" };
    }
    return await connector.post(request as PostingRequest);
  } catch (err) {
    // a connector that throws instead of answering is a transient failure, never a success
    const transient = (err as { outcome?: PostingOutcome }).outcome;
    if (transient?.kind === "transient") return transient;
    return { kind: "transient", reason: (err as Error).message, retryAfterMs: null, status: null };
  }
}

async function record(
  ctx: ServiceCtx & { db: Db },
  posting: ClaimedPosting,
  outcome: SendOutcome,
  policy: PostingPolicy,
  random: () => number,
  attempt: { startedAt: Date; durationMs: number; connectorId: string | null },
): Promise<"accepted" | "rejected" | "retrying" | "dead" | "superseded" | "stale"> {
  const actorLabel = ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`;
  return withTx(ctx.db, async (tx) => {
    // the entry first, then the posting: the order ingest locks them in
    const [entry] = posting.timeEntryId
      ? await tx.select().from(timeEntries).where(eq(timeEntries.id, posting.timeEntryId)).for("update")
      : [];
    // fenced: only the holder of the current claim writes an outcome; a sender whose lease
    // passed to another changes nothing (the new holder looks the posting up by key)
    const [held] = await tx
      .select({ id: erpPostings.id })
      .from(erpPostings)
      .where(and(eq(erpPostings.id, posting.id), eq(erpPostings.claimToken, posting.claimToken), eq(erpPostings.status, "sent")))
      .for("update");
    if (!held) {
      logOf(ctx).warn("outcome not written: the claim on this posting has passed to another sender", { postingId: posting.id, outcome: outcome.kind });
      return "stale";
    }
    const fenced = and(eq(erpPostings.id, posting.id), eq(erpPostings.claimToken, posting.claimToken));

    await tx.insert(erpPostingAttempts).values({
      postingId: posting.id,
      connectorId: attempt.connectorId,
      attempt: posting.attempts,
      startedAt: attempt.startedAt,
      durationMs: attempt.durationMs,
      outcome: outcome.kind === "accepted" && (outcome as { found?: boolean }).found ? "found" : outcome.kind,
      httpStatus: outcome.kind === "transient" ? outcome.status : outcome.kind === "absent" ? null : httpStatusOf(outcome.response),
      errorClass: outcome.kind === "absent" ? null : errorClass(outcome),
      error: outcome.kind === "rejected" ? `${outcome.code}: ${outcome.message}` : outcome.kind === "transient" ? outcome.reason : null,
      response: ("response" in outcome ? (outcome.response ?? null) : null) as object | null,
      correlationId: ctx.correlationId,
    });
    const label = entry ? `${systemName(entry.sourceSystem)} entry ${entry.sourceId}` : `posting ${posting.idempotencyKey}`;
    const event = (e: Omit<EntryEventInput, "timeEntryId">) => (entry ? recordEntryEvents(tx, actorLabel, ctx.correlationId, [{ ...e, timeEntryId: entry.id }]) : Promise.resolve());

    if (outcome.kind === "absent") {
      await tx.update(erpPostings).set({ status: "superseded", claimToken: null, lastError: null, updatedAt: sql`now()` }).where(fenced);
      await event({ kind: "superseded", version: posting.entryVersion, message: `Version ${posting.entryVersion}, whose outcome was unknown, is not in the ERP: it will not be sent (the entry changed since).` });
      return "superseded";
    }

    if (outcome.kind === "accepted") {
      await tx
        .update(erpPostings)
        .set({ status: "accepted", erpId: outcome.erpId, response: outcome.response as object, acceptedAt: sql`now()`, lastError: null, claimToken: null, updatedAt: sql`now()` })
        .where(fenced);
      if (entry && posting.kind === "create") {
        if (entry.version === posting.entryVersion && entry.state === "approved") {
          await tx
            .update(timeEntries)
            .set({ state: transition(entry.state, "post"), erpId: outcome.erpId, postedVersion: posting.entryVersion, postedAt: sql`now()`, updatedAt: sql`now()` })
            .where(eq(timeEntries.id, entry.id));
          await event({ kind: "posted", fromState: entry.state, toState: "posted", version: posting.entryVersion, message: `Accepted by the ERP as time record ${outcome.erpId}.`, data: { postingId: posting.id, erpId: outcome.erpId } });
        } else {
          // the ERP holds a version the entry no longer wants (it changed, or left approved, while
          // this one's outcome was unknown): it is reversed before anything else is sent
          await queueReversal(tx, entry, { entryVersion: posting.entryVersion, erpId: outcome.erpId, hours: posting.hours, amount: posting.amount, currency: posting.currency, legalEntityId: posting.legalEntityId }, ctx.correlationId);
          await event({
            kind: "found_superseded",
            version: posting.entryVersion,
            message: `Version ${posting.entryVersion} turned out to be in the ERP (time record ${outcome.erpId}) after the entry changed: its reversal is queued.`,
            data: { postingId: posting.id, erpId: outcome.erpId },
          });
        }
      }
      if (entry && posting.kind === "reverse") {
        const reversedId = (posting.request as { erpId?: string | null }).erpId ?? null;
        if (reversedId && entry.erpId === reversedId) {
          await tx.update(timeEntries).set({ erpId: null, postedVersion: null, postedAt: null, updatedAt: sql`now()` }).where(eq(timeEntries.id, entry.id));
        }
        await event({ kind: "reversed", version: posting.entryVersion, message: `Version ${posting.entryVersion} taken back out of the ERP${reversedId ? ` (time record ${reversedId})` : ""}.`, data: { postingId: posting.id, erpId: reversedId } });
      }
      if (entry) {
        // refusals and dead letters of this entry resolve themselves once nothing of it is refused or dead any more
        const [outstanding] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(erpPostings)
          .where(and(eq(erpPostings.timeEntryId, entry.id), inArray(erpPostings.status, ["rejected", "dead"])));
        if (outstanding!.n === 0) {
          await resolveExceptions(tx, actorLabel, {
            codes: posting.kind === "reverse" ? ["ERP_REJECTED", "POSTING_DEAD", "CHANGED_AFTER_INVOICE"] : ["ERP_REJECTED", "POSTING_DEAD"],
            subjectKey: SUBJECTS.entry(entry.sourceSystem, entry.sourceId),
            message: `Resolved automatically: the ERP accepted ${label} (${posting.kind === "reverse" ? "reversal" : "time record"} ${outcome.erpId}).`,
            data: { postingId: posting.id, erpId: outcome.erpId },
            ...(posting.kind === "reverse" && { onlyDetailsKind: { CHANGED_AFTER_INVOICE: "reversal_refused" } }),
          });
        }
      }
      return "accepted";
    }

    if (outcome.kind === "rejected") {
      await tx
        .update(erpPostings)
        .set({ status: "rejected", response: outcome.response as object, lastError: `${outcome.code}: ${outcome.message}`, claimToken: null, updatedAt: sql`now()` })
        .where(fenced);
      if (entry && posting.kind === "reverse") {
        await refusedReversal(tx, actorLabel, entry, posting, outcome, label);
        await event({ kind: "reversal_refused", version: posting.entryVersion, message: `The ERP refused to take back version ${posting.entryVersion}: ${outcome.message} (${outcome.code}). Nothing newer is sent until a person decides.`, data: { postingId: posting.id, code: outcome.code } });
      } else if (entry) {
        await raiseException(tx, actorLabel, {
          code: "ERP_REJECTED",
          ...aboutEntry(entry, label),
          message: `The ERP refused ${label}: ${outcome.message} (${outcome.code}).`,
          suggestedFix: "Correct what the ERP names (in the ERP or the source), then retry the entry from the exception queue.",
          details: { code: outcome.code, postingId: posting.id, idempotencyKey: posting.idempotencyKey },
        });
        await event({ kind: "refused", version: posting.entryVersion, message: `The ERP refused version ${posting.entryVersion}: ${outcome.message} (${outcome.code}).`, data: { postingId: posting.id, code: outcome.code } });
      }
      return "rejected";
    }

    if (posting.attempts >= policy.maxAttempts) {
      await tx.update(erpPostings).set({ status: "dead", lastError: outcome.reason, claimToken: null, updatedAt: sql`now()` }).where(fenced);
      if (entry) {
        await raiseException(tx, actorLabel, {
          code: "POSTING_DEAD",
          ...aboutEntry(entry, label),
          message: `${label} could not be ${posting.kind === "reverse" ? "reversed" : "posted"} after ${posting.attempts} attempts: ${outcome.reason}.`,
          suggestedFix: "Check the ERP connection on the Sync page, then replay the dead-lettered posting.",
          details: { postingId: posting.id, kind: posting.kind, attempts: posting.attempts, lastError: outcome.reason },
        });
      }
      return "dead";
    }

    // outcome unknown (the ERP may or may not hold it): stays `sent`, so the next try looks it up first
    const delay = nextDelayMs(posting.attempts, policy, outcome.retryAfterMs, random);
    await tx
      .update(erpPostings)
      .set({ status: "sent", lastError: outcome.reason, nextAttemptAt: sql`now() + make_interval(secs => ${delay / 1000})`, updatedAt: sql`now()` })
      .where(fenced);
    return "retrying";
  });
}

/** The ERP's refusals that mean "this record is on an invoice". */
const INVOICED = /CANNOT_BE_DELETED|INVOICED|BILLED/i;

/**
 * A reversal the ERP refused stops the correction: nothing newer is sent for the entry (the
 * sender's gate holds it) and a finance exception says what the ERP holds and what the source
 * says now. It stays open until a person decides: a credit note in the ERP then "Retry now"
 * (the reversal is sent again), or resolving it, which keeps the ERP's version (see
 * settleRefusedCorrections).
 */
async function refusedReversal(
  tx: Tx,
  actorLabel: string,
  entry: typeof timeEntries.$inferSelect,
  posting: ClaimedPosting,
  outcome: Extract<PostingOutcome, { kind: "rejected" }>,
  label: string,
) {
  const erpId = (posting.request as { erpId?: string | null }).erpId ?? null;
  const [held] = erpId
    ? ((await tx.execute(sql`
        select coalesce(i.number, etr.invoice_erp_id) as invoice from erp_time_records etr left join invoices i on i.erp_id = etr.invoice_erp_id
        where etr.erp_id = ${erpId} and etr.invoice_erp_id is not null limit 1`)) as unknown as { invoice: string | null }[])
    : [];
  const invoiced = INVOICED.test(outcome.code);
  const invoice = held?.invoice ?? (invoiced ? (/invoice\s+([\w-]+)/i.exec(outcome.message)?.[1] ?? null) : null);
  const now = entry.state === "approved" ? `${entry.hours} h on ${entry.workDate} (version ${entry.version})` : entry.state === "void" ? "deleted" : `no longer approved (${entry.state})`;
  const before = `${posting.hours ?? "?"} h`;
  const diff = entry.state === "approved" && posting.hours !== null ? new Big(entry.hours).minus(posting.hours).toFixed(2) : null;
  await raiseException(tx, actorLabel, {
    code: invoiced ? "CHANGED_AFTER_INVOICE" : "ERP_REJECTED",
    ...aboutEntry(entry, label),
    message: invoiced
      ? `${label} changed after the ERP invoiced it${invoice ? ` on invoice ${invoice}` : ""}: the ERP keeps version ${posting.entryVersion} (${before}${erpId ? `, time record ${erpId}` : ""}) and refused to take it back; the source now says ${now}${diff !== null ? ` (a difference of ${diff} h)` : ""}. Nothing newer is posted until this is decided.`
      : `The ERP refused to take back version ${posting.entryVersion} of ${label} (${before}): ${outcome.message} (${outcome.code}); the source now says ${now}. Nothing newer is posted until this is decided.`,
    suggestedFix: invoiced
      ? `Issue a credit note${invoice ? ` against invoice ${invoice}` : ""} in the ERP, then Retry now to reverse and post the new version; or resolve this exception to keep the invoiced version as it stands.`
      : "Fix what the ERP names (e.g. reopen the period), then Retry now; or resolve this exception to keep the ERP's version as it stands.",
    details: { kind: "reversal_refused", code: outcome.code, postingId: posting.id, erpId, invoice, reversedVersion: posting.entryVersion, hoursInErp: posting.hours, hoursNow: entry.state === "approved" ? entry.hours : null, difference: diff },
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
