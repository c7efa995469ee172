import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { connectorRoleEnum, sourceSystemEnum, syncRunStatusEnum } from "./enums";

/** One row per external system Hourbridge talks to: where, how, when, and within what limits. */
export const connectors = pgTable("connectors", {
  id: uuid("id").primaryKey().defaultRandom(),
  key: text("key").notNull().unique(),
  role: connectorRoleEnum("role").notNull(),
  system: text("system").notNull(),
  name: text("name").notNull(),
  baseUrl: text("base_url").notNull(),
  accountId: text("account_id"),
  /** secrets, encrypted at rest with a key from the environment; never sent to the browser */
  credentialsEncrypted: text("credentials_encrypted"),
  settings: jsonb("settings").$type<Record<string, unknown>>().notNull().default({}),
  scheduleCron: text("schedule_cron"),
  paused: boolean("paused").notNull().default(false),
  pausedAt: timestamp("paused_at", { withTimezone: true }),
  pausedBy: text("paused_by"),
  pauseReason: text("pause_reason"),
  /** the last "test the connection": when, and what it found in a sentence */
  lastTestedAt: timestamp("last_tested_at", { withTimezone: true }),
  lastTestOk: boolean("last_test_ok"),
  lastTestMessage: text("last_test_message"),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

export const syncRuns = pgTable(
  "sync_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectorId: uuid("connector_id").references(() => connectors.id),
    kind: text("kind").notNull(),
    trigger: text("trigger").notNull(),
    status: syncRunStatusEnum("status").notNull().default("running"),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    cursorBefore: text("cursor_before"),
    cursorAfter: text("cursor_after"),
    fetched: integer("fetched").notNull().default(0),
    created: integer("created").notNull().default(0),
    updated: integer("updated").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    posted: integer("posted").notNull().default(0),
    /** refused by the ERP for an accounting reason (never retried blindly) */
    rejected: integer("rejected").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    duplicatesSkipped: integer("duplicates_skipped").notNull().default(0),
    /** what a run of this kind also reports (corrections, voids, pages, line errors of a file…) */
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    error: text("error"),
    correlationId: text("correlation_id").notNull(),
  },
  (t) => [
    index("sync_runs_connector_idx").on(t.connectorId, t.startedAt.desc()),
    // the runs still going: few, looked up by the console and the worker
    index("sync_runs_running_idx").on(t.startedAt).where(sql`${t.status} = 'running'`),
  ],
);

export const syncCursors = pgTable(
  "sync_cursors",
  {
    connectorId: uuid("connector_id").notNull().references(() => connectors.id),
    objectType: text("object_type").notNull(),
    cursor: text("cursor").notNull(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.connectorId, t.objectType] })],
);

/**
 * Every payload received, as received: immutable (a trigger refuses UPDATE and DELETE).
 * Lineage starts here. The same payload received twice is kept once (content hash).
 */
export const rawRecords = pgTable(
  "raw_records",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    objectType: text("object_type").notNull(),
    sourceId: text("source_id").notNull(),
    contentHash: text("content_hash").notNull(),
    body: jsonb("body").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    syncRunId: uuid("sync_run_id").references(() => syncRuns.id),
  },
  (t) => [
    uniqueIndex("raw_records_content_uq").on(t.sourceSystem, t.objectType, t.sourceId, t.contentHash),
    index("raw_records_object_idx").on(t.sourceSystem, t.objectType, t.sourceId, t.receivedAt.desc()),
    index("raw_records_run_idx").on(t.syncRunId),
  ],
);

/** Webhook deliveries, stored before anything else happens to them; a delivery id is kept once. */
export const webhookInbox = pgTable(
  "webhook_inbox",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    deliveryId: text("delivery_id").notNull(),
    eventType: text("event_type").notNull(),
    signatureValid: boolean("signature_valid").notNull(),
    headers: jsonb("headers").$type<Record<string, string>>().notNull(),
    body: text("body").notNull(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp("processed_at", { withTimezone: true }),
    status: text("status").notNull().default("received"),
    error: text("error"),
  },
  (t) => [
    uniqueIndex("webhook_inbox_delivery_uq").on(t.sourceSystem, t.deliveryId),
    // the work queue: deliveries not yet processed
    index("webhook_inbox_pending_idx").on(t.receivedAt).where(sql`${t.processedAt} is null`),
  ],
);

/**
 * What the source systems call their projects, tasks and people (as last seen), so the
 * mapping screen and the exception messages can name them.
 */
export const sourceRefs = pgTable(
  "source_refs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    kind: text("kind").notNull(),
    externalId: text("external_id").notNull(),
    code: text("code"),
    name: text("name").notNull(),
    attributes: jsonb("attributes").$type<Record<string, unknown>>().notNull().default({}),
    active: boolean("active").notNull().default(true),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("source_refs_key_uq").on(t.sourceSystem, t.kind, t.externalId)],
);

/**
 * One circuit breaker per ERP connector, shared by every worker through the database: after
 * repeated transient failures it opens and nothing is sent until the probe time; then one
 * posting probes the ERP, and its answer closes the circuit or opens it again for longer.
 */
export const circuitBreakers = pgTable("circuit_breakers", {
  connectorId: uuid("connector_id").primaryKey().references(() => connectors.id),
  state: text("state").$type<"closed" | "open" | "half_open">().notNull().default("closed"),
  consecutiveFailures: integer("consecutive_failures").notNull().default(0),
  /** how many times in a row it opened without a success: the cool-down doubles with it */
  openings: integer("openings").notNull().default(0),
  openedAt: timestamp("opened_at", { withTimezone: true }),
  probeAt: timestamp("probe_at", { withTimezone: true }),
  lastError: text("last_error"),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The outbox's depth per ERP connector, once a minute: the backlog over time. */
export const queueSnapshots = pgTable(
  "queue_snapshots",
  {
    connectorId: uuid("connector_id").notNull().references(() => connectors.id),
    at: timestamp("at", { withTimezone: true }).notNull(),
    pending: integer("pending").notNull(),
    retrying: integer("retrying").notNull(),
    dead: integer("dead").notNull(),
    rejected: integer("rejected").notNull(),
    /** the oldest posting still waiting, if any */
    oldestWaitingAt: timestamp("oldest_waiting_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.connectorId, t.at] })],
);

/**
 * Log lines of the worker's runs, as the structured log wrote them (info and above, carrying
 * a correlation id), so a run's page can show its lines without anyone reading a server's logs.
 */
export const logLines = pgTable(
  "log_lines",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull(),
    correlationId: text("correlation_id").notNull(),
    level: text("level").notNull(),
    msg: text("msg").notNull(),
    fields: jsonb("fields").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("log_lines_correlation_idx").on(t.correlationId, t.id), index("log_lines_at_idx").on(t.at)],
);
