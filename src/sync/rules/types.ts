import type { EntryState, ExceptionCode, OwnerTeam, Severity, SourceSystem } from "@/server/domain/enums";

/** Dates are ISO calendar days ("2026-05-14"); hours, rates and money are decimal strings. */
export type IsoDate = string;
export type Decimal = string;

/** An entry as the rules see it: what the source says, plus what is already in the ERP. */
export type EntryForValidation = {
  id: string;
  sourceSystem: SourceSystem;
  sourceId: string;
  version: number;
  state: EntryState;
  workDate: IsoDate;
  hours: Decimal;
  billable: boolean;
  sourceUserId: string;
  sourceProjectId: string;
  sourceTaskId: string;
  /** the source's own bill rate and currency, to value the entry while it cannot be priced */
  sourceBillRate: Decimal | null;
  sourceCurrency: string | null;
};

export type ProjectInfo = {
  id: string;
  erpId: string;
  code: string;
  name: string;
  status: "active" | "on_hold" | "closed";
  contractType: "time_and_materials" | "fixed_fee" | "retainer" | "capped";
  billingCap: Decimal | null;
  currency: string;
  legalEntityId: string;
  region: string;
  businessUnit: string;
};
export type EmployeeInfo = { id: string; erpId: string; name: string; legalEntityId: string; region: string };
export type LaborCategoryInfo = { id: string; erpItemId: string; code: string; name: string; billable: boolean };
export type EntityInfo = { id: string; code: string; name: string; erpSubsidiaryId: string; functionalCurrency: string; region: string };
export type Rate = { rate: Decimal; currency: string };
export type SourceLabel = { code: string | null; name: string };
export type MappingKindForRules = "project" | "task" | "user";

/**
 * Everything the rules may consult, loaded for a whole batch in a constant number of
 * queries (src/server/services/validation/load-lookups.ts). Pure data and pure functions.
 */
export type Lookups = {
  reportingCurrency: string;
  /** the active mapping of a source object on a day, or null */
  mapping(kind: MappingKindForRules, sourceSystem: SourceSystem, externalId: string, on: IsoDate): { targetId: string; targetErpId: string } | null;
  /** what the source calls the object (for messages), or null if never seen */
  sourceLabel(kind: MappingKindForRules, sourceSystem: SourceSystem, externalId: string): SourceLabel | null;
  project(id: string): ProjectInfo | null;
  employee(id: string): EmployeeInfo | null;
  laborCategory(id: string): LaborCategoryInfo | null;
  entity(id: string): EntityInfo | null;
  /** the project's own rate for the category on the day, else the category's standard rate */
  billRate(projectId: string, laborCategoryId: string, on: IsoDate): Rate | null;
  costRate(employeeId: string, on: IsoDate): Rate | null;
  /** null when no period is defined for that entity and month (treated as open) */
  periodStatus(legalEntityId: string, on: IsoDate): "open" | "closed" | null;
  /** units of `to` per unit of `from` on the day; "1" when from === to; null when unknown */
  fxRate(from: string, to: string, on: IsoDate): Decimal | null;
  /** billable amount already posted or waiting to post on the project, excluding the batch's own entries */
  committedAmount(projectId: string): Decimal;
  /** approved (or later) hours of the person on the day in other entries than the batch's */
  otherHoursOnDay(sourceSystem: SourceSystem, sourceUserId: string, on: IsoDate): Decimal;
  /**
   * Other live (not void, not rejected) entries with the same person, day, source project
   * and hours, outside the batch: their source ids, and whether each is already in the ERP.
   */
  sameWorkElsewhere(entry: EntryForValidation): { sourceId: string; inErp: boolean }[];
};

/** A rule's verdict that the entry may not post, in words for the people who fix it. */
export type RuleFailure = {
  code: ExceptionCode;
  owner: OwnerTeam;
  severity: Severity;
  /** see SUBJECTS below: the same subject key across entries means one exception */
  subjectType: string;
  subjectKey: string;
  subjectLabel: string;
  message: string;
  suggestedFix: string;
  hoursAtStake: Decimal;
  /** hours × bill rate when the rate can be found, in `currency` */
  valueAtStake: Decimal | null;
  currency: string | null;
  /** the same value in the reporting currency at the work date's rate, when known */
  valueReporting: Decimal | null;
  /** where the blocked time belongs, as far as it resolves: for filters and scopes */
  scope: {
    legalEntityId: string | null;
    region: string | null;
    businessUnit: string | null;
    projectId: string | null;
    employeeId: string | null;
  };
  details?: Record<string, unknown>;
};

/** What a passing entry is enriched with before it posts. */
export type Enrichment = {
  employeeId: string;
  projectId: string;
  laborCategoryId: string;
  legalEntityId: string;
  currency: string;
  billRate: Decimal | null;
  costRate: Decimal;
  billAmount: Decimal;
  costAmount: Decimal;
  erp: { jobId: string; itemId: string; employeeId: string; subsidiaryId: string };
};

export type EntryVerdict =
  | { entryId: string; ok: true; enrichment: Enrichment }
  | { entryId: string; ok: false; failures: RuleFailure[] };

/**
 * Subject keys, by code (what makes two failures the same exception):
 *   PROJECT_UNMAPPED      source-project:<system>:<external id>
 *   TASK_UNMAPPED         source-task:<system>:<external id>
 *   EMPLOYEE_UNMAPPED     source-user:<system>:<external id>
 *   PROJECT_NOT_ACTIVE    project:<project id>
 *   HOURS_INVALID         entry:<system>:<source id>            (hours ≤ 0 or > 24)
 *                         person-day:<system>:<user id>:<date>    (the person's day over 24 h)
 *   BILL_RATE_MISSING     bill-rate:<project id>:<labor category id>
 *   COST_RATE_MISSING     cost-rate:<employee id>
 *   PERIOD_CLOSED         period:<legal entity id>:<YYYY-MM>
 *   BILLING_CAP_EXCEEDED  cap:<project id>
 *   DUPLICATE_SUSPECTED   entry:<system>:<source id>            (the later of the pair)
 *   FX_RATE_MISSING       fx:<from>:<to>:<date>
 *   CHANGED_AFTER_INVOICE entry:<system>:<source id>
 *   PAYLOAD_INVALID       raw:<system>:<object type>:<source id>
 */
export const SUBJECTS = {
  sourceProject: (s: SourceSystem, id: string) => `source-project:${s}:${id}`,
  sourceTask: (s: SourceSystem, id: string) => `source-task:${s}:${id}`,
  sourceUser: (s: SourceSystem, id: string) => `source-user:${s}:${id}`,
  project: (id: string) => `project:${id}`,
  entry: (s: SourceSystem, sourceId: string) => `entry:${s}:${sourceId}`,
  personDay: (s: SourceSystem, userId: string, day: IsoDate) => `person-day:${s}:${userId}:${day}`,
  billRate: (projectId: string, laborCategoryId: string) => `bill-rate:${projectId}:${laborCategoryId}`,
  costRate: (employeeId: string) => `cost-rate:${employeeId}`,
  period: (entityId: string, day: IsoDate) => `period:${entityId}:${day.slice(0, 7)}`,
  cap: (projectId: string) => `cap:${projectId}`,
  fx: (from: string, to: string, day: IsoDate) => `fx:${from}:${to}:${day}`,
  raw: (s: SourceSystem, objectType: string, sourceId: string) => `raw:${s}:${objectType}:${sourceId}`,
};
