import { D, money } from "./decimal";
import type {
  EmployeeInfo,
  EntityInfo,
  EntryForValidation,
  LaborCategoryInfo,
  Lookups,
  ProjectInfo,
  Rate,
} from "./types";

/**
 * What an entry resolves to through the mapping layer and master data, before any rule
 * judges it. Every field may be missing; the rules say what a missing one means.
 */
export type Resolved = {
  entry: EntryForValidation;
  projectMapping: { targetId: string; targetErpId: string } | null;
  taskMapping: { targetId: string; targetErpId: string } | null;
  userMapping: { targetId: string; targetErpId: string } | null;
  project: ProjectInfo | null;
  laborCategory: LaborCategoryInfo | null;
  employee: EmployeeInfo | null;
  entity: EntityInfo | null;
  /** billable for the ERP: the entry says so and its labor category bills */
  billable: boolean;
  billRate: Rate | null;
  costRate: Rate | null;
  /** hours × rate: the ERP bill rate when known, else the source's own rate */
  value: { amount: string; currency: string } | null;
  valueReporting: string | null;
};

export function resolve(entry: EntryForValidation, lookups: Lookups): Resolved {
  const day = entry.workDate;
  const projectMapping = lookups.mapping("project", entry.sourceSystem, entry.sourceProjectId, day);
  const taskMapping = lookups.mapping("task", entry.sourceSystem, entry.sourceTaskId, day);
  const userMapping = lookups.mapping("user", entry.sourceSystem, entry.sourceUserId, day);
  const project = projectMapping ? lookups.project(projectMapping.targetId) : null;
  const laborCategory = taskMapping ? lookups.laborCategory(taskMapping.targetId) : null;
  const employee = userMapping ? lookups.employee(userMapping.targetId) : null;
  const entity = project ? lookups.entity(project.legalEntityId) : null;
  const billable = entry.billable && (laborCategory?.billable ?? true);
  const billRate = project && laborCategory && billable ? lookups.billRate(project.id, laborCategory.id, day) : null;
  const costRate = employee ? lookups.costRate(employee.id, day) : null;

  let value: Resolved["value"] = null;
  if (billable && billRate) value = { amount: money(D(entry.hours).times(billRate.rate)), currency: billRate.currency };
  else if (billable && entry.sourceBillRate && entry.sourceCurrency)
    value = { amount: money(D(entry.hours).times(entry.sourceBillRate)), currency: entry.sourceCurrency };
  else if (!billable) value = { amount: "0.00", currency: project?.currency ?? entry.sourceCurrency ?? lookups.reportingCurrency };

  let valueReporting: string | null = null;
  if (value) {
    const fx = lookups.fxRate(value.currency, lookups.reportingCurrency, day);
    if (fx) valueReporting = money(D(value.amount).times(fx));
  }
  return { entry, projectMapping, taskMapping, userMapping, project, laborCategory, employee, entity, billable, billRate, costRate, value, valueReporting };
}
