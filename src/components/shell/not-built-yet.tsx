import { Construction } from "lucide-react";
import { area, type AreaKey } from "@/lib/areas";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";

/** What each area not built yet will give its users, in their words. */
const PLANNED: Partial<Record<AreaKey, string[]>> = {
  kpis: [
    "Unbilled approved hours and their value, split by blocker and by age since approval",
    "Share of entries posted within the entity's SLA, posting latency p50 / p95, invoice cycle time",
    "Revenue at risk, exception backlog and aging, utilization, reconciliation completeness, sync health",
    "Daily trends and breakdowns by legal entity, region, business unit and period, each figure drilling down to its entries",
  ],
  exceptions: [
    "Every entry that cannot post or bill, with a business-readable reason, its owner team and the value at stake",
    "Filters by owner, code, severity, entity, region, business unit, age and assignee; saved views",
    "Assign, comment, retry, resolve or ignore with a reason, one at a time or in bulk; every action audited",
    "The entry's lineage and a suggested fix, linked to where it is made",
  ],
  mappings: [
    "Source projects, tasks and people mapped to ERP jobs, service items and employees, with effective dates",
    "What is unmapped first, ranked by the hours and value it blocks, with suggested targets",
    "The impact of a change before you save it, and automatic re-validation of the entries it unblocks",
    "CSV import and export, and the full history of every mapping",
  ],
  reconciliation: [
    "Source-approved vs canonical vs ERP-posted vs invoiced, per legal entity and period",
    "Every variance classified, with the entries behind it one click away",
    "Period close readiness: what still stands between today and a clean close",
    "CSV export for the close file",
  ],
};

/**
 * An area whose data does not flow yet. It says what will be here and shows no numbers:
 * nothing on this page may look like a figure the firm could act on.
 */
export function NotBuiltYet({ areaKey }: { areaKey: AreaKey }) {
  const a = area(areaKey);
  const planned = PLANNED[areaKey] ?? [];
  return (
    <>
      <PageHeader title={a.label} description={a.purpose} />
      <EmptyState icon={Construction} title="This area is not available yet">
        <p>No data is shown here until the synchronisation with the time-tracking sources and the ERP is in place. This area will give you:</p>
        <ul className="mt-3 list-disc space-y-1 pl-5 text-left">
          {planned.map((p) => (
            <li key={p}>{p}</li>
          ))}
        </ul>
      </EmptyState>
    </>
  );
}
