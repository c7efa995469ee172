import { EXCEPTION_CODES, type ExceptionCode } from "@/server/domain/enums";
import { D, formatHours } from "./decimal";
import type { Resolved } from "./resolve";
import { SUBJECTS, type Lookups, type RuleFailure } from "./types";

/**
 * The validation rules of DESIGN §4, one function each: (resolved entry, lookups) → a
 * failure or null. Pure: no I/O, no clock. Batch-level rules (a person's day, a project's
 * cap, duplicates) live in validate.ts, which sees the whole batch.
 */
export type Rule = (r: Resolved, lookups: Lookups) => RuleFailure | null;

const SYSTEM_NAMES: Record<string, string> = { harvest: "Harvest", clockify: "Clockify", csv: "CSV feed" };
export const systemName = (s: string) => SYSTEM_NAMES[s] ?? s;

function quoted(label: { code: string | null; name: string } | null, fallbackId: string): string {
  if (!label) return `#${fallbackId}`;
  return label.code ? `${label.code} '${label.name}'` : `'${label.name}'`;
}

/** Fills owner, severity and the value at stake from the code and the entry. */
export function failure(
  code: ExceptionCode,
  r: Resolved,
  f: { subjectType: string; subjectKey: string; subjectLabel: string; message: string; suggestedFix: string; details?: Record<string, unknown> },
): RuleFailure {
  return {
    code,
    owner: EXCEPTION_CODES[code].owner,
    severity: EXCEPTION_CODES[code].severity,
    ...f,
    hoursAtStake: D(r.entry.hours).toFixed(2),
    valueAtStake: r.value?.amount ?? null,
    currency: r.value?.currency ?? null,
    valueReporting: r.valueReporting,
    scope: {
      legalEntityId: r.project?.legalEntityId ?? r.employee?.legalEntityId ?? null,
      region: r.project?.region ?? r.employee?.region ?? null,
      businessUnit: r.project?.businessUnit ?? null,
      projectId: r.project?.id ?? null,
      employeeId: r.employee?.id ?? null,
    },
  };
}

export const hoursInvalid: Rule = (r) => {
  const h = D(r.entry.hours);
  if (h.gt(0) && h.lte(24)) return null;
  const who = systemName(r.entry.sourceSystem);
  return failure("HOURS_INVALID", r, {
    subjectType: "entry",
    subjectKey: SUBJECTS.entry(r.entry.sourceSystem, r.entry.sourceId),
    subjectLabel: `${who} entry ${r.entry.sourceId} on ${r.entry.workDate}`,
    message: `${who} entry ${r.entry.sourceId} on ${r.entry.workDate} has ${formatHours(r.entry.hours)}: an entry must be more than 0 and at most 24 hours.`,
    suggestedFix: `Ask the consultant to correct the hours in ${who}; the corrected entry is picked up at the next sync.`,
    details: { hours: r.entry.hours },
  });
};

export const projectUnmapped: Rule = (r, l) => {
  if (r.projectMapping) return null;
  const { sourceSystem: s, sourceProjectId: id } = r.entry;
  const label = quoted(l.sourceLabel("project", s, id), id);
  return failure("PROJECT_UNMAPPED", r, {
    subjectType: "source_project",
    subjectKey: SUBJECTS.sourceProject(s, id),
    subjectLabel: `${systemName(s)} project ${label}`,
    message: `Project ${label} has no ERP job mapping.`,
    suggestedFix: `Map ${systemName(s)} project ${label} to its ERP job in Mappings → Projects.`,
    details: { sourceSystem: s, externalId: id },
  });
};

export const taskUnmapped: Rule = (r, l) => {
  if (r.taskMapping) return null;
  const { sourceSystem: s, sourceTaskId: id } = r.entry;
  const label = quoted(l.sourceLabel("task", s, id), id);
  return failure("TASK_UNMAPPED", r, {
    subjectType: "source_task",
    subjectKey: SUBJECTS.sourceTask(s, id),
    subjectLabel: `${systemName(s)} task ${label}`,
    message: `Task ${label} has no ERP service item (labor category) mapping.`,
    suggestedFix: `Map ${systemName(s)} task ${label} to a service item in Mappings → Tasks.`,
    details: { sourceSystem: s, externalId: id },
  });
};

export const employeeUnmapped: Rule = (r, l) => {
  if (r.userMapping) return null;
  const { sourceSystem: s, sourceUserId: id } = r.entry;
  const label = quoted(l.sourceLabel("user", s, id), id);
  return failure("EMPLOYEE_UNMAPPED", r, {
    subjectType: "source_user",
    subjectKey: SUBJECTS.sourceUser(s, id),
    subjectLabel: `${systemName(s)} user ${label}`,
    message: `${systemName(s)} user ${label} has no ERP employee.`,
    suggestedFix: `Create the employee in the ERP if missing, then map the user in Mappings → People.`,
    details: { sourceSystem: s, externalId: id },
  });
};

export const projectNotActive: Rule = (r) => {
  const p = r.project;
  if (!p || p.status === "active") return null;
  const status = p.status === "on_hold" ? "on hold" : "closed";
  return failure("PROJECT_NOT_ACTIVE", r, {
    subjectType: "project",
    subjectKey: SUBJECTS.project(p.id),
    subjectLabel: `Project ${p.code} '${p.name}'`,
    message: `ERP project ${p.code} '${p.name}' is ${status}: time cannot post to it.`,
    suggestedFix:
      p.status === "on_hold"
        ? `Ask the project manager whether to reactivate ${p.code} in the ERP, or move the time to an active project.`
        : `Move the time to an active project in the source, or reopen ${p.code} in the ERP if the work is billable.`,
    details: { projectId: p.id, status: p.status },
  });
};

export const periodClosed: Rule = (r, l) => {
  const p = r.project;
  if (!p) return null;
  if (l.periodStatus(p.legalEntityId, r.entry.workDate) !== "closed") return null;
  const month = r.entry.workDate.slice(0, 7);
  const entity = r.entity?.code ?? "the legal entity";
  return failure("PERIOD_CLOSED", r, {
    subjectType: "period",
    subjectKey: SUBJECTS.period(p.legalEntityId, r.entry.workDate),
    subjectLabel: `${entity} period ${month}`,
    message: `Accounting period ${month} of ${entity} is closed: time worked in it cannot post.`,
    suggestedFix: `Decide with the controller: reopen ${month} for ${entity}, or post the time in the current open period.`,
    details: { legalEntityId: p.legalEntityId, period: month },
  });
};

export const billRateMissing: Rule = (r) => {
  const p = r.project;
  const c = r.laborCategory;
  if (!p || !c || !r.billable || r.billRate) return null;
  return failure("BILL_RATE_MISSING", r, {
    subjectType: "bill_rate",
    subjectKey: SUBJECTS.billRate(p.id, c.id),
    subjectLabel: `${c.name} on ${p.code}`,
    message: `No bill rate in ${p.currency} for ${c.name} on project ${p.code} '${p.name}' on ${r.entry.workDate}.`,
    suggestedFix: `Add a ${p.currency} bill rate for ${c.name} (standard, or specific to ${p.code}) covering ${r.entry.workDate}.`,
    details: { projectId: p.id, laborCategoryId: c.id, currency: p.currency },
  });
};

export const costRateMissing: Rule = (r) => {
  const e = r.employee;
  if (!e || r.costRate) return null;
  return failure("COST_RATE_MISSING", r, {
    subjectType: "cost_rate",
    subjectKey: SUBJECTS.costRate(e.id),
    subjectLabel: e.name,
    message: `${e.name} has no cost rate in effect on ${r.entry.workDate}.`,
    suggestedFix: `Add ${e.name}'s labor cost in the ERP employee record, effective from the first blocked day.`,
    details: { employeeId: e.id },
  });
};

export const fxRateMissing: Rule = (r, l) => {
  const p = r.project;
  if (!p) return null;
  const to = l.reportingCurrency;
  if (p.currency === to || l.fxRate(p.currency, to, r.entry.workDate)) return null;
  return failure("FX_RATE_MISSING", r, {
    subjectType: "fx_rate",
    subjectKey: SUBJECTS.fx(p.currency, to, r.entry.workDate),
    subjectLabel: `${p.currency}→${to} on ${r.entry.workDate}`,
    message: `No ${p.currency}→${to} exchange rate for ${r.entry.workDate} (or the 3 days before): the value cannot be reported.`,
    suggestedFix: `Load the ${p.currency}→${to} rate for ${r.entry.workDate} into the FX table.`,
    details: { from: p.currency, to, day: r.entry.workDate },
  });
};

/** The per-entry rules, in the order their failures are listed. */
export const ENTRY_RULES: Rule[] = [
  hoursInvalid,
  projectUnmapped,
  taskUnmapped,
  employeeUnmapped,
  projectNotActive,
  periodClosed,
  billRateMissing,
  costRateMissing,
  fxRateMissing,
];
