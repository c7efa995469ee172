import { z } from "zod";
import { MAPPING_KINDS, SOURCE_SYSTEMS, type ExceptionCode, type MappingKind, type SourceSystem } from "../../domain/enums";
import { SUBJECTS } from "@/sync/rules/types";

/**
 * The five kinds of mapping the PMO maintains, and what each one means for the pipeline:
 * which column of a time entry names the source object, which exception an unmapped one
 * raises, what the target is in the ERP, and whether a scope restricts it.
 */
export type KindInfo = {
  kind: MappingKind;
  /** the tab's label */
  label: string;
  /** the source object, in words */
  sourceNoun: string;
  /** the target, in words */
  targetNoun: string;
  /** id_mappings (source object → canonical row) or value_mappings (coded value → ERP value) */
  store: "id" | "value";
  /** the time entry column holding the source key; null when no validation rule reads the mapping */
  entryColumn: "source_project_id" | "source_task_id" | "source_user_id" | null;
  /** the enrichment column validation sets from the mapping's target */
  enrichedColumn: "project_id" | "labor_category_id" | "employee_id" | null;
  /** the exception an unmapped source object raises */
  code: ExceptionCode | null;
  subjectKey: ((s: SourceSystem, id: string) => string) | null;
  /** targets belong to a legal entity (scope applies), or to the whole firm */
  scoped: boolean;
};

export const KINDS: Record<MappingKind, KindInfo> = {
  project: {
    kind: "project",
    label: "Projects",
    sourceNoun: "source project",
    targetNoun: "ERP job",
    store: "id",
    entryColumn: "source_project_id",
    enrichedColumn: "project_id",
    code: "PROJECT_UNMAPPED",
    subjectKey: SUBJECTS.sourceProject,
    scoped: true,
  },
  task: {
    kind: "task",
    label: "Tasks",
    sourceNoun: "source task",
    targetNoun: "ERP service item",
    store: "id",
    entryColumn: "source_task_id",
    enrichedColumn: "labor_category_id",
    code: "TASK_UNMAPPED",
    subjectKey: SUBJECTS.sourceTask,
    scoped: false,
  },
  user: {
    kind: "user",
    label: "People",
    sourceNoun: "source user",
    targetNoun: "ERP employee",
    store: "id",
    entryColumn: "source_user_id",
    enrichedColumn: "employee_id",
    code: "EMPLOYEE_UNMAPPED",
    subjectKey: SUBJECTS.sourceUser,
    scoped: true,
  },
  customer: {
    kind: "customer",
    label: "Customers",
    sourceNoun: "source client",
    targetNoun: "ERP customer",
    store: "id",
    entryColumn: null,
    enrichedColumn: null,
    code: null,
    subjectKey: null,
    scoped: true,
  },
  cost_center: {
    kind: "cost_center",
    label: "Cost centers",
    sourceNoun: "source cost center",
    targetNoun: "ERP cost center",
    store: "value",
    entryColumn: null,
    enrichedColumn: null,
    code: null,
    subjectKey: null,
    scoped: false,
  },
};

export const kindInput = z.enum(MAPPING_KINDS, { error: `kind must be one of ${MAPPING_KINDS.join(", ")}` });
export const sourceSystemInput = z.enum(SOURCE_SYSTEMS, { error: `sourceSystem must be one of ${SOURCE_SYSTEMS.join(", ")}` });

/** A calendar day, checked to exist (2026-02-30 is refused). */
export const isoDay = (field: string) =>
  z
    .string({ error: `${field} must be a date (YYYY-MM-DD)` })
    .regex(/^\d{4}-\d{2}-\d{2}$/, { error: `${field} must be a date (YYYY-MM-DD)` })
    .refine((s) => isRealDay(s), { error: `${field} is not a calendar day` });

export function isRealDay(s: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return false;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
}

export const SYSTEM_LABELS: Record<SourceSystem, string> = { harvest: "Harvest", clockify: "Clockify", csv: "CSV feed" };

/** "from 2026-05-01 to 2026-06-30", "from 2026-05-01", "until 2026-06-30", "always" */
export function rangeText(validFrom: string | null, validTo: string | null): string {
  if (!validFrom && !validTo) return "always";
  if (!validTo) return `from ${validFrom}`;
  if (!validFrom) return `until ${validTo}`;
  return `from ${validFrom} to ${validTo}`;
}

/** Do two inclusive day ranges (null = open) share a day? */
export function overlaps(a: { validFrom: string | null; validTo: string | null }, b: { validFrom: string | null; validTo: string | null }): boolean {
  const aFrom = a.validFrom ?? "0000-01-01";
  const aTo = a.validTo ?? "9999-12-31";
  const bFrom = b.validFrom ?? "0000-01-01";
  const bTo = b.validTo ?? "9999-12-31";
  return aFrom <= bTo && bFrom <= aTo;
}
