"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { AlertTriangle, ArrowRight, RefreshCw } from "lucide-react";
import Link from "next/link";
import { ChartAreaUnbilledValue } from "@/components/charts/chart-area-unbilled-value";
import { ChartBarOpenExceptions } from "@/components/charts/chart-bar-open-exceptions";
import { ChartLinePostingLatencyDaily } from "@/components/charts/chart-line-posting-latency-daily";
import { ChartLineSlaShare } from "@/components/charts/chart-line-sla-share";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatAge, formatDateTime } from "@/lib/format";
import { useUrlState } from "@/lib/url-state";
import type { KpiDashboard } from "@/server/services/kpis/dashboard";
import { errorMessage, useTRPC } from "@/trpc/client";
import { BREAKDOWN_OPTIONS, breakdownFromParams, drillHref, selectionFromParams } from "./filters";
import { AGE_LABEL, BLOCKER_LABEL, count, duration, hours, money, OWNER_LABEL, pct } from "./labels";
import { Segmented } from "./segmented";

const link = "font-medium text-brand-700 underline-offset-2 hover:underline";
const STATUS_TONE: Record<string, BadgeTone> = { healthy: "success", degraded: "warning", down: "danger", paused: "neutral" };

export function KpisView({ canReconcile, canSeeSync }: { canReconcile: boolean; canSeeSync: boolean }) {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const sel = selectionFromParams(params);
  const dash = useQuery({ ...trpc.kpis.dashboard.queryOptions(sel), placeholderData: keepPreviousData, refetchInterval: 60_000 });
  const d = dash.data;
  const filtered = Boolean(sel.entity || sel.region || sel.businessUnit || sel.practice || sel.period);

  return (
    <>
      <PageHeader
        title="KPIs"
        description={
          d
            ? `Approved time that is not yet billed, why, and how fast it moves. Values in ${d.reportingCurrency} at each entry's work-date rate; times in UTC.`
            : "Approved time that is not yet billed, why, and how fast it moves."
        }
        actions={
          <Button variant="secondary" onClick={() => void dash.refetch()} disabled={dash.isFetching}>
            <RefreshCw className={`size-3.5 ${dash.isFetching ? "animate-spin" : ""}`} aria-hidden /> Refresh
          </Button>
        }
      />

      <form role="search" aria-label="Choose what the figures cover" className="mb-4 flex flex-wrap items-end gap-2" onSubmit={(e) => e.preventDefault()}>
        <Choice id="f-entity" label="Legal entity" value={sel.entity} all="All legal entities" options={d?.facets.entities.map((e) => ({ value: e.code, label: `${e.code} · ${e.name}` }))} onChange={(v) => set({ entity: v })} />
        <Choice id="f-region" label="Region" value={sel.region} all="All regions" options={d?.facets.regions.map((r) => ({ value: r, label: r }))} onChange={(v) => set({ region: v })} />
        <Choice id="f-bu" label="Business unit" value={sel.businessUnit} all="All business units" options={d?.facets.businessUnits.map((r) => ({ value: r, label: r }))} onChange={(v) => set({ bu: v })} />
        <Choice id="f-practice" label="Practice" value={sel.practice} all="All practices" options={d?.facets.practices.map((r) => ({ value: r, label: r }))} onChange={(v) => set({ practice: v })} />
        <Choice id="f-period" label="Period (window figures)" value={sel.period} all="Last 30 days" options={d?.facets.periods.map((p) => ({ value: p, label: p }))} onChange={(v) => set({ period: v })} />
        {filtered && (
          <Button variant="ghost" onClick={() => set({ entity: undefined, region: undefined, bu: undefined, practice: undefined, period: undefined })}>
            Clear filters
          </Button>
        )}
      </form>

      {dash.isError && !d ? (
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          <p className="font-medium">These figures cannot be shown: {errorMessage(dash.error)}</p>
          {filtered && (
            <p className="mt-1">
              <button type="button" className={link} onClick={() => set({ entity: undefined, region: undefined, bu: undefined, practice: undefined, period: undefined })}>
                Show the whole firm instead
              </button>
            </p>
          )}
        </div>
      ) : !d ? (
        <div role="status" className="h-72 animate-pulse rounded-lg bg-slate-200/70">
          <span className="sr-only">Loading the figures…</span>
        </div>
      ) : (
        <div className={dash.isPlaceholderData ? "opacity-60" : ""}>
          {dash.isError && (
            <p role="alert" className="mb-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              The new selection cannot be shown: {errorMessage(dash.error)} The figures below are the previous ones.
            </p>
          )}
          <Tiles d={d} sel={sel} canReconcile={canReconcile} canSeeSync={canSeeSync} />
          <Trends />
          <Breakdown />
        </div>
      )}
    </>
  );
}

function Choice({ id, label, value, all, options, onChange }: { id: string; label: string; value: string | undefined; all: string; options: { value: string; label: string }[] | undefined; onChange: (v: string) => void }) {
  const list = options ?? [];
  const known = !value || list.some((o) => o.value === value);
  return (
    <div>
      <label htmlFor={id} className="block text-xs font-medium text-slate-700">
        {label}
      </label>
      <Select id={id} className="w-48" value={value ?? ""} onChange={(e) => onChange(e.target.value)}>
        <option value="">{all}</option>
        {!known && <option value={value}>{value}</option>}
        {list.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </Select>
    </div>
  );
}

type Sel = ReturnType<typeof selectionFromParams>;

function Tile({ title, testId, children, className = "" }: { title: string; testId: string; children: React.ReactNode; className?: string }) {
  return (
    <section aria-label={title} data-testid={testId} className={`rounded-lg border border-slate-200 bg-white p-3 ${className}`}>
      <h2 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">{title}</h2>
      {children}
    </section>
  );
}

function Big({ href, label, children }: { href: string; label: string; children: React.ReactNode }) {
  return (
    <Link href={href} aria-label={label} className="group mt-1 inline-flex items-baseline gap-1 text-2xl font-semibold text-slate-900 tabular-nums hover:text-brand-700">
      {children}
      <ArrowRight className="size-4 self-center text-slate-400 group-hover:text-brand-700" aria-hidden />
    </Link>
  );
}

function Rows({ rows }: { rows: { key: string; label: string; value: string; sub?: string; href: string; aria: string }[] }) {
  return (
    <ul className="mt-2 space-y-0.5 text-xs">
      {rows.map((r) => (
        <li key={r.key} className="flex items-baseline justify-between gap-2">
          <span className="text-slate-700">{r.label}</span>
          <Link href={r.href} aria-label={r.aria} className={`${link} whitespace-nowrap tabular-nums`}>
            {r.value}
            {r.sub && <span className="ml-1 font-normal text-slate-600">{r.sub}</span>}
          </Link>
        </li>
      ))}
    </ul>
  );
}

/** A line of the unbilled tile: its value and hours, linking to the entries behind it. */
function figureRow(sel: Sel, rc: string, key: string, label: string, f: { value: string; hours: string }, extra: Record<string, string>, spoken = label) {
  return { key, label, value: money(f.value, rc), sub: hours(f.hours), href: drillHref(sel, "unbilled", extra), aria: `${spoken}: ${money(f.value, rc)}, ${hours(f.hours)}; show the entries` };
}

function Tiles({ d, sel, canReconcile, canSeeSync }: { d: KpiDashboard; sel: Sel; canReconcile: boolean; canSeeSync: boolean }) {
  const rc = d.reportingCurrency;
  const w = d.selection.window;
  const unvalued = (n: number) => (n > 0 ? `; ${count(n, "entry", "entries")} without a rate, not in the value` : "");
  return (
    <div className="grid grid-cols-1 gap-3 md:grid-cols-2 xl:grid-cols-4">
      <Tile title={`Unbilled approved value (${rc})`} testId="tile-unbilled" className="md:col-span-2">
        <Big href={drillHref(sel, "unbilled")} label={`Unbilled approved value ${money(d.unbilled.value, rc)}: show the entries`}>
          {money(d.unbilled.value, rc)}
        </Big>
        <p className="text-xs text-slate-600">
          {hours(d.unbilled.hours)} in {count(d.unbilled.count, "billable entry", "billable entries")} approved and not yet invoiced, now{unvalued(d.unbilled.unvalued)}.
        </p>
        <div className="mt-1 grid grid-cols-1 gap-x-6 sm:grid-cols-2">
          <div>
            <h3 className="mt-2 text-xs font-semibold text-slate-700">By what holds it</h3>
            <Rows rows={d.unbilled.byBlocker.map((b) => figureRow(sel, rc, b.blocker, BLOCKER_LABEL[b.blocker], b, { blocker: b.blocker }))} />
          </div>
          <div>
            <h3 className="mt-2 text-xs font-semibold text-slate-700">By age since approval</h3>
            <Rows rows={d.unbilled.byAge.map((b) => figureRow(sel, rc, b.bucket, AGE_LABEL[b.bucket], b, { age: b.bucket }, `Approved ${AGE_LABEL[b.bucket]} ago`))} />
          </div>
        </div>
      </Tile>

      <Tile title={`Revenue at risk (${rc})`} testId="tile-at-risk">
        <Big href={drillHref(sel, "at_risk")} label={`Revenue at risk ${money(d.revenueAtRisk.value, rc)}: show the blocked entries`}>
          {money(d.revenueAtRisk.value, rc)}
        </Big>
        <p className="text-xs text-slate-600">
          Billable approved time blocked by open exceptions: {hours(d.revenueAtRisk.hours)} in {count(d.revenueAtRisk.count, "entry", "entries")}
          {unvalued(d.revenueAtRisk.unvalued)}.
        </p>
      </Tile>

      <Tile title="Unposted approved hours" testId="tile-unposted">
        <Big href={drillHref(sel, "unposted")} label={`Unposted approved hours ${hours(d.unposted.hours)}: show the entries`}>
          {hours(d.unposted.hours)}
        </Big>
        <p className="text-xs text-slate-600">{count(d.unposted.count, "approved entry", "approved entries")} (billable or not) the ERP has not accepted yet.</p>
        <Rows
          rows={d.unposted.byAge.map((b) => ({ key: b.bucket, label: AGE_LABEL[b.bucket], value: hours(b.hours), href: drillHref(sel, "unposted", { age: b.bucket }), aria: `Unposted, approved ${AGE_LABEL[b.bucket]} ago: ${hours(b.hours)}; show the entries` }))}
        />
      </Tile>

      <Tile title="Posted within SLA" testId="tile-sla">
        <Big href={drillHref(sel, "sla", { outcome: "missed" })} label={`Posted within SLA ${pct(d.sla.share)}: show the late entries`}>
          {pct(d.sla.share)}
        </Big>
        <p className="text-xs text-slate-600">
          Of {count(d.sla.approved, "entry", "entries")} approved in the {w.label}: {d.sla.met.toLocaleString("en-US")} accepted by the ERP within the entity&apos;s SLA,{" "}
          <Link href={drillHref(sel, "sla", { outcome: "missed" })} className={link}>
            {d.sla.missed.toLocaleString("en-US")} late
          </Link>
          , {d.sla.pending.toLocaleString("en-US")} still within it.
        </p>
      </Tile>

      <Tile title="Posting latency" testId="tile-latency">
        <Big href={drillHref(sel, "latency")} label={`Posting latency median ${duration(d.latency.p50Seconds)}: show the postings`}>
          {duration(d.latency.p50Seconds)}
          <span className="text-sm font-normal text-slate-600">p50</span>
        </Big>
        <p className="text-xs text-slate-600">
          p95 {duration(d.latency.p95Seconds)}, approval to acceptance by the ERP, over {count(d.latency.postings, "posting", "postings")} accepted in the {w.label}.
        </p>
      </Tile>

      <Tile title="Invoice cycle time" testId="tile-cycle">
        <Big href={drillHref(sel, "cycle")} label={`Invoice cycle time median ${d.invoiceCycle.medianDays ?? "none"} days: show the invoiced entries`}>
          {d.invoiceCycle.medianDays === null ? "—" : `${d.invoiceCycle.medianDays} days`}
        </Big>
        <p className="text-xs text-slate-600">
          Median from approval to invoice date, over {count(d.invoiceCycle.entries, "entry", "entries")} ({hours(d.invoiceCycle.hours)}) invoiced in the {w.label}.
        </p>
      </Tile>

      <Tile title="Utilization" testId="tile-utilization">
        {d.utilization.applicable ? (
          <>
            <Big href={drillHref(sel, "worked")} label={`Utilization ${pct(d.utilization.share)}: show the billable hours`}>
              {pct(d.utilization.share)}
            </Big>
            <p className="text-xs text-slate-600">
              {hours(d.utilization.billableHours)} billable of {hours(d.utilization.capacityHours)} capacity, {count(d.utilization.people, "person", "people")}, {w.label}.
            </p>
          </>
        ) : (
          <p className="mt-2 text-xs text-slate-600">Not shown for a business unit or practice: capacity belongs to people, not projects. Filter by legal entity or region instead.</p>
        )}
      </Tile>

      <Tile title="Exception backlog" testId="tile-exceptions" className="md:col-span-2">
        <Big href={drillHref(sel, "exceptions")} label={`${d.exceptions.open} open exceptions: show the entries they block`}>
          {d.exceptions.open.toLocaleString("en-US")}
          <span className="text-sm font-normal text-slate-600">open</span>
        </Big>
        <p className="text-xs text-slate-600">
          Median time to resolve: {d.exceptions.medianHoursToResolve === null ? "none resolved" : `${d.exceptions.medianHoursToResolve} h`} ({count(d.exceptions.resolvedInWindow, "exception", "exceptions")} resolved in the {w.label}).
        </p>
        <table className="mt-2 w-full text-xs" aria-label="Open exceptions by owner and age">
          <thead>
            <tr className="text-left text-slate-600">
              <th scope="col" className="font-medium">Owner</th>
              {Object.values(AGE_LABEL).map((a) => (
                <th key={a} scope="col" className="text-right font-medium">
                  {a}
                </th>
              ))}
              <th scope="col" className="text-right font-medium">
                At stake
              </th>
            </tr>
          </thead>
          <tbody>
            {d.exceptions.byOwner.map((o) => (
              <tr key={o.owner}>
                <th scope="row" className="text-left font-normal text-slate-700">
                  {o.open > 0 ? (
                    <Link href={drillHref(sel, "exceptions", { owner: o.owner })} className={link} aria-label={`${OWNER_LABEL[o.owner]}: ${o.open} open; show the entries they block`}>
                      {OWNER_LABEL[o.owner]}
                    </Link>
                  ) : (
                    OWNER_LABEL[o.owner]
                  )}
                </th>
                {(["0-7", "8-30", "31-60", "over-60"] as const).map((b) => (
                  <td key={b} className={`text-right tabular-nums ${o.buckets[b] > 0 && b !== "0-7" ? "font-semibold text-amber-800" : "text-slate-800"}`}>
                    {o.buckets[b]}
                  </td>
                ))}
                <td className="text-right text-slate-800 tabular-nums">{o.open ? `${hours(o.hours)} · ${money(o.value, rc)}` : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </Tile>

      <Tile title="Reconciliation completeness" testId="tile-reconciliation">
        {d.reconciliation.lines === 0 ? (
          <p className="mt-2 text-xs text-slate-600">
            No reconciliation has finished {w.period ? `for ${w.period}` : "yet"}.{" "}
            {canReconcile && (
              <Link href={`/reconciliation${sel.entity ? `?entity=${sel.entity}` : ""}`} className={link}>
                Open Reconciliation
              </Link>
            )}
          </p>
        ) : (
          <>
            <p className="mt-1 text-2xl font-semibold text-slate-900 tabular-nums">{pct(d.reconciliation.completeness)}</p>
            <p className="text-xs text-slate-600">
              {d.reconciliation.matched.toLocaleString("en-US")} of {d.reconciliation.lines.toLocaleString("en-US")} lines matched on all sides, latest runs:
            </p>
            <ul className="mt-1 text-xs">
              {d.reconciliation.runs.map((r) => (
                <li key={r.runId} className="flex justify-between gap-2">
                  {canReconcile ? (
                    <Link href={`/reconciliation?entity=${r.entityCode}&period=${r.period}&run=${r.runId}`} className={link}>
                      {r.entityCode} {r.period}
                    </Link>
                  ) : (
                    <span>
                      {r.entityCode} {r.period}
                    </span>
                  )}
                  <span className="tabular-nums text-slate-700">
                    {r.matched}/{r.lines} · {formatAge(r.finishedAt)}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </Tile>

      <Tile title="Sync health" testId="tile-sync">
        {d.syncHealth.length === 0 ? (
          <p className="mt-2 text-xs text-slate-600">No connector is set up, so nothing syncs yet.</p>
        ) : (
          <ul className="mt-2 space-y-1 text-xs">
            {d.syncHealth.map((c) => (
              <li key={c.id} className="flex flex-wrap items-baseline gap-x-2">
                <Badge tone={STATUS_TONE[c.status] ?? "neutral"}>{c.status[0]!.toUpperCase() + c.status.slice(1)}</Badge>
                {canSeeSync ? (
                  <Link href="/sync" className={link}>
                    {c.name}
                  </Link>
                ) : (
                  <span className="font-medium text-slate-800">{c.name}</span>
                )}
                <span className="text-slate-600">
                  last success {c.lastSuccessAgeSeconds === null ? "never" : formatAge(new Date(Date.now() - c.lastSuccessAgeSeconds * 1000))}
                  {c.backlog !== null && ` · ${c.backlog.toLocaleString("en-US")} waiting to post`}
                  {` · ${c.doneLastHour.toLocaleString("en-US")} ${c.role === "erp" ? "posted" : "fetched"} in the last hour`}
                  {c.errorRateLastHour !== null && ` · ${(c.errorRateLastHour * 100).toFixed(1)}% failed`}
                </span>
                {c.statusReason && <span className="basis-full text-amber-800">{c.statusReason}</span>}
              </li>
            ))}
          </ul>
        )}
      </Tile>

      <p className="text-xs text-slate-600 md:col-span-2 xl:col-span-4">
        Unbilled, at-risk, unposted and backlog figures are as of {formatDateTime(d.asOf)}. SLA, latency and cycle time cover the {w.label} ({w.from} to {w.to}) from the daily history
        {d.snapshotAt ? `, last computed ${formatDateTime(d.snapshotAt)}` : " — not computed yet, so they show nothing"}. Every figure opens the entries behind it.{" "}
        <Link href="/kpis/definitions" className={link}>
          How each figure is defined
        </Link>
        .
      </p>
      {d.snapshotAt === null && (
        <p role="note" className="flex items-center gap-2 text-xs text-amber-800 md:col-span-2 xl:col-span-4">
          <AlertTriangle className="size-4" aria-hidden /> The daily history has not been computed yet; the worker computes it every 15 minutes.
        </p>
      )}
    </div>
  );
}

function Trends() {
  const trpc = useTRPC();
  const { params } = useUrlState();
  const sel = selectionFromParams(params);
  const trends = useQuery({ ...trpc.kpis.trends.queryOptions({ ...sel, days: 90 }), placeholderData: keepPreviousData });
  return (
    <section aria-labelledby="trends-h" className="mt-6">
      <h2 id="trends-h" className="text-base font-semibold text-slate-900">
        Trends, last 90 days
      </h2>
      <p className="mb-2 text-xs text-slate-600">One point per day (UTC), from the daily history.</p>
      {trends.isError ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          The trends cannot be shown: {errorMessage(trends.error)}
        </p>
      ) : !trends.data ? (
        <div role="status" className="h-64 animate-pulse rounded-lg bg-slate-200/70">
          <span className="sr-only">Loading the trends…</span>
        </div>
      ) : (
        <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
          <ChartAreaUnbilledValue data={trends.data} />
          <ChartLineSlaShare data={trends.data} />
          <ChartLinePostingLatencyDaily data={trends.data} />
          <ChartBarOpenExceptions data={trends.data} />
        </div>
      )}
    </section>
  );
}

function Breakdown() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const sel = selectionFromParams(params);
  const by = breakdownFromParams(params);
  const q = useQuery({ ...trpc.kpis.breakdown.queryOptions({ ...sel, by }), placeholderData: keepPreviousData });
  const rc = q.data?.reportingCurrency ?? "";
  const paramOf: Record<string, string> = { entity: "entity", region: "region", businessUnit: "bu", practice: "practice", period: "period" };
  const label = BREAKDOWN_OPTIONS.find((o) => o.key === by)!.label;
  return (
    <section aria-labelledby="breakdown-h" className="mt-6">
      <div className="mb-2 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id="breakdown-h" className="text-base font-semibold text-slate-900">
            Breakdown by {label.toLowerCase()}
          </h2>
          <p className="text-xs text-slate-600">{q.data?.note ?? "Unbilled and unposted as they stand now; SLA, latency and cycle time over the window. Choose a row to filter the whole page by it."}</p>
        </div>
        <Segmented label="Break the figures down by" options={BREAKDOWN_OPTIONS} value={by} onChange={(k) => set({ by: k === "entity" ? undefined : k })} />
      </div>
      {q.isError ? (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          The breakdown cannot be shown: {errorMessage(q.error)}
        </p>
      ) : (
        <Table aria-label={`KPIs by ${label.toLowerCase()}`}>
          <thead>
            <tr>
              <Th>{label}</Th>
              <Th className="text-right">Unbilled value</Th>
              <Th className="text-right">Unbilled hours</Th>
              <Th className="text-right">At risk</Th>
              <Th className="text-right">Unposted hours</Th>
              <Th className="text-right">Within SLA</Th>
              <Th className="text-right">Latency p50</Th>
              <Th className="text-right">Cycle time</Th>
            </tr>
          </thead>
          <tbody>
            {!q.data ? (
              <tr>
                <Td colSpan={8} className="py-6 text-center text-slate-600">
                  Loading…
                </Td>
              </tr>
            ) : q.data.rows.length === 0 ? (
              <tr>
                <Td colSpan={8} className="py-6 text-center text-slate-600">
                  Nothing to break down: no unbilled or unposted time and no activity in the window for this selection.
                </Td>
              </tr>
            ) : (
              q.data.rows.map((r) => (
                <tr key={r.key ?? "none"} className="hover:bg-slate-50">
                  <Td className="font-medium">
                    {r.key === null ? (
                      <span className="text-slate-600">Not assigned</span>
                    ) : (
                      <button type="button" className={link} onClick={() => set({ [paramOf[by]!]: r.key!, ...(by === "period" ? {} : { by: by === "entity" ? undefined : by }) })}>
                        {r.key}
                      </button>
                    )}
                  </Td>
                  <Td className="text-right tabular-nums">{money(r.unbilledValue, rc)}</Td>
                  <Td className="text-right tabular-nums">{hours(r.unbilledHours)}</Td>
                  <Td className="text-right tabular-nums">{money(r.atRiskValue, rc)}</Td>
                  <Td className="text-right tabular-nums">{hours(r.unpostedHours)}</Td>
                  <Td className="text-right tabular-nums">{pct(r.slaShare)}</Td>
                  <Td className="text-right tabular-nums">{duration(r.latencyP50Seconds)}</Td>
                  <Td className="text-right tabular-nums">{r.cycleMedianDays === null ? "—" : `${r.cycleMedianDays} days`}</Td>
                </tr>
              ))
            )}
          </tbody>
        </Table>
      )}
    </section>
  );
}
