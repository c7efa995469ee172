"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { ArrowLeft, Inbox } from "lucide-react";
import Link from "next/link";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatAmount } from "@/lib/money";
import { useUrlState } from "@/lib/url-state";
import { errorMessage, useTRPC } from "@/trpc/client";
import { selectionQuery } from "../filters";
import { AGE_LABEL, BLOCKER_LABEL, hours, METRIC_LABEL, money, OUTCOME_LABEL, OWNER_LABEL } from "../labels";
import { drillFromParams } from "./drill";

const link = "font-medium text-brand-700 underline-offset-2 hover:underline";
const STATE_LABEL: Record<string, string> = { approved: "Approved", posted: "Posted", billed: "Invoiced", submitted: "Submitted", rejected: "Rejected", void: "Void" };

export function EntriesView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const drill = drillFromParams(params);
  const q = useInfiniteQuery({
    ...trpc.kpis.entries.infiniteQueryOptions(drill ?? { metric: "unbilled", limit: 50 }, { getNextPageParam: (p) => p.nextCursor }),
    enabled: drill !== null,
  });
  const back = `/kpis${Object.keys(selectionQuery(drill ?? {})).length ? `?${new URLSearchParams(selectionQuery(drill ?? {})).toString()}` : ""}`;
  const backLink = (
    <Link href={back} className={`${link} inline-flex items-center gap-1 text-sm`}>
      <ArrowLeft className="size-3.5" aria-hidden /> Back to the KPIs
    </Link>
  );

  if (!drill) {
    return (
      <>
        <PageHeader title="Entries behind a KPI" actions={backLink} />
        <EmptyState icon={Inbox} title="Choose a figure on the KPI dashboard">
          <p>This page lists the entries behind one figure; open it from a figure on the dashboard.</p>
        </EmptyState>
      </>
    );
  }

  const first = q.data?.pages[0];
  const rows = q.data?.pages.flatMap((p) => p.items) ?? [];
  const rc = first?.reportingCurrency ?? "";
  const chips: { key: string; label: string }[] = [];
  if (drill.blocker) chips.push({ key: "blocker", label: BLOCKER_LABEL[drill.blocker] ?? drill.blocker });
  if (drill.age) chips.push({ key: "age", label: `approved ${AGE_LABEL[drill.age] ?? drill.age} ago` });
  if (drill.outcome) chips.push({ key: "outcome", label: OUTCOME_LABEL[drill.outcome] ?? drill.outcome });
  if (drill.owner) chips.push({ key: "owner", label: `owner ${OWNER_LABEL[drill.owner] ?? drill.owner}` });
  if (drill.entity) chips.push({ key: "entity", label: `legal entity ${drill.entity}` });
  if (drill.region) chips.push({ key: "region", label: `region ${drill.region}` });
  if (drill.businessUnit) chips.push({ key: "bu", label: `business unit ${drill.businessUnit}` });
  if (drill.practice) chips.push({ key: "practice", label: `practice ${drill.practice}` });
  if (drill.period) chips.push({ key: "period", label: `period ${drill.period}` });
  if (drill.employee) chips.push({ key: "employee", label: "one person" });
  if (drill.project) chips.push({ key: "project", label: "one project" });

  return (
    <>
      <PageHeader
        title={METRIC_LABEL[drill.metric] ?? "Entries"}
        description={first ? `The entries behind the figure${["sla", "latency", "cycle", "worked"].includes(drill.metric) ? ` (${first.window.label}, ${first.window.from} to ${first.window.to})` : ", as they stand now"}, newest work date first. Values in ${rc} at each entry's work-date rate.` : undefined}
        actions={backLink}
      />
      {chips.length > 0 && (
        <div className="mb-3 flex flex-wrap items-center gap-2 text-xs" aria-label="Filters in force">
          <span className="text-slate-600">Filtered to:</span>
          {chips.map((c) => (
            <span key={c.key} className="inline-flex items-center gap-1 rounded-full bg-slate-100 px-2 py-0.5 text-slate-800">
              {c.label}
              <button type="button" className="ml-0.5 rounded-full px-1 text-slate-600 hover:bg-slate-200" aria-label={`Remove the filter ${c.label}`} onClick={() => set({ [c.key]: undefined })}>
                ×
              </button>
            </span>
          ))}
        </div>
      )}

      {q.isError && !first ? (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          These entries cannot be shown: {errorMessage(q.error)}
        </div>
      ) : !first ? (
        <div role="status" className="h-64 animate-pulse rounded-lg bg-slate-200/70">
          <span className="sr-only">Loading the entries…</span>
        </div>
      ) : (
        <>
          <dl className="mb-3 grid grid-cols-2 gap-3 sm:grid-cols-4" data-testid="drill-totals">
            <Total label="Entries" value={first.totals.count.toLocaleString("en-US")} />
            <Total label="Hours" value={hours(first.totals.hours)} />
            <Total label={`Value (${rc})`} value={money(first.totals.value, rc)} />
            <Total label="Without a rate (not in the value)" value={first.totals.unvalued.toLocaleString("en-US")} />
          </dl>
          <Table aria-label="Entries behind the figure">
            <thead>
              <tr>
                <Th>Work date</Th>
                <Th>Source entry</Th>
                <Th>Person</Th>
                <Th>Project</Th>
                <Th>Entity</Th>
                <Th>State</Th>
                <Th className="text-right">Hours</Th>
                <Th className="text-right">Amount</Th>
                <Th className="text-right">Value ({rc})</Th>
                <Th>Why it is here</Th>
              </tr>
            </thead>
            <tbody>
              {rows.length === 0 && (
                <tr>
                  <Td colSpan={10} className="py-8 text-center text-slate-600">
                    <Inbox className="mx-auto mb-2 size-6 text-slate-400" aria-hidden />
                    No entry is behind this figure for this selection{chips.length ? ": remove a filter to widen it" : ""}.
                  </Td>
                </tr>
              )}
              {rows.map((r) => (
                <tr key={r.id} className="hover:bg-slate-50" data-testid="drill-row">
                  <Td className="text-xs whitespace-nowrap tabular-nums">{r.workDate}</Td>
                  <Td className="text-xs whitespace-nowrap">{r.source}</Td>
                  <Td className="text-xs">{r.personLabel ?? <span className="text-slate-500">not mapped</span>}</Td>
                  <Td className="text-xs">{r.projectLabel ?? <span className="text-slate-500">not mapped</span>}</Td>
                  <Td className="text-xs">{r.entityCode ?? "—"}</Td>
                  <Td>
                    <Badge>{STATE_LABEL[r.state] ?? r.state}</Badge>
                  </Td>
                  <Td className="text-right text-xs tabular-nums">{hours(r.hours)}</Td>
                  <Td className="text-right text-xs whitespace-nowrap tabular-nums">{r.amount ? formatAmount(r.amount, r.currency, { cents: true }) : "—"}</Td>
                  <Td className="text-right text-xs whitespace-nowrap tabular-nums">{r.valueReporting ? formatAmount(r.valueReporting, rc, { cents: true }) : <span className="text-slate-500">no rate</span>}</Td>
                  <Td className="text-xs text-slate-700">{r.detail ?? "—"}</Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <div className="mt-3 flex items-center justify-between">
            <span className="text-xs text-slate-600" aria-live="polite">
              {rows.length > 0 && `${rows.length.toLocaleString("en-US")} of ${first.totals.count.toLocaleString("en-US")} shown`}
            </span>
            {q.hasNextPage && (
              <Button variant="secondary" size="sm" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
                {q.isFetchingNextPage ? "Loading…" : "Load more"}
              </Button>
            )}
          </div>
          {q.isFetchNextPageError && (
            <p role="alert" className="mt-2 text-sm text-red-700">
              {errorMessage(q.error)}
            </p>
          )}
        </>
      )}
    </>
  );
}

function Total({ label, value }: { label: string; value: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-3 py-2">
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="text-lg font-semibold text-slate-900 tabular-nums">{value}</dd>
    </div>
  );
}
