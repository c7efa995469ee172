import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  char,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { exceptionStatusEnum, ownerTeamEnum, severityEnum, sourceSystemEnum } from "./enums";
import { users } from "./auth";
import { employees, legalEntities, projects } from "./org";
import { rawRecords } from "./sync";
import { expenseEntries, timeEntries } from "./time";

/**
 * What stops approved time from reaching an invoice, said in business words. One row per
 * (code, subject): the same problem seen again bumps occurrences instead of adding a row.
 */
export const exceptions = pgTable(
  "exceptions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    code: text("code").notNull(),
    owner: ownerTeamEnum("owner").notNull(),
    severity: severityEnum("severity").notNull(),
    status: exceptionStatusEnum("status").notNull().default("open"),
    /** what the problem is about: a source project, a person, an entry, a period… */
    subjectType: text("subject_type").notNull(),
    subjectKey: text("subject_key").notNull(),
    subjectLabel: text("subject_label").notNull(),
    message: text("message").notNull(),
    suggestedFix: text("suggested_fix").notNull(),
    sourceSystem: sourceSystemEnum("source_system"),
    legalEntityId: uuid("legal_entity_id").references(() => legalEntities.id),
    region: text("region"),
    businessUnit: text("business_unit"),
    projectId: uuid("project_id").references(() => projects.id),
    employeeId: uuid("employee_id").references(() => employees.id),
    entriesCount: integer("entries_count").notNull().default(0),
    hoursAtStake: numeric("hours_at_stake", { precision: 12, scale: 2 }).notNull().default("0"),
    /** value of the blocked entries in the legal entity's currency (when known) */
    valueAtStake: numeric("value_at_stake", { precision: 14, scale: 2 }),
    currency: char("currency", { length: 3 }),
    /** the same value in the reporting currency, at each entry's work-date FX rate */
    valueReporting: numeric("value_reporting", { precision: 14, scale: 2 }),
    oldestWorkDate: date("oldest_work_date"),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    occurrences: integer("occurrences").notNull().default(1),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /** auto (validation passed) or manual (a person resolved it) */
    resolution: text("resolution"),
    resolutionNote: text("resolution_note"),
    resolvedBy: text("resolved_by"),
    assigneeId: uuid("assignee_id").references(() => users.id),
    ignoredUntil: timestamp("ignored_until", { withTimezone: true }),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    /** bumps on every change, for "someone else changed this" checks */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("exceptions_code_subject_uq").on(t.code, t.subjectKey),
    index("exceptions_queue_idx").on(t.status, t.owner, t.lastSeenAt.desc()),
    index("exceptions_code_status_idx").on(t.code, t.status),
    index("exceptions_entity_idx").on(t.legalEntityId, t.status),
    index("exceptions_project_idx").on(t.projectId),
    index("exceptions_employee_idx").on(t.employeeId),
    index("exceptions_assignee_idx").on(t.assigneeId),
    // the open queue's sorts, one index per sortable key (ties by id), so a page is an index
    // walk whatever the queue's size: largest value, oldest, most hours, last seen
    index("exceptions_open_value_idx").on(sql`coalesce(${t.valueReporting}, -1)`, t.id).where(sql`${t.status} = 'open'`),
    index("exceptions_open_age_idx").on(t.firstSeenAt, t.id).where(sql`${t.status} = 'open'`),
    index("exceptions_open_hours_idx").on(t.hoursAtStake, t.id).where(sql`${t.status} = 'open'`),
    index("exceptions_open_last_seen_idx").on(t.lastSeenAt, t.id).where(sql`${t.status} = 'open'`),
  ],
);

/** Which entries (or raw records) an exception currently blocks. */
export const exceptionEntries = pgTable(
  "exception_entries",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    exceptionId: uuid("exception_id").notNull().references(() => exceptions.id, { onDelete: "cascade" }),
    timeEntryId: uuid("time_entry_id").references(() => timeEntries.id),
    expenseEntryId: uuid("expense_entry_id").references(() => expenseEntries.id),
    rawRecordId: bigint("raw_record_id", { mode: "number" }).references(() => rawRecords.id),
    /** what this entry puts at stake, so the exception's totals are plain sums */
    workDate: date("work_date"),
    hours: numeric("hours", { precision: 8, scale: 2 }).notNull().default("0"),
    value: numeric("value", { precision: 14, scale: 2 }),
    currency: char("currency", { length: 3 }),
    valueReporting: numeric("value_reporting", { precision: 14, scale: 2 }),
    linkedAt: timestamp("linked_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("exception_entries_time_uq").on(t.exceptionId, t.timeEntryId).where(sql`${t.timeEntryId} is not null`),
    uniqueIndex("exception_entries_expense_uq").on(t.exceptionId, t.expenseEntryId).where(sql`${t.expenseEntryId} is not null`),
    uniqueIndex("exception_entries_raw_uq").on(t.exceptionId, t.rawRecordId).where(sql`${t.rawRecordId} is not null`),
    index("exception_entries_exception_idx").on(t.exceptionId),
    index("exception_entries_time_idx").on(t.timeEntryId),
    index("exception_entries_expense_idx").on(t.expenseEntryId),
    index("exception_entries_raw_idx").on(t.rawRecordId),
  ],
);

/** The exception's own history: raised, seen again, commented, assigned, resolved, reopened. */
export const exceptionEvents = pgTable(
  "exception_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    exceptionId: uuid("exception_id").notNull().references(() => exceptions.id, { onDelete: "cascade" }),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    actorLabel: text("actor_label").notNull(),
    kind: text("kind").notNull(),
    message: text("message").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [index("exception_events_exception_idx").on(t.exceptionId, t.at)],
);

/**
 * How long each code may stay open before it is late (the queue's age colours and the
 * "older than SLA" alert). A code without a row uses its default from the domain table.
 */
export const exceptionSlas = pgTable("exception_slas", {
  code: text("code").primaryKey(),
  slaHours: integer("sla_hours").notNull(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/** A named set of queue filters: a person's own, or shared with everyone who opens the queue. */
export const savedViews = pgTable(
  "saved_views",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    area: text("area").notNull(),
    ownerId: uuid("owner_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    /** the view's URL search string, e.g. "owner=finance&age=gt3d" */
    query: text("query").notNull(),
    shared: boolean("shared").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("saved_views_owner_name_uq").on(t.area, t.ownerId, t.name), index("saved_views_owner_idx").on(t.ownerId)],
);

/**
 * An action on many exceptions at once, run by the worker as one job: the request, its
 * progress, and each exception's outcome (done, skipped because it changed, refused).
 */
export const exceptionBulkActions = pgTable(
  "exception_bulk_actions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    action: text("action").notNull(),
    params: jsonb("params").$type<Record<string, unknown>>().notNull().default({}),
    /** exception id → the version the person saw when selecting it */
    items: jsonb("items").$type<{ id: string; version: number }[]>().notNull(),
    requestedById: uuid("requested_by_id").notNull().references(() => users.id),
    requestedBy: text("requested_by").notNull(),
    correlationId: text("correlation_id").notNull(),
    status: text("status").notNull().default("queued"),
    total: integer("total").notNull(),
    processed: integer("processed").notNull().default(0),
    succeeded: integer("succeeded").notNull().default(0),
    skipped: integer("skipped").notNull().default(0),
    failed: integer("failed").notNull().default(0),
    /** one line per exception that was not done, with why */
    problems: jsonb("problems").$type<{ id: string; outcome: string; message: string }[]>().notNull().default([]),
    error: text("error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [index("exception_bulk_actions_requester_idx").on(t.requestedById, t.createdAt)],
);
