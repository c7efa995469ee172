/**
 * The shapes the demo generator hands to the loader: insert rows of the canonical tables,
 * with timestamps as UTC ISO strings (the loader turns them into Dates) so the generated
 * data is plain, comparable JSON.
 */
import type {
  accountingPeriods,
  billRates,
  costRates,
  customers,
  employees,
  erpPostings,
  expenseEntries,
  fxRates,
  idMappings,
  invoiceLines,
  invoices,
  laborCategories,
  legalEntities,
  milestones,
  projects,
  rawRecords,
  sourceRefs,
  timeEntries,
} from "../db/schema";
import type { ExceptionCode, OwnerTeam } from "../domain/enums";

/** Date → ISO string, everything else as drizzle inserts it. */
export type Plain<T> = {
  [K in keyof T]: Exclude<T[K], Date> | (Date extends T[K] ? string : never);
};
type WithId<T> = Plain<T> & { id: string };

export type LegalEntityRow = WithId<typeof legalEntities.$inferInsert>;
export type CustomerRow = WithId<typeof customers.$inferInsert>;
export type ProjectRow = WithId<typeof projects.$inferInsert>;
export type MilestoneRow = WithId<typeof milestones.$inferInsert>;
export type EmployeeRow = WithId<typeof employees.$inferInsert>;
export type LaborCategoryRow = WithId<typeof laborCategories.$inferInsert>;
export type BillRateRow = WithId<typeof billRates.$inferInsert>;
export type CostRateRow = WithId<typeof costRates.$inferInsert>;
export type AccountingPeriodRow = WithId<typeof accountingPeriods.$inferInsert>;
export type FxRateRow = WithId<typeof fxRates.$inferInsert>;
export type SourceRefRow = WithId<typeof sourceRefs.$inferInsert>;
export type IdMappingRow = WithId<typeof idMappings.$inferInsert>;
export type InvoiceRow = WithId<typeof invoices.$inferInsert>;
export type InvoiceLineRow = WithId<typeof invoiceLines.$inferInsert>;
export type TimeEntryRow = WithId<Omit<typeof timeEntries.$inferInsert, "rawRecordId">>;
export type ExpenseEntryRow = WithId<Omit<typeof expenseEntries.$inferInsert, "rawRecordId">>;
export type ErpPostingRow = WithId<typeof erpPostings.$inferInsert>;
/** raw_records ids are an identity column: the loader links entries to them after insert */
export type RawRecordRow = Plain<Omit<typeof rawRecords.$inferInsert, "id" | "syncRunId">> & { receivedAt: string };

/**
 * One source entry with everything that hangs off it: its raw payloads (one per version,
 * oldest first; the entry links to the last), its accepted ERP posting when it was posted,
 * and its invoice line when it was billed.
 */
export type EntryBundle<E> = {
  entry: E;
  raws: RawRecordRow[];
  posting: ErpPostingRow | null;
  invoiceLine: InvoiceLineRow | null;
};
export type TimeEntryBundle = EntryBundle<TimeEntryRow>;
export type ExpenseBundle = EntryBundle<ExpenseEntryRow>;

export type StateCounts = Record<"submitted" | "approved" | "rejected" | "posted" | "billed" | "void", number>;

export type DemoCounts = {
  legalEntities: number;
  customers: number;
  projects: number;
  milestones: number;
  employees: number;
  laborCategories: number;
  billRates: number;
  costRates: number;
  accountingPeriods: number;
  fxRates: number;
  sourceRefs: number;
  idMappings: number;
  invoices: number;
  invoiceLines: number;
  timeEntries: number;
  timeEntriesByState: StateCounts;
  expenseEntries: number;
  expenseEntriesByState: StateCounts;
  rawRecords: number;
  erpPostings: number;
};

/** One planted problem: the exception it must raise and the approved entries behind it. */
export type PlantedProblem = {
  code: ExceptionCode;
  owner: OwnerTeam;
  subjectKey: string;
  /** what was planted, in words */
  what: string;
  /** source ids of the approved time entries that fail with this subject */
  sourceIds: string[];
};

/**
 * What validating every approved time entry of the seeded data must yield: per code, the
 * number of distinct open exception subjects, their owner, and the subject keys themselves
 * (built with SUBJECTS from src/sync/rules/types.ts). Codes absent here must raise nothing.
 */
export type DemoManifest = {
  expected: Partial<Record<ExceptionCode, number>>;
  owners: Partial<Record<ExceptionCode, OwnerTeam>>;
  subjects: Partial<Record<ExceptionCode, string[]>>;
  plants: PlantedProblem[];
  /** assumptions the counts rest on; see docs in generate.ts */
  reportingCurrency: "USD";
};
