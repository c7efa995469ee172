import { sql } from "drizzle-orm";
import {
  char,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  text,
  timestamp,
  uuid,
} from "drizzle-orm/pg-core";
import { postingKindEnum, postingStatusEnum } from "./enums";
import { customers, legalEntities, projects } from "./org";
import { expenseEntries, timeEntries } from "./time";

/**
 * The outbox: one row per intended ERP effect. Written in the same transaction as the
 * entry state that calls for it; the idempotency key makes a re-run change nothing.
 */
export const erpPostings = pgTable(
  "erp_postings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    timeEntryId: uuid("time_entry_id").references(() => timeEntries.id),
    expenseEntryId: uuid("expense_entry_id").references(() => expenseEntries.id),
    kind: postingKindEnum("kind").notNull(),
    entryVersion: integer("entry_version").notNull(),
    idempotencyKey: text("idempotency_key").notNull().unique(),
    status: postingStatusEnum("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }).notNull().defaultNow(),
    lastError: text("last_error"),
    request: jsonb("request").notNull(),
    response: jsonb("response"),
    erpId: text("erp_id"),
    legalEntityId: uuid("legal_entity_id").references(() => legalEntities.id),
    hours: numeric("hours", { precision: 8, scale: 2 }),
    amount: numeric("amount", { precision: 14, scale: 2 }),
    currency: char("currency", { length: 3 }),
    correlationId: text("correlation_id").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp("sent_at", { withTimezone: true }),
    acceptedAt: timestamp("accepted_at", { withTimezone: true }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // the posting workers' queue: what is due and not finished
    index("erp_postings_due_idx").on(t.nextAttemptAt).where(sql`${t.status} in ('pending', 'sent')`),
    index("erp_postings_time_entry_idx").on(t.timeEntryId),
    index("erp_postings_expense_entry_idx").on(t.expenseEntryId),
    index("erp_postings_status_idx").on(t.status, t.updatedAt),
    index("erp_postings_entity_idx").on(t.legalEntityId),
  ],
);

/** Invoices read back from the ERP. */
export const invoices = pgTable(
  "invoices",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    erpId: text("erp_id").notNull().unique(),
    number: text("number").notNull(),
    customerId: uuid("customer_id").references(() => customers.id),
    legalEntityId: uuid("legal_entity_id").notNull().references(() => legalEntities.id),
    projectId: uuid("project_id").references(() => projects.id),
    invoiceDate: date("invoice_date").notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    total: numeric("total", { precision: 14, scale: 2 }).notNull(),
    status: text("status").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index("invoices_customer_idx").on(t.customerId),
    index("invoices_entity_date_idx").on(t.legalEntityId, t.invoiceDate),
    index("invoices_project_idx").on(t.projectId),
  ],
);

export const invoiceLines = pgTable(
  "invoice_lines",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    invoiceId: uuid("invoice_id").notNull().references(() => invoices.id),
    erpLineId: text("erp_line_id"),
    timeEntryId: uuid("time_entry_id").references(() => timeEntries.id),
    expenseEntryId: uuid("expense_entry_id").references(() => expenseEntries.id),
    description: text("description"),
    hours: numeric("hours", { precision: 8, scale: 2 }),
    amount: numeric("amount", { precision: 14, scale: 2 }).notNull(),
  },
  (t) => [
    index("invoice_lines_invoice_idx").on(t.invoiceId),
    index("invoice_lines_time_entry_idx").on(t.timeEntryId),
    index("invoice_lines_expense_entry_idx").on(t.expenseEntryId),
  ],
);
