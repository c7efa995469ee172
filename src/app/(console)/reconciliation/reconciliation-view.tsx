"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Download, Inbox, Play, XCircle } from "lucide-react";
import Link from "next/link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { formatAmount, formatHoursValue } from "@/lib/money";
import { useUrlState } from "@/lib/url-state";
import type { RunSummary } from "@/server/services/reconciliation/view";
import { errorMessage, useTRPC } from "@/trpc/client";
import { Segmented } from "../kpis/segmented";
import { isSourceApprovalClass, NOT_CHECKED, reconciliationParams, VARIANCE_CLASSES, VARIANCE_TEXT } from "./params";

const DIMENSIONS = [
  { key: "project", label: "By project" },
  { key: "person", label: "By person" },
] as const;
const link = "font-medium text-brand-700 underline-offset-2 hover:underline";
const STATUS: Record<RunSummary["status"], { label: string; tone: BadgeTone }> = {
  queued: { label: "Queued", tone: "info" },
  running: { label: "Running", tone: "info" },
  succeeded: { label: "Finished", tone: "success" },
  failed: { label: "Failed", tone: "danger" },
};
const OWNER = { pmo: "PMO", finance: "Finance", hr: "HR", integration: "Integration" } as const;
const h = (v: string | null | undefined) => (v === null || v === undefined ? "—" : `${formatHoursValue(v)} h`);
const m = (v: string | null | undefined, c: string | null | undefined) => (v === null || v === undefined || !c ? "—" : formatAmount(v, c, { cents: true }));
const pct = (a: number, b: number) => (b === 0 ? "—" : `${((a / b) * 100).toFixed(1)}%`);

export function ReconciliationView({ canRun }: { canRun: boolean }) {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const p = reconciliationParams(params);
  const overview = useQuery({
    ...trpc.reconciliation.overview.queryOptions({ entity: p.entity, period: p.period }),
    // while a run is queued or under way, follow it
    refetchInterval: (q) => (q.state.data?.runs.some((r) => r.status === "queued" || r.status === "running") ? 2_000 : false),
  });
  const o = overview.data;
  const selected = o?.selected ?? null;
  const latest = o?.runs.find((r) => r.status === "succeeded");
  const runId = p.run ?? latest?.id;

  const header = (
    <PageHeader
      title="Reconciliation"
      description="Source-approved time against what Hourbridge validated, what the ERP holds and what it invoiced, for one legal entity and accounting period, with each entry's approval checked against the source as it stands now — every variance explained or listed. Values in the reporting currency at each entry's work-date rate; times in UTC."
    />
  );
  if (overview.isError) {
    return (
      <>
        {header}
        <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-4 py-3 text-sm text-red-800">
          <p className="font-medium">{errorMessage(overview.error)}</p>
          <p className="mt-1">
            <Link href="/reconciliation" className={link}>
              Show the first legal entity and period in your scope
            </Link>
          </p>
        </div>
      </>
    );
  }
  if (!o) {
    return (
      <>
        {header}
        <div role="status" className="h-64 animate-pulse rounded-lg bg-slate-200/70">
          <span className="sr-only">Loading…</span>
        </div>
      </>
    );
  }
  if (!selected) {
    return (
      <>
        {header}
        <EmptyState icon={Inbox} title="No accounting period to reconcile">
          <p>{o.choices.length === 0 ? "No legal entity with accounting periods is in your scope. The ERP's master-data pull brings the periods in." : "The chosen legal entity has no period that has started yet."}</p>
        </EmptyState>
      </>
    );
  }
  const entityChoice = o.choices.find((c) => c.entityCode === selected.entityCode);
  const active = o.runs.find((r) => r.status === "queued" || r.status === "running");

  return (
    <>
      {header}
      <form aria-label="Choose the legal entity and period" className="mb-4 flex flex-wrap items-end gap-2" onSubmit={(e) => e.preventDefault()}>
        <div>
          <label htmlFor="r-entity" className="block text-xs font-medium text-slate-700">
            Legal entity
          </label>
          <Select id="r-entity" className="w-64" value={selected.entityCode} onChange={(e) => set({ entity: e.target.value, period: undefined, run: undefined, class: undefined, compare: undefined, project: undefined, person: undefined })}>
            {o.choices.map((c) => (
              <option key={c.entityCode} value={c.entityCode}>
                {c.entityCode} · {c.entityName}
              </option>
            ))}
          </Select>
        </div>
        <div>
          <label htmlFor="r-period" className="block text-xs font-medium text-slate-700">
            Period
          </label>
          <Select id="r-period" className="w-48" value={selected.period} onChange={(e) => set({ period: e.target.value, run: undefined, class: undefined, compare: undefined, project: undefined, person: undefined })}>
            {entityChoice?.periods.map((x) => (
              <option key={x.period} value={x.period}>
                {x.period} ({x.status})
              </option>
            ))}
          </Select>
        </div>
        <p className="pb-1.5 text-xs text-slate-600">
          {selected.startsOn} to {selected.endsOn}, period {selected.status}.
        </p>
        <div className="ml-auto">{canRun ? <RunButton entity={selected.entityCode} period={selected.period} active={active} /> : <p className="text-xs text-slate-600">Read-only: finance ops run reconciliations.</p>}</div>
      </form>

      {active && (
        <p role="status" className="mb-3 rounded-md border border-brand-100 bg-brand-50 px-3 py-2 text-sm text-brand-700" data-testid="run-in-progress">
          A reconciliation of {selected.entityCode} {selected.period} is {active.status === "queued" ? "queued for the worker" : "running: reading the ERP back and asking the sources for their approvals, then comparing"} (requested {formatDateTime(active.requestedAt)} by {active.requestedBy}).
        </p>
      )}

      {runId ? (
        <RunDetail runId={runId} isLatest={!p.run || p.run === latest?.id} />
      ) : (
        <EmptyState icon={Inbox} title={`No finished reconciliation of ${selected.entityCode} ${selected.period} yet`} className="mb-4">
          <p>{canRun ? "Run one: the worker reads the ERP's side of the period back, compares it line by line, and keeps the result." : "Finance ops run reconciliations; the schedule runs one for each current period every morning."}</p>
        </EmptyState>
      )}

      <CloseReadiness entity={selected.entityCode} period={selected.period} />
      <RunHistory runs={o.runs} selectedId={runId} />
    </>
  );
}

function RunButton({ entity, period, active }: { entity: string; period: string; active: RunSummary | undefined }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const { set } = useUrlState();
  const request = useMutation(
    trpc.reconciliation.request.mutationOptions({
      onSuccess: async () => {
        set({ run: undefined, compare: undefined });
        await qc.invalidateQueries({ queryKey: trpc.reconciliation.overview.queryKey() });
      },
    }),
  );
  return (
    <div className="flex flex-col items-end gap-1">
      <Button onClick={() => request.mutate({ entity, period })} disabled={request.isPending || Boolean(active)}>
        <Play className="size-3.5" aria-hidden /> {active ? "Reconciliation under way…" : "Run reconciliation"}
      </Button>
      {request.isError && (
        <p role="alert" className="text-xs text-red-700">
          {errorMessage(request.error)}
        </p>
      )}
    </div>
  );
}

function Side({ title, s, rc, testId }: { title: string; s: { count: number; hours: string; value: string; unvalued: number }; rc: string; testId: string }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-3 py-2" data-testid={testId}>
      <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">{title}</h3>
      <p className="text-lg font-semibold text-slate-900 tabular-nums">{formatAmount(s.value, rc)}</p>
      <p className="text-xs text-slate-600 tabular-nums">
        {s.count.toLocaleString("en-US")} lines · {h(s.hours)}
        {s.unvalued > 0 && ` · ${s.unvalued} without a rate`}
      </p>
    </div>
  );
}

function RunDetail({ runId, isLatest }: { runId: string; isLatest: boolean }) {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const p = reconciliationParams(params);
  const q = useQuery(trpc.reconciliation.run.queryOptions({ runId }));
  if (q.isError) {
    return (
      <p role="alert" className="mb-4 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
        {errorMessage(q.error)}{" "}
        <button type="button" className={link} onClick={() => set({ run: undefined })}>
          Show the latest run
        </button>
      </p>
    );
  }
  const r = q.data;
  if (!r) return <div role="status" className="mb-4 h-40 animate-pulse rounded-lg bg-slate-200/70"><span className="sr-only">Loading the run…</span></div>;
  if (r.status !== "succeeded" || !r.totals) {
    return (
      <div className="mb-4 rounded-md border border-slate-200 bg-white px-4 py-3 text-sm">
        Run of {formatDateTime(r.requestedAt)}: <Badge tone={STATUS[r.status].tone}>{STATUS[r.status].label}</Badge> {r.error && <span className="text-red-700">{r.error}</span>}
      </div>
    );
  }
  const t = r.totals;
  const rc = r.reportingCurrency;
  const unexplained = Object.values(t.variances).reduce((a, v) => a + (v?.unexplained ?? 0), 0);
  const approvals = t.sourceApprovals ?? { checked: false as const, note: "Approval differences with the source were not checked: this run predates the check." };
  return (
    <section aria-labelledby="run-h" className="mb-6" data-testid="run-detail">
      <div className="mb-2 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id="run-h" className="text-base font-semibold text-slate-900">
            {isLatest ? "Latest run" : "Run"}: {r.entityCode} {r.period}, finished {formatDateTime(r.finishedAt)}
          </h2>
          <p className="text-xs text-slate-600">
            {r.erpSideNote} Requested by {r.requestedBy} ({r.trigger === "schedule" ? "schedule" : "on demand"}).
          </p>
          <p className={`mt-0.5 text-xs ${approvals.checked ? "text-slate-600" : "font-medium text-amber-800"}`} data-testid="source-approvals-note">
            {approvals.note}
          </p>
        </div>
        <a href={`/api/reconciliation/${r.id}/export`} className="inline-flex h-8 items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 text-sm font-medium text-slate-800 hover:bg-slate-50" download>
          <Download className="size-3.5" aria-hidden /> Export CSV for the close file
        </a>
      </div>
      <div className="grid grid-cols-2 gap-3 lg:grid-cols-5">
        <Side title="Source-approved" s={t.sourceApproved} rc={rc} testId="side-source" />
        <Side title="Canonical (validated)" s={t.canonical} rc={rc} testId="side-canonical" />
        <Side title="ERP-posted" s={t.erpPosted} rc={rc} testId="side-erp" />
        <Side title="Invoiced" s={t.invoiced} rc={rc} testId="side-invoiced" />
        <div className="rounded-lg border border-slate-200 bg-white px-3 py-2" data-testid="completeness">
          <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">Matched on every side</h3>
          <p className="text-lg font-semibold text-slate-900 tabular-nums">{pct(t.matched, t.lines)}</p>
          <p className="text-xs text-slate-600 tabular-nums">
            {t.matched.toLocaleString("en-US")} of {t.lines.toLocaleString("en-US")} lines · {unexplained.toLocaleString("en-US")} unexplained
          </p>
        </div>
      </div>
      {t.unassigned && t.unassigned.count > 0 && (
        <p className="mt-2 text-xs text-amber-800">
          Not in these lines: {t.unassigned.count} approved entr{t.unassigned.count === 1 ? "y" : "ies"} ({h(t.unassigned.hours)}) of the period, firm-wide, whose project maps to no ERP job, so no legal entity can be named for them yet.
        </p>
      )}

      <h3 className="mt-4 mb-1 text-sm font-semibold text-slate-900">Variances by class</h3>
      <Table aria-label="Variances by class">
        <thead>
          <tr>
            <Th>Class</Th>
            <Th>What it means</Th>
            <Th className="text-right">Lines</Th>
            <Th className="text-right">Hours</Th>
            <Th className="text-right">Value ({rc})</Th>
            <Th className="text-right">Unexplained</Th>
          </tr>
        </thead>
        <tbody>
          {VARIANCE_CLASSES.map((c) => {
            const v = t.variances[c];
            const chosen = p.varianceClass === c;
            if (!v) {
              // the run could not ask the sources: no figure, and never a 0
              return (
                <tr key={c} data-testid={`class-${c}`} title={approvals.note}>
                  <Td className="font-medium whitespace-nowrap text-slate-600">{VARIANCE_TEXT[c].label}</Td>
                  <Td className="text-xs text-slate-700">{VARIANCE_TEXT[c].meaning}</Td>
                  {["count", "hours", "value", "unexplained"].map((k) => (
                    <Td key={k} className="text-right text-xs whitespace-nowrap text-amber-800 italic">
                      {NOT_CHECKED}
                    </Td>
                  ))}
                </tr>
              );
            }
            return (
              <tr key={c} className={chosen ? "bg-brand-50" : "hover:bg-slate-50"} data-testid={`class-${c}`}>
                <Td className="font-medium whitespace-nowrap">
                  {v.count > 0 ? (
                    <button type="button" className={link} aria-pressed={chosen} onClick={() => set({ class: chosen ? undefined : c })}>
                      {VARIANCE_TEXT[c].label}
                    </button>
                  ) : (
                    <span className="text-slate-600">{VARIANCE_TEXT[c].label}</span>
                  )}
                </Td>
                <Td className="text-xs text-slate-700">{VARIANCE_TEXT[c].meaning}</Td>
                <Td className="text-right tabular-nums">{v.count.toLocaleString("en-US")}</Td>
                <Td className="text-right whitespace-nowrap tabular-nums">{h(v.hours)}</Td>
                <Td className="text-right whitespace-nowrap tabular-nums">{formatAmount(v.value, rc)}</Td>
                <Td className={`text-right tabular-nums ${v.unexplained > 0 ? "font-semibold text-red-700" : ""}`}>{v.unexplained.toLocaleString("en-US")}</Td>
              </tr>
            );
          })}
        </tbody>
      </Table>

      <VarianceLines runId={r.id} rc={rc} notChecked={approvals.checked ? null : approvals.note} />
      <Breakdowns run={r} />
    </section>
  );
}

function VarianceLines({ runId, rc, notChecked }: { runId: string; rc: string; notChecked: string | null }) {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const p = reconciliationParams(params);
  const q = useInfiniteQuery(
    trpc.reconciliation.variances.infiniteQueryOptions({ runId, varianceClass: p.varianceClass, project: p.project, person: p.person, limit: 50 }, { getNextPageParam: (x) => x.nextCursor }),
  );
  const rows = q.data?.pages.flatMap((x) => x.items) ?? [];
  const scopeWords = [p.varianceClass ? VARIANCE_TEXT[p.varianceClass].label : "all classes", p.project ? "one project" : null, p.person ? "one person" : null].filter(Boolean).join(", ");
  return (
    <>
      <div className="mt-4 mb-1 flex flex-wrap items-end justify-between gap-2">
        <h3 className="text-sm font-semibold text-slate-900" id="lines-h">
          Variance lines: {scopeWords}
        </h3>
        {(p.varianceClass || p.project || p.person) && (
          <Button variant="ghost" size="sm" onClick={() => set({ class: undefined, project: undefined, person: undefined })}>
            Show every line
          </Button>
        )}
      </div>
      <Table aria-labelledby="lines-h">
        <thead>
          <tr>
            <Th>Class</Th>
            <Th>Work date</Th>
            <Th>Source entry</Th>
            <Th>ERP record</Th>
            <Th>Project</Th>
            <Th>Person</Th>
            <Th className="text-right">Hours ours / ERP</Th>
            <Th className="text-right">Amount ours / ERP</Th>
            <Th className="text-right">At stake ({rc})</Th>
            <Th>Explanation</Th>
          </tr>
        </thead>
        <tbody>
          {q.isError && (
            <tr>
              <Td colSpan={10} className="text-red-700" role="alert">
                {errorMessage(q.error)}
              </Td>
            </tr>
          )}
          {q.data && rows.length === 0 && (
            <tr>
              <Td colSpan={10} className="py-6 text-center text-slate-600">
                {notChecked && p.varianceClass && isSourceApprovalClass(p.varianceClass) ? notChecked : "No variance line here: every line of this selection matches on all sides."}
              </Td>
            </tr>
          )}
          {rows.map((l) => (
            <tr key={l.id} className="hover:bg-slate-50" data-testid="variance-line">
              <Td className="text-xs whitespace-nowrap">{VARIANCE_TEXT[l.varianceClass].label}</Td>
              <Td className="text-xs whitespace-nowrap tabular-nums">{l.workDate}</Td>
              <Td className="text-xs">{l.sourceRef ?? "—"}</Td>
              <Td className="text-xs whitespace-nowrap">{l.erpId ?? "—"}</Td>
              <Td className="text-xs">{l.projectLabel ?? "—"}</Td>
              <Td className="text-xs">{l.personLabel ?? "—"}</Td>
              <Td className="text-right text-xs whitespace-nowrap tabular-nums">
                {h(l.hoursOurs)} / {h(l.hoursErp)}
              </Td>
              <Td className="text-right text-xs whitespace-nowrap tabular-nums">
                {m(l.amountOurs, l.currency)} / {m(l.amountErp, l.currency)}
              </Td>
              <Td className="text-right text-xs whitespace-nowrap tabular-nums">{l.valueReporting === null ? "no rate" : formatAmount(l.valueReporting, rc, { cents: true })}</Td>
              <Td className={`text-xs ${l.explanation ? "text-slate-700" : "font-medium text-red-700"}`}>{l.explanation ?? "Unexplained"}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      {q.hasNextPage && (
        <div className="mt-2 flex justify-end">
          <Button variant="secondary" size="sm" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? "Loading…" : "Load more lines"}
          </Button>
        </div>
      )}
    </>
  );
}

function Breakdowns({ run }: { run: RunSummary & { byProject: Breakdown[]; byPerson: Breakdown[] } }) {
  const { params, set } = useUrlState();
  const p = reconciliationParams(params);
  const list = p.dim === "person" ? run.byPerson : run.byProject;
  const shown = list.slice(0, 50);
  const rc = run.reportingCurrency;
  return (
    <>
      <div className="mt-5 mb-1 flex flex-wrap items-end justify-between gap-2">
        <h3 className="text-sm font-semibold text-slate-900">By {p.dim}: the four sides</h3>
        <Segmented label="Break the run down by" options={DIMENSIONS} value={p.dim} onChange={(d) => set({ dim: d === "project" ? undefined : d })} />
      </div>
      <Table aria-label={`Reconciliation by ${p.dim}`}>
        <thead>
          <tr>
            <Th>{p.dim === "person" ? "Person" : "Project"}</Th>
            <Th className="text-right">Source-approved</Th>
            <Th className="text-right">Canonical</Th>
            <Th className="text-right">ERP-posted</Th>
            <Th className="text-right">Invoiced</Th>
            <Th className="text-right">Variance lines</Th>
          </tr>
        </thead>
        <tbody>
          {shown.map((b) => (
            <tr key={b.key || "none"} className="hover:bg-slate-50">
              <Td className="text-xs">
                {b.variances > 0 && b.key ? (
                  <button type="button" className={`${link} text-left`} onClick={() => set({ [p.dim]: b.key, class: undefined })}>
                    {b.label}
                  </button>
                ) : (
                  b.label
                )}
              </Td>
              {[b.source, b.canonical, b.erp, b.invoiced].map((s, i) => (
                <Td key={i} className="text-right text-xs whitespace-nowrap tabular-nums">
                  {s.count} · {h(s.hours)} · {formatAmount(s.value, rc)}
                </Td>
              ))}
              <Td className={`text-right text-xs tabular-nums ${b.variances > 0 ? "font-semibold text-amber-800" : ""}`}>{b.variances}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
      {list.length > shown.length && <p className="mt-1 text-xs text-slate-600">The 50 {p.dim === "person" ? "people" : "projects"} with the most variances are shown of {list.length}; the CSV export has every variance line.</p>}
    </>
  );
}

type Breakdown = { key: string; label: string; source: Cell; canonical: Cell; erp: Cell; invoiced: Cell; variances: number };
type Cell = { count: number; hours: string; value: string };

function CloseReadiness({ entity, period }: { entity: string; period: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.reconciliation.closeReadiness.queryOptions({ entity, period }));
  const r = q.data;
  return (
    <section aria-labelledby="close-h" className="mb-6" data-testid="close-readiness">
      <h2 id="close-h" className="text-base font-semibold text-slate-900">
        Period close readiness: {entity} {period}
      </h2>
      {q.isError ? (
        <p role="alert" className="text-sm text-red-700">
          {errorMessage(q.error)}
        </p>
      ) : !r ? (
        <div role="status" className="h-32 animate-pulse rounded-lg bg-slate-200/70">
          <span className="sr-only">Loading the checklist…</span>
        </div>
      ) : (
        <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
          <div className="rounded-lg border border-slate-200 bg-white p-3">
            <p className={`mb-2 text-sm font-medium ${r.ready ? "text-emerald-800" : "text-amber-800"}`}>{r.ready ? "Nothing stands in the way of a clean close." : "What still stands between today and a clean close:"}</p>
            <ul className="space-y-2 text-sm">
              {r.checklist.map((c) => (
                <li key={c.key} className="flex gap-2">
                  {c.ok ? <CheckCircle2 className="mt-0.5 size-4 shrink-0 text-emerald-700" aria-label="Done" /> : <XCircle className="mt-0.5 size-4 shrink-0 text-red-700" aria-label="To do" />}
                  <span>
                    <span className="font-medium text-slate-900">{c.label}.</span> <span className="text-slate-700">{c.detail}</span>{" "}
                    {!c.ok && c.href && (
                      <Link href={c.href} className={link}>
                        See them
                      </Link>
                    )}
                  </span>
                </li>
              ))}
            </ul>
            <table className="mt-3 w-full text-xs" aria-label="Open exceptions on the period's entries by owner">
              <thead>
                <tr className="text-left text-slate-600">
                  <th scope="col" className="font-medium">Owner</th>
                  <th scope="col" className="text-right font-medium">Exceptions</th>
                  <th scope="col" className="text-right font-medium">Entries</th>
                  <th scope="col" className="text-right font-medium">Hours</th>
                </tr>
              </thead>
              <tbody>
                {r.exceptionsByOwner.map((o) => (
                  <tr key={o.owner}>
                    <th scope="row" className="text-left font-normal text-slate-700">{OWNER[o.owner]}</th>
                    <td className="text-right tabular-nums">{o.exceptions}</td>
                    <td className="text-right tabular-nums">{o.entries}</td>
                    <td className="text-right tabular-nums">{h(o.hours)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <div className="rounded-lg border border-slate-200 bg-white p-3" data-testid="dry-run">
            <h3 className="text-sm font-semibold text-slate-900">Dry run: what would post now</h3>
            <p className="text-xs text-slate-600">The validation rules applied to the period&apos;s {r.dryRun.considered.toLocaleString("en-US")} approved entries the ERP has not accepted; nothing is written.</p>
            <p className="mt-2 text-sm">
              <span className="font-semibold text-slate-900">{r.dryRun.wouldPost.count.toLocaleString("en-US")}</span> entries would post: {h(r.dryRun.wouldPost.hours)}, {formatAmount(r.dryRun.wouldPost.value, r.reportingCurrency)}
              {r.dryRun.wouldPost.unvalued > 0 && ` (${r.dryRun.wouldPost.unvalued} without an FX rate, not in the value)`}.
            </p>
            {r.dryRun.wouldFail.length > 0 ? (
              <table className="mt-2 w-full text-xs" aria-label="Entries that would fail, by reason">
                <thead>
                  <tr className="text-left text-slate-600">
                    <th scope="col" className="font-medium">Would fail with</th>
                    <th scope="col" className="font-medium">Owner</th>
                    <th scope="col" className="text-right font-medium">Entries</th>
                    <th scope="col" className="text-right font-medium">Hours</th>
                  </tr>
                </thead>
                <tbody>
                  {r.dryRun.wouldFail.map((f) => (
                    <tr key={f.code}>
                      <th scope="row" className="text-left font-mono font-normal text-slate-800">{f.code}</th>
                      <td>{OWNER[f.owner]}</td>
                      <td className="text-right tabular-nums">{f.count}</td>
                      <td className="text-right tabular-nums">{h(f.hours)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : (
              <p className="mt-2 text-xs text-slate-600">No entry would fail validation now.</p>
            )}
          </div>
        </div>
      )}
    </section>
  );
}

function RunHistory({ runs, selectedId }: { runs: RunSummary[]; selectedId: string | undefined }) {
  const { params, set } = useUrlState();
  const p = reconciliationParams(params);
  const finished = runs.filter((r) => r.status === "succeeded");
  return (
    <section aria-labelledby="history-h">
      <h2 id="history-h" className="text-base font-semibold text-slate-900">
        Runs of this period
      </h2>
      <p className="mb-2 text-xs text-slate-600">Each run is kept: open one, or compare it with the one shown above.</p>
      {runs.length === 0 ? (
        <p className="rounded-lg border border-dashed border-slate-300 bg-white px-4 py-6 text-center text-sm text-slate-600">No run yet for this period.</p>
      ) : (
        <Table aria-label="Runs of this period">
          <thead>
            <tr>
              <Th>Requested (UTC)</Th>
              <Th>By</Th>
              <Th>Status</Th>
              <Th className="text-right">Matched</Th>
              <Th>Compare</Th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} className={r.id === selectedId ? "bg-brand-50" : "hover:bg-slate-50"} data-testid="run-row">
                <Td className="text-xs whitespace-nowrap">
                  {r.status === "succeeded" ? (
                    <button type="button" className={link} onClick={() => set({ run: r.id, compare: undefined, class: undefined })} aria-label={`Open the run requested ${formatDateTime(r.requestedAt)}`}>
                      {formatDateTime(r.requestedAt).replace(" UTC", "")}
                    </button>
                  ) : (
                    formatDateTime(r.requestedAt).replace(" UTC", "")
                  )}
                </Td>
                <Td className="text-xs">{r.requestedBy}</Td>
                <Td>
                  <Badge tone={STATUS[r.status].tone}>{STATUS[r.status].label}</Badge>
                  {r.error && <span className="ml-2 text-xs text-red-700">{r.error}</span>}
                </Td>
                <Td className="text-right text-xs tabular-nums">{r.totals ? `${r.totals.matched} of ${r.totals.lines}` : "—"}</Td>
                <Td className="text-xs">
                  {r.status === "succeeded" && selectedId && r.id !== selectedId && (
                    <button type="button" className={link} onClick={() => set({ compare: r.id })} aria-label={`Compare the run shown with the run of ${formatDateTime(r.requestedAt)}`}>
                      Compare with the run shown
                    </button>
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {p.compare && selectedId && finished.length > 1 && <Comparison runId={selectedId} otherRunId={p.compare} />}
    </section>
  );
}

function Comparison({ runId, otherRunId }: { runId: string; otherRunId: string }) {
  const trpc = useTRPC();
  const { set } = useUrlState();
  const q = useQuery(trpc.reconciliation.compare.queryOptions({ runId, otherRunId }));
  if (q.isError) return <p role="alert" className="mt-2 text-sm text-red-700">{errorMessage(q.error)}</p>;
  if (!q.data) return null;
  const c = q.data;
  return (
    <div className="mt-3" data-testid="comparison">
      <div className="mb-1 flex items-end justify-between">
        <h3 className="text-sm font-semibold text-slate-900">
          Run of {formatDateTime(c.run.finishedAt)} against run of {formatDateTime(c.other.finishedAt)}
        </h3>
        <Button variant="ghost" size="sm" onClick={() => set({ compare: undefined })}>
          Close the comparison
        </Button>
      </div>
      <Table aria-label="Variance classes in the two runs">
        <thead>
          <tr>
            <Th>Class</Th>
            <Th className="text-right">Other run</Th>
            <Th className="text-right">Run shown</Th>
            <Th className="text-right">New since</Th>
            <Th className="text-right">Gone since</Th>
          </tr>
        </thead>
        <tbody>
          {c.classes.map((x) => (
            <tr key={x.varianceClass}>
              <Td className="text-xs">{VARIANCE_TEXT[x.varianceClass].label}</Td>
              <Td className="text-right tabular-nums">{x.inOther ?? NOT_CHECKED}</Td>
              <Td className="text-right tabular-nums">{x.inRun ?? NOT_CHECKED}</Td>
              <Td className={`text-right tabular-nums ${x.added ? "font-semibold text-red-700" : ""}`}>{x.added ?? "—"}</Td>
              <Td className={`text-right tabular-nums ${x.gone ? "font-semibold text-emerald-800" : ""}`}>{x.gone ?? "—"}</Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}
