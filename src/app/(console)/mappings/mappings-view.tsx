"use client";

import { useMutation, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { CheckCheck, ChevronDown, FileSpreadsheet, History, PartyPopper, Plus, Search } from "lucide-react";
import { useMemo, useState } from "react";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { formatHoursValue } from "@/lib/money";
import { useUrlState } from "@/lib/url-state";
import { MAPPING_KINDS, type MappingKind } from "@/server/domain/enums";
import type { AcceptResult } from "@/server/services/mappings/accept";
import type { MappingListItem, MappingStatus } from "@/server/services/mappings/list";
import type { UnmappedItem } from "@/server/services/mappings/unmapped";
import { errorMessage, useTRPC } from "@/trpc/client";
import { CsvPanel } from "./csv-panel";
import { EditorDialog, type EditorRequest } from "./editor-dialog";
import { mappingsFilterFromParams } from "./filters";
import { HistoryDialog } from "./history-dialog";
import { KIND_TEXT, money, SYSTEM_TEXT } from "./labels";
import { RecoveryStatus } from "./recovery-status";

const STATUS: Record<MappingStatus, { label: string; tone: BadgeTone }> = {
  in_effect: { label: "In effect", tone: "success" },
  scheduled: { label: "Starts later", tone: "info" },
  ended: { label: "Ended", tone: "neutral" },
  inactive: { label: "Inactive", tone: "neutral" },
};

const sourceLabel = (i: { code: string | null; name: string }) => (i.code ? `${i.code} ${i.name}` : i.name);

export function MappingsView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const f = mappingsFilterFromParams(params);
  const overview = useSuspenseQuery(trpc.mappings.overview.queryOptions());
  const recoveries = useSuspenseQuery(trpc.mappings.recoveries.queryOptions());
  const [editor, setEditor] = useState<EditorRequest | null>(null);
  const [historyOf, setHistoryOf] = useState<MappingListItem | null>(null);
  const [showCsv, setShowCsv] = useState(false);
  const [search, setSearch] = useState(f.search);
  const currency = overview.data.reportingCurrency;
  const totalBlocking = overview.data.kinds.reduce((n, k) => n + k.blocking, 0);

  const selectTab = (kind: MappingKind) => {
    setSearch("");
    set({ tab: kind === "project" ? undefined : kind, q: undefined, cursor: undefined, status: undefined });
  };

  return (
    <>
      <PageHeader
        title="Mappings"
        description={`How source projects, tasks, people, clients and cost centers map to the ERP's jobs, service items, employees, customers and cost centers. Each tab opens on what is unmapped, largest value blocked first (${currency}, at each entry's work-date rate).`}
        actions={
          <Button variant="secondary" onClick={() => setShowCsv((s) => !s)} aria-expanded={showCsv}>
            <FileSpreadsheet className="size-3.5" aria-hidden /> {showCsv ? "Hide import / export" : "Import / export CSV"}
          </Button>
        }
      />

      <div role="tablist" aria-label="Kinds of mapping" className="mb-3 flex flex-wrap gap-1 border-b border-slate-200">
        {MAPPING_KINDS.map((k) => {
          const o = overview.data.kinds.find((x) => x.kind === k)!;
          const selected = f.kind === k;
          return (
            <button
              key={k}
              type="button"
              role="tab"
              id={`tab-${k}`}
              aria-selected={selected}
              aria-controls="mappings-panel"
              onClick={() => selectTab(k)}
              className={`-mb-px flex items-center gap-1.5 border-b-2 px-3 py-2 text-sm font-medium ${selected ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900"}`}
            >
              {KIND_TEXT[k].tab}
              {o.blocking > 0 && (
                <Badge tone="danger" aria-label={`${o.blocking} blocking`}>
                  {o.blocking}
                </Badge>
              )}
            </button>
          );
        })}
        <span className="ml-auto self-center pb-1 text-xs text-slate-600" data-testid="blockers-total">
          {totalBlocking === 0 ? "No unmapped code blocks approved time." : `${totalBlocking} unmapped ${totalBlocking === 1 ? "code blocks" : "codes block"} approved time.`}
        </span>
      </div>

      <div id="mappings-panel" role="tabpanel" aria-labelledby={`tab-${f.kind}`}>
        {showCsv && <CsvPanel kind={f.kind} />}

        <form
          role="search"
          className="mb-3 flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            set({ q: search.trim() || undefined, cursor: undefined });
          }}
        >
          <div>
            <label htmlFor="mappings-search" className="block text-xs font-medium text-slate-700">
              Search {KIND_TEXT[f.kind].tab.toLowerCase()}
            </label>
            <Input id="mappings-search" className="w-72" value={search} onChange={(e) => setSearch(e.target.value)} placeholder="source or ERP code, name or id" />
          </div>
          <Button type="submit" variant="secondary">
            <Search className="size-3.5" aria-hidden /> Search
          </Button>
          {f.search && (
            <Button
              variant="ghost"
              onClick={() => {
                setSearch("");
                set({ q: undefined, cursor: undefined });
              }}
            >
              Clear
            </Button>
          )}
          <Button className="ml-auto" variant="secondary" onClick={() => setEditor({ op: "create", kind: f.kind })}>
            <Plus className="size-3.5" aria-hidden /> New mapping
          </Button>
        </form>

        {recoveries.data.length > 0 && (
          <details className="mb-3 rounded-lg border border-slate-200 bg-white px-4 py-2" open={recoveries.data.some((r) => r.status === "queued" || r.status === "running")}>
            <summary className="cursor-pointer text-sm font-medium text-slate-900">Recent re-validations after mapping changes</summary>
            <ul className="mt-2 space-y-1.5">
              {recoveries.data.map((r) => (
                <li key={r.id} className="text-xs text-slate-700">
                  <span className="text-slate-500">{formatDateTime(r.createdAt).replace(" UTC", "")} · {r.requestedBy}:</span> {r.label}
                  <div className="mt-0.5">{r.status === "done" || r.status === "failed" ? <span data-testid="recent-recovery">{r.sentence}</span> : <RecoveryStatus id={r.id} />}</div>
                </li>
              ))}
            </ul>
          </details>
        )}

        <UnmappedSection kind={f.kind} search={f.search} currency={currency} onChoose={setEditor} />
        <MappingTable filter={f.list} onEdit={setEditor} onHistory={setHistoryOf} />
      </div>

      <EditorDialog request={editor} onClose={() => setEditor(null)} />
      <HistoryDialog
        mapping={historyOf}
        kind={f.kind}
        onClose={() => setHistoryOf(null)}
        onRestore={(r) => {
          setHistoryOf(null);
          setEditor(r);
        }}
      />
    </>
  );
}

function UnmappedSection({ kind, search, currency, onChoose }: { kind: MappingKind; search: string; currency: string; onChoose: (r: EditorRequest) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useSuspenseQuery(trpc.mappings.unmapped.queryOptions({ kind, search }));
  const data = q.data;
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const [result, setResult] = useState<AcceptResult | null>(null);
  const accept = useMutation(
    trpc.mappings.accept.mutationOptions({
      onSuccess: (r) => {
        setResult(r);
        setPicked(new Set());
        void queryClient.invalidateQueries({ queryKey: trpc.mappings.pathKey() });
      },
    }),
  );
  const keyOf = (i: UnmappedItem) => `${i.sourceSystem}|${i.sourceKey}`;
  const acceptable = useMemo(() => data.items.filter((i) => i.suggestions.length > 0 && !i.hasOtherMappings), [data.items]);
  const chosen = acceptable.filter((i) => picked.has(keyOf(i)));
  const acceptItems = (items: UnmappedItem[]) =>
    accept.mutate({ kind, items: items.map((i) => ({ sourceSystem: i.sourceSystem, sourceKey: i.sourceKey, targetKey: i.suggestions[0]!.targetKey })) });
  const confident = acceptable.filter((i) => i.suggestions[0]!.confidence >= 90);
  const toggle = (k: string) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });

  const resultBox = result && (
    <div className="mb-3 space-y-2" data-testid="accept-result">
      <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
        Mapped {result.accepted.length} {result.accepted.length === 1 ? "source object" : "source objects"}
        {result.accepted.length > 0 && `, holding ${money(result.valueAtStake, currency)} of blocked time`}.
        {result.refused.length > 0 && ` ${result.refused.length} refused: ${result.refused.map((r) => `${r.sourceKey} (${r.reason})`).join("; ")}`}
      </p>
      {result.recovery && <RecoveryStatus id={result.recovery.id} />}
    </div>
  );

  return (
    <section aria-labelledby="unmapped-h" className="mb-5">
      <div className="mb-2 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id="unmapped-h" className="text-sm font-semibold text-slate-900">
            Unmapped {KIND_TEXT[kind].tab.toLowerCase()}
          </h2>
          <p className="text-xs text-slate-600" data-testid="unmapped-totals">
            {data.totals.blocking > 0
              ? `${data.totals.blocking} blocking ${data.totals.entries.toLocaleString("en-US")} approved ${data.totals.entries === 1 ? "entry" : "entries"} · ${formatHoursValue(data.totals.hours)} h · ${money(data.totals.value, currency)} at stake`
              : data.totals.items > 0
                ? `${data.totals.items} without a mapping; none blocks approved time yet.`
                : "Nothing unmapped."}
          </p>
        </div>
        {acceptable.length > 0 && (
          <div className="flex flex-wrap items-center gap-2">
            <Button size="sm" variant="secondary" disabled={confident.length === 0 || accept.isPending} onClick={() => acceptItems(confident)}>
              <CheckCheck className="size-3.5" aria-hidden /> Accept all ≥ 90% ({confident.length})
            </Button>
            <Button size="sm" disabled={chosen.length === 0 || accept.isPending} onClick={() => acceptItems(chosen)}>
              Accept {chosen.length} selected
            </Button>
          </div>
        )}
      </div>
      {resultBox}
      {accept.isError && (
        <p role="alert" className="mb-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorMessage(accept.error)}
        </p>
      )}
      {data.items.length === 0 ? (
        <EmptyState icon={PartyPopper} title={search ? "Nothing unmapped matches the search" : `Every ${KIND_TEXT[kind].sourceShort} is mapped`}>
          {kind === "customer" || kind === "cost_center" ? (
            <p>No validation rule blocks time on {KIND_TEXT[kind].plural} mappings; they are kept governed here for reporting and for the source's own records. The table below lists them.</p>
          ) : (
            <p>No approved time waits on a {KIND_TEXT[kind].sourceShort} mapping. New codes appear here, ranked by the value they block, as soon as a sync meets them.</p>
          )}
        </EmptyState>
      ) : (
        <Table aria-label={`Unmapped ${KIND_TEXT[kind].tab.toLowerCase()}, largest value blocked first`}>
          <thead>
            <tr>
              <Th className="w-8">
                <span className="sr-only">Select</span>
              </Th>
              <Th>{KIND_TEXT[kind].source}</Th>
              <Th className="text-right">Entries</Th>
              <Th className="text-right">Hours</Th>
              <Th className="text-right">Value at stake</Th>
              <Th>Oldest blocked</Th>
              <Th className="min-w-[18rem]">Suggested {KIND_TEXT[kind].target}</Th>
              <Th>
                <span className="sr-only">Actions</span>
              </Th>
            </tr>
          </thead>
          <tbody>
            {data.items.map((i) => {
              const s = i.suggestions[0];
              const k = keyOf(i);
              const canAccept = Boolean(s) && !i.hasOtherMappings;
              const name = sourceLabel(i);
              return (
                <tr key={k} data-testid="unmapped-row" className={picked.has(k) ? "bg-brand-50/60" : undefined}>
                  <Td>{canAccept && <input type="checkbox" className="size-4 accent-brand-600" aria-label={`Select ${name}`} checked={picked.has(k)} onChange={() => toggle(k)} />}</Td>
                  <Td className="text-sm">
                    <div className="font-medium text-slate-900">{name}</div>
                    <div className="font-mono text-[11px] text-slate-500">
                      {SYSTEM_TEXT[i.sourceSystem]} · {i.sourceKey}
                      {i.hasOtherMappings && <span className="font-sans"> · has a mapping (for other dates, or re-validation pending)</span>}
                    </div>
                  </Td>
                  <Td className="text-right text-xs tabular-nums">{i.entries.toLocaleString("en-US")}</Td>
                  <Td className="text-right text-xs tabular-nums">{formatHoursValue(i.hours)}</Td>
                  <Td className="text-right text-xs whitespace-nowrap tabular-nums">{i.entries > 0 ? money(i.value, currency) : "—"}</Td>
                  <Td className="text-xs whitespace-nowrap">{i.oldestWorkDate ?? "—"}</Td>
                  <Td className="text-xs">
                    {s ? (
                      <>
                        <div className="flex flex-wrap items-center gap-1.5">
                          <span className="font-medium text-slate-900">
                            {s.targetCode && s.targetCode !== s.targetName && kind !== "user" ? `${s.targetCode} ` : ""}
                            {s.targetName}
                          </span>
                          <span className="text-slate-500">ERP {s.targetKey}{s.entityCode ? ` · ${s.entityCode}` : ""}</span>
                          <Badge tone={s.confidence >= 90 ? "success" : s.confidence >= 60 ? "info" : "warning"}>{s.confidence}% match</Badge>
                        </div>
                        <div className="text-slate-600">{s.why.join("; ")}</div>
                        {i.suggestions.length > 1 && <div className="text-slate-500">also: {i.suggestions.slice(1).map((x) => `${x.targetName} (${x.confidence}%)`).join(", ")}</div>}
                      </>
                    ) : (
                      <span className="text-slate-600">No confident match in the ERP's master data: choose the target.</span>
                    )}
                  </Td>
                  <Td className="text-right whitespace-nowrap">
                    {canAccept && (
                      <Button size="sm" disabled={accept.isPending} onClick={() => acceptItems([i])} aria-label={`Accept ${s!.targetName} for ${name}`}>
                        Accept
                      </Button>
                    )}{" "}
                    <Button
                      size="sm"
                      variant="secondary"
                      aria-label={`Choose the target for ${name}`}
                      onClick={() => onChoose({ op: "create", kind, sourceSystem: i.sourceSystem, sourceKey: i.sourceKey, sourceLabel: name, targetKey: s?.targetKey })}
                    >
                      Choose…
                    </Button>
                  </Td>
                </tr>
              );
            })}
          </tbody>
        </Table>
      )}
      {data.truncated && <p className="mt-1 text-xs text-slate-600">The {data.items.length} largest are listed; search to find others.</p>}
    </section>
  );
}

function MappingTable({
  filter,
  onEdit,
  onHistory,
}: {
  filter: ReturnType<typeof mappingsFilterFromParams>["list"];
  onEdit: (r: EditorRequest) => void;
  onHistory: (m: MappingListItem) => void;
}) {
  const trpc = useTRPC();
  const { set } = useUrlState();
  const q = useSuspenseQuery(trpc.mappings.list.queryOptions(filter));
  const { items, counts, nextCursor } = q.data;
  const kind = filter.kind;
  const total = counts.in_effect + counts.scheduled + counts.ended + counts.inactive;
  return (
    <section aria-labelledby="mapped-h">
      <div className="mb-2 flex flex-wrap items-end justify-between gap-2">
        <div>
          <h2 id="mapped-h" className="text-sm font-semibold text-slate-900">
            {KIND_TEXT[kind].tab} mappings
          </h2>
          <p className="text-xs text-slate-600">
            {total.toLocaleString("en-US")} in all: {counts.in_effect} in effect, {counts.scheduled} starting later, {counts.ended} ended, {counts.inactive} inactive. Latest change first.
          </p>
        </div>
        <div>
          <label htmlFor="status-filter" className="block text-xs font-medium text-slate-700">
            Status
          </label>
          <Select id="status-filter" className="w-40" value={filter.status} onChange={(e) => set({ status: e.target.value === "all" ? undefined : e.target.value, cursor: undefined })}>
            <option value="all">All</option>
            <option value="in_effect">In effect</option>
            <option value="scheduled">Starts later</option>
            <option value="ended">Ended</option>
            <option value="inactive">Inactive</option>
          </Select>
        </div>
      </div>
      <Table aria-label={`${KIND_TEXT[kind].tab} mappings`}>
        <thead>
          <tr>
            <Th>{KIND_TEXT[kind].source}</Th>
            <Th>{KIND_TEXT[kind].target}</Th>
            <Th>In effect</Th>
            <Th>Status</Th>
            <Th>Changed (UTC)</Th>
            <Th>Why</Th>
            <Th>
              <span className="sr-only">Actions</span>
            </Th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 && (
            <tr>
              <Td colSpan={7} className="py-4 text-center text-sm text-slate-600">
                {filter.search || filter.status !== "all" ? "No mapping matches the search or status." : `No ${KIND_TEXT[kind].plural} mappings yet: create one, or import a file.`}
              </Td>
            </tr>
          )}
          {items.map((m) => {
            const source = m.sourceCode ? `${m.sourceCode} ${m.sourceName ?? ""}` : (m.sourceName ?? m.sourceKey);
            return (
              <tr key={m.id} data-testid="mapping-row">
                <Td className="text-sm">
                  <div className="text-slate-900">{source}</div>
                  <div className="font-mono text-[11px] text-slate-500">
                    {SYSTEM_TEXT[m.sourceSystem]} · {m.sourceKey}
                  </div>
                </Td>
                <Td className="text-sm">
                  <div className="text-slate-900">
                    {m.targetCode && m.targetCode !== m.targetName && kind !== "user" ? `${m.targetCode} ` : ""}
                    {m.targetName ?? "—"}
                  </div>
                  <div className="text-[11px] text-slate-500">
                    ERP {m.targetKey}
                    {m.targetEntity ? ` · ${m.targetEntity}` : ""}
                    {m.targetState !== "active" && <span className="ml-1 font-medium text-amber-800">{m.targetState === "missing" ? "not in the ERP's master data" : "inactive in the ERP"}</span>}
                  </div>
                </Td>
                <Td className="text-xs whitespace-nowrap">{!m.validFrom && !m.validTo ? "always" : `${m.validFrom ?? "…"} → ${m.validTo ?? "open"}`}</Td>
                <Td>
                  <Badge tone={STATUS[m.status].tone}>{STATUS[m.status].label}</Badge>
                </Td>
                <Td className="text-xs whitespace-nowrap">
                  {m.updatedBy}
                  <div className="text-slate-500">
                    {formatDateTime(m.updatedAt).replace(" UTC", "")} · v{m.version}
                  </div>
                </Td>
                <Td className="max-w-xs text-xs break-words text-slate-700">{m.reason ?? "—"}</Td>
                <Td className="text-right whitespace-nowrap">
                  <DropdownMenu>
                    <DropdownMenuTrigger asChild>
                      <Button size="sm" variant="ghost" aria-label={`Edit the mapping of ${source}`}>
                        Edit <ChevronDown className="size-3.5" aria-hidden />
                      </Button>
                    </DropdownMenuTrigger>
                    <DropdownMenuContent>
                      <DropdownMenuItem onSelect={() => onEdit({ op: "update", kind, mapping: m })}>Change target or dates…</DropdownMenuItem>
                      {m.active && <DropdownMenuItem onSelect={() => onEdit({ op: "end_date", kind, mapping: m })}>End-date…</DropdownMenuItem>}
                      {m.active ? (
                        <DropdownMenuItem onSelect={() => onEdit({ op: "deactivate", kind, mapping: m })}>Deactivate…</DropdownMenuItem>
                      ) : (
                        <DropdownMenuItem onSelect={() => onEdit({ op: "reactivate", kind, mapping: m })}>Reactivate…</DropdownMenuItem>
                      )}
                    </DropdownMenuContent>
                  </DropdownMenu>
                  <Button size="sm" variant="ghost" onClick={() => onHistory(m)} aria-label={`History of the mapping of ${source}`}>
                    <History className="size-3.5" aria-hidden /> History
                  </Button>
                </Td>
              </tr>
            );
          })}
        </tbody>
      </Table>
      <nav aria-label="Pages of mappings" className="mt-2 flex items-center justify-end gap-2">
        {filter.cursor && (
          <Button size="sm" variant="secondary" onClick={() => set({ cursor: undefined })}>
            First page
          </Button>
        )}
        {nextCursor && (
          <Button size="sm" variant="secondary" onClick={() => set({ cursor: nextCursor })}>
            Next page
          </Button>
        )}
      </nav>
    </section>
  );
}
