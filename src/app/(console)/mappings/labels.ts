import { formatAmount } from "@/lib/money";
import type { MappingKind, SourceSystem } from "@/server/domain/enums";

/** What each tab maps, in the words the console uses. */
export const KIND_TEXT: Record<MappingKind, { tab: string; source: string; target: string; plural: string; sourceShort: string }> = {
  project: { tab: "Projects", source: "Source project", target: "ERP job", plural: "project", sourceShort: "project" },
  task: { tab: "Tasks", source: "Source task", target: "ERP service item", plural: "task", sourceShort: "task" },
  user: { tab: "People", source: "Source user", target: "ERP employee", plural: "people", sourceShort: "person" },
  customer: { tab: "Customers", source: "Source client", target: "ERP customer", plural: "customer", sourceShort: "client" },
  cost_center: { tab: "Cost centers", source: "Source cost center", target: "ERP cost center", plural: "cost center", sourceShort: "cost center" },
};

export const SYSTEM_TEXT: Record<SourceSystem, string> = { harvest: "Harvest", clockify: "Clockify", csv: "CSV feed" };

/** "USD 6,930", or "no value" when nothing could be valued */
export const money = (value: string | null | undefined, currency: string) => (value === null || value === undefined ? "no value" : formatAmount(value, currency));
