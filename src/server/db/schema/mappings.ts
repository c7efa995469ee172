import { sql } from "drizzle-orm";
import { bigint, boolean, char, date, index, integer, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sourceSystemEnum } from "./enums";

const governance = {
  validFrom: date("valid_from"),
  validTo: date("valid_to"),
  active: boolean("active").notNull().default(true),
  reason: text("reason"),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  version: integer("version").notNull().default(1),
};

/**
 * Source object → canonical object: a source project to an ERP job (project), a task to a
 * labor category (service item), a user to an employee, a client to a customer. Effective
 * dates (null = unbounded) let a mapping change from a given day without rewriting history.
 */
export const idMappings = pgTable(
  "id_mappings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    kind: text("kind").notNull(),
    externalId: text("external_id").notNull(),
    targetId: uuid("target_id").notNull(),
    targetErpId: text("target_erp_id").notNull(),
    ...governance,
  },
  (t) => [
    // one active mapping per source object and start date
    uniqueIndex("id_mappings_active_uq")
      .on(t.sourceSystem, t.kind, t.externalId, sql`coalesce(${t.validFrom}, '-infinity'::date)`)
      .where(sql`${t.active}`),
    index("id_mappings_target_idx").on(t.kind, t.targetId),
  ],
);

/** Source value → ERP value for coded fields (cost centers, departments). */
export const valueMappings = pgTable(
  "value_mappings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    kind: text("kind").notNull(),
    sourceValue: text("source_value").notNull(),
    targetValue: text("target_value").notNull(),
    ...governance,
  },
  (t) => [
    // one active mapping per source value and start date
    uniqueIndex("value_mappings_active_uq")
      .on(t.sourceSystem, t.kind, t.sourceValue, sql`coalesce(${t.validFrom}, '-infinity'::date)`)
      .where(sql`${t.active}`),
  ],
);

/** What a mapping says at one version: the history keeps one of these before and after each change. */
export type MappingSnapshot = {
  sourceSystem: string;
  kind: string;
  /** the source object's id (id mappings) or the source value (value mappings) */
  sourceKey: string;
  /** the canonical row's id (id mappings; null for value mappings) */
  targetId: string | null;
  /** the ERP's key of the target: job, service item, employee, customer id, or the cost center code */
  targetKey: string;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  reason: string | null;
};

/**
 * Every version of every mapping (id or value): who changed it, when, what it said before and
 * after, and why. A mapping's first row here is its state when history started to be kept
 * (action `baseline`), so every version can be restored.
 */
export const mappingVersions = pgTable(
  "mapping_versions",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    mappingId: uuid("mapping_id").notNull(),
    /** which table the mapping lives in */
    store: text("store").$type<"id" | "value">().notNull(),
    kind: text("kind").notNull(),
    version: integer("version").notNull(),
    /** baseline, created, changed, end_dated, deactivated, restored, imported */
    action: text("action").notNull(),
    before: jsonb("before").$type<MappingSnapshot | null>(),
    after: jsonb("after").$type<MappingSnapshot>().notNull(),
    reason: text("reason"),
    actorId: uuid("actor_id"),
    actorLabel: text("actor_label").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    correlationId: text("correlation_id"),
  },
  (t) => [uniqueIndex("mapping_versions_mapping_version_uq").on(t.mappingId, t.version)],
);

/**
 * A re-validation of the entries a mapping change may unblock, run by the worker in the
 * background (`mapping-recovery`), with its progress and its outcome in plain counts.
 */
export const mappingRecoveries = pgTable(
  "mapping_recoveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    kind: text("kind").notNull(),
    /** what was changed, in words ("Harvest project HV-3516 → ERP job 5412") */
    label: text("label").notNull(),
    mappingIds: uuid("mapping_ids").array().notNull(),
    /** queued, running, done, failed */
    status: text("status").$type<"queued" | "running" | "done" | "failed">().notNull().default("queued"),
    entryIds: uuid("entry_ids").array().notNull(),
    total: integer("total").notNull().default(0),
    processed: integer("processed").notNull().default(0),
    unblocked: integer("unblocked").notNull().default(0),
    stillBlocked: integer("still_blocked").notNull().default(0),
    /** the still-blocked entries by the exception code that holds them */
    stillBlockedByCode: jsonb("still_blocked_by_code").$type<Record<string, number>>().notNull().default({}),
    hoursUnblocked: numeric("hours_unblocked", { precision: 12, scale: 2 }).notNull().default("0"),
    /** the unblocked entries' value in the reporting currency (work-date FX) */
    valueUnblocked: numeric("value_unblocked", { precision: 14, scale: 2 }).notNull().default("0"),
    currency: char("currency", { length: 3 }).notNull(),
    postingsCreated: integer("postings_created").notNull().default(0),
    requestedBy: text("requested_by").notNull(),
    requestedById: uuid("requested_by_id"),
    correlationId: text("correlation_id").notNull(),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("mapping_recoveries_created_idx").on(t.createdAt.desc())],
);
