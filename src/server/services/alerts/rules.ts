import Big from "big.js";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { connectorSecretsKeyFrom, env } from "@/env";
import { OWNER_LABELS } from "@/lib/exception-labels";
import { canActFor } from "../../auth/teams";
import { encryptSecret, parseKey } from "../../crypto/secrets";
import { withTx, type DbOrTx } from "../../db/client";
import { alertRules, notifications, webhookDeliveries } from "../../db/schema";
import { checkOutboundUrl, type OutboundPolicy } from "../../net/outbound";
import { OWNER_TEAMS, type OwnerTeam } from "../../domain/enums";
import { writeAudit } from "../audit/write";
import type { Actor, ServiceCtx } from "../context";
import { conflict, forbidden, invalid, notFound } from "../errors";
import { ALERT_CONDITIONS, ALERT_CONDITION_LIST, type AlertCondition } from "./catalog";
import { queueFilterFor, queueHref, thresholdOf } from "./conditions";

/**
 * Alert rules: one condition on one owner team's open exceptions, with an optional signed
 * webhook. Anyone in the queue may read them; a rule is managed by the roles that act for
 * its team (finance ops: finance and integration; PMO: PMO and HR; admin: all). Every
 * change is version-checked and audited; the webhook's signing secret is write-only.
 */

type RuleRow = typeof alertRules.$inferSelect;

/** The secrets key is read from the environment unless the caller holds it already. */
export type Keyed = { secretsKey?: Buffer };
export const keyOf = ({ secretsKey }: Keyed) => secretsKey ?? parseKey(connectorSecretsKeyFrom());

/** Which internal addresses a webhook may reach: the process's policy (OUTBOUND_ALLOW_HOSTS) unless given. */
export type Outbound = { outbound?: OutboundPolicy };

const actorLabel = (actor: Actor) => (actor.kind === "user" ? actor.email : `system:${actor.label}`);

/** Whether the actor may create, change or delete a rule of this team. */
export function canManageTeam(actor: Actor, team: OwnerTeam): boolean {
  return actor.kind === "system" || canActFor(actor.roles, team);
}

function requireManage(actor: Actor, team: OwnerTeam) {
  if (!canManageTeam(actor, team)) {
    throw forbidden(`Only the roles that act for ${OWNER_LABELS[team]} exceptions (or an admin) can manage ${OWNER_LABELS[team]}'s alert rules.`);
  }
}

// ---------------------------------------------------------------------------------------
// Input

const AMOUNT = /^\d{1,12}(\.\d{1,2})?$/;
const SECRET_NEEDED = "a webhook needs a signing secret, so the receiver can tell the call is ours";
const URL_NEEDED = "a signing secret needs a webhook URL to sign for";

const ownerTeam = z.enum(OWNER_TEAMS, { error: (iss) => `"${String(iss.input)}" is not a team; choose one of ${OWNER_TEAMS.join(", ")}` });
const condition = z.enum(ALERT_CONDITION_LIST, {
  error: (iss) => `"${String(iss.input)}" is not a condition; choose one of ${ALERT_CONDITION_LIST.join(", ")}`,
});
const name = z
  .string({ error: "give the rule a name" })
  .trim()
  .min(1, { error: "give the rule a name" })
  .max(80, { error: "at most 80 characters" });
const threshold = z.string({ error: "write the threshold as text, e.g. \"50000\"" }).trim().nullish();
const webhookUrl = z
  .string({ error: "give the webhook address as text" })
  .trim()
  .max(2000, { error: "at most 2,000 characters" })
  .nullish()
  .transform((v) => (v ? v : null))
  .superRefine((v, c) => {
    if (v === null) return;
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      c.addIssue({ code: "custom", message: `"${v}" is not a URL; give the full address, e.g. https://hooks.example.com/hourbridge` });
      return;
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") c.addIssue({ code: "custom", message: "the webhook URL must start with https:// or http://" });
    else if (url.username || url.password) c.addIssue({ code: "custom", message: "the webhook URL cannot carry a user name or password; the receiver checks the signature instead" });
  });
const webhookSecret = z
  .string({ error: "give the signing secret as text" })
  .min(16, { error: "the signing secret needs at least 16 characters (e.g. openssl rand -hex 32)" })
  .max(200, { error: "the signing secret can have at most 200 characters" });

/** Checks the threshold against what the condition needs: an amount, a whole count, or nothing. */
function checkThreshold(cond: AlertCondition, value: string | null | undefined, c: z.RefinementCtx) {
  const kind = ALERT_CONDITIONS[cond].threshold;
  const label = ALERT_CONDITIONS[cond].label.toLowerCase();
  if (kind === "none") {
    if (value) c.addIssue({ code: "custom", path: ["threshold"], message: `"${label}" takes no threshold; leave it empty` });
    return;
  }
  if (!value) {
    c.addIssue({ code: "custom", path: ["threshold"], message: kind === "amount" ? `"${label}" needs a threshold: an amount in ${env.REPORTING_CURRENCY}, e.g. 50000` : `"${label}" needs a threshold: a number of exceptions, e.g. 25` });
    return;
  }
  if (kind === "amount" && !AMOUNT.test(value)) {
    c.addIssue({ code: "custom", path: ["threshold"], message: `the threshold must be an amount like 50000 or 50000.50 (no currency sign or separators)` });
  } else if (kind === "count" && !/^\d{1,9}$/.test(value)) {
    c.addIssue({ code: "custom", path: ["threshold"], message: "the threshold must be a whole number of exceptions, e.g. 25" });
  } else if (new Big(value).lte(0)) {
    c.addIssue({ code: "custom", path: ["threshold"], message: "the threshold must be more than 0" });
  }
}

const ruleFields = { ownerTeam, name, condition, threshold, webhookUrl };

export const createRuleInput = z
  .object({ ...ruleFields, webhookSecret: webhookSecret.nullish() })
  .strict()
  .superRefine((v, c) => {
    checkThreshold(v.condition, v.threshold, c);
    if (v.webhookUrl && !v.webhookSecret) c.addIssue({ code: "custom", path: ["webhookSecret"], message: SECRET_NEEDED });
    if (!v.webhookUrl && v.webhookSecret) c.addIssue({ code: "custom", path: ["webhookUrl"], message: URL_NEEDED });
  });
export type CreateRuleInput = z.input<typeof createRuleInput>;

const ruleId = z.uuid({ error: "id must be an alert rule id" });
const expectedVersion = z.number({ error: "give the version of the rule you edited" }).int().min(1);

/** The whole rule as edited; the secret is kept unless a new one is given (write-only). */
export const updateRuleInput = z
  .object({ id: ruleId, expectedVersion, ...ruleFields, webhookSecret: webhookSecret.optional() })
  .strict()
  .superRefine((v, c) => {
    checkThreshold(v.condition, v.threshold, c);
    if (!v.webhookUrl && v.webhookSecret) c.addIssue({ code: "custom", path: ["webhookUrl"], message: URL_NEEDED });
  });
export type UpdateRuleInput = z.input<typeof updateRuleInput>;

export const setRuleActiveInput = z.object({ id: ruleId, expectedVersion, active: z.boolean({ error: "active must be true or false" }) }).strict();
export const deleteRuleInput = z.object({ id: ruleId, expectedVersion }).strict();

/** Parses input with a message naming the fields; the API has checked it already, the worker and tests have not. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  throw invalid(message, { field: parsed.error.issues[0]?.path.join(".") || undefined, fieldErrors: z.flattenError(parsed.error).fieldErrors });
}

/**
 * Refuses a webhook URL whose host is, or resolves to, an internal address (loopback, private,
 * link-local, …; see net/outbound.ts), naming the address and its class. The worker checks the
 * address again on every call, so a name that resolves elsewhere later is refused then.
 */
async function requireOutboundWebhook(url: string | null, policy: OutboundPolicy | undefined) {
  if (!url) return;
  const check = await checkOutboundUrl(url, { what: "The webhook URL", policy });
  if (!check.ok) {
    const message = check.error.message;
    throw invalid(`webhookUrl: ${message}`, { field: "webhookUrl", fieldErrors: { webhookUrl: [message] } });
  }
}

/** The threshold as stored: "50000" → "50000.00" for an amount, "25" for a count, null without one. */
const normalThreshold = (cond: AlertCondition, t: string | null | undefined) =>
  ALERT_CONDITIONS[cond].threshold === "none" || !t ? null : new Big(t).toFixed(ALERT_CONDITIONS[cond].threshold === "amount" ? 2 : 0);

// ---------------------------------------------------------------------------------------
// Views

export type AlertRuleView = {
  id: string;
  ownerTeam: OwnerTeam;
  name: string;
  condition: AlertCondition;
  threshold: string | null;
  webhookUrl: string | null;
  /** the signing secret itself is never answered */
  webhookSecretSet: boolean;
  active: boolean;
  firing: boolean;
  episode: number;
  lastValue: string | null;
  lastEvaluatedAt: Date | null;
  lastFiredAt: Date | null;
  createdBy: string;
  updatedBy: string;
  updatedAt: Date;
  version: number;
  /** the queue filter showing what the rule watches */
  queueLink: string;
};

export function ruleView(r: RuleRow): AlertRuleView {
  const cond = r.condition as AlertCondition;
  return {
    id: r.id,
    ownerTeam: r.ownerTeam,
    name: r.name,
    condition: cond,
    threshold: thresholdOf(cond, r.threshold),
    webhookUrl: r.webhookUrl,
    webhookSecretSet: Boolean(r.webhookSecret),
    active: r.active,
    firing: r.firing,
    episode: r.episode,
    lastValue: r.lastValue,
    lastEvaluatedAt: r.lastEvaluatedAt,
    lastFiredAt: r.lastFiredAt,
    createdBy: r.createdBy,
    updatedBy: r.updatedBy,
    updatedAt: r.updatedAt,
    version: r.version,
    queueLink: queueHref(queueFilterFor(r.ownerTeam, cond)),
  };
}

/** What the audit log keeps of a rule: its terms, and only whether a signing key is set. */
const auditShape = (r: RuleRow) => ({
  ownerTeam: r.ownerTeam,
  name: r.name,
  condition: r.condition,
  threshold: r.threshold,
  webhookUrl: r.webhookUrl,
  signingKeySet: Boolean(r.webhookSecret),
  active: r.active,
  version: r.version,
});

export type LastDelivery = {
  status: string;
  attempts: number;
  responseStatus: number | null;
  lastError: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
};

/**
 * Every rule (anyone in the queue may read them), each with whether the viewer may manage it
 * and its latest webhook delivery.
 */
export async function listRules({ ctx }: { ctx: ServiceCtx }) {
  const rows = await ctx.db.select().from(alertRules).orderBy(asc(alertRules.ownerTeam), asc(alertRules.name));
  const deliveries = (await ctx.db.execute(sql`
    select distinct on (n.rule_id) n.rule_id as "ruleId", d.status, d.attempts, d.response_status as "responseStatus",
      d.last_error as "lastError", d.created_at as "createdAt", d.delivered_at as "deliveredAt"
    from ${webhookDeliveries} d join ${notifications} n on n.id = d.notification_id
    where n.rule_id is not null
    order by n.rule_id, d.created_at desc`)) as unknown as (Omit<LastDelivery, "createdAt" | "deliveredAt"> & { ruleId: string; createdAt: string | Date; deliveredAt: string | Date | null })[];
  const last = new Map(
    deliveries.map(({ ruleId, createdAt, deliveredAt, ...d }) => [ruleId, { ...d, createdAt: new Date(createdAt), deliveredAt: deliveredAt ? new Date(deliveredAt) : null }]),
  );
  return {
    reportingCurrency: env.REPORTING_CURRENCY,
    manageableTeams: OWNER_TEAMS.filter((t) => canManageTeam(ctx.actor, t)),
    /** admins may evaluate every rule now instead of waiting for the schedule */
    canEvaluateNow: ctx.actor.kind === "user" && ctx.actor.roles.includes("admin"),
    rules: rows.map((r) => ({ ...ruleView(r), canManage: canManageTeam(ctx.actor, r.ownerTeam), lastDelivery: last.get(r.id) ?? null })),
  };
}

// ---------------------------------------------------------------------------------------
// Changes

async function loadRule(db: DbOrTx, id: string): Promise<RuleRow> {
  const [row] = await db.select().from(alertRules).where(eq(alertRules.id, id));
  if (!row) throw notFound("There is no such alert rule; it may have been deleted. Reload the list.");
  return row;
}

function staleConflict(row: RuleRow, expected: number) {
  return conflict(
    `The rule "${row.name}" was changed by ${row.updatedBy} at ${row.updatedAt.toISOString().slice(0, 19).replace("T", " ")} UTC after you opened it (version ${row.version}, you edited ${expected}). Reload to see the change, then edit again.`,
    { version: row.version, updatedBy: row.updatedBy, updatedAt: row.updatedAt.toISOString() },
  );
}

const isUniqueViolation = (err: unknown): boolean => {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: string }).code === "23505") return true;
  }
  return false;
};

const nameTaken = (team: OwnerTeam, n: string) => {
  const message = `${OWNER_LABELS[team]} already has an alert rule named "${n}"; choose another name.`;
  return conflict(message, { field: "name", fieldErrors: { name: [message] } });
};

export async function createRule({ ctx, input, outbound, ...keyed }: { ctx: ServiceCtx; input: CreateRuleInput } & Keyed & Outbound): Promise<AlertRuleView> {
  const v = parseInput(createRuleInput, input);
  requireManage(ctx.actor, v.ownerTeam);
  await requireOutboundWebhook(v.webhookUrl, outbound);
  const by = actorLabel(ctx.actor);
  const secret = v.webhookSecret ? encryptSecret(v.webhookSecret, keyOf(keyed)) : null;
  try {
    return await withTx(ctx.db, async (tx) => {
      const [row] = await tx
        .insert(alertRules)
        .values({
          ownerTeam: v.ownerTeam,
          name: v.name,
          condition: v.condition,
          threshold: normalThreshold(v.condition, v.threshold),
          webhookUrl: v.webhookUrl,
          webhookSecret: secret,
          createdBy: by,
          updatedBy: by,
        })
        .returning();
      await writeAudit({ ...ctx, db: tx }, { action: "alert_rule.create", entityType: "alert_rule", entityId: row!.id, after: auditShape(row!) });
      return ruleView(row!);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(v.ownerTeam, v.name);
    throw err;
  }
}

/**
 * Changes a rule as a whole (team, name, condition, threshold, webhook). A change to what
 * the rule watches re-arms it: the next evaluation reports the state under the new terms.
 */
export async function updateRule({ ctx, input, outbound, ...keyed }: { ctx: ServiceCtx; input: UpdateRuleInput } & Keyed & Outbound): Promise<AlertRuleView> {
  const v = parseInput(updateRuleInput, input);
  const row = await loadRule(ctx.db, v.id);
  requireManage(ctx.actor, row.ownerTeam);
  requireManage(ctx.actor, v.ownerTeam);
  if (row.version !== v.expectedVersion) throw staleConflict(row, v.expectedVersion);
  if (v.webhookUrl && !v.webhookSecret && !row.webhookSecret) {
    throw invalid(`webhookSecret: ${SECRET_NEEDED}`, { field: "webhookSecret", fieldErrors: { webhookSecret: [SECRET_NEEDED] } });
  }
  await requireOutboundWebhook(v.webhookUrl, outbound);
  const newThreshold = normalThreshold(v.condition, v.threshold);
  const termsChanged = v.ownerTeam !== row.ownerTeam || v.condition !== row.condition || newThreshold !== row.threshold;
  const secret = !v.webhookUrl ? null : v.webhookSecret ? encryptSecret(v.webhookSecret, keyOf(keyed)) : row.webhookSecret;
  try {
    return await withTx(ctx.db, async (tx) => {
      const [after] = await tx
        .update(alertRules)
        .set({
          ownerTeam: v.ownerTeam,
          name: v.name,
          condition: v.condition,
          threshold: newThreshold,
          webhookUrl: v.webhookUrl,
          webhookSecret: secret,
          ...(termsChanged && { firing: false }),
          updatedBy: actorLabel(ctx.actor),
          updatedAt: sql`now()`,
          version: sql`${alertRules.version} + 1`,
        })
        .where(and(eq(alertRules.id, v.id), eq(alertRules.version, v.expectedVersion)))
        .returning();
      if (!after) throw staleConflict(await loadRule(tx, v.id), v.expectedVersion);
      await writeAudit(
        { ...ctx, db: tx },
        {
          action: "alert_rule.update",
          entityType: "alert_rule",
          entityId: row.id,
          before: auditShape(row),
          // the signing key never enters the log: only that it was replaced
          after: { ...auditShape(after), signingKeyReplaced: Boolean(v.webhookSecret), rearmed: termsChanged && row.firing },
        },
      );
      return ruleView(after);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(v.ownerTeam, v.name);
    throw err;
  }
}

/** Deactivates (stops evaluating, and re-arms) or reactivates a rule. */
export async function setRuleActive({ ctx, input }: { ctx: ServiceCtx; input: z.input<typeof setRuleActiveInput> }): Promise<AlertRuleView> {
  const v = parseInput(setRuleActiveInput, input);
  const row = await loadRule(ctx.db, v.id);
  requireManage(ctx.actor, row.ownerTeam);
  if (row.version !== v.expectedVersion) throw staleConflict(row, v.expectedVersion);
  return withTx(ctx.db, async (tx) => {
    const [after] = await tx
      .update(alertRules)
      .set({ active: v.active, firing: false, updatedBy: actorLabel(ctx.actor), updatedAt: sql`now()`, version: sql`${alertRules.version} + 1` })
      .where(and(eq(alertRules.id, v.id), eq(alertRules.version, v.expectedVersion)))
      .returning();
    if (!after) throw staleConflict(await loadRule(tx, v.id), v.expectedVersion);
    await writeAudit({ ...ctx, db: tx }, { action: v.active ? "alert_rule.activate" : "alert_rule.deactivate", entityType: "alert_rule", entityId: row.id, before: auditShape(row), after: auditShape(after) });
    return ruleView(after);
  });
}

/** Deletes a rule; the notifications it produced stay in the teams' lists. */
export async function deleteRule({ ctx, input }: { ctx: ServiceCtx; input: z.input<typeof deleteRuleInput> }): Promise<{ id: string }> {
  const v = parseInput(deleteRuleInput, input);
  const row = await loadRule(ctx.db, v.id);
  requireManage(ctx.actor, row.ownerTeam);
  if (row.version !== v.expectedVersion) throw staleConflict(row, v.expectedVersion);
  return withTx(ctx.db, async (tx) => {
    const [gone] = await tx
      .delete(alertRules)
      .where(and(eq(alertRules.id, v.id), eq(alertRules.version, v.expectedVersion)))
      .returning({ id: alertRules.id });
    if (!gone) throw staleConflict(await loadRule(tx, v.id), v.expectedVersion);
    await writeAudit({ ...ctx, db: tx }, { action: "alert_rule.delete", entityType: "alert_rule", entityId: row.id, before: auditShape(row) });
    return gone;
  });
}
