import type { Metadata } from "next";
import Link from "next/link";
import { ArrowLeft } from "lucide-react";
import { AreaGate } from "@/components/shell/area-gate";
import { PageHeader } from "@/components/ui/page-header";
import { env } from "@/env";

export const metadata: Metadata = { title: "KPI definitions" };

/** Each figure of the dashboard in a sentence and its formula (docs/kpis.md has the SQL and a worked example of each). */
const DEFINITIONS: { name: string; what: string; formula: string }[] = [
  { name: "Unbilled approved hours and value", what: "Billable entries approved and not yet on an invoice, now: approved (the ERP has not accepted them) or posted (the ERP has, no invoice yet). Split by what holds them — an open exception, posting, the invoice — and by whole days since approval (0–7, 8–30, 31–60, over 60).", formula: "Σ hours; value = Σ bill amount (else hours × the source's rate) × the FX rate of the work date, per entry rounded to cents. Entries without a rate are counted apart, never as zero." },
  { name: "Revenue at risk", what: "The value of billable approved entries an open exception blocks.", formula: "The unbilled value whose blocker is an open exception." },
  { name: "Unposted approved hours", what: "Approved entries, billable or not, whose current version the ERP has not accepted.", formula: "Σ hours of entries in state approved." },
  { name: "Posted within SLA", what: "Of the entries approved in the window, the share the ERP accepted within the legal entity's posting SLA (hours, 24 by default). Entries whose SLA still runs are left out until it ends.", formula: "met ÷ (met + missed)" },
  { name: "Posting latency", what: "For each create posting the ERP accepted in the window, the time from the entry's approval to the acceptance.", formula: "p50 and p95 (continuous percentiles) of those durations." },
  { name: "Invoice cycle time", what: "For each entry invoiced in the window, the days from its approval to the invoice date.", formula: "Median of those durations, in days." },
  { name: "Exception backlog and aging", what: "Open exceptions by owner team and by days since first seen; the median time to resolve of those resolved in the window.", formula: "Counts by owner × age bucket; median(resolved − first seen)." },
  { name: "Utilization", what: "Billable hours worked in the window by the people in the selection, against their capacity (weekly capacity ÷ 5 per weekday). Only by legal entity and region: capacity belongs to people.", formula: "Σ billable hours ÷ Σ capacity hours." },
  { name: "Reconciliation completeness", what: "Of the latest finished reconciliation of each legal entity (for the period chosen), the lines on which Hourbridge and the ERP agree.", formula: "Σ matched lines ÷ Σ lines." },
  { name: "Sync health", what: "Each connector's status as the Sync console judges it: last successful run, backlog, throughput and error rate over the last hour.", formula: "As on the Sync page (the same judgement)." },
];

export default function DefinitionsPage() {
  return (
    <AreaGate area="kpis">
      <PageHeader
        title="How each KPI is defined"
        description={`Values are in ${env.REPORTING_CURRENCY}, converted at the rate of each entry's work date (the latest rate up to three days before it). Days and windows are UTC calendar days.`}
        actions={
          <Link href="/kpis" className="inline-flex items-center gap-1 text-sm font-medium text-brand-700 underline-offset-2 hover:underline">
            <ArrowLeft className="size-3.5" aria-hidden /> Back to the KPIs
          </Link>
        }
      />
      <dl className="max-w-4xl divide-y divide-slate-200 rounded-lg border border-slate-200 bg-white">
        {DEFINITIONS.map((d) => (
          <div key={d.name} className="px-4 py-3">
            <dt className="text-sm font-semibold text-slate-900">{d.name}</dt>
            <dd className="mt-1 text-sm text-slate-700">{d.what}</dd>
            <dd className="mt-1 font-mono text-xs text-slate-700">{d.formula}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-3 max-w-4xl text-xs text-slate-600">
        The window figures (SLA, latency, cycle time) come from a daily history the worker computes every 15 minutes; the days before it began are reconstructed from the entries&apos; dates, and
        for those days the split by exception is not known.
      </p>
    </AreaGate>
  );
}
