import type { ExceptionCode } from "@/server/domain/enums";
import type { Enrichment } from "@/sync/rules/types";

/**
 * The sentence recorded when an exception resolves itself: what is different now, read
 * off an entry that passes the check it used to fail (when one does).
 */
export function whatChanged(code: ExceptionCode, passed: Enrichment | null): string {
  switch (code) {
    case "PROJECT_UNMAPPED":
      return passed ? `the project now maps to ERP job ${passed.erp.jobId}` : "the project now has an ERP job mapping";
    case "TASK_UNMAPPED":
      return passed ? `the task now maps to service item ${passed.erp.itemId}` : "the task now has a service item mapping";
    case "EMPLOYEE_UNMAPPED":
      return passed ? `the user now maps to ERP employee ${passed.erp.employeeId}` : "the user now has an ERP employee";
    case "PROJECT_NOT_ACTIVE":
      return "the ERP project is active again";
    case "PERIOD_CLOSED":
      return "the accounting period is open";
    case "BILL_RATE_MISSING":
      return passed?.billRate ? `a bill rate of ${passed.currency} ${passed.billRate} now applies` : "a bill rate now applies";
    case "COST_RATE_MISSING":
      return passed ? `a cost rate of ${passed.costRate} now applies` : "a cost rate now applies";
    case "FX_RATE_MISSING":
      return "an exchange rate for the day is now available";
    case "BILLING_CAP_EXCEEDED":
      return "the project's cap now covers the time";
    case "DUPLICATE_SUSPECTED":
      return "the entry no longer matches another one";
    case "HOURS_INVALID":
      return "the hours are now valid";
    default:
      return "the blocked entries no longer fail this check";
  }
}
