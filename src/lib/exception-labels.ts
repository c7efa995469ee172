import type { ExceptionCode, OwnerTeam, Severity } from "@/server/domain/enums";

export const CODE_LABELS: Record<ExceptionCode, string> = {
  PROJECT_UNMAPPED: "Project not mapped",
  TASK_UNMAPPED: "Task not mapped",
  EMPLOYEE_UNMAPPED: "Person not mapped",
  PROJECT_NOT_ACTIVE: "Project on hold or closed",
  HOURS_INVALID: "Hours invalid",
  BILL_RATE_MISSING: "Bill rate missing",
  COST_RATE_MISSING: "Cost rate missing",
  PERIOD_CLOSED: "Period closed",
  BILLING_CAP_EXCEEDED: "Billing cap exceeded",
  DUPLICATE_SUSPECTED: "Suspected duplicate",
  CHANGED_AFTER_INVOICE: "Changed after invoice",
  FX_RATE_MISSING: "FX rate missing",
  ERP_REJECTED: "Rejected by the ERP",
  POSTING_DEAD: "Posting failed",
  PAYLOAD_INVALID: "Payload refused",
};

export const OWNER_LABELS: Record<OwnerTeam, string> = {
  pmo: "PMO",
  finance: "Finance",
  hr: "HR",
  integration: "Integration",
};

export const SEVERITY_TONE: Record<Severity, "neutral" | "warning" | "danger"> = {
  low: "neutral",
  medium: "warning",
  high: "danger",
  critical: "danger",
};

export function codeLabel(code: string): string {
  return CODE_LABELS[code as ExceptionCode] ?? code;
}
