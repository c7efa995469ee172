"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { ArrowDown, ArrowUp, Bell, CheckCircle2, Download, Inbox, RefreshCw } from "lucide-react";
import Link from "next/link";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Input } from "@/components/ui/field";
import { MultiSelect } from "@/components/ui/multi-select";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { CODE_LABELS, codeLabel, OWNER_LABELS, SEVERITY_TONE } from "@/lib/exception-labels";
import { formatAmount, formatHoursValue } from "@/lib/money";
import { useUrlState } from "@/lib/url-state";
import { EXCEPTION_CODE_LIST, EXCEPTION_STATUSES, OWNER_TEAMS, REGIONS, SEVERITIES, type OwnerTeam } from "@/server/domain/enums";
import { AGE_BUCKETS, AGE_BUCKET_LIST, type QueueFilter, type Sort } from "@/server/services/exceptions/filter-schema";
import type { ExceptionAction } from "@/server/services/exceptions/act";
import { errorMessage, useTRPC } from "@/trpc/client";
import { ActionDialog, ACTION_LABEL, type ActionKind } from "./action-dialog";
import { BulkProgress } from "./bulk-progress";
import { ExceptionDrawer } from "./drawer";
import { SlaBadge, shortAge, STATUS_LABEL, STATUS_TONE } from "./labels";
import { ALL_FILTER_KEYS, filterToParams, PAGE_SIZE, queueParams } from "@/lib/exception-queue-params";

/** subjects about one person, where naming the person helps; a project's exception spans many people */
const PERSON_SUBJECTS = new Set(["entry", "source_user", "cost_rate", "person_day"]);

const linkClass = "font-medium text-brand-700 underline-offset-2 hover:underline";

/** The URL is the queue's state: filters, sort, group, page cursor and the open drawer. */
function useQueueUrl() {
  const { params, set } = useUrlState();
  const qp = useMemo(() => queueParams(params), [params]);
  const go = useCallback(
    (changes: Record<string, string | undefined | null>, opts: { push?: boolean; keepCursor?: boolean } = {}) =>
      // any change but paging (or the drawer) starts again from the first page
      set({ ...(!opts.keepCursor && !("cursor" in changes) && { cursor: undefined }), ...changes }, { push: opts.push }),
    [set],
  );
  return { qp, go, search: params.toString() };
}

export function ExceptionsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { qp, go, search } = useQueueUrl();
  const valid = qp.problems.length === 0;
  const filter = qp.filter;

  const list = useQuery(
    trpc.exceptions.list.queryOptions({ filter, sort: qp.sort, dir: qp.dir, cursor: qp.cursor, limit: PAGE_SIZE }, { enabled: valid, placeholderData: keepPreviousData }),
  );
  const figures = useQuery(trpc.exceptions.figures.queryOptions({ filter }, { enabled: valid, placeholderData: keepPreviousData }));
  const facets = useQuery(trpc.exceptions.facets.queryOptions());
  const views = useQuery(trpc.exceptions.views.queryOptions());
  const groups = useQuery(trpc.exceptions.groups.queryOptions({ filter, by: qp.group ?? "code" }, { enabled: valid && qp.group !== null, placeholderData: keepPreviousData }));

  // selection: exception id → the version the person saw
  const [selected, setSelected] = useState<Map<string, { version: number; owner: OwnerTeam }>>(new Map());
  const [allMatching, setAllMatching] = useState(false);
  const filterKey = JSON.stringify(filter);
  useEffect(() => {
    setSelected(new Map());
    setAllMatching(false);
  }, [filterKey]);

  const [bulkKind, setBulkKind] = useState<ActionKind | null>(null);
  const [bulkId, setBulkId] = useState<string | null>(null);
  const bulk = useMutation(
    trpc.exceptions.bulk.mutationOptions({
      onSuccess: (r) => {
        setBulkKind(null);
        setBulkId(r.id);
        setSelected(new Map());
        setAllMatching(false);
      },
    }),
  );

  const rows = list.data?.items ?? [];
  const ccy = list.data?.reportingCurrency ?? figures.data?.reportingCurrency ?? "USD";
  const setFilter = (patch: Partial<QueueFilter>) => go(filterToParams({ ...filter, ...patch }));
  const filtered = ALL_FILTER_KEYS.some((k) => search.includes(`${k}=`));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.exceptions.pathKey() });
  const selectionCount = allMatching ? (figures.data?.matching ?? 0) : selected.size;
  const selectedTeams = allMatching ? (filter.owner?.length ? filter.owner : [...OWNER_TEAMS]) : [...new Set([...selected.values()].map((s) => s.owner))];
  const pageAllSelected = rows.length > 0 && rows.every((r) => !r.canAct || selected.has(r.id));

  const toggleRow = (r: (typeof rows)[number]) => {
    setAllMatching(false);
    setSelected((m) => {
      const next = new Map(m);
      if (next.has(r.id)) next.delete(r.id);
      else next.set(r.id, { version: r.version, owner: r.owner });
      return next;
    });
  };
  const togglePage = () => {
    setAllMatching(false);
    setSelected((m) => {
      const next = new Map(m);
      if (pageAllSelected) rows.forEach((r) => next.delete(r.id));
      else rows.filter((r) => r.canAct).forEach((r) => next.set(r.id, { version: r.version, owner: r.owner }));
      return next;
    });
  };
  const startBulk = (act: ExceptionAction) =>
    bulk.mutate(allMatching ? { act, filter } : { act, items: [...selected.entries()].map(([id, s]) => ({ id, version: s.version })) });

  const sortBy = (s: Sort) => go({ sort: s, dir: qp.sort === s && qp.dir === "desc" ? "asc" : "desc" });
  const SortTh = ({ s, children, className }: { s: Sort; children: React.ReactNode; className?: string }) => (
    <Th className={className} aria-sort={qp.sort === s ? (qp.dir === "asc" ? "ascending" : "descending") : "none"}>
      <button type="button" className="inline-flex items-center gap-0.5 uppercase hover:text-slate-900" onClick={() => sortBy(s)}>
        {children}
        {qp.sort === s && (qp.dir === "asc" ? <ArrowUp className="size-3" aria-hidden /> : <ArrowDown className="size-3" aria-hidden />)}
      </button>
    </Th>
  );

  const f = figures.data;
  const exportHref = `/api/exceptions/export${search ? `?${search}` : ""}`;

  return (
    <>
      <PageHeader
        title="Exceptions"
        description="What stops approved time from posting to the ERP and reaching an invoice: who owns it, what it blocks and the fix. Values in the reporting currency at each entry's work-date rate."
        actions={
          <>
            <Link href="/exceptions/alerts" className={`${linkClass} inline-flex items-center gap-1 text-sm`}>
              <Bell className="size-3.5" aria-hidden /> Alerts
            </Link>
            <a href={exportHref} className={`${linkClass} inline-flex items-center gap-1 text-sm`} download>
              <Download className="size-3.5" aria-hidden /> Export CSV
            </a>
            <Button variant="secondary" onClick={() => void refresh()} disabled={list.isFetching}>
              <RefreshCw className={`size-3.5 ${list.isFetching ? "animate-spin" : ""}`} aria-hidden /> Refresh
            </Button>
          </>
        }
      />

      <nav aria-label="Saved views" className="mb-2 flex flex-wrap items-center gap-1.5 text-sm">
        <span className="text-xs font-medium text-slate-600">Views:</span>
        {views.data?.builtIn.map((v) => (
          <ViewLink key={v.key} name={v.name} query={v.query} active={viewMatches(search, v.query)} />
        ))}
        {views.data?.saved.map((v) => (
          <ViewLink key={v.id} name={v.shared && !v.mine ? `${v.name} (shared)` : v.name} query={v.query} active={viewMatches(search, v.query)} />
        ))}
        <SaveView search={search} />
      </nav>

      <form role="search" aria-label="Filter the exceptions" className="mb-3 flex flex-wrap items-center gap-1.5" onSubmit={(e) => e.preventDefault()}>
        <SearchBox value={filter.q ?? ""} onChange={(q) => setFilter({ q: q || undefined })} />
        <MultiSelect label="Status" anyLabel="open" options={EXCEPTION_STATUSES.map((s) => ({ value: s, label: STATUS_LABEL[s] }))} value={filter.status ?? []} onChange={(v) => setFilter({ status: v as QueueFilter["status"] })} />
        <MultiSelect label="Owner" options={OWNER_TEAMS.map((t) => ({ value: t, label: OWNER_LABELS[t] }))} value={filter.owner ?? []} onChange={(v) => setFilter({ owner: v as QueueFilter["owner"] })} />
        <MultiSelect label="Code" options={EXCEPTION_CODE_LIST.map((c) => ({ value: c, label: CODE_LABELS[c] }))} value={filter.code ?? []} onChange={(v) => setFilter({ code: v })} />
        <MultiSelect label="Severity" options={SEVERITIES.map((s) => ({ value: s, label: s }))} value={filter.severity ?? []} onChange={(v) => setFilter({ severity: v as QueueFilter["severity"] })} />
        <MultiSelect label="Age" options={AGE_BUCKET_LIST.map((a) => ({ value: a, label: AGE_BUCKETS[a].label }))} value={filter.age ?? []} onChange={(v) => setFilter({ age: v })} />
        <MultiSelect label="Entity" options={(facets.data?.entities ?? []).map((e) => ({ value: e.code, label: `${e.code} ${e.name}` }))} value={filter.entity ?? []} onChange={(v) => setFilter({ entity: v })} />
        <MultiSelect label="Region" options={REGIONS.map((r) => ({ value: r, label: r }))} value={filter.region ?? []} onChange={(v) => setFilter({ region: v as QueueFilter["region"] })} />
        <MultiSelect label="Business unit" options={(facets.data?.businessUnits ?? []).map((b) => ({ value: b, label: b }))} value={filter.businessUnit ?? []} onChange={(v) => setFilter({ businessUnit: v })} />
        <MultiSelect label="Project" options={(facets.data?.projects ?? []).map((p) => ({ value: p.id, label: `${p.code} ${p.name}` }))} value={filter.project ?? []} onChange={(v) => setFilter({ project: v })} />
        <MultiSelect label="Person" options={(facets.data?.people ?? []).map((p) => ({ value: p.id, label: p.name }))} value={filter.person ?? []} onChange={(v) => setFilter({ person: v })} />
        <label className="sr-only" htmlFor="f-assignee">Assignee</label>
        <select
          id="f-assignee"
          className="h-8 w-44 rounded-md border border-slate-300 bg-white px-2 text-sm"
          value={filter.assignee ?? ""}
          onChange={(e) => setFilter({ assignee: (e.target.value || undefined) as QueueFilter["assignee"] })}
        >
          <option value="">Assignee: anyone</option>
          <option value="me">Assigned to me</option>
          <option value="none">Unassigned</option>
          {facets.data?.assignees.map((a) => (
            <option key={a.id} value={a.id}>
              Assigned to {a.name}
            </option>
          ))}
        </select>
        <MinValue value={filter.minValue ?? ""} ccy={ccy} onChange={(v) => setFilter({ minValue: v || undefined })} />
        <label className="flex items-center gap-1 text-sm text-slate-700">
          <span>Period</span>
          <Input type="month" aria-label="Blocking billing of period" className="w-36" value={filter.period ?? ""} onChange={(e) => setFilter({ period: e.target.value || undefined })} />
        </label>
        <label className="flex items-center gap-1.5 text-sm text-slate-700">
          <input type="checkbox" className="size-3.5" checked={filter.overSla ?? false} onChange={(e) => setFilter({ overSla: e.target.checked || undefined })} />
          Past SLA
        </label>
        {filtered && (
          <Button variant="ghost" size="sm" onClick={() => go(Object.fromEntries(ALL_FILTER_KEYS.map((k) => [k, undefined])))}>
            Clear filters
          </Button>
        )}
      </form>

      {!valid && (
        <div role="alert" className="mb-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          <p className="font-medium">This link's filter cannot be applied:</p>
          <ul className="list-disc pl-5">
            {qp.problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
          <Button size="sm" variant="secondary" className="mt-2" onClick={() => go(Object.fromEntries([...ALL_FILTER_KEYS, "sort", "dir", "group"].map((k) => [k, undefined])))}>
            Clear the filter
          </Button>
        </div>
      )}
      {list.isError && (
        <p role="alert" className="mb-3 rounded-md bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorMessage(list.error)}
        </p>
      )}

      <section aria-label="Figures for this filter" className="mb-3 grid grid-cols-2 gap-2 md:grid-cols-4 xl:grid-cols-7">
        <Figure label="Open" value={f ? f.open.toLocaleString("en-US") : "…"} />
        <Figure label="Entries blocked" value={f ? f.entries.toLocaleString("en-US") : "…"} />
        <Figure label="Hours blocked" value={f ? formatHoursValue(f.hours) : "…"} />
        <Figure label="Value blocked" value={f ? formatAmount(f.value, ccy) : "…"} hint={f && f.unvalued > 0 ? `${f.unvalued} without a value yet` : undefined} />
        <Figure label="Oldest open" value={f?.oldestAgeHours != null ? shortAge(f.oldestAgeHours) : "—"} />
        <Figure label="Past SLA" value={f ? f.overSla.toLocaleString("en-US") : "…"} tone={f && f.overSla > 0 ? "danger" : undefined} />
        <Figure label="Resolved today" value={f ? f.resolvedToday.toLocaleString("en-US") : "…"} />
      </section>

      <div className="mb-2 flex flex-wrap items-center gap-2 text-sm">
        <span className="text-xs font-medium text-slate-600" id="group-by">Group by:</span>
        <div role="group" aria-labelledby="group-by" className="inline-flex overflow-hidden rounded-md border border-slate-300">
          {(["none", "code", "project"] as const).map((g) => (
            <button
              key={g}
              type="button"
              aria-pressed={(qp.group ?? "none") === g}
              className={`px-2.5 py-1 text-xs font-medium ${(qp.group ?? "none") === g ? "bg-brand-600 text-white" : "bg-white text-slate-700 hover:bg-slate-50"}`}
              onClick={() => go({ group: g === "none" ? undefined : g }, { keepCursor: true })}
            >
              {g === "none" ? "None" : g === "code" ? "Code" : "Project"}
            </button>
          ))}
        </div>
      </div>

      {qp.group && groups.data && (
        <Table aria-label={`Exceptions by ${qp.group}`} className="mb-3">
          <thead>
            <tr>
              <Th>{qp.group === "code" ? "Code" : "Project"}</Th>
              <Th className="text-right">Exceptions</Th>
              <Th className="text-right">Entries</Th>
              <Th className="text-right">Hours</Th>
              <Th className="text-right">Value ({ccy})</Th>
              <Th>Oldest</Th>
            </tr>
          </thead>
          <tbody>
            {groups.data.groups.map((g) => (
              <tr key={g.key} data-testid={`group-${g.key}`}>
                <Td>
                  {qp.group === "code" ? (
                    <button type="button" className={linkClass} onClick={() => go({ group: undefined, ...filterToParams({ ...filter, code: [g.key] }) })}>
                      {codeLabel(g.key)}
                    </button>
                  ) : g.projectId ? (
                    <button type="button" className={linkClass} onClick={() => go({ group: undefined, ...filterToParams({ ...filter, project: [g.projectId!] }) })}>
                      {g.label}
                    </button>
                  ) : g.key ? (
                    <button type="button" className={linkClass} onClick={() => go({ group: undefined, ...filterToParams({ ...filter, q: g.label }) })}>
                      {g.label}
                    </button>
                  ) : (
                    g.label
                  )}
                </Td>
                <Td className="text-right tabular-nums">{g.count.toLocaleString("en-US")}</Td>
                <Td className="text-right tabular-nums">{g.entries.toLocaleString("en-US")}</Td>
                <Td className="text-right tabular-nums">{formatHoursValue(g.hours)}</Td>
                <Td className="text-right tabular-nums">{formatAmount(g.value, ccy)}</Td>
                <Td>{shortAge(g.oldestAgeHours)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}

      {selectionCount > 0 && (
        <div role="region" aria-label="Bulk actions" className="sticky top-0 z-10 mb-2 flex flex-wrap items-center gap-2 rounded-md border border-brand-200 bg-brand-50 px-3 py-2 text-sm">
          <span className="font-medium">
            {selectionCount.toLocaleString("en-US")} selected{allMatching ? " (everything matching the filter)" : ""}
          </span>
          {!allMatching && f && f.matching > selected.size && pageAllSelected && (
            <button type="button" className={linkClass} onClick={() => setAllMatching(true)}>
              Select all {f.matching.toLocaleString("en-US")} matching
            </button>
          )}
          <span aria-hidden className="mx-1 text-slate-400">|</span>
          {(["assign", "retry", "resolve", "ignore", "reopen", "comment", "unassign"] as const).map((k) => (
            <Button key={k} size="sm" variant={k === "resolve" ? "primary" : "secondary"} onClick={() => { bulk.reset(); setBulkKind(k); }}>
              {ACTION_LABEL[k]}
            </Button>
          ))}
          <Button size="sm" variant="ghost" onClick={() => { setSelected(new Map()); setAllMatching(false); }}>
            Clear selection
          </Button>
        </div>
      )}

      <Table aria-label="Exception queue">
        <thead>
          <tr>
            <Th className="w-8">
              <input type="checkbox" className="size-3.5" aria-label="Select every row on this page you can act on" checked={pageAllSelected} onChange={togglePage} disabled={rows.every((r) => !r.canAct)} />
            </Th>
            <SortTh s="severity">Exception</SortTh>
            <Th>Owner · assignee</Th>
            <Th>Entity</Th>
            <SortTh s="hours" className="text-right">Hours</SortTh>
            <SortTh s="value" className="text-right">Value at stake</SortTh>
            <SortTh s="age">Age · SLA</SortTh>
            <Th>Billing blocked</Th>
            <SortTh s="occurrences" className="text-right">Seen</SortTh>
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 && !list.isPending && (
            <tr>
              <Td colSpan={9} className="py-8 text-center text-slate-600">
                {filtered ? <Inbox className="mx-auto mb-2 size-6 text-slate-400" aria-hidden /> : <CheckCircle2 className="mx-auto mb-2 size-6 text-emerald-500" aria-hidden />}
                {filtered ? "No exception matches these filters." : "No open exceptions: every approved entry you can see has passed validation."}
              </Td>
            </tr>
          )}
          {rows.map((r) => (
            <tr key={r.id} data-testid={`exception-${r.id}`} className={`hover:bg-slate-50 ${qp.open === r.id ? "bg-brand-50" : ""}`}>
              <Td>
                <input
                  type="checkbox"
                  className="size-3.5"
                  aria-label={`Select ${r.subjectLabel}`}
                  checked={allMatching || selected.has(r.id)}
                  disabled={!r.canAct}
                  title={r.canAct ? undefined : `${OWNER_LABELS[r.owner]} acts on this one`}
                  onChange={() => toggleRow(r)}
                />
              </Td>
              <Td className="w-[42%] min-w-96">
                <div className="flex flex-wrap items-center gap-1">
                  <Badge tone={SEVERITY_TONE[r.severity]}>{r.severity}</Badge>
                  <span className="text-xs font-medium text-slate-700">{codeLabel(r.code)}</span>
                  {r.status !== "open" && <Badge tone={STATUS_TONE[r.status]}>{STATUS_LABEL[r.status]}</Badge>}
                </div>
                <button type="button" className="mt-0.5 block text-left font-medium text-slate-900 hover:text-brand-700 hover:underline" onClick={() => go({ open: r.id }, { keepCursor: true, push: true })}>
                  {r.subjectLabel}
                </button>
                <div className="text-xs text-slate-600">{r.message}</div>
                <div className="text-xs text-slate-600">
                  {[
                    PERSON_SUBJECTS.has(r.subjectType) ? r.employeeName : null,
                    r.subjectType !== "project" ? r.projectCode : null,
                    r.oldestWorkDate && `work from ${r.oldestWorkDate}`,
                    `${r.entries.toLocaleString("en-US")} ${r.entries === 1 ? "entry" : "entries"}`,
                  ]
                    .filter(Boolean)
                    .join(" · ")}
                </div>
              </Td>
              <Td className="whitespace-nowrap">
                {OWNER_LABELS[r.owner]}
                <div className="text-xs text-slate-600">{r.assigneeName ?? "Unassigned"}</div>
              </Td>
              <Td className="whitespace-nowrap">
                {r.entityCode ?? "—"}
                <div className="text-xs text-slate-600">{[r.region, r.businessUnit].filter(Boolean).join(" · ")}</div>
              </Td>
              <Td className="text-right tabular-nums">{formatHoursValue(r.hours)}</Td>
              <Td className="text-right whitespace-nowrap tabular-nums">
                {formatAmount(r.valueReporting, ccy)}
                {r.currency && r.currency !== ccy && <div className="text-xs text-slate-600">{formatAmount(r.value, r.currency)}</div>}
                {r.valueReporting === null && r.entries > 0 && <div className="text-xs text-slate-600">not valued yet</div>}
              </Td>
              <Td className="whitespace-nowrap">{r.status === "open" ? <SlaBadge ageHours={r.ageHours} slaHours={r.slaHours} /> : shortAge(r.ageHours)}</Td>
              <Td className="whitespace-nowrap text-xs text-slate-700">{r.blockedHours !== null ? shortAge(r.blockedHours) : "—"}</Td>
              <Td className="text-right tabular-nums">{r.occurrences.toLocaleString("en-US")}</Td>
            </tr>
          ))}
        </tbody>
      </Table>

      <nav aria-label="Pages" className="mt-2 flex items-center justify-between text-sm text-slate-700">
        <span>
          {rows.length > 0 && `Showing ${rows.length.toLocaleString("en-US")} of ${(f?.matching ?? rows.length).toLocaleString("en-US")}`}
          {qp.cursor && " (a later page)"}
        </span>
        <span className="flex gap-2">
          {qp.cursor && (
            <Button variant="secondary" size="sm" onClick={() => go({ cursor: undefined }, { push: true })}>
              First page
            </Button>
          )}
          {list.data?.nextCursor && (
            <Button variant="secondary" size="sm" onClick={() => go({ cursor: list.data!.nextCursor }, { push: true })}>
              Next {PAGE_SIZE}
            </Button>
          )}
        </span>
      </nav>

      <ActionDialog
        kind={bulkKind}
        count={selectionCount}
        teams={selectedTeams}
        assignees={facets.data?.assignees ?? []}
        pending={bulk.isPending}
        error={bulk.isError ? errorMessage(bulk.error) : null}
        onClose={() => setBulkKind(null)}
        onSubmit={startBulk}
      />
      <BulkProgress id={bulkId} onClose={() => setBulkId(null)} onFinished={() => void refresh()} />
      <ExceptionDrawer id={qp.open} onClose={() => go({ open: undefined }, { keepCursor: true })} assignees={facets.data?.assignees ?? []} />
    </>
  );
}

function Figure({ label, value, hint, tone }: { label: string; value: string; hint?: string; tone?: "danger" }) {
  return (
    <div className="rounded-lg border border-slate-200 bg-white px-3 py-2">
      <div className="text-xs font-medium text-slate-600">{label}</div>
      <div className={`mt-0.5 text-base font-semibold whitespace-nowrap tabular-nums ${tone === "danger" ? "text-red-700" : "text-slate-900"}`}>{value}</div>
      {hint && <div className="text-xs text-slate-600">{hint}</div>}
    </div>
  );
}

function SearchBox({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const t = setTimeout(() => onChange(text.trim()), 350);
    return () => clearTimeout(t);
  }, [text, value, onChange]);
  return <Input type="search" aria-label="Search subject and message" placeholder="Search subject, message, code…" className="w-64" value={text} onChange={(e) => setText(e.target.value)} />;
}

function MinValue({ value, ccy, onChange }: { value: string; ccy: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  return (
    <label className="flex items-center gap-1 text-sm text-slate-700">
      <span className="whitespace-nowrap">Value ≥</span>
      <Input
        inputMode="decimal"
        aria-label={`Minimum value at stake in ${ccy}`}
        placeholder={ccy}
        className="w-24"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => text !== value && onChange(text.trim())}
        onKeyDown={(e) => e.key === "Enter" && onChange(text.trim())}
      />
    </label>
  );
}

function viewMatches(search: string, query: string) {
  const norm = (s: string) => new URLSearchParams(s).toString().split("&").filter((p) => p && !/^(open|cursor|group)=/.test(p)).sort().join("&");
  return norm(search) === norm(query);
}

function ViewLink({ name, query, active }: { name: string; query: string; active: boolean }) {
  return (
    <Link
      href={`/exceptions?${query}`}
      aria-current={active ? "page" : undefined}
      className={`rounded-full border px-2.5 py-0.5 text-xs font-medium ${active ? "border-brand-600 bg-brand-600 text-white" : "border-slate-300 bg-white text-slate-700 hover:bg-slate-50"}`}
    >
      {name}
    </Link>
  );
}

function SaveView({ search }: { search: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [open, setOpen] = useState(false);
  const save = useMutation(
    trpc.exceptions.saveView.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        setName("");
        await queryClient.invalidateQueries({ queryKey: trpc.exceptions.views.queryKey() });
      },
    }),
  );
  const query = new URLSearchParams(search);
  ["open", "cursor"].forEach((k) => query.delete(k));
  if (!open)
    return (
      <button type="button" className={`${linkClass} text-xs`} onClick={() => setOpen(true)} disabled={!query.toString()} title={query.toString() ? undefined : "Set a filter first"}>
        + Save this view
      </button>
    );
  return (
    <form
      className="flex items-center gap-1"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate({ name, query: query.toString() });
      }}
    >
      <Input aria-label="View name" className="h-7 w-44" value={name} onChange={(e) => setName(e.target.value)} placeholder="Name this view" autoFocus />
      <Button type="submit" size="sm" disabled={save.isPending || !name.trim()}>
        Save
      </Button>
      <Button size="sm" variant="ghost" onClick={() => setOpen(false)}>
        Cancel
      </Button>
      {save.isError && (
        <span role="alert" className="text-xs text-red-700">
          {errorMessage(save.error)}
        </span>
      )}
    </form>
  );
}
