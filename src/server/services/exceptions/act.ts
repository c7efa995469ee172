import { and, desc, eq, gte, isNotNull, sql } from "drizzle-orm";
import { z } from "zod";
import { withTx } from "../../db/client";
import { exceptionEntries, exceptionEvents, exceptions, legalEntities, users } from "../../db/schema";
import { isUnrestricted, type Scope } from "../../auth/scope";
import { canActFor } from "../../auth/teams";
import { isRole, type Role } from "../../auth/roles";
import type { OwnerTeam } from "../../domain/enums";
import { writeAudit } from "../audit/write";
import { logOf, type ServiceCtx } from "../context";
import type { Db } from "../../db/client";
import { syncRuns } from "../../db/schema";
import { parseKey } from "../../crypto/secrets";
import { connectorSecretsKeyFrom } from "@/env";
import { activeConnectors, erpConnectorFor } from "../connectors/build";
import { MasterDataPullError, pullMasterData } from "../sync/pull-master-data";
import { conflict, forbidden, invalid, notFound } from "../errors";
import { enqueueJob } from "../jobs/enqueue";
import { replayPostings } from "../posting/replay";
import { keepErpVersions } from "../posting/retire";
import { validateEntries } from "../validation/validate-entries";
import type { Viewer } from "./list";

const TEAM_LABELS: Record<OwnerTeam, string> = { pmo: "PMO", finance: "Finance", hr: "HR", integration: "Integration" };

const reason = (what: string) =>
  z
    .string({ error: `a reason is required to ${what}` })
    .trim()
    .min(3, { error: `a reason is required to ${what} (at least 3 characters)` })
    .max(2000, { error: "the reason can be at most 2000 characters" });

/** What a person can do to an exception. Resolve and ignore need a reason; ignore may expire. */
export const exceptionAction = z.discriminatedUnion(
  "action",
  [
    z.object({ action: z.literal("assign"), assigneeId: z.uuid({ error: "assigneeId must be a user id" }) }),
    z.object({ action: z.literal("unassign") }),
    z.object({
      action: z.literal("comment"),
      text: z.string().trim().min(1, { error: "a comment cannot be empty" }).max(4000, { error: "a comment can be at most 4000 characters" }),
    }),
    z.object({ action: z.literal("retry") }),
    z.object({ action: z.literal("resolve"), reason: reason("resolve") }),
    z.object({
      action: z.literal("ignore"),
      reason: reason("ignore"),
      until: z.iso.date({ error: "until must be a date like 2026-12-31" }).optional(),
    }),
    z.object({ action: z.literal("reopen"), reason: z.string().trim().max(2000).optional() }),
  ],
  { error: "action must be one of assign, unassign, comment, retry, resolve, ignore, reopen" },
);
export type ExceptionAction = z.infer<typeof exceptionAction>;

export const actInput = z.object({
  id: z.uuid({ error: "id must be an exception id" }),
  /** the version the person saw: if it changed since, nothing is done and they see what changed */
  expectedVersion: z.number().int().min(1),
  act: exceptionAction,
});
export type ActInput = z.input<typeof actInput>;

export type ActResult = {
  id: string;
  version: number;
  status: "open" | "resolved" | "ignored";
  message: string;
};

type Locked = {
  id: string;
  version: number;
  code: string;
  owner: OwnerTeam;
  status: "open" | "resolved" | "ignored";
  subjectLabel: string;
  assigneeId: string | null;
  entityCode: string | null;
  region: string | null;
  details: Record<string, unknown> | null;
};

const actorLabelOf = (ctx: ServiceCtx) => (ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`);

/** What changed since the person loaded the row, in one sentence, for the conflict message. */
async function whatChanged(ctx: ServiceCtx, row: Locked, expected: number) {
  const [last] = await ctx.db
    .select({ at: exceptionEvents.at, actor: exceptionEvents.actorLabel, kind: exceptionEvents.kind, message: exceptionEvents.message })
    .from(exceptionEvents)
    .where(eq(exceptionEvents.exceptionId, row.id))
    .orderBy(desc(exceptionEvents.at), desc(exceptionEvents.id))
    .limit(1);
  const by = last ? ` — last: ${last.kind.replace(/_/g, " ")} by ${last.actor} at ${last.at.toISOString().slice(11, 16)} UTC` : "";
  return conflict(`This exception changed since you opened it (now ${row.status}${row.assigneeId ? ", assigned" : ""}${by}). Review it and try again.`, {
    id: row.id,
    expectedVersion: expected,
    currentVersion: row.version,
    status: row.status,
    assigneeId: row.assigneeId,
    lastEvent: last ? { ...last, at: last.at.toISOString() } : null,
  });
}

/** Locks the exception if the viewer may see it; the same "not found" whether missing or out of scope. */
async function lockVisible(ctx: ServiceCtx, viewer: Viewer, id: string): Promise<Locked> {
  const [row] = await ctx.db
    .select({
      id: exceptions.id,
      version: exceptions.version,
      code: exceptions.code,
      owner: exceptions.owner,
      status: exceptions.status,
      subjectLabel: exceptions.subjectLabel,
      assigneeId: exceptions.assigneeId,
      entityCode: legalEntities.code,
      region: exceptions.region,
      details: exceptions.details,
    })
    .from(exceptions)
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .where(eq(exceptions.id, id))
    .for("update", { of: exceptions });
  if (!row || !inScope(viewer.scope, row)) throw notFound("No such exception among those you can see.");
  return row as Locked;
}

export function inScope(scope: Scope, row: { entityCode: string | null; region: string | null }): boolean {
  if (isUnrestricted(scope)) return true;
  if (scope.entities.length && (!row.entityCode || !scope.entities.includes(row.entityCode))) return false;
  if (scope.regions.length && (!row.region || !scope.regions.includes(row.region))) return false;
  return true;
}

function checkTeam(viewer: Viewer, row: Locked) {
  if (!canActFor(viewer.roles, row.owner)) {
    throw forbidden(`${TEAM_LABELS[row.owner]} exceptions are acted on by the ${TEAM_LABELS[row.owner]} team; you can see this one but not change it.`);
  }
}

const ALLOWED_FROM: Record<ExceptionAction["action"], readonly Locked["status"][]> = {
  assign: ["open", "ignored"],
  unassign: ["open", "ignored", "resolved"],
  comment: ["open", "ignored", "resolved"],
  retry: ["open", "ignored"],
  resolve: ["open", "ignored"],
  ignore: ["open"],
  reopen: ["resolved", "ignored"],
};

/**
 * One action on one exception, as one transaction: lock it, check scope, team, version and
 * state, change it, record an event and the audit entry. A retry then re-validates (or
 * replays) the entries it blocks, after the lock is released, and reports what happened.
 */
export async function actOnException({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: ActInput }): Promise<ActResult> {
  const { id, expectedVersion, act } = actInput.parse(input);
  const actorLabel = actorLabelOf(ctx);

  const applied = await withTx(ctx.db, async (tx) => {
    const c: ServiceCtx = { ...ctx, db: tx };
    const row = await lockVisible(c, viewer, id);
    checkTeam(viewer, row);
    if (row.version !== expectedVersion) throw await whatChanged(c, row, expectedVersion);
    if (!ALLOWED_FROM[act.action].includes(row.status)) {
      throw invalid(`This exception is ${row.status}: it cannot be ${pastTense(act.action)}.`, { status: row.status, action: act.action });
    }

    const set: Partial<typeof exceptions.$inferInsert> = {};
    let kind: string = act.action;
    let message: string;
    let data: Record<string, unknown> = {};
    switch (act.action) {
      case "assign": {
        const assignee = await assignable(c, act.assigneeId, row);
        set.assigneeId = assignee.id;
        message = `Assigned to ${assignee.name}.`;
        data = { assigneeId: assignee.id, assignee: assignee.email, previous: row.assigneeId };
        break;
      }
      case "unassign":
        if (!row.assigneeId) throw invalid("This exception is not assigned to anyone.");
        set.assigneeId = null;
        message = "Unassigned.";
        data = { previous: row.assigneeId };
        break;
      case "comment":
        message = act.text;
        break;
      case "retry":
        kind = "retry_requested";
        message = "Retry requested: re-checking the entries it blocks.";
        break;
      case "resolve":
        Object.assign(set, { status: "resolved", resolution: "manual", resolutionNote: act.reason, resolvedAt: sql`now()`, resolvedBy: actorLabel, ignoredUntil: null });
        kind = "resolved";
        message = `Resolved: ${act.reason}`;
        data = { reason: act.reason };
        break;
      case "ignore": {
        if (act.until && act.until <= new Date().toISOString().slice(0, 10)) throw invalid("until must be a date after today.");
        Object.assign(set, {
          status: "ignored",
          resolution: "ignored",
          resolutionNote: act.reason,
          resolvedAt: sql`now()`,
          resolvedBy: actorLabel,
          ignoredUntil: act.until ? new Date(`${act.until}T00:00:00Z`) : null,
        });
        kind = "ignored";
        message = `Ignored${act.until ? ` until ${act.until}` : ""}: ${act.reason}`;
        data = { reason: act.reason, until: act.until ?? null };
        break;
      }
      case "reopen":
        Object.assign(set, { status: "open", resolution: null, resolutionNote: null, resolvedAt: null, resolvedBy: null, ignoredUntil: null });
        kind = "reopened";
        message = act.reason ? `Reopened: ${act.reason}` : "Reopened.";
        data = { reason: act.reason ?? null };
        break;
    }

    const [after] = await tx
      .update(exceptions)
      .set({ ...set, version: sql`${exceptions.version} + 1`, updatedAt: sql`now()` })
      .where(and(eq(exceptions.id, id), eq(exceptions.version, expectedVersion)))
      .returning({ id: exceptions.id, version: exceptions.version, status: exceptions.status, assigneeId: exceptions.assigneeId });
    if (act.action === "resolve" && (row.details as { kind?: unknown } | null)?.kind === "reversal_refused") {
      // the ERP keeps the version it holds: the refused reversal and what waits behind it are withdrawn
      const linked = await tx.select({ id: exceptionEntries.timeEntryId }).from(exceptionEntries).where(and(eq(exceptionEntries.exceptionId, id), isNotNull(exceptionEntries.timeEntryId)));
      const kept = await keepErpVersions(tx, linked.map((l) => l.id!), actorLabel, ctx.correlationId, act.reason);
      if (kept) message = `${message} The ERP keeps the version it holds (${kept} ${kept === 1 ? "entry" : "entries"}); the newer version is not posted.`;
      data = { ...data, keptErpVersion: kept };
    }
    await tx.insert(exceptionEvents).values({ exceptionId: id, actorLabel, kind, message, data });
    await writeAudit(c, {
      action: `exception.${act.action}`,
      entityType: "exception",
      entityId: id,
      before: { status: row.status, assigneeId: row.assigneeId, version: row.version },
      after: { status: after!.status, assigneeId: after!.assigneeId, version: after!.version, ...data, ...(act.action === "comment" && { comment: act.text }) },
    });
    return { row, after: after!, message };
  });

  if (act.action !== "retry") {
    return { id, version: applied.after.version, status: applied.after.status, message: applied.message };
  }
  return retry(ctx, viewer, applied.row);
}

/** Codes whose cause is fixed in the ERP's master data (a period reopened, a project reactivated, a cost rate added). */
const ERP_OWNED = new Set(["PERIOD_CLOSED", "PROJECT_NOT_ACTIVE", "COST_RATE_MISSING"]);

/**
 * Before re-validating a problem that is fixed in the ERP, read the ERP's master data now
 * rather than waiting for the scheduled pull — once per request: a bulk retry of many
 * exceptions (one correlation id) reads it once. Returns a sentence for the result, or "".
 */
async function refreshFromErp(ctx: ServiceCtx): Promise<string> {
  const [recent] = await ctx.db
    .select({ status: syncRuns.status })
    .from(syncRuns)
    .where(and(eq(syncRuns.kind, "master_data"), eq(syncRuns.correlationId, ctx.correlationId), gte(syncRuns.startedAt, sql`now() - interval '1 hour'`)))
    .orderBy(desc(syncRuns.startedAt))
    .limit(1);
  if (recent) return recent.status === "succeeded" ? "" : "The ERP's master data could not be read earlier in this request: re-validated with what Hourbridge has. ";
  const [erp] = await activeConnectors(ctx.db, "erp");
  if (!erp) return "No ERP connector is active: re-validated with the master data Hourbridge has. ";
  const connector = erpConnectorFor(erp, parseKey(connectorSecretsKeyFrom()));
  // the ERP may be busy with the worker's postings (429): a person waiting on the button gets a few quick tries
  for (let attempt = 1; ; attempt++) {
    try {
      await pullMasterData({ ctx: ctx as ServiceCtx & { db: Db }, connector, connectorId: erp.id, trigger: "manual" });
      return "Master data refreshed from the ERP. ";
    } catch (err) {
      if (err instanceof MasterDataPullError && err.transient && attempt < REFRESH_ATTEMPTS) {
        await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
        continue;
      }
      logOf(ctx).warn("master data refresh before a retry failed", { err, attempt });
      return `Could not read the ERP's master data (${err instanceof Error ? err.message : "unknown error"}): re-validated with what Hourbridge has. `;
    }
  }
}

/** Tries at reading the ERP's master data for a retry: 1 s, 2 s, 4 s apart. */
const REFRESH_ATTEMPTS = 4;

const pastTense = (a: ExceptionAction["action"]) =>
  ({ assign: "assigned", unassign: "unassigned", comment: "commented", retry: "retried", resolve: "resolved", ignore: "ignored", reopen: "reopened" })[a];

/** The assignee must be an active user whose roles act for the exception's team and whose scope covers it. */
async function assignable(ctx: ServiceCtx, userId: string, row: Locked) {
  const [u] = await ctx.db
    .select({ id: users.id, name: users.name, email: users.email, roles: users.roles, disabledAt: users.disabledAt, entities: users.scopeEntities, regions: users.scopeRegions })
    .from(users)
    .where(eq(users.id, userId));
  if (!u || u.disabledAt) throw invalid("That person is not an active user.");
  const roles = u.roles.filter(isRole) as Role[];
  if (!canActFor(roles, row.owner)) throw invalid(`${u.name} cannot act on ${TEAM_LABELS[row.owner]} exceptions: pick someone from that team.`);
  if (!inScope({ entities: u.entities, regions: u.regions }, row)) throw invalid(`${u.name} cannot see this exception's legal entity or region.`);
  return u;
}

/**
 * Retry: decide again about the entries the exception blocks. Validation problems are
 * re-validated (a pass queues the posting and wakes the sender); refused or dead postings are
 * replayed under their idempotency key. Problems a retry cannot fix say so.
 */
async function retry(ctx: ServiceCtx, viewer: Viewer, row: Locked): Promise<ActResult> {
  const linked = await ctx.db
    .select({ id: exceptionEntries.timeEntryId })
    .from(exceptionEntries)
    .where(and(eq(exceptionEntries.exceptionId, row.id), isNotNull(exceptionEntries.timeEntryId)));
  const entryIds = linked.map((l) => l.id!);
  let message: string;
  if (row.code === "PAYLOAD_INVALID") {
    message = "A refused payload cannot be retried here: the source must send a corrected record (or import a corrected CSV); it is then picked up.";
  } else if ((row.details as { kind?: unknown } | null)?.kind === "reversal_refused" && entryIds.length > 0) {
    // after a credit note (or a reopened period) in the ERP: the refused reversal is sent again
    const r = await replayPostings({ ctx, input: { entryIds }, scope: viewer.scope });
    message = r.requeued
      ? `The refused reversal is sent again (${r.requeued} ${r.requeued === 1 ? "posting" : "postings"}); once the ERP takes it back, the new version posts and this exception resolves itself.`
      : "Nothing to send again: the reversal is not refused any more.";
  } else if (row.code === "CHANGED_AFTER_INVOICE") {
    message = "An entry changed after it was invoiced cannot be re-posted automatically: credit or adjust the invoice in the ERP, then resolve this exception.";
  } else if (entryIds.length === 0) {
    message = "No entries are blocked by it any more: nothing to retry.";
  } else if (row.code === "ERP_REJECTED" || row.code === "POSTING_DEAD") {
    const r = await replayPostings({ ctx, input: { entryIds }, scope: viewer.scope });
    message = `Replayed: ${r.requeued} ${r.requeued === 1 ? "posting" : "postings"} queued for the ERP${r.stillBlocked ? `, ${r.stillBlocked} still blocked by validation` : ""}.`;
  } else {
    const refreshed = ERP_OWNED.has(row.code) ? await refreshFromErp(ctx) : "";
    const v = await validateEntries({ ctx, input: { entryIds, retryRejected: true } });
    if (v.postingsCreated > 0) await enqueueJob(ctx.db, "send-postings", { trigger: "manual" });
    const n = v.validated;
    message =
      n === 0
        ? "None of its entries is waiting for validation (they were posted, voided or are being validated right now)."
        : `${refreshed}Re-validated ${n} ${n === 1 ? "entry" : "entries"}: ${v.passed} passed${v.postingsCreated ? ` and ${v.postingsCreated === 1 ? "is" : "are"} queued for posting` : ""}, ${v.failed} still blocked.`;
  }
  const [now] = await ctx.db.select({ version: exceptions.version, status: exceptions.status }).from(exceptions).where(eq(exceptions.id, row.id));
  const resolved = now!.status === "resolved";
  return { id: row.id, version: now!.version, status: now!.status, message: resolved ? `${message} The exception is resolved.` : message };
}
