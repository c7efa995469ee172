import { sql } from "drizzle-orm";
import {
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
import { postingKindEnum, postingStatusEnum } from "./enums";
import { customers, legalEntities, projects } from "./org";
import { connectors, syncRuns } from "./sync";
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
    /**
     * The claim of the sender that holds the posting (set at each claim): an outcome is written
     * only by the holder of the current claim, so a sender whose lease passed changes nothing.
     */
    claimToken: uuid("claim_token"),
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
    // read-back finds the posting behind an ERP record; only accepted postings have one
    index("erp_postings_erp_id_idx").on(t.erpId).where(sql`${t.erpId} is not null`),
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

/**
 * What the ERP holds, as last read back (one row per ERP time record): the ERP side of
 * reconciliation. Linked to the entry it came from when the ERP id or the memo's reference
 * says which; a record no entry claims is "in the ERP but unknown to us". A record that a
 * later read of its date range no longer finds keeps its row, with `missingSince` set.
 */
export const erpTimeRecords = pgTable(
  "erp_time_records",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    connectorId: uuid("connector_id").notNull().references(() => connectors.id),
    erpId: text("erp_id").notNull(),
    timeEntryId: uuid("time_entry_id").references(() => timeEntries.id),
    legalEntityId: uuid("legal_entity_id").references(() => legalEntities.id),
    projectId: uuid("project_id").references(() => projects.id),
    employeeErpId: text("employee_erp_id").notNull(),
    jobErpId: text("job_erp_id").notNull(),
    itemErpId: text("item_erp_id"),
    subsidiaryErpId: text("subsidiary_erp_id").notNull(),
    workDate: date("work_date").notNull(),
    hours: numeric("hours", { precision: 8, scale: 2 }).notNull(),
    rate: numeric("rate", { precision: 12, scale: 2 }),
    billable: boolean("billable").notNull(),
    memo: text("memo"),
    approvalStatus: text("approval_status"),
    /** the ERP invoice that billed it, if any */
    invoiceErpId: text("invoice_erp_id"),
    erpModifiedAt: timestamp("erp_modified_at", { withTimezone: true }),
    firstSeenAt: timestamp("first_seen_at", { withTimezone: true }).notNull().defaultNow(),
    lastSeenAt: timestamp("last_seen_at", { withTimezone: true }).notNull().defaultNow(),
    /** not found by the last read of its date range: deleted or moved in the ERP */
    missingSince: timestamp("missing_since", { withTimezone: true }),
    syncRunId: uuid("sync_run_id").references(() => syncRuns.id),
  },
  (t) => [
    uniqueIndex("erp_time_records_erp_uq").on(t.connectorId, t.erpId),
    index("erp_time_records_entry_idx").on(t.timeEntryId),
    index("erp_time_records_entity_date_idx").on(t.legalEntityId, t.workDate),
    index("erp_time_records_project_idx").on(t.projectId),
    index("erp_time_records_run_idx").on(t.syncRunId),
    // records no entry claims: the "in the ERP but unknown to us" variance
    index("erp_time_records_unmatched_idx").on(t.workDate).where(sql`${t.timeEntryId} is null`),
  ],
);

/**
 * Every attempt to send a posting, as it happened: when, how long, what came back. The
 * posting row keeps only the latest; this is its history (the exception drawer's lineage, the
 * sync console's error rate, latency and errors by class).
 */
export const erpPostingAttempts = pgTable(
  "erp_posting_attempts",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    postingId: uuid("posting_id").notNull().references(() => erpPostings.id),
    connectorId: uuid("connector_id").references(() => connectors.id),
    attempt: integer("attempt").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull(),
    durationMs: integer("duration_ms").notNull(),
    /** accepted | found (already in the ERP, by key) | rejected | transient */
    outcome: text("outcome").notNull(),
    /** the HTTP status, when there was an answer */
    httpStatus: integer("http_status"),
    /** a short class for charts: 5xx, 429, timeout, network, rejected:<code>… */
    errorClass: text("error_class"),
    error: text("error"),
    response: jsonb("response"),
    correlationId: text("correlation_id").notNull(),
  },
  (t) => [
    index("erp_posting_attempts_posting_idx").on(t.postingId, t.attempt),
    index("erp_posting_attempts_connector_time_idx").on(t.connectorId, t.startedAt),
    // a run's page lists the attempts it made (by correlation id); metrics read the last 24 h
    index("erp_posting_attempts_correlation_idx").on(t.correlationId),
    index("erp_posting_attempts_time_idx").on(t.startedAt),
  ],
);
