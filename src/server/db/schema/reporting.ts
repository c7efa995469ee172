import { sql } from "drizzle-orm";
import { bigint, char, date, index, integer, jsonb, numeric, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { employees, legalEntities, projects } from "./org";
import { syncRuns } from "./sync";
import { timeEntries } from "./time";
import { SOURCE_APPROVAL_CLASSES, VARIANCE_CLASSES, type SourceApprovalClass, type VarianceClass } from "../../services/reconciliation/classes";

/** How a reconciliation run stands. */
export const RECONCILIATION_STATUSES = ["queued", "running", "succeeded", "failed"] as const;
export type ReconciliationStatus = (typeof RECONCILIATION_STATUSES)[number];

export { SOURCE_APPROVAL_CLASSES, VARIANCE_CLASSES, type SourceApprovalClass, type VarianceClass };

/** One side's figures: how many lines, their hours and their value in the reporting currency. */
export type SideTotals = { count: number; hours: string; value: string; unvalued: number };

/** One variance class's figures in a run. */
export type VarianceFigures = { count: number; hours: string; value: string; unexplained: number };

/**
 * Whether the run asked the sources for their entries' approval now, and what it found or why
 * not, in a sentence (`note`). Not checked: the approval classes have no figures at all.
 */
export type SourceApprovalsCheck =
  | {
      checked: true;
      note: string;
      /** each source connector asked, and how many entries it listed for the period's dates */
      sources: { name: string; listed: number }[];
      /** approval differences no legal entity can be named for (firm-wide): left out of every entity's lines */
      unattributed: { count: number; hours: string; refs: string[] };
    }
  | { checked: false; note: string };

/** What a run found, kept whole so that two runs or two periods can be set side by side. */
export type ReconciliationTotals = {
  sourceApproved: SideTotals;
  canonical: SideTotals;
  erpPosted: SideTotals;
  invoiced: SideTotals;
  /** lines where all sides agree */
  matched: number;
  /** every line considered: our entries of the period, plus ERP records no entry claims */
  lines: number;
  /**
   * Per class. The approval classes are absent when the run did not check the sources (a
   * failure, no usable source connector, or a run from before the check existed): "not checked".
   */
  variances: Record<Exclude<VarianceClass, SourceApprovalClass>, VarianceFigures> & Partial<Record<SourceApprovalClass, VarianceFigures>>;
  /** approved entries of the period that belong to no legal entity yet (their project is unmapped) — not in any entity's lines */
  unassigned?: { count: number; hours: string };
  /** the check of approvals against the sources' current state (absent in runs from before it existed) */
  sourceApprovals?: SourceApprovalsCheck;
};

/**
 * One three-way reconciliation of a legal entity and accounting period: queued from the console
 * or the schedule, run by the worker (read back the ERP's side, compare, store). Each run keeps
 * its totals, its variance lines and its breakdowns, so runs and periods can be compared.
 */
export const reconciliationRuns = pgTable(
  "reconciliation_runs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    legalEntityId: uuid("legal_entity_id").notNull().references(() => legalEntities.id),
    /** YYYY-MM, an accounting period of the entity */
    period: char("period", { length: 7 }).notNull(),
    status: text("status").$type<ReconciliationStatus>().notNull().default("queued"),
    /** schedule | manual */
    trigger: text("trigger").notNull(),
    requestedBy: text("requested_by").notNull(),
    requestedAt: timestamp("requested_at", { withTimezone: true }).notNull().defaultNow(),
    startedAt: timestamp("started_at", { withTimezone: true }),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
    /** the read-back this run made of the ERP's side, when it made one */
    readBackRunId: uuid("read_back_run_id").references(() => syncRuns.id),
    /** what the ERP side rests on, in a sentence (read now, or the last read-back when the ERP could not be read) */
    erpSideNote: text("erp_side_note"),
    reportingCurrency: char("reporting_currency", { length: 3 }).notNull(),
    totals: jsonb("totals").$type<ReconciliationTotals>(),
    matchedLines: integer("matched_lines"),
    totalLines: integer("total_lines"),
    error: text("error"),
    correlationId: text("correlation_id").notNull(),
  },
  (t) => [
    index("reconciliation_runs_entity_period_idx").on(t.legalEntityId, t.period, t.requestedAt.desc()),
    // a run waiting or under way for an entity and period: at most one (a double click queues one)
    uniqueIndex("reconciliation_runs_active_uq").on(t.legalEntityId, t.period).where(sql`${t.status} in ('queued', 'running')`),
    index("reconciliation_runs_read_back_idx").on(t.readBackRunId),
  ],
);

/**
 * The lines behind a run's variances: one per entry or ERP record that does not reconcile, with
 * both sides' hours and amounts, and what explains it when something does.
 */
export const reconciliationVariances = pgTable(
  "reconciliation_variances",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid("run_id").notNull().references(() => reconciliationRuns.id, { onDelete: "cascade" }),
    varianceClass: text("variance_class").$type<VarianceClass>().notNull(),
    timeEntryId: uuid("time_entry_id").references(() => timeEntries.id),
    /** the ERP record (erp_time_records.id) when the variance has one */
    erpRecordId: uuid("erp_record_id"),
    erpId: text("erp_id"),
    sourceRef: text("source_ref"),
    projectId: uuid("project_id").references(() => projects.id),
    employeeId: uuid("employee_id").references(() => employees.id),
    projectLabel: text("project_label"),
    personLabel: text("person_label"),
    workDate: date("work_date").notNull(),
    hoursOurs: numeric("hours_ours", { precision: 8, scale: 2 }),
    hoursErp: numeric("hours_erp", { precision: 8, scale: 2 }),
    amountOurs: numeric("amount_ours", { precision: 14, scale: 2 }),
    amountErp: numeric("amount_erp", { precision: 14, scale: 2 }),
    currency: char("currency", { length: 3 }),
    /** what the line puts at stake in the reporting currency (null: no rate to convert it) */
    valueReporting: numeric("value_reporting", { precision: 14, scale: 2 }),
    /** why, when it is known (an open exception, the outbox, the next invoice run); null = unexplained */
    explanation: text("explanation"),
  },
  (t) => [
    index("reconciliation_variances_run_class_idx").on(t.runId, t.varianceClass, t.id),
    index("reconciliation_variances_entry_idx").on(t.timeEntryId),
    index("reconciliation_variances_project_idx").on(t.projectId),
    index("reconciliation_variances_employee_idx").on(t.employeeId),
  ],
);

/** A run's figures by project and by person, the four sides each (for the tables and for comparing runs). */
export const reconciliationBreakdowns = pgTable(
  "reconciliation_breakdowns",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    runId: uuid("run_id").notNull().references(() => reconciliationRuns.id, { onDelete: "cascade" }),
    /** project | person */
    dimension: text("dimension").$type<"project" | "person">().notNull(),
    /** the project's or employee's id; "" for lines that have none (ERP records of unknown jobs) */
    key: text("key").notNull(),
    label: text("label").notNull(),
    sourceCount: integer("source_count").notNull(),
    sourceHours: numeric("source_hours", { precision: 14, scale: 2 }).notNull(),
    sourceValue: numeric("source_value", { precision: 16, scale: 2 }).notNull(),
    canonicalCount: integer("canonical_count").notNull(),
    canonicalHours: numeric("canonical_hours", { precision: 14, scale: 2 }).notNull(),
    canonicalValue: numeric("canonical_value", { precision: 16, scale: 2 }).notNull(),
    erpCount: integer("erp_count").notNull(),
    erpHours: numeric("erp_hours", { precision: 14, scale: 2 }).notNull(),
    erpValue: numeric("erp_value", { precision: 16, scale: 2 }).notNull(),
    invoicedCount: integer("invoiced_count").notNull(),
    invoicedHours: numeric("invoiced_hours", { precision: 14, scale: 2 }).notNull(),
    invoicedValue: numeric("invoiced_value", { precision: 16, scale: 2 }).notNull(),
    variances: integer("variances").notNull(),
  },
  (t) => [index("reconciliation_breakdowns_run_idx").on(t.runId, t.dimension)],
);

/**
 * The KPI dashboard's daily history: one row per day and slice (legal entity, region, business
 * unit, practice of the project). Stock figures (unbilled, unposted, open exceptions) are what
 * stood when the row was computed: `live` rows by the snapshot job with the same definitions as
 * the dashboard's tiles, `backfill` rows reconstructed from the entries' life-cycle timestamps.
 * Flow figures (approvals and their SLA outcome, postings accepted, entries billed) are the day's
 * events, exact either way. Durations are whole seconds in arrays, so percentiles over any
 * window are exact. See docs/kpis.md.
 */
export const kpiDailySnapshots = pgTable(
  "kpi_daily_snapshots",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    day: date("day").notNull(),
    /** entity|region|business unit|practice ("-" for none): one row per day and slice */
    sliceKey: text("slice_key").notNull(),
    legalEntityId: uuid("legal_entity_id").references(() => legalEntities.id),
    region: text("region"),
    businessUnit: text("business_unit"),
    practice: text("practice"),
    /** live | backfill */
    method: text("method").$type<"live" | "backfill">().notNull(),
    computedAt: timestamp("computed_at", { withTimezone: true }).notNull().defaultNow(),
    reportingCurrency: char("reporting_currency", { length: 3 }).notNull(),
    // stock: unbilled approved billable time, by blocker and by age since approval
    unbilledCount: integer("unbilled_count").notNull().default(0),
    unbilledHours: numeric("unbilled_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    unbilledValue: numeric("unbilled_value", { precision: 16, scale: 2 }).notNull().default("0"),
    unbilledUnvalued: integer("unbilled_unvalued").notNull().default(0),
    blockedExceptionHours: numeric("blocked_exception_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    blockedExceptionValue: numeric("blocked_exception_value", { precision: 16, scale: 2 }).notNull().default("0"),
    awaitingPostingHours: numeric("awaiting_posting_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    awaitingPostingValue: numeric("awaiting_posting_value", { precision: 16, scale: 2 }).notNull().default("0"),
    awaitingInvoiceHours: numeric("awaiting_invoice_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    awaitingInvoiceValue: numeric("awaiting_invoice_value", { precision: 16, scale: 2 }).notNull().default("0"),
    age0to7Hours: numeric("age_0_7_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    age8to30Hours: numeric("age_8_30_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    age31to60Hours: numeric("age_31_60_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    ageOver60Hours: numeric("age_over_60_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    // stock: approved entries without an accepted ERP posting; open exceptions
    unpostedCount: integer("unposted_count").notNull().default(0),
    unpostedHours: numeric("unposted_hours", { precision: 14, scale: 2 }).notNull().default("0"),
    openExceptions: integer("open_exceptions").notNull().default(0),
    // flow: entries approved on the day and their posting SLA outcome
    approvedCount: integer("approved_count").notNull().default(0),
    slaMet: integer("sla_met").notNull().default(0),
    slaMissed: integer("sla_missed").notNull().default(0),
    slaPending: integer("sla_pending").notNull().default(0),
    /** approved → accepted, seconds, per create posting the ERP accepted on the day */
    latencySeconds: integer("latency_seconds").array().notNull().default(sql`'{}'::integer[]`),
    /** approved → invoice date, seconds, per entry billed (invoice dated) on the day */
    cycleSeconds: integer("cycle_seconds").array().notNull().default(sql`'{}'::integer[]`),
    billedHours: numeric("billed_hours", { precision: 14, scale: 2 }).notNull().default("0"),
  },
  (t) => [uniqueIndex("kpi_daily_snapshots_day_slice_uq").on(t.day, t.sliceKey), index("kpi_daily_snapshots_entity_idx").on(t.legalEntityId)],
);
