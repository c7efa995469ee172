import { sql } from "drizzle-orm";
import {
  boolean,
  char,
  date,
  index,
  integer,
  numeric,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { contractTypeEnum, periodStatusEnum, projectStatusEnum } from "./enums";

const timestamps = {
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
};

/** ERP subsidiaries: the legal entities that book revenue, each in its functional currency. */
export const legalEntities = pgTable("legal_entities", {
  id: uuid("id").primaryKey().defaultRandom(),
  code: text("code").notNull().unique(),
  name: text("name").notNull(),
  erpSubsidiaryId: text("erp_subsidiary_id").notNull().unique(),
  functionalCurrency: char("functional_currency", { length: 3 }).notNull(),
  country: char("country", { length: 2 }).notNull(),
  region: text("region").notNull(),
  postingSlaHours: integer("posting_sla_hours").notNull().default(24),
  ...timestamps,
});

export const customers = pgTable(
  "customers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    erpId: text("erp_id").notNull().unique(),
    name: text("name").notNull(),
    legalEntityId: uuid("legal_entity_id").notNull().references(() => legalEntities.id),
    active: boolean("active").notNull().default(true),
    ...timestamps,
  },
  (t) => [index("customers_entity_idx").on(t.legalEntityId)],
);

/** ERP jobs. Time is posted against these; their status decides whether it may be. */
export const projects = pgTable(
  "projects",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    erpId: text("erp_id").notNull().unique(),
    code: text("code").notNull().unique(),
    name: text("name").notNull(),
    customerId: uuid("customer_id").notNull().references(() => customers.id),
    legalEntityId: uuid("legal_entity_id").notNull().references(() => legalEntities.id),
    region: text("region").notNull(),
    businessUnit: text("business_unit").notNull(),
    practice: text("practice").notNull(),
    status: projectStatusEnum("status").notNull().default("active"),
    contractType: contractTypeEnum("contract_type").notNull(),
    /** the most that may be billed on a capped project, in the project currency */
    billingCap: numeric("billing_cap", { precision: 14, scale: 2 }),
    currency: char("currency", { length: 3 }).notNull(),
    startsOn: date("starts_on"),
    endsOn: date("ends_on"),
    ...timestamps,
  },
  (t) => [
    index("projects_customer_idx").on(t.customerId),
    index("projects_entity_idx").on(t.legalEntityId),
    index("projects_status_idx").on(t.status),
    index("projects_region_bu_idx").on(t.region, t.businessUnit),
  ],
);

/** Fixed-fee billing events. */
export const milestones = pgTable(
  "milestones",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id").notNull().references(() => projects.id),
    name: text("name").notNull(),
    amount: numeric("amount", { precision: 14, scale: 2 }).notNull(),
    dueOn: date("due_on").notNull(),
    erpId: text("erp_id").unique(),
    billedAt: timestamp("billed_at", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [index("milestones_project_idx").on(t.projectId, t.dueOn)],
);

export const employees = pgTable(
  "employees",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    erpId: text("erp_id").notNull().unique(),
    name: text("name").notNull(),
    email: text("email").notNull(),
    legalEntityId: uuid("legal_entity_id").notNull().references(() => legalEntities.id),
    region: text("region").notNull(),
    department: text("department").notNull(),
    costCenter: text("cost_center").notNull(),
    weeklyCapacityHours: numeric("weekly_capacity_hours", { precision: 5, scale: 2 }).notNull().default("40"),
    active: boolean("active").notNull().default(true),
    ...timestamps,
  },
  (t) => [
    index("employees_entity_idx").on(t.legalEntityId),
    index("employees_email_idx").on(sql`lower(${t.email})`),
  ],
);

/** Labor categories, each an ERP service item. */
export const laborCategories = pgTable("labor_categories", {
  id: uuid("id").primaryKey().defaultRandom(),
  erpItemId: text("erp_item_id").notNull().unique(),
  code: text("code").notNull().unique(),
  name: text("name").notNull(),
  billable: boolean("billable").notNull().default(true),
  active: boolean("active").notNull().default(true),
  ...timestamps,
});

/**
 * What a labor category bills at, from validFrom to validTo (inclusive; null = open). A
 * project-specific rate wins over the category's standard rate (projectId null).
 */
export const billRates = pgTable(
  "bill_rates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    projectId: uuid("project_id").references(() => projects.id),
    laborCategoryId: uuid("labor_category_id").notNull().references(() => laborCategories.id),
    rate: numeric("rate", { precision: 12, scale: 2 }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    validFrom: date("valid_from").notNull(),
    validTo: date("valid_to"),
    ...timestamps,
  },
  (t) => [
    index("bill_rates_lookup_idx").on(t.laborCategoryId, t.projectId, t.validFrom),
    index("bill_rates_project_idx").on(t.projectId),
  ],
);

/** What a person costs per hour, effective-dated like bill rates. */
export const costRates = pgTable(
  "cost_rates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    employeeId: uuid("employee_id").notNull().references(() => employees.id),
    rate: numeric("rate", { precision: 12, scale: 2 }).notNull(),
    currency: char("currency", { length: 3 }).notNull(),
    validFrom: date("valid_from").notNull(),
    validTo: date("valid_to"),
    ...timestamps,
  },
  (t) => [index("cost_rates_lookup_idx").on(t.employeeId, t.validFrom)],
);

export const accountingPeriods = pgTable(
  "accounting_periods",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    legalEntityId: uuid("legal_entity_id").notNull().references(() => legalEntities.id),
    /** YYYY-MM */
    period: char("period", { length: 7 }).notNull(),
    startsOn: date("starts_on").notNull(),
    endsOn: date("ends_on").notNull(),
    status: periodStatusEnum("status").notNull().default("open"),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex("accounting_periods_entity_period_uq").on(t.legalEntityId, t.period)],
);

/** Daily exchange rates: 1 unit of fromCurrency = rate units of toCurrency. */
export const fxRates = pgTable(
  "fx_rates",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    rateDate: date("rate_date").notNull(),
    fromCurrency: char("from_currency", { length: 3 }).notNull(),
    toCurrency: char("to_currency", { length: 3 }).notNull(),
    rate: numeric("rate", { precision: 18, scale: 8 }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("fx_rates_day_pair_uq").on(t.fromCurrency, t.toCurrency, t.rateDate)],
);
