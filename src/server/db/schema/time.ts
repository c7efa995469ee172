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
import { entryStateEnum, sourceSystemEnum } from "./enums";
import { employees, laborCategories, legalEntities, projects } from "./org";
import { rawRecords } from "./sync";
import { invoices } from "./erp";

/*
 * Time and expense entries share their identity, life cycle and ERP columns. Each helper
 * returns fresh column builders, as every table needs its own.
 */
const sourcedEntry = () => ({
  id: uuid("id").primaryKey().defaultRandom(),
  sourceSystem: sourceSystemEnum("source_system").notNull(),
  sourceId: text("source_id").notNull(),
  version: integer("version").notNull().default(1),
  state: entryStateEnum("state").notNull(),
  /** hash of the material fields; a new hash is a new version */
  contentHash: text("content_hash").notNull(),
  sourceUserId: text("source_user_id").notNull(),
  sourceProjectId: text("source_project_id").notNull(),
});

const lifeCycle = () => ({
  submittedAt: timestamp("submitted_at", { withTimezone: true }),
  approvedAt: timestamp("approved_at", { withTimezone: true }),
  rejectedAt: timestamp("rejected_at", { withTimezone: true }),
  postedAt: timestamp("posted_at", { withTimezone: true }),
  billedAt: timestamp("billed_at", { withTimezone: true }),
  voidedAt: timestamp("voided_at", { withTimezone: true }),
});

/** what the ERP holds of the entry, and the payload it came from */
const inTheErp = () => ({
  erpId: text("erp_id"),
  postedVersion: integer("posted_version"),
  invoiceId: uuid("invoice_id").references(() => invoices.id),
  rawRecordId: bigint("raw_record_id", { mode: "number" }).references(() => rawRecords.id),
});

const rowTimestamps = () => ({
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
});

/**
 * One row per source time entry. Source fields say what the source says (external ids);
 * enrichment fields say what Hourbridge resolved them to when the entry last passed
 * validation. `version` bumps on every material change; a posting is keyed by it.
 */
export const timeEntries = pgTable(
  "time_entries",
  {
    ...sourcedEntry(),
    sourceTaskId: text("source_task_id").notNull(),
    workDate: date("work_date").notNull(),
    hours: numeric("hours", { precision: 8, scale: 2 }).notNull(),
    billable: boolean("billable").notNull(),
    notes: text("notes"),
    /** the source's own bill rate and currency: the value at stake while the entry cannot be priced */
    sourceBillRate: numeric("source_bill_rate", { precision: 12, scale: 2 }),
    sourceCurrency: char("source_currency", { length: 3 }),
    ...lifeCycle(),
    approvedBy: text("approved_by"),
    // enrichment, set when the entry passes validation
    employeeId: uuid("employee_id").references(() => employees.id),
    projectId: uuid("project_id").references(() => projects.id),
    laborCategoryId: uuid("labor_category_id").references(() => laborCategories.id),
    legalEntityId: uuid("legal_entity_id").references(() => legalEntities.id),
    currency: char("currency", { length: 3 }),
    billRate: numeric("bill_rate", { precision: 12, scale: 2 }),
    costRate: numeric("cost_rate", { precision: 12, scale: 2 }),
    billAmount: numeric("bill_amount", { precision: 14, scale: 2 }),
    costAmount: numeric("cost_amount", { precision: 14, scale: 2 }),
    // what the ERP holds
    ...inTheErp(),
    ...rowTimestamps(),
  },
  (t) => [
    uniqueIndex("time_entries_source_uq").on(t.sourceSystem, t.sourceId),
    index("time_entries_state_idx").on(t.state, t.workDate),
    // the validation work list: approved entries not yet posted
    index("time_entries_approved_idx").on(t.approvedAt).where(sql`${t.state} = 'approved'`),
    index("time_entries_project_date_idx").on(t.projectId, t.workDate),
    index("time_entries_employee_date_idx").on(t.employeeId, t.workDate),
    index("time_entries_entity_date_idx").on(t.legalEntityId, t.workDate),
    index("time_entries_labor_category_idx").on(t.laborCategoryId),
    index("time_entries_source_project_idx").on(t.sourceSystem, t.sourceProjectId),
    index("time_entries_source_task_idx").on(t.sourceSystem, t.sourceTaskId),
    index("time_entries_source_user_date_idx").on(t.sourceSystem, t.sourceUserId, t.workDate),
    index("time_entries_invoice_idx").on(t.invoiceId),
    index("time_entries_raw_record_idx").on(t.rawRecordId),
    // read-back finds an ERP record's entry by the ERP's id; most entries have none yet
    index("time_entries_erp_id_idx").on(t.erpId).where(sql`${t.erpId} is not null`),
  ],
);

export const expenseEntries = pgTable(
  "expense_entries",
  {
    ...sourcedEntry(),
    category: text("category").notNull(),
    spentOn: date("spent_on").notNull(),
    amount: numeric("amount", { precision: 14, scale: 2 }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    billable: boolean("billable").notNull(),
    notes: text("notes"),
    ...lifeCycle(),
    employeeId: uuid("employee_id").references(() => employees.id),
    projectId: uuid("project_id").references(() => projects.id),
    legalEntityId: uuid("legal_entity_id").references(() => legalEntities.id),
    ...inTheErp(),
    details: jsonb("details").$type<Record<string, unknown>>().notNull().default({}),
    ...rowTimestamps(),
  },
  (t) => [
    uniqueIndex("expense_entries_source_uq").on(t.sourceSystem, t.sourceId),
    index("expense_entries_state_idx").on(t.state, t.spentOn),
    index("expense_entries_project_idx").on(t.projectId, t.spentOn),
    index("expense_entries_employee_idx").on(t.employeeId, t.spentOn),
    index("expense_entries_entity_idx").on(t.legalEntityId, t.spentOn),
    index("expense_entries_invoice_idx").on(t.invoiceId),
    index("expense_entries_raw_record_idx").on(t.rawRecordId),
  ],
);

/**
 * The life of an entry, one row per transition: approved, withdrawn, corrected, posted,
 * reversed, invoiced, taken off an invoice… with the version it concerns and a sentence. The
 * lineage shows it; nothing reads it to decide anything (the entry row and the outbox do).
 */
export const timeEntryEvents = pgTable(
  "time_entry_events",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    timeEntryId: uuid("time_entry_id")
      .notNull()
      .references(() => timeEntries.id),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** approved, withdrawn, rejected, corrected, voided, posted, reversed, reversal_refused, invoiced, uninvoiced, superseded… */
    kind: text("kind").notNull(),
    fromState: text("from_state"),
    toState: text("to_state"),
    /** the entry version the event is about */
    version: integer("version"),
    message: text("message").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    actorLabel: text("actor_label").notNull(),
    correlationId: text("correlation_id"),
  },
  (t) => [index("time_entry_events_entry_idx").on(t.timeEntryId, t.at)],
);
