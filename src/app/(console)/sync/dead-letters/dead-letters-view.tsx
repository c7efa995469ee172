"use client";

import { useInfiniteQuery, useSuspenseQuery } from "@tanstack/react-query";
import { ArrowLeft, ChevronDown, ChevronRight, PartyPopper, RefreshCw, RotateCcw } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { EmptyState } from "@/components/ui/empty-state";
import { Input } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { formatDateTime } from "@/lib/format";
import { formatAmount, formatHoursValue } from "@/lib/money";
import { useUrlState } from "@/lib/url-state";
import type { DeadLetterGroup } from "@/server/services/sync/console/dead-letters";
import { errorMessage, useTRPC } from "@/trpc/client";
import { ReplayDialog, valueText, type ReplaySelection } from "./replay-dialog";

const ITEMS_PAGE = 50;
const linkClass = "font-medium text-brand-700 underline-offset-2 hover:underline";
const groupKey = (g: Pick<DeadLetterGroup, "status" | "cause">) => `${g.status}:${g.cause}`;

/** "2026-11-22T05:12" (the datetime-local format) of an instant, read as UTC */
const toLocalInput = (d: Date) => d.toISOString().slice(0, 16);

export function DeadLettersView() {
  const trpc = useTRPC();
  const { params, set } = useUrlState();
  const dl = useSuspenseQuery(trpc.syncConsole.deadLetters.queryOptions({ statuses: ["dead", "rejected"] }));
  const { groups, totals } = dl.data;
  const open = params.get("group");
  const [selection, setSelection] = useState<ReplaySelection | null>(null);
  const [cleared, setCleared] = useState(0);

  const oldest = groups.reduce<Date | null>((m, g) => (!m || g.oldestAt < m ? g.oldestAt : m), null);
  const [since, setSince] = useState(() => (oldest ? toLocalInput(new Date(Math.floor(oldest.getTime() / 60_000) * 60_000)) : ""));
  const [includeRejected, setIncludeRejected] = useState(false);
  const [sinceError, setSinceError] = useState<string | null>(null);

  const header = (
    <PageHeader
      title="Dead letters and replay"
      description="Postings the ERP never confirmed after every retry (dead-lettered) or refused for an accounting reason, grouped by cause. Fix the cause, then replay: each posting keeps its idempotency key, so nothing is booked twice. Times in UTC."
      actions={
        <>
          <Link href="/sync" className={`${linkClass} inline-flex items-center gap-1 text-sm`}>
            <ArrowLeft className="size-3.5" aria-hidden /> Connectors
          </Link>
          <Link href="/sync/runs" className={`${linkClass} text-sm`}>
            Sync runs
          </Link>
          <Button variant="secondary" onClick={() => void dl.refetch()} disabled={dl.isRefetching}>
            <RefreshCw className={`size-3.5 ${dl.isRefetching ? "animate-spin" : ""}`} aria-hidden /> Refresh
          </Button>
        </>
      }
    />
  );

  const dialog = <ReplayDialog selection={selection} onClose={() => setSelection(null)} onDone={() => setCleared((n) => n + 1)} />;

  const replaySince = (e: React.FormEvent) => {
    e.preventDefault();
    if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/.test(since)) {
      setSinceError("Give a date and time (UTC).");
      return;
    }
    setSinceError(null);
    const at = `${since}:00Z`;
    setSelection({
      label: `everything dead-lettered${includeRejected ? " or refused" : ""} since ${formatDateTime(at)}`,
      input: { deadSince: at, includeRejected },
    });
  };

  const empty = (
    <EmptyState icon={PartyPopper} title="Nothing is dead-lettered or refused">
      <p>Every posting has either reached the ERP or is still on its way there. There is nothing to replay.</p>
      <p className="mt-3">
        <Link href="/sync" className={linkClass}>
          See the connectors
        </Link>
      </p>
    </EmptyState>
  );

  // header, content, dialog: the same three children whatever the list holds, so the dialog
  // (and the replay's result in it) stays mounted when a replay empties the list
  return (
    <>
      {header}
      {totals.count === 0 ? (
        empty
      ) : (
        <>
          <section aria-label="Totals" className="mb-4 flex flex-wrap items-stretch gap-3">
            <div className="rounded-lg border border-slate-200 bg-white px-4 py-2" data-testid="dead-letter-totals">
              <div className="text-xs text-slate-600">Needing a person</div>
              <div className="text-lg font-semibold text-slate-900">{totals.count.toLocaleString("en-US")} postings</div>
              <div className="text-xs text-slate-700">
                {formatHoursValue(totals.hours)} h · {valueText(totals.value)}
              </div>
            </div>
            <form onSubmit={replaySince} aria-label="Replay everything since a time" className="flex flex-wrap items-end gap-2 rounded-lg border border-slate-200 bg-white px-4 py-2">
              <div>
                <label htmlFor="replay-since" className="block text-xs font-medium text-slate-700">
                  Replay everything dead-lettered since (UTC)
                </label>
                <Input id="replay-since" type="datetime-local" className="w-56" value={since} onChange={(e) => setSince(e.target.value)} aria-invalid={sinceError ? true : undefined} aria-describedby={sinceError ? "replay-since-error" : undefined} />
              </div>
              <label className="flex h-8 items-center gap-1.5 text-xs text-slate-700">
                <input type="checkbox" className="size-4 accent-brand-600" checked={includeRejected} onChange={(e) => setIncludeRejected(e.target.checked)} />
                also refused ones (after fixing their cause)
              </label>
              <Button type="submit" variant="secondary">
                <RotateCcw className="size-3.5" aria-hidden /> Replay since…
              </Button>
              {sinceError && (
                <p id="replay-since-error" role="alert" className="w-full text-xs text-red-700">
                  {sinceError}
                </p>
              )}
            </form>
          </section>

          <ul className="space-y-2" aria-label="Dead-letter groups">
            {groups.map((g) => {
              const key = groupKey(g);
              const isOpen = open === key;
              return (
                <li key={key} className="rounded-lg border border-slate-200 bg-white" data-testid="dead-letter-group">
                  <div className="flex flex-wrap items-start gap-3 px-4 py-3">
                    <button
                      type="button"
                      aria-expanded={isOpen}
                      aria-controls={`items-${key}`}
                      onClick={() => set({ group: isOpen ? undefined : key })}
                      className="flex min-w-0 flex-1 items-start gap-2 text-left"
                    >
                      {isOpen ? <ChevronDown className="mt-0.5 size-4 shrink-0 text-slate-500" aria-hidden /> : <ChevronRight className="mt-0.5 size-4 shrink-0 text-slate-500" aria-hidden />}
                      <span className="min-w-0">
                        <span className="flex flex-wrap items-center gap-2">
                          <span className="text-sm font-semibold text-slate-900">{g.label}</span>
                          <Badge tone={g.status === "dead" ? "danger" : "warning"}>{g.status === "dead" ? "Dead-lettered" : "Refused"}</Badge>
                        </span>
                        {g.latestError && <span className="mt-0.5 block font-mono text-[11px] break-words text-slate-600">Latest error: {g.latestError}</span>}
                      </span>
                    </button>
                    <dl className="grid shrink-0 grid-cols-[4.5rem_4.5rem_11rem_10.5rem] gap-x-4 text-xs">
                      <div>
                        <dt className="text-slate-500">Postings</dt>
                        <dd className="font-semibold text-slate-900 tabular-nums">{g.count.toLocaleString("en-US")}</dd>
                      </div>
                      <div>
                        <dt className="text-slate-500">Hours</dt>
                        <dd className="text-slate-900 tabular-nums">{formatHoursValue(g.hours)}</dd>
                      </div>
                      <div>
                        <dt className="text-slate-500">Value</dt>
                        <dd className="text-slate-900 tabular-nums">{valueText(g.value)}</dd>
                      </div>
                      <div>
                        <dt className="text-slate-500">Oldest · latest</dt>
                        <dd className="whitespace-nowrap text-slate-900">
                          {formatDateTime(g.oldestAt).replace(" UTC", "")}
                          <br />
                          {formatDateTime(g.latestAt)}
                        </dd>
                      </div>
                    </dl>
                  </div>
                  {isOpen && <GroupItems key={`${key}-${cleared}`} group={g} onReplay={setSelection} />}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {dialog}
    </>
  );
}

function GroupItems({ group, onReplay }: { group: DeadLetterGroup; onReplay: (s: ReplaySelection) => void }) {
  const trpc = useTRPC();
  const q = useInfiniteQuery(
    trpc.syncConsole.deadLetterItems.infiniteQueryOptions({ cause: group.cause, statuses: [group.status], limit: ITEMS_PAGE }, { getNextPageParam: (p) => p.nextCursor }),
  );
  const items = useMemo(() => q.data?.pages.flatMap((p) => p.items) ?? [], [q.data]);
  const [picked, setPicked] = useState<Set<string>>(new Set());
  const shown = items.map((i) => i.postingId);
  const chosen = shown.filter((id) => picked.has(id));
  const all = shown.length > 0 && chosen.length === shown.length;
  const toggle = (id: string) =>
    setPicked((s) => {
      const n = new Set(s);
      if (n.has(id)) n.delete(id);
      else n.add(id);
      return n;
    });
  const replay = (ids: string[]) => onReplay({ label: ids.length === 1 ? "1 posting" : `${ids.length} postings`, input: { postingIds: ids } });

  if (q.isPending) return <p role="status" className="border-t border-slate-100 px-4 py-4 text-sm text-slate-600">Loading the postings…</p>;
  if (q.isError) return <p role="alert" className="border-t border-slate-100 px-4 py-4 text-sm text-red-700">{errorMessage(q.error)}</p>;

  return (
    <div id={`items-${groupKey(group)}`} className="border-t border-slate-100 px-4 pt-2 pb-3">
      <div className="mb-2 flex flex-wrap items-center gap-2">
        <span className="text-xs text-slate-600" aria-live="polite">
          {chosen.length} of {shown.length} shown selected{group.count > shown.length ? ` (${group.count.toLocaleString("en-US")} in the group)` : ""}
        </span>
        <Button size="sm" disabled={chosen.length === 0} onClick={() => replay(chosen)}>
          <RotateCcw className="size-3.5" aria-hidden /> Replay…
        </Button>
      </div>
      <div className="overflow-x-auto rounded-md border border-slate-200">
        <table className="w-full border-collapse text-sm" aria-label={`Postings: ${group.label}`}>
          <thead>
            <tr className="bg-slate-50 text-left text-xs font-semibold tracking-wide text-slate-600 uppercase">
              <th scope="col" className="w-8 border-b border-slate-200 px-3 py-2">
                <input
                  type="checkbox"
                  className="size-4 accent-brand-600"
                  aria-label="Select all shown"
                  checked={all}
                  ref={(el) => {
                    if (el) el.indeterminate = chosen.length > 0 && !all;
                  }}
                  onChange={() => setPicked(all ? new Set() : new Set(shown))}
                />
              </th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2">Entry</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2">Work date</th>
              <th scope="col" className="min-w-[15rem] border-b border-slate-200 px-3 py-2">Person · project</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2">Entity</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2 text-right">Hours</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2 text-right">Value</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2 text-right">Attempts</th>
              <th scope="col" className="min-w-[14rem] border-b border-slate-200 px-3 py-2">Last error</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2">Since (UTC)</th>
              <th scope="col" className="border-b border-slate-200 px-3 py-2"><span className="sr-only">Actions</span></th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 && (
              <tr>
                <td colSpan={11} className="px-3 py-4 text-center text-sm text-slate-600">
                  Nothing left in this group: it was replayed or resolved meanwhile.
                </td>
              </tr>
            )}
            {items.map((i) => {
              const name = i.sourceId ?? i.postingId.slice(0, 8);
              return (
                <tr key={i.postingId} className={picked.has(i.postingId) ? "bg-brand-50/60" : "hover:bg-slate-50"} data-testid="dead-letter-item">
                  <td className="border-b border-slate-100 px-3 py-1.5 align-top">
                    <input type="checkbox" className="size-4 accent-brand-600" aria-label={`Select ${name}`} checked={picked.has(i.postingId)} onChange={() => toggle(i.postingId)} />
                  </td>
                  <td className="border-b border-slate-100 px-3 py-1.5 align-top font-mono text-[11px] whitespace-nowrap">
                    {name}
                    {i.kind === "reverse" && <span className="ml-1 font-sans text-slate-500">(reversal)</span>}
                    <div className="font-sans text-[11px] text-slate-500">{i.sourceSystem ?? ""}{i.entryVersion > 1 ? ` · v${i.entryVersion}` : ""}</div>
                  </td>
                  <td className="border-b border-slate-100 px-3 py-1.5 align-top text-xs whitespace-nowrap">{i.workDate ?? "—"}</td>
                  <td className="border-b border-slate-100 px-3 py-1.5 align-top text-xs">
                    <div className="text-slate-900">{i.person ?? "—"}</div>
                    <div className="text-slate-600">{i.project ?? ""}</div>
                  </td>
                  <td className="border-b border-slate-100 px-3 py-1.5 align-top text-xs">{i.legalEntityCode ?? "—"}</td>
                  <td className="border-b border-slate-100 px-3 py-1.5 text-right align-top text-xs tabular-nums">{i.hours ? formatHoursValue(i.hours) : "—"}</td>
                  <td className="border-b border-slate-100 px-3 py-1.5 text-right align-top text-xs whitespace-nowrap tabular-nums">{formatAmount(i.amount, i.currency, { cents: true })}</td>
                  <td className="border-b border-slate-100 px-3 py-1.5 text-right align-top text-xs tabular-nums" title={`${i.attemptsTotal} attempts recorded in all`}>
                    {i.attempts}
                  </td>
                  <td className="max-w-sm border-b border-slate-100 px-3 py-1.5 align-top text-xs break-words text-red-800">{i.lastError ?? "—"}</td>
                  <td className="border-b border-slate-100 px-3 py-1.5 align-top text-xs whitespace-nowrap">{formatDateTime(i.updatedAt).replace(" UTC", "")}</td>
                  <td className="border-b border-slate-100 px-3 py-1.5 text-right align-top">
                    <Button size="sm" variant="ghost" onClick={() => replay([i.postingId])} aria-label={`Replay ${name}…`}>
                      Replay…
                    </Button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {q.hasNextPage && (
        <div className="mt-2 flex justify-end">
          <Button variant="secondary" size="sm" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      )}
    </div>
  );
}
