"use client";

import { useSuspenseQuery } from "@tanstack/react-query";
import { CheckCircle2 } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { codeLabel, OWNER_LABELS, SEVERITY_TONE } from "@/lib/exception-labels";
import { formatAge } from "@/lib/format";
import { formatAmount, formatHoursValue } from "@/lib/money";
import type { OwnerTeam, Severity } from "@/server/domain/enums";
import { useTRPC } from "@/trpc/client";
import Big from "big.js";

function Figure({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-4 py-3">
      <div className="text-xs font-medium text-slate-600">{label}</div>
      <div className="mt-1 text-xl font-semibold text-slate-900 tabular-nums">{value}</div>
      {hint && <div className="mt-0.5 text-xs text-slate-600">{hint}</div>}
    </div>
  );
}

export function ExceptionsView() {
  const trpc = useTRPC();
  const { data } = useSuspenseQuery(trpc.exceptions.summary.queryOptions());
  const ccy = data.reportingCurrency;
  const totals = data.byCode.reduce(
    (t, r) => ({
      open: t.open + r.open,
      entries: t.entries + r.entries,
      hours: t.hours.plus(r.hours),
      value: t.value.plus(r.valueReporting ?? 0),
    }),
    { open: 0, entries: 0, hours: new Big(0), value: new Big(0) },
  );

  return (
    <>
      <PageHeader
        title="Exceptions"
        description="What stops approved time from posting to the ERP, who owns it, and what it is worth. Values in the reporting currency at each entry's work-date rate."
      />
      {data.byCode.length === 0 ? (
        <EmptyState icon={CheckCircle2} title="No open exceptions">
          <p>Every approved entry you can see has passed validation.</p>
        </EmptyState>
      ) : (
        <>
          <div className="mb-4 grid grid-cols-2 gap-3 lg:grid-cols-4">
            <Figure label="Open exceptions" value={totals.open.toLocaleString("en-US")} />
            <Figure label="Entries blocked" value={totals.entries.toLocaleString("en-US")} />
            <Figure label="Hours blocked" value={formatHoursValue(totals.hours.toFixed(2))} />
            <Figure label="Value blocked" value={formatAmount(totals.value.toFixed(2), ccy)} hint="where an exchange rate is known" />
          </div>

          <h2 className="mb-2 text-sm font-semibold text-slate-900">By exception and owner</h2>
          <Table aria-label="Open exceptions by code" className="mb-6">
            <thead>
              <tr>
                <Th>Exception</Th>
                <Th>Owner</Th>
                <Th className="text-right">Open</Th>
                <Th className="text-right">Entries</Th>
                <Th className="text-right">Hours</Th>
                <Th className="text-right">Value ({ccy})</Th>
                <Th>Oldest work date</Th>
              </tr>
            </thead>
            <tbody>
              {data.byCode.map((r) => (
                <tr key={`${r.code}-${r.owner}`} data-testid={`code-row-${r.code}`}>
                  <Td className="font-medium">{codeLabel(r.code)}</Td>
                  <Td>{OWNER_LABELS[r.owner as OwnerTeam]}</Td>
                  <Td className="text-right tabular-nums">{r.open}</Td>
                  <Td className="text-right tabular-nums">{r.entries.toLocaleString("en-US")}</Td>
                  <Td className="text-right tabular-nums">{formatHoursValue(r.hours)}</Td>
                  <Td className="text-right tabular-nums" title={r.valueReporting === null ? "No exchange rate to convert this value" : undefined}>
                    {r.valueReporting === null ? "not convertible" : formatAmount(r.valueReporting, ccy)}
                  </Td>
                  <Td className="tabular-nums">{r.oldestWorkDate ?? "—"}</Td>
                </tr>
              ))}
            </tbody>
          </Table>

          <h2 className="mb-2 text-sm font-semibold text-slate-900">Largest open exceptions</h2>
          <Table aria-label="Largest open exceptions">
            <thead>
              <tr>
                <Th>What is wrong</Th>
                <Th>Owner</Th>
                <Th>Entity</Th>
                <Th className="text-right">Entries</Th>
                <Th className="text-right">Hours</Th>
                <Th className="text-right">Value</Th>
                <Th>Open for</Th>
              </tr>
            </thead>
            <tbody>
              {data.top.map((x) => (
                <tr key={x.id}>
                  <Td className="max-w-xl">
                    <div className="flex items-center gap-2">
                      <Badge tone={SEVERITY_TONE[x.severity as Severity]}>{codeLabel(x.code)}</Badge>
                    </div>
                    <div className="mt-1 text-slate-900">{x.message}</div>
                    <div className="mt-0.5 text-xs text-slate-600">Fix: {x.suggestedFix}</div>
                  </Td>
                  <Td>{OWNER_LABELS[x.owner as OwnerTeam]}</Td>
                  <Td>{x.entityCode ?? "—"}</Td>
                  <Td className="text-right tabular-nums">{x.entries}</Td>
                  <Td className="text-right tabular-nums">{formatHoursValue(x.hours)}</Td>
                  <Td className="text-right whitespace-nowrap tabular-nums">
                    <div>{formatAmount(x.value, x.currency)}</div>
                    {x.currency !== ccy && x.valueReporting && <div className="text-xs text-slate-600">{formatAmount(x.valueReporting, ccy)}</div>}
                  </Td>
                  <Td className="text-xs whitespace-nowrap">
                    <span suppressHydrationWarning>{formatAge(x.firstSeenAt).replace(" ago", "")}</span>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
          <p className="mt-3 text-xs text-slate-600">
            Showing the 25 largest by value. Assigning, resolving and retrying exceptions is not available in this version yet.
          </p>
        </>
      )}
    </>
  );
}
