"use client";

import { keepPreviousData, useQuery, useSuspenseInfiniteQuery, useSuspenseQuery } from "@tanstack/react-query";
import { ArrowLeft, Inbox, RefreshCw } from "lucide-react";
import Link from "next/link";
import { ChartAreaBacklog } from "@/components/charts/chart-area-backlog";
import { ChartBarErrors } from "@/components/charts/chart-bar-errors";
import { ChartBarPostings } from "@/components/charts/chart-bar-postings";
import { ChartLineLatency } from "@/components/charts/chart-line-latency";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import { SYNC_RUN_STATUSES } from "@/server/domain/enums";
import { formatDuration, RUN_KINDS, RUN_TRIGGERS } from "@/server/services/sync/console/labels";
import type { ChartWindow } from "@/server/services/sync/console/sync-charts";
import { errorMessage, useTRPC } from "@/trpc/client";
import { chartConnectorOf } from "./chart-connector";
import { CHART_WINDOW_OPTIONS, chartWindowFromParams, runsFilterFromParams } from "./filters";
import { KIND_LABEL, kindLabel, RUN_STATUS_LABEL, RUN_STATUS_TONE, TRIGGER_LABEL, triggerLabel } from "./labels";

const WINDOW_LABEL: Record<ChartWindow, string> = { "1h": "last hour", "24h": "last 24 hours", "7d": "last 7 days" };
const linkClass = "font-medium text-brand-700 underline-offset-2 hover:underline";

export function RunsView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const filter = runsFilterFromParams(params);
  const { data: connectors } = useSuspenseQuery(trpc.sync.overview.queryOptions());
  const runs = useSuspenseInfiniteQuery(trpc.syncConsole.runs.infiniteQueryOptions(filter, { getNextPageParam: (p) => p.nextCursor }));
  const rows = runs.data.pages.flatMap((p) => p.items);
  const connector = filter.connectorId ? connectors.find((c) => c.id === filter.connectorId) : undefined;
  const filtered = Boolean(filter.connectorId || filter.kind || filter.status || filter.trigger);

  return (
    <>
      <PageHeader
        title={connector ? `Sync runs: ${connector.name}` : "Sync runs"}
        description="Every pull, posting run, master-data pull, read-back and import, newest first. Open a run for its timeline, what it touched, its failures and its log lines. Times in UTC."
        actions={
          <>
            <Link href="/sync" className={`${linkClass} inline-flex items-center gap-1 text-sm`}>
              <ArrowLeft className="size-3.5" aria-hidden /> Connectors
            </Link>
            <Link href="/sync/dead-letters" className={`${linkClass} text-sm`}>
              Dead letters and replay
            </Link>
          </>
        }
      />

      <form role="search" aria-label="Filter the runs" className="mb-3 flex flex-wrap items-end gap-2" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="f-connector" className="block text-xs font-medium text-slate-700">Connector</label>
          <Select id="f-connector" className="w-64" value={filter.connectorId ?? ""} onChange={(e) => set({ connector: e.target.value })}>
            <option value="">All connectors and imports</option>
            {connectors.map((c) => (
              <option key={c.id} value={c.id}>{c.name}</option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-kind" className="block text-xs font-medium text-slate-700">Kind</label>
          <Select id="f-kind" className="w-44" value={filter.kind ?? ""} onChange={(e) => set({ kind: e.target.value })}>
            <option value="">Any kind</option>
            {RUN_KINDS.map((k) => (
              <option key={k} value={k}>{KIND_LABEL[k]}</option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-status" className="block text-xs font-medium text-slate-700">Status</label>
          <Select id="f-status" className="w-36" value={filter.status ?? ""} onChange={(e) => set({ status: e.target.value })}>
            <option value="">Any status</option>
            {SYNC_RUN_STATUSES.map((s) => (
              <option key={s} value={s}>{RUN_STATUS_LABEL[s]}</option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="f-trigger" className="block text-xs font-medium text-slate-700">Trigger</label>
          <Select id="f-trigger" className="w-36" value={filter.trigger ?? ""} onChange={(e) => set({ trigger: e.target.value })}>
            <option value="">Any trigger</option>
            {RUN_TRIGGERS.map((t) => (
              <option key={t} value={t}>{TRIGGER_LABEL[t]}</option>
            ))}
          </Select>
        </div>
        {filtered && (
          <Button variant="ghost" onClick={() => set({ connector: undefined, kind: undefined, status: undefined, trigger: undefined })}>
            Clear filters
          </Button>
        )}
        <Button variant="secondary" className="ml-auto" onClick={() => void runs.refetch()} disabled={runs.isRefetching}>
          <RefreshCw className={`size-3.5 ${runs.isRefetching ? "animate-spin" : ""}`} aria-hidden /> Refresh
        </Button>
      </form>

      <Table aria-label="Sync runs">
        <thead>
          <tr>
            <Th>Started (UTC)</Th>
            <Th>Connector</Th>
            <Th>Kind</Th>
            <Th>Trigger</Th>
            <Th>Status</Th>
            <Th className="text-right">Duration</Th>
            <Th>What happened</Th>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && (
            <tr>
              <Td colSpan={7} className="py-8 text-center text-slate-600">
                <Inbox className="mx-auto mb-2 size-6 text-slate-400" aria-hidden />
                {filtered ? "No run matches these filters." : "No run has been recorded yet."}
              </Td>
            </tr>
          )}
          {rows.map((r) => (
            <tr key={r.id} className="hover:bg-slate-50" data-testid="run-row">
              <Td className="text-xs whitespace-nowrap">
                <Link href={`/sync/runs/${r.id}`} className={linkClass} aria-label={`${kindLabel(r.kind)} run started ${formatDateTime(r.startedAt)}`}>
                  {formatDateTime(r.startedAt).replace(" UTC", "")}
                </Link>
              </Td>
              <Td className="text-xs whitespace-nowrap">{r.connectorName ?? <span className="text-slate-500">CSV import</span>}</Td>
              <Td className="text-xs font-medium whitespace-nowrap">{kindLabel(r.kind)}</Td>
              <Td className="text-xs whitespace-nowrap">{triggerLabel(r.trigger)}</Td>
              <Td>
                <Badge tone={RUN_STATUS_TONE[r.status]}>{RUN_STATUS_LABEL[r.status]}</Badge>
              </Td>
              <Td className="text-right text-xs whitespace-nowrap tabular-nums">
                {formatDuration(r.durationMs)}
                {r.status === "running" && <span className="text-slate-500"> so far</span>}
              </Td>
              <Td className="max-w-[44rem] text-xs">
                <div className="text-slate-800">{r.summary}</div>
                {r.error && <div className="mt-0.5 text-red-700">{r.error}</div>}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      <div className="mt-3 flex items-center justify-between">
        <span className="text-xs text-slate-600" aria-live="polite">
          {rows.length > 0 && `${rows.length.toLocaleString("en-US")} ${rows.length === 1 ? "run" : "runs"} shown${runs.hasNextPage ? "; older runs below" : ", the oldest reached"}`}
        </span>
        {runs.hasNextPage && (
          <Button variant="secondary" size="sm" onClick={() => void runs.fetchNextPage()} disabled={runs.isFetchingNextPage}>
            {runs.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        )}
      </div>
      {runs.isFetchNextPageError && (
        <p role="alert" className="mt-2 text-sm text-red-700">
          {errorMessage(runs.error)}
        </p>
      )}

      <ChartsSection connectors={connectors} connectorId={filter.connectorId} />
    </>
  );
}

function ChartsSection({ connectors, connectorId }: { connectors: { id: string; name: string; role: "source" | "erp" }[]; connectorId: string | undefined }) {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const win = chartWindowFromParams(params);
  const target = chartConnectorOf(connectors, connectorId);
  const charts = useQuery({
    ...trpc.syncConsole.charts.queryOptions({ connectorId: target?.id ?? "00000000-0000-0000-0000-000000000000", window: win }),
    enabled: Boolean(target),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
  const note = connectorId && target && target.id !== connectorId ? " (charts follow postings, which only the ERP connector sends)" : "";

  return (
    <section aria-labelledby="charts-h" className="mt-8">
      <div className="mb-3 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id="charts-h" className="text-base font-semibold text-slate-900">
            Posting activity{target ? `: ${target.name}` : ""}
          </h2>
          <p className="text-xs text-slate-600">Attempts to post to the ERP, their latency and errors, and the outbox backlog{note}. Times in UTC.</p>
        </div>
        <div role="group" aria-label="Chart window" className="inline-flex overflow-hidden rounded-md border border-slate-300">
          {CHART_WINDOW_OPTIONS.map((w) => (
            <button
              key={w}
              type="button"
              aria-pressed={w === win}
              onClick={() => set({ window: w === "1h" ? undefined : w })}
              className={`h-8 px-3 text-sm font-medium ${w === win ? "bg-brand-600 text-white" : "bg-white text-slate-700 hover:bg-slate-50"} border-l border-slate-300 first:border-l-0`}
            >
              {w}
            </button>
          ))}
        </div>
      </div>
      {!target ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">No ERP connector is set up, so there are no postings to chart.</p>
      ) : charts.isError ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          The charts could not be loaded: {errorMessage(charts.error)}
        </p>
      ) : !charts.data ? (
        <div role="status" className="h-64 animate-pulse rounded-lg bg-slate-200/70">
          <span className="sr-only">Loading the charts…</span>
        </div>
      ) : (
        <div className={`grid grid-cols-1 gap-3 lg:grid-cols-2 ${charts.isPlaceholderData ? "opacity-60" : ""}`}>
          <ChartBarPostings data={charts.data} windowLabel={WINDOW_LABEL[charts.data.window]} />
          <ChartLineLatency data={charts.data} windowLabel={WINDOW_LABEL[charts.data.window]} />
          <ChartBarErrors data={charts.data} windowLabel={WINDOW_LABEL[charts.data.window]} />
          <ChartAreaBacklog data={charts.data} windowLabel={WINDOW_LABEL[charts.data.window]} />
        </div>
      )}
    </section>
  );
}
