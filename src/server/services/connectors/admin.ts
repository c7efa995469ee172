import { and, desc, eq, gt, ne, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import { z } from "zod";
import { connectorSecretsKeyFrom } from "@/env";
import type { ConnectionTest } from "@/sync/connectors/types";
import { CronError, parseCron } from "@/sync/cron";
import { SCHEDULED_JOBS } from "@/sync/schedules";
import { withTx, type DbOrTx } from "../../db/client";
import { auditLog, connectors } from "../../db/schema";
import { encryptSecret, parseKey } from "../../crypto/secrets";
import { checkOutboundUrl } from "../../net/outbound";
import { writeAudit } from "../audit/write";
import type { Actor, ServiceCtx } from "../context";
import { conflict, invalid, notFound } from "../errors";
import { connectorFrom, tokenOf } from "./build";
import { erpPostingSettings } from "./settings";

/**
 * The connector administration verbs of the sync console: pause and resume, schedules,
 * limits, endpoint and credentials, and "test the connection". Each change is one
 * transaction with its audit entry. Secrets are write-only: no verb returns them, and the
 * audit log only says that they changed.
 *
 * `updatedAt` is the version of a connector's configuration (endpoint, credentials,
 * schedules, limits, pause): the editing verbs take the `expectedUpdatedAt` their editor saw
 * and refuse, naming what changed meanwhile, when it is no longer current. Recording a
 * connection test is an observation, not an edit, and leaves it alone.
 */

type ConnectorRow = typeof connectors.$inferSelect;

/** A connector as these verbs answer it: every column but the encrypted secret. */
export type ConnectorAdminView = Omit<ConnectorRow, "credentialsEncrypted"> & { hasCredentials: boolean };

export function connectorAdminView(row: ConnectorRow): ConnectorAdminView {
  const { credentialsEncrypted, ...rest } = row;
  return { ...rest, hasCredentials: credentialsEncrypted !== null };
}

/** The secrets key is read from the environment unless the caller holds it already. */
type Keyed = { secretsKey?: Buffer };
const keyOf = ({ secretsKey }: Keyed) => secretsKey ?? parseKey(connectorSecretsKeyFrom());

// ---------------------------------------------------------------------------------------
// Inputs

const connectorId = z.uuid({ error: "must be a connector's id (a UUID)" });
/** the connector's updatedAt as the editor last saw it */
const expectedUpdatedAt = z.iso.datetime({ offset: true, error: "must be the connector's updatedAt as you last saw it (an ISO date-time)" });

export const pauseConnectorInput = z.object({
  connectorId,
  reason: z.string({ error: "say why the connector is paused" }).trim().min(3, "say why in at least 3 characters").max(500, "the reason can be at most 500 characters"),
});
export const resumeConnectorInput = z.object({ connectorId });
export const testConnectionInput = z.object({ connectorId });

/** A five-field cron expression (UTC); "" turns the job off. */
const cronText = z
  .string({ error: "must be a cron expression (text)" })
  .trim()
  .max(200, "a schedule can be at most 200 characters")
  .superRefine((v, ctx) => {
    if (v === "") return;
    try {
      parseCron(v);
    } catch (err) {
      if (!(err instanceof CronError)) throw err;
      ctx.addIssue({ code: "custom", message: `"${v}" is not a valid schedule: ${err.message}` });
    }
  });

/**
 * The main schedule (`scheduleCron`: a source's pull, the ERP's posting; null or "" = off) and
 * the per-job ones (`fullWalk` for a source, `masterData` and `readBack` for an ERP; "" = off,
 * null = back to the default). A field left out is left as it is.
 */
export const updateScheduleInput = z.object({
  connectorId,
  expectedUpdatedAt,
  scheduleCron: cronText.nullable().optional(),
  fullWalk: cronText.nullable().optional(),
  masterData: cronText.nullable().optional(),
  readBack: cronText.nullable().optional(),
});

/** A limit within the range `erpPostingSettings` allows (the one place the ranges live). */
function limit(base: z.ZodNumber) {
  const min = base.minValue ?? Number.MIN_SAFE_INTEGER;
  const max = base.maxValue ?? Number.MAX_SAFE_INTEGER;
  return z.number({ error: `must be a whole number from ${min} to ${max}` }).superRefine((v, ctx) => {
    if (!Number.isInteger(v) || v < min || v > max) ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}, not ${v}` });
  });
}
const postingShape = erpPostingSettings.shape.posting.unwrap().shape;
export const LIMIT_FIELDS = ["maxAttempts", "baseDelayMs", "maxDelayMs", "batchSize", "leaseSeconds"] as const;
type PostingField = (typeof LIMIT_FIELDS)[number];

/**
 * Requests in flight (`concurrency`, any connector) and how the outbox is sent (`posting`, an
 * ERP connector only). A field left out is left as it is; null puts the default back.
 */
export const updateLimitsInput = z.object({
  connectorId,
  expectedUpdatedAt,
  concurrency: limit(erpPostingSettings.shape.concurrency.unwrap()).nullable().optional(),
  posting: z
    .object(Object.fromEntries(LIMIT_FIELDS.map((f) => [f, limit(postingShape[f].unwrap()).nullable().optional()])) as Record<PostingField, z.ZodOptional<z.ZodNullable<ReturnType<typeof limit>>>>)
    .strict()
    .optional(),
});

/**
 * Where the system is and who we are there. `token` is write-only: given, it replaces the
 * saved one; left out, the saved one is kept (and must be given again to move to another host).
 */
export const updateEndpointInput = z.object({
  connectorId,
  expectedUpdatedAt,
  baseUrl: z
    .string({ error: "enter the base URL" })
    .trim()
    .pipe(z.url({ protocol: /^https?$/, error: "must be an absolute http or https URL, e.g. https://api.harvestapp.com/v2" }))
    .refine((u) => {
      if (!URL.canParse(u)) return true; // already refused as not a URL
      const url = new URL(u);
      return url.username === "" && url.password === "";
    }, "must not carry a user name or password: put the access token in its own field")
    .transform((u) => u.replace(/\/+$/, "")),
  accountId: z.string({ error: "enter the account id" }).trim().min(1, "enter the account id").max(100, "the account id can be at most 100 characters"),
  token: z.string().trim().min(1, "the access token is empty").max(8192, "the access token can be at most 8192 characters").optional(),
});

export type PauseConnectorInput = z.input<typeof pauseConnectorInput>;
export type ResumeConnectorInput = z.input<typeof resumeConnectorInput>;
export type UpdateScheduleInput = z.input<typeof updateScheduleInput>;
export type UpdateLimitsInput = z.input<typeof updateLimitsInput>;
export type UpdateEndpointInput = z.input<typeof updateEndpointInput>;
export type TestConnectionInput = z.input<typeof testConnectionInput>;

/** Parses a verb's input; bad input is refused with each field and its reason. */
function parseInput<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const message = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
  throw invalid(message, { field: parsed.error.issues[0]?.path.join(".") || undefined, fieldErrors: z.flattenError(parsed.error).fieldErrors });
}

// ---------------------------------------------------------------------------------------
// Shared steps

async function loadConnector(db: DbOrTx, id: string): Promise<ConnectorRow> {
  const [row] = await db.select().from(connectors).where(eq(connectors.id, id));
  if (!row) throw notFound("There is no such connector.");
  return row;
}

const actorLabel = (actor: Actor) => (actor.kind === "user" ? actor.email : `system:${actor.label}`);

const CHANGE_WORDS: Record<string, string> = {
  "connector.pause": "paused",
  "connector.resume": "resumed",
  "connector.update_schedule": "schedules changed",
  "connector.update_limits": "limits changed",
  "connector.update_endpoint": "endpoint or credentials changed",
};

/** updatedAt as JavaScript holds it (milliseconds): what an editor saw and sends back. */
const sameVersion = (row: ConnectorRow, expected: string) => row.updatedAt.getTime() === new Date(expected).getTime();
const versionIs = (expected: string) => sql`date_trunc('milliseconds', ${connectors.updatedAt}) = ${new Date(expected).toISOString()}::timestamptz`;

/** The conflict to answer when the connector changed since `expected`, naming what changed, by whom and when. */
async function staleConflict(db: DbOrTx, row: ConnectorRow, expected: string) {
  const changes = await db
    .select({ action: auditLog.action, by: auditLog.actorLabel, at: auditLog.at })
    .from(auditLog)
    .where(
      and(
        eq(auditLog.entityType, "connector"),
        eq(auditLog.entityId, row.id),
        ne(auditLog.action, "connector.test"),
        gt(sql`date_trunc('milliseconds', ${auditLog.at})`, sql`${new Date(expected).toISOString()}::timestamptz`),
      ),
    )
    .orderBy(desc(auditLog.id))
    .limit(5);
  const said = changes.map((c) => `${CHANGE_WORDS[c.action] ?? c.action} by ${c.by} at ${c.at.toISOString().slice(0, 19).replace("T", " ")} UTC`);
  return conflict(
    `${row.name} was changed since you opened it${said.length ? ` (${said.join("; ")})` : ""}. Reload to see the change, then edit again.`,
    { updatedAt: row.updatedAt.toISOString(), changes: changes.map((c) => ({ action: c.action, by: c.by, at: c.at.toISOString() })) },
  );
}

/**
 * Applies `set` to the connector if it is still at the version the editor saw; the conflict
 * otherwise. Bumps updatedAt.
 */
async function updateIfCurrent(db: DbOrTx, row: ConnectorRow, expected: string, set: PgUpdateSetSource<typeof connectors>): Promise<ConnectorRow> {
  const [after] = await db
    .update(connectors)
    .set({ ...set, updatedAt: sql`now()` })
    .where(and(eq(connectors.id, row.id), versionIs(expected)))
    .returning();
  if (after) return after;
  throw await staleConflict(db, await loadConnector(db, row.id), expected);
}

// ---------------------------------------------------------------------------------------
// Pause and resume

/**
 * Pauses a connector: it runs nothing (scheduled jobs, runs now, posting) until resumed.
 * Pausing one already paused is refused, naming who paused it and why.
 */
export async function pauseConnector({ ctx, input }: { ctx: ServiceCtx; input: PauseConnectorInput }): Promise<ConnectorAdminView> {
  const { connectorId: id, reason } = parseInput(pauseConnectorInput, input);
  return withTx(ctx.db, async (tx) => {
    const [after] = await tx
      .update(connectors)
      .set({ paused: true, pausedAt: sql`now()`, pausedBy: actorLabel(ctx.actor), pauseReason: reason, updatedAt: sql`now()` })
      .where(and(eq(connectors.id, id), eq(connectors.paused, false)))
      .returning();
    if (!after) {
      const row = await loadConnector(tx, id);
      throw conflict(
        `${row.name} is already paused${row.pausedBy ? ` by ${row.pausedBy}` : ""}${row.pausedAt ? ` since ${row.pausedAt.toISOString().slice(0, 16).replace("T", " ")} UTC` : ""}${row.pauseReason ? `: ${row.pauseReason}` : ""}.`,
      );
    }
    await writeAudit({ ...ctx, db: tx }, { action: "connector.pause", entityType: "connector", entityId: id, before: { paused: false }, after: { paused: true, reason } });
    return connectorAdminView(after);
  });
}

/** Resumes a paused connector: its schedules apply again from the next minute. Resuming one that runs changes nothing. */
export async function resumeConnector({ ctx, input }: { ctx: ServiceCtx; input: ResumeConnectorInput }): Promise<ConnectorAdminView> {
  const { connectorId: id } = parseInput(resumeConnectorInput, input);
  return withTx(ctx.db, async (tx) => {
    const before = await loadConnector(tx, id);
    const [after] = await tx
      .update(connectors)
      .set({ paused: false, pausedAt: null, pausedBy: null, pauseReason: null, updatedAt: sql`now()` })
      .where(and(eq(connectors.id, id), eq(connectors.paused, true)))
      .returning();
    if (!after) return connectorAdminView(await loadConnector(tx, id));
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: "connector.resume",
        entityType: "connector",
        entityId: id,
        before: { paused: true, pausedBy: before.pausedBy, pausedAt: before.pausedAt, reason: before.pauseReason },
        after: { paused: false },
      },
    );
    return connectorAdminView(after);
  });
}

// ---------------------------------------------------------------------------------------
// Schedules and limits

type Settings = Record<string, unknown>;
const objectAt = (v: unknown): Settings => (v && typeof v === "object" && !Array.isArray(v) ? { ...(v as Settings) } : {});

const roleWords = (row: ConnectorRow) => (row.role === "erp" ? "an ERP connector" : "a source connector");

/** Changes a connector's schedules; an invalid cron expression is refused with its field and reason, and nothing is saved. */
export async function updateSchedule({ ctx, input }: { ctx: ServiceCtx; input: UpdateScheduleInput }): Promise<ConnectorAdminView> {
  const parsed = parseInput(updateScheduleInput, input);
  return withTx(ctx.db, async (tx) => {
    const row = await loadConnector(tx, parsed.connectorId);
    if (!sameVersion(row, parsed.expectedUpdatedAt)) throw await staleConflict(tx, row, parsed.expectedUpdatedAt);

    const own: string[] = SCHEDULED_JOBS[row.role].flatMap((j) => (j.setting ? [j.setting] : []));
    const settings = objectAt(row.settings);
    const schedules = objectAt(settings.schedules);
    for (const name of ["fullWalk", "masterData", "readBack"] as const) {
      const value = parsed[name];
      if (value === undefined) continue;
      if (!own.includes(name)) throw invalid(`${name}: ${row.name} is ${roleWords(row)}, which has no such job; its own schedules are ${own.join(" and ")}.`, { field: name });
      if (value === null) delete schedules[name];
      else schedules[name] = value;
    }
    const scheduleCron = parsed.scheduleCron === undefined ? row.scheduleCron : parsed.scheduleCron || null;
    const nextSettings: Settings = { ...settings, schedules };
    if (Object.keys(schedules).length === 0) delete nextSettings.schedules;

    const before = { scheduleCron: row.scheduleCron, schedules: objectAt(objectAt(row.settings).schedules) };
    const after = { scheduleCron, schedules };
    if (JSON.stringify(before) === JSON.stringify(after)) return connectorAdminView(row);

    const saved = await updateIfCurrent(tx, row, parsed.expectedUpdatedAt, { scheduleCron, settings: nextSettings });
    await writeAudit({ ...ctx, db: tx }, { action: "connector.update_schedule", entityType: "connector", entityId: row.id, before, after });
    return connectorAdminView(saved);
  });
}

/** Changes a connector's limits; one out of range is refused naming the field and the range, and nothing is saved. */
export async function updateLimits({ ctx, input }: { ctx: ServiceCtx; input: UpdateLimitsInput }): Promise<ConnectorAdminView> {
  const parsed = parseInput(updateLimitsInput, input);
  return withTx(ctx.db, async (tx) => {
    const row = await loadConnector(tx, parsed.connectorId);
    if (!sameVersion(row, parsed.expectedUpdatedAt)) throw await staleConflict(tx, row, parsed.expectedUpdatedAt);

    const settings = objectAt(row.settings);
    const next: Settings = { ...settings };
    if (parsed.concurrency === null) delete next.concurrency;
    else if (parsed.concurrency !== undefined) next.concurrency = parsed.concurrency;

    if (parsed.posting !== undefined) {
      const given = Object.entries(parsed.posting).filter(([, v]) => v !== undefined);
      if (row.role !== "erp" && given.length > 0) {
        throw invalid(`posting: ${row.name} is ${roleWords(row)}; posting limits apply to the ERP connector.`, { field: "posting" });
      }
      const posting = objectAt(settings.posting);
      for (const [field, value] of given) {
        if (value === null) delete posting[field];
        else posting[field] = value;
      }
      if (Object.keys(posting).length) next.posting = posting;
      else delete next.posting;
    }

    if (row.role === "erp") {
      // the settings as the sender will read them: every range, and the backoff's cap above its start
      const check = erpPostingSettings.safeParse({ concurrency: next.concurrency, posting: next.posting });
      if (!check.success) throw invalid(check.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "), { field: check.error.issues[0]?.path.join(".") });
      const p = check.data.posting ?? {};
      if (p.baseDelayMs !== undefined && p.maxDelayMs !== undefined && p.maxDelayMs < p.baseDelayMs) {
        throw invalid(`posting.maxDelayMs: the longest wait (${p.maxDelayMs} ms) cannot be shorter than the first (posting.baseDelayMs, ${p.baseDelayMs} ms).`, { field: "posting.maxDelayMs" });
      }
    }

    const before = { concurrency: settings.concurrency ?? null, posting: objectAt(settings.posting) };
    const after = { concurrency: next.concurrency ?? null, posting: objectAt(next.posting) };
    if (JSON.stringify(before) === JSON.stringify(after)) return connectorAdminView(row);

    const saved = await updateIfCurrent(tx, row, parsed.expectedUpdatedAt, { settings: next });
    await writeAudit({ ...ctx, db: tx }, { action: "connector.update_limits", entityType: "connector", entityId: row.id, before, after });
    return connectorAdminView(saved);
  });
}

// ---------------------------------------------------------------------------------------
// Endpoint, credentials and the connection test

const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
};

/**
 * Why a base URL may not be called (its host is, or resolves to, an internal address that
 * OUTBOUND_ALLOW_HOSTS does not list), or null. The clients check again on every connection.
 */
async function outboundRefusal(baseUrl: string): Promise<string | null> {
  const check = await checkOutboundUrl(baseUrl, { what: "The base URL" });
  return check.ok ? null : check.error.message;
}

/** Records a test's result on the connector (not an edit: updatedAt stays) with its audit entry. */
async function recordTest(ctx: ServiceCtx, db: DbOrTx, id: string, test: ConnectionTest) {
  const [row] = await db
    .update(connectors)
    .set({ lastTestedAt: sql`now()`, lastTestOk: test.ok, lastTestMessage: test.message })
    .where(eq(connectors.id, id))
    .returning();
  if (!row) throw notFound("There is no such connector.");
  await writeAudit({ ...ctx, db }, { action: "connector.test", entityType: "connector", entityId: id, after: test });
  return row;
}

/**
 * Changes where a connector points and, optionally, its access token. A base URL at an
 * internal address (loopback, private, link-local, …; see net/outbound.ts) is refused before
 * anything is sent. The new values are tested first (one request, 5 s, no retries): an
 * unreachable URL or a refused token is refused with the reason and nothing is saved. The
 * saved token is never sent to another host: moving to one needs the token again. The token
 * is stored encrypted and never answered.
 */
export async function updateEndpoint({ ctx, input, ...keyed }: { ctx: ServiceCtx; input: UpdateEndpointInput } & Keyed): Promise<{ connector: ConnectorAdminView; test: ConnectionTest }> {
  const parsed = parseInput(updateEndpointInput, input);
  const row = await loadConnector(ctx.db, parsed.connectorId);
  if (!sameVersion(row, parsed.expectedUpdatedAt)) throw await staleConflict(ctx.db, row, parsed.expectedUpdatedAt);

  const key = keyOf(keyed);
  if (parsed.token === undefined && originOf(parsed.baseUrl) !== originOf(row.baseUrl)) {
    throw invalid(`token: enter the access token again to point ${row.name} at ${originOf(parsed.baseUrl)}; the saved one is only sent to ${originOf(row.baseUrl) ?? "the host it was saved for"}.`, { field: "token" });
  }
  const refusal = await outboundRefusal(parsed.baseUrl);
  if (refusal) throw invalid(`baseUrl: ${refusal}`, { field: "baseUrl", fieldErrors: { baseUrl: [refusal] } });
  let token = parsed.token;
  if (token === undefined) {
    try {
      token = tokenOf(row, key);
    } catch (err) {
      throw invalid(`token: the saved access token cannot be used (${(err as Error).message}); enter it again.`, { field: "token" });
    }
  }

  let connector;
  try {
    connector = connectorFrom(row.role, { system: row.system, baseUrl: parsed.baseUrl, accountId: parsed.accountId, token, settings: objectAt(row.settings) });
  } catch (err) {
    // the connector's own checks (a Harvest account id is numeric, a NetSuite URL ends in /services/rest)
    const message = (err as Error).message;
    throw invalid(message, { field: /accountId/.test(message) ? "accountId" : /baseUrl/.test(message) ? "baseUrl" : undefined });
  }
  // outside the transaction: no row is held while the system is asked
  const test = await connector.testConnection();
  if (!test.ok) throw invalid(test.message, { test });

  const changed = [
    ...(parsed.baseUrl !== row.baseUrl ? ["baseUrl"] : []),
    ...(parsed.accountId !== row.accountId ? ["accountId"] : []),
    ...(parsed.token !== undefined ? ["credentials"] : []),
  ];
  return withTx(ctx.db, async (tx) => {
    if (changed.length === 0) return { connector: connectorAdminView(await recordTest(ctx, tx, row.id, test)), test };
    const saved = await updateIfCurrent(tx, row, parsed.expectedUpdatedAt, {
      baseUrl: parsed.baseUrl,
      accountId: parsed.accountId,
      ...(parsed.token !== undefined && { credentialsEncrypted: encryptSecret(JSON.stringify({ token: parsed.token }), key) }),
      lastTestedAt: sql`now()`,
      lastTestOk: true,
      lastTestMessage: test.message,
    });
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: "connector.update_endpoint",
        entityType: "connector",
        entityId: row.id,
        before: { baseUrl: row.baseUrl, accountId: row.accountId },
        // the token itself never enters the log: only that it changed
        after: { baseUrl: saved.baseUrl, accountId: saved.accountId, changed, test: { ok: test.ok, message: test.message, latencyMs: test.latencyMs } },
      },
    );
    return { connector: connectorAdminView(saved), test };
  });
}

/**
 * Tests the saved connector (one request, 5 s, no retries) and records what it found. A saved
 * base URL at an internal address is not called: the test fails saying so.
 */
export async function testConnection({ ctx, input, ...keyed }: { ctx: ServiceCtx; input: TestConnectionInput } & Keyed): Promise<ConnectionTest & { testedAt: Date }> {
  const { connectorId: id } = parseInput(testConnectionInput, input);
  const row = await loadConnector(ctx.db, id);
  const key = keyOf(keyed);
  let test: ConnectionTest;
  try {
    const refusal = await outboundRefusal(row.baseUrl);
    if (refusal) throw new Error(refusal);
    const connector = connectorFrom(row.role, { system: row.system, baseUrl: row.baseUrl, accountId: row.accountId, token: tokenOf(row, key), settings: objectAt(row.settings) });
    test = await connector.testConnection();
  } catch (err) {
    // what stops a test before any request (no or unreadable credentials, a configuration the connector refuses)
    test = { ok: false, message: `${row.name} cannot be tested: ${(err as Error).message}`, latencyMs: 0 };
  }
  const saved = await withTx(ctx.db, (tx) => recordTest(ctx, tx, id, test));
  return { ...test, testedAt: saved.lastTestedAt! };
}
