/**
 * The canonical model's fixed vocabularies, as `as const` arrays: the database enums, the
 * zod schemas and the UI all read them from here.
 */
export const SOURCE_SYSTEMS = ["harvest", "clockify", "csv"] as const;
export type SourceSystem = (typeof SOURCE_SYSTEMS)[number];

export const REGIONS = ["NA", "EMEA", "APAC"] as const;
export type Region = (typeof REGIONS)[number];

export const PROJECT_STATUSES = ["active", "on_hold", "closed"] as const;
export type ProjectStatus = (typeof PROJECT_STATUSES)[number];

export const CONTRACT_TYPES = ["time_and_materials", "fixed_fee", "retainer", "capped"] as const;
export type ContractType = (typeof CONTRACT_TYPES)[number];

export const PERIOD_STATUSES = ["open", "closed"] as const;
export type PeriodStatus = (typeof PERIOD_STATUSES)[number];

/** Life cycle of a time or expense entry; see src/server/domain/entry-state.ts for the transitions. */
export const ENTRY_STATES = ["submitted", "approved", "rejected", "posted", "billed", "void"] as const;
export type EntryState = (typeof ENTRY_STATES)[number];

export const POSTING_KINDS = ["create", "reverse"] as const;
export type PostingKind = (typeof POSTING_KINDS)[number];

/** superseded: a newer version of the entry arrived before this posting was sent */
export const POSTING_STATUSES = ["pending", "sent", "accepted", "rejected", "dead", "superseded"] as const;
export type PostingStatus = (typeof POSTING_STATUSES)[number];

export const OWNER_TEAMS = ["pmo", "finance", "hr", "integration"] as const;
export type OwnerTeam = (typeof OWNER_TEAMS)[number];

export const SEVERITIES = ["low", "medium", "high", "critical"] as const;
export type Severity = (typeof SEVERITIES)[number];

export const EXCEPTION_STATUSES = ["open", "resolved", "ignored"] as const;
export type ExceptionStatus = (typeof EXCEPTION_STATUSES)[number];

/** DESIGN §4: every exception code, its owner team and default severity. */
export const EXCEPTION_CODES = {
  PROJECT_UNMAPPED: { owner: "pmo", severity: "high" },
  TASK_UNMAPPED: { owner: "pmo", severity: "high" },
  EMPLOYEE_UNMAPPED: { owner: "hr", severity: "high" },
  PROJECT_NOT_ACTIVE: { owner: "pmo", severity: "medium" },
  HOURS_INVALID: { owner: "pmo", severity: "medium" },
  BILL_RATE_MISSING: { owner: "finance", severity: "high" },
  COST_RATE_MISSING: { owner: "hr", severity: "medium" },
  PERIOD_CLOSED: { owner: "finance", severity: "high" },
  BILLING_CAP_EXCEEDED: { owner: "finance", severity: "high" },
  DUPLICATE_SUSPECTED: { owner: "finance", severity: "medium" },
  CHANGED_AFTER_INVOICE: { owner: "finance", severity: "critical" },
  FX_RATE_MISSING: { owner: "finance", severity: "medium" },
  ERP_REJECTED: { owner: "finance", severity: "high" },
  POSTING_DEAD: { owner: "integration", severity: "critical" },
  PAYLOAD_INVALID: { owner: "integration", severity: "high" },
} as const satisfies Record<string, { owner: OwnerTeam; severity: Severity }>;
export type ExceptionCode = keyof typeof EXCEPTION_CODES;
export const EXCEPTION_CODE_LIST = Object.keys(EXCEPTION_CODES) as ExceptionCode[];

export const MAPPING_KINDS = ["project", "task", "user", "customer", "cost_center"] as const;
export type MappingKind = (typeof MAPPING_KINDS)[number];

export const SYNC_RUN_STATUSES = ["running", "succeeded", "failed", "partial"] as const;
export const CONNECTOR_ROLES = ["source", "erp"] as const;
