import { formatAmount, formatHoursValue } from "@/lib/money";

export const BLOCKER_LABEL = { exception: "Blocked by an open exception", awaiting_posting: "Awaiting posting", awaiting_invoice: "Posted, awaiting invoice" } as const;
export const AGE_LABEL = { "0-7": "0–7 days", "8-30": "8–30 days", "31-60": "31–60 days", "over-60": "Over 60 days" } as const;
export const OWNER_LABEL = { pmo: "PMO", finance: "Finance", hr: "HR", integration: "Integration" } as const;
export const OUTCOME_LABEL = { met: "within SLA", missed: "late (SLA missed)", pending: "SLA still running" } as const;

export const METRIC_LABEL: Record<string, string> = {
  unbilled: "Unbilled approved time",
  at_risk: "Revenue at risk (blocked by open exceptions)",
  unposted: "Approved time not yet accepted by the ERP",
  sla: "Entries approved in the window and their posting SLA",
  latency: "Postings accepted by the ERP in the window",
  cycle: "Entries invoiced in the window",
  worked: "Billable hours worked in the window (utilization)",
  exceptions: "Entries blocked by open exceptions",
};

/** "62.5%" from a share "0.6250"; "—" when there is none. */
export const pct = (share: string | null | undefined) => (share === null || share === undefined ? "—" : `${(Number(share) * 100).toFixed(1)}%`);

/** "5.2 h" or "3.1 days" from seconds. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined) return "—";
  const h = seconds / 3600;
  if (h < 48) return `${h.toFixed(1)} h`;
  return `${(h / 24).toFixed(1)} days`;
}

export const money = (v: string | null | undefined, currency: string) => formatAmount(v ?? "0", currency);
export const hours = (v: string | null | undefined) => `${formatHoursValue(v ?? "0")} h`;
export const count = (n: number, one: string, many: string) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;
