"use client";

import * as D from "@radix-ui/react-dialog";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@/server/api/root";
import { ExternalLink, Wrench, X } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, Td, Th } from "@/components/ui/table";
import { codeLabel, OWNER_LABELS, SEVERITY_TONE } from "@/lib/exception-labels";
import { fixLink } from "@/lib/exception-fix-link";
import { formatAge, formatDateTime } from "@/lib/format";
import { formatAmount, formatHoursValue } from "@/lib/money";
import type { ExceptionAction } from "@/server/services/exceptions/act";
import { errorMessage, useTRPC } from "@/trpc/client";
import { ActionDialog, ACTION_LABEL, type ActionKind, type Assignee } from "./action-dialog";
import { SlaBadge, STATUS_LABEL, STATUS_TONE } from "./labels";
import { LifeCycle } from "./life-cycle";

const TABS = ["entries", "lineage", "history"] as const;
type Tab = (typeof TABS)[number];

/** One exception in a side panel: what it is, the fix, its entries and their lineage, its history, and the actions. */
export function ExceptionDrawer({ id, onClose, assignees }: { id: string | null; onClose: () => void; assignees: Assignee[] }) {
  return (
    <D.Root open={id !== null} onOpenChange={(o) => !o && onClose()}>
      <D.Portal>
        <D.Overlay className="fixed inset-0 z-40 bg-slate-900/30" />
        <D.Content
          className="fixed top-0 right-0 z-50 flex h-full w-[min(56rem,100vw)] flex-col overflow-hidden bg-white shadow-2xl focus:outline-none"
          aria-describedby={undefined}
        >
          {id && <DrawerBody id={id} assignees={assignees} />}
        </D.Content>
      </D.Portal>
    </D.Root>
  );
}

function DrawerBody({ id, assignees }: { id: string; assignees: Assignee[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [entryId, setEntryId] = useState<string | undefined>(undefined);
  const [tab, setTab] = useState<Tab>("entries");
  const [action, setAction] = useState<ActionKind | null>(null);
  const [result, setResult] = useState<{ tone: "success" | "danger"; text: string; conflict?: boolean } | null>(null);
  const detail = useQuery(trpc.exceptions.detail.queryOptions({ id, entryId }));
  const act = useMutation(
    trpc.exceptions.act.mutationOptions({
      onSuccess: async (r) => {
        setAction(null);
        setResult({ tone: "success", text: r.message });
        await queryClient.invalidateQueries({ queryKey: trpc.exceptions.pathKey() });
      },
      onError: (err) => {
        const conflict = err instanceof TRPCClientError && err.data?.code === "CONFLICT";
        if (conflict) {
          setAction(null);
          setResult({ tone: "danger", text: err.message, conflict: true });
        }
      },
    }),
  );

  if (detail.isPending) return <p className="p-6 text-sm text-slate-600">Loading the exception…</p>;
  if (detail.isError)
    return (
      <div className="p-6">
        <D.Title className="text-base font-semibold">Exception</D.Title>
        <p role="alert" className="mt-2 text-sm text-red-800">{errorMessage(detail.error)}</p>
      </div>
    );
  const d = detail.data;
  const x = d.exception;
  const fix = fixLink(x.code, x.details);
  const ccy = d.reportingCurrency;
  const run = (a: ExceptionAction) => {
    setResult(null);
    act.mutate({ id: x.id, expectedVersion: x.version, act: a });
  };
  const available: ActionKind[] =
    x.status === "open" ? ["assign", "comment", "retry", "resolve", "ignore"] : x.status === "ignored" ? ["comment", "retry", "resolve", "reopen"] : ["comment", "reopen"];
  if (x.assigneeId && x.status !== "resolved") available.splice(1, 0, "unassign");

  return (
    <>
      <header className="border-b border-slate-200 px-5 py-4">
        <div className="flex items-start justify-between gap-4">
          <div className="min-w-0">
            <div className="flex flex-wrap items-center gap-1.5">
              <Badge tone={SEVERITY_TONE[x.severity]}>{x.severity}</Badge>
              <Badge tone="neutral">{codeLabel(x.code)}</Badge>
              <Badge tone={STATUS_TONE[x.status]}>{STATUS_LABEL[x.status]}</Badge>
              {x.status === "open" && <SlaBadge ageHours={x.ageHours} slaHours={x.slaHours} />}
            </div>
            <D.Title className="mt-1.5 text-base font-semibold text-slate-900">{x.subjectLabel}</D.Title>
            <p className="mt-0.5 text-sm text-slate-700">{x.message}</p>
          </div>
          <D.Close className="rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-slate-800" aria-label="Close the exception">
            <X className="size-4" aria-hidden />
          </D.Close>
        </div>
      </header>

      <div className="flex-1 space-y-4 overflow-y-auto px-5 py-4">
        <section aria-label="Suggested fix" className="rounded-md border border-brand-100 bg-brand-50 px-3 py-2">
          <div className="flex items-start gap-2">
            <Wrench className="mt-0.5 size-4 shrink-0 text-brand-700" aria-hidden />
            <div className="text-sm text-slate-800">
              <span className="font-semibold">Suggested fix: </span>
              {x.suggestedFix}
              {fix && (
                <>
                  {" "}
                  <Link href={fix.href} className="inline-flex items-center gap-0.5 font-medium text-brand-700 underline underline-offset-2">
                    {fix.label} <ExternalLink className="size-3" aria-hidden />
                  </Link>
                </>
              )}
              <span className="block text-xs text-slate-600">After fixing, use Retry now to re-check the entries and post them.</span>
            </div>
          </div>
        </section>

        <dl className="grid grid-cols-2 gap-x-6 gap-y-1.5 text-sm sm:grid-cols-4">
          <Fact label="Owner">{OWNER_LABELS[x.owner]}</Fact>
          <Fact label="Assignee">{x.assigneeName ?? "Unassigned"}</Fact>
          <Fact label="Legal entity">{[x.entityCode, x.region].filter(Boolean).join(" · ") || "—"}</Fact>
          <Fact label="Project">{x.projectCode ? `${x.projectCode} ${x.projectName}` : "—"}</Fact>
          <Fact label="Blocked">
            {x.entries.toLocaleString("en-US")} {x.entries === 1 ? "entry" : "entries"} · {formatHoursValue(x.hours)} h
          </Fact>
          <Fact label="Value at stake">
            {formatAmount(x.value, x.currency)}
            {x.currency !== ccy && x.valueReporting && <span className="text-slate-600"> ({formatAmount(x.valueReporting, ccy)})</span>}
          </Fact>
          <Fact label="Open since">{formatAge(x.firstSeenAt)} · SLA {x.slaHours} h</Fact>
          <Fact label="Billing blocked">{x.blockedSince ? `since ${formatDateTime(x.blockedSince)}` : "—"}</Fact>
          <Fact label="Seen">{x.occurrences.toLocaleString("en-US")} times, last {formatAge(x.lastSeenAt)}</Fact>
          {x.status !== "open" && (
            <Fact label={x.status === "ignored" ? "Ignored" : "Resolved"}>
              {x.resolution === "auto" ? "automatically" : x.resolutionNote ?? "—"}
            </Fact>
          )}
        </dl>

        <section aria-label="Actions" className="flex flex-wrap items-center gap-2">
          {x.canAct ? (
            available.map((k) => (
              <Button
                key={k}
                size="sm"
                variant={k === "retry" ? "primary" : "secondary"}
                disabled={act.isPending}
                onClick={() => (k === "retry" || k === "unassign" ? run({ action: k }) : setAction(k))}
              >
                {act.isPending && act.variables?.act.action === k ? "Working…" : ACTION_LABEL[k]}
              </Button>
            ))
          ) : (
            <p className="text-sm text-slate-600">
              {OWNER_LABELS[x.owner]} exceptions are handled by the {OWNER_LABELS[x.owner]} team; you can read this one.
            </p>
          )}
        </section>
        {result && (
          <div role="status" className={`rounded-md px-3 py-2 text-sm ${result.tone === "success" ? "bg-emerald-50 text-emerald-900" : "bg-red-50 text-red-800"}`}>
            {result.text}
            {result.conflict && (
              <Button size="sm" variant="secondary" className="ml-2" onClick={() => { setResult(null); void detail.refetch(); }}>
                Show the latest
              </Button>
            )}
          </div>
        )}

        <div role="tablist" aria-label="Exception details" className="flex gap-1 border-b border-slate-200">
          {TABS.map((t) => (
            <button
              key={t}
              role="tab"
              type="button"
              aria-selected={tab === t}
              className={`-mb-px border-b-2 px-3 py-1.5 text-sm font-medium ${tab === t ? "border-brand-600 text-brand-700" : "border-transparent text-slate-600 hover:text-slate-900"}`}
              onClick={() => setTab(t)}
            >
              {t === "entries" ? `Blocked entries (${x.entries.toLocaleString("en-US")})` : t === "lineage" ? "Lineage" : `History (${d.events.length})`}
            </button>
          ))}
        </div>

        {tab === "entries" && (
          <div role="tabpanel" aria-label="Blocked entries">
            {d.entries.length === 0 && d.rawRecords.length === 0 && <p className="text-sm text-slate-600">It blocks no entries now.</p>}
            {d.entries.length > 0 && (
              <Table aria-label="Blocked entries">
                <thead>
                  <tr>
                    <Th>Date</Th>
                    <Th>Person</Th>
                    <Th>Project</Th>
                    <Th className="text-right">Hours</Th>
                    <Th className="text-right">Value</Th>
                    <Th>State</Th>
                    <Th>Source entry</Th>
                  </tr>
                </thead>
                <tbody>
                  {d.entries.map((e) => (
                    <tr key={e.id} className={d.lineage?.entry.id === e.id ? "bg-brand-50" : undefined}>
                      <Td className="whitespace-nowrap tabular-nums">{e.workDate}</Td>
                      <Td>{e.employeeName}</Td>
                      <Td>{e.projectCode}</Td>
                      <Td className="text-right tabular-nums">{formatHoursValue(e.hours)}</Td>
                      <Td className="text-right tabular-nums whitespace-nowrap">{formatAmount(e.value, e.currency, { cents: true })}</Td>
                      <Td>{e.state}</Td>
                      <Td>
                        <button type="button" className="font-medium text-brand-700 underline-offset-2 hover:underline" onClick={() => { setEntryId(e.id); setTab("lineage"); }}>
                          {e.sourceSystem} {e.sourceId} · lineage
                        </button>
                      </Td>
                    </tr>
                  ))}
                </tbody>
              </Table>
            )}
            {x.entries > d.entriesShown && <p className="mt-1 text-xs text-slate-600">Showing the first {d.entriesShown} of {x.entries.toLocaleString("en-US")} entries, oldest first.</p>}
            {d.rawRecords.length > 0 && (
              <div className="mt-3 space-y-2">
                <h3 className="text-sm font-semibold text-slate-900">Refused payloads</h3>
                {d.rawRecords.map((r) => (
                  <Payload key={r.id} title={`${r.sourceSystem} ${r.objectType} ${r.sourceId} · received ${formatDateTime(r.receivedAt)}`} body={r.body} />
                ))}
              </div>
            )}
          </div>
        )}

        {tab === "lineage" && (
          <div role="tabpanel" aria-label="Lineage" className="space-y-4">
            {!d.lineage ? (
              <p className="text-sm text-slate-600">No entry to trace.</p>
            ) : (
              <Lineage lineage={d.lineage} />
            )}
          </div>
        )}

        {tab === "history" && (
          <ol role="tabpanel" aria-label="History" className="space-y-2">
            {d.events.map((e) => (
              <li key={e.id} className="rounded-md border border-slate-200 px-3 py-2 text-sm">
                <div className="text-xs text-slate-600">
                  {formatDateTime(e.at)} · {e.actor} · {e.kind.replace(/_/g, " ")}
                </div>
                <div className="mt-0.5 whitespace-pre-wrap text-slate-800">{e.message}</div>
              </li>
            ))}
          </ol>
        )}
      </div>

      <ActionDialog
        kind={action}
        count={1}
        teams={[x.owner]}
        assignees={assignees}
        pending={act.isPending}
        error={act.isError && !(act.error instanceof TRPCClientError && act.error.data?.code === "CONFLICT") ? errorMessage(act.error) : null}
        onClose={() => setAction(null)}
        onSubmit={run}
      />
    </>
  );
}

function Fact({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="text-slate-900">{children}</dd>
    </div>
  );
}

function Payload({ title, body }: { title: string; body: unknown }) {
  return (
    <details className="rounded-md border border-slate-200">
      <summary className="cursor-pointer px-3 py-1.5 text-sm text-slate-800">{title}</summary>
      <pre className="max-h-64 overflow-auto bg-slate-50 px-3 py-2 text-xs text-slate-800">{JSON.stringify(body, null, 2)}</pre>
    </details>
  );
}

type LineageData = NonNullable<inferRouterOutputs<AppRouter>["exceptions"]["detail"]["lineage"]>;

function Lineage({ lineage: l }: { lineage: LineageData }) {
  return (
    <>
      <section>
        <h3 className="text-sm font-semibold text-slate-900">
          Entry {l.entry.sourceSystem} {l.entry.sourceId} · version {l.entry.version} · {l.entry.state}
        </h3>
        <p className="text-xs text-slate-600">
          {l.entry.workDate} · {formatHoursValue(l.entry.hours)} h · approved {formatDateTime(l.entry.approvedAt)}
          {l.entry.postedAt && ` · posted ${formatDateTime(l.entry.postedAt)}`}
          {l.entry.erpId && ` · ERP id ${l.entry.erpId}`}
        </p>
      </section>
      <LifeCycle key={l.entry.id} lifeCycle={l.lifeCycle} entryLabel={`entry ${l.entry.sourceSystem} ${l.entry.sourceId}`} />
      <section>
        <h3 className="mb-1 text-sm font-semibold text-slate-900">Validation now</h3>
        {l.blockedBy.length === 0 ? (
          <p className="text-sm text-slate-700">No open rule failure blocks this entry.</p>
        ) : (
          <ul className="list-disc pl-5 text-sm text-slate-800">
            {l.blockedBy.map((b) => (
              <li key={b.id}>
                <span className="font-medium">{codeLabel(b.code)}</span>: {b.message}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h3 className="mb-1 text-sm font-semibold text-slate-900">Payloads received ({l.payloads.length})</h3>
        {l.payloads.length === 0 && <p className="text-sm text-slate-600">No raw payload is kept for this entry.</p>}
        <div className="space-y-1">
          {l.payloads.map((p, i) => (
            <Payload key={p.id} title={`${i === 0 ? "Latest" : `Earlier (${i})`} · received ${formatDateTime(p.receivedAt)} · hash ${p.contentHash.slice(0, 10)}`} body={p.body} />
          ))}
        </div>
      </section>
      <section>
        <h3 className="mb-1 text-sm font-semibold text-slate-900">ERP postings ({l.postings.length})</h3>
        {l.postings.length === 0 && <p className="text-sm text-slate-600">Nothing has been sent to the ERP for this entry.</p>}
        <div className="space-y-2">
          {l.postings.map((p) => (
            <div key={p.id} className="rounded-md border border-slate-200 px-3 py-2 text-sm">
              <div className="flex flex-wrap items-center gap-2">
                <Badge tone={p.status === "accepted" ? "success" : p.status === "dead" || p.status === "rejected" ? "danger" : "neutral"}>{p.status}</Badge>
                <span className="font-medium">{p.kind === "create" ? "Create" : "Reverse"} · version {p.entryVersion}</span>
                <span className="text-xs text-slate-600">key {p.idempotencyKey}</span>
                {p.erpId && <span className="text-xs text-slate-600">ERP id {p.erpId}</span>}
              </div>
              {p.lastError && <p className="mt-1 text-xs text-red-800">{p.lastError}</p>}
              <Payload title="Request" body={p.request} />
              {p.attempts.length > 0 && (
                <Table aria-label={`Attempts of posting ${p.idempotencyKey}`} className="mt-1">
                  <thead>
                    <tr>
                      <Th>#</Th>
                      <Th>When (UTC)</Th>
                      <Th>Outcome</Th>
                      <Th>HTTP</Th>
                      <Th className="text-right">ms</Th>
                      <Th>Error</Th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.attempts.map((a) => (
                      <tr key={`${a.attempt}-${String(a.startedAt)}`}>
                        <Td>{a.attempt}</Td>
                        <Td className="whitespace-nowrap">{formatDateTime(a.startedAt)}</Td>
                        <Td>{a.outcome}</Td>
                        <Td>{a.httpStatus ?? "—"}</Td>
                        <Td className="text-right tabular-nums">{a.durationMs}</Td>
                        <Td className="text-xs">{a.error ?? "—"}</Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              )}
              {p.response != null && <Payload title="Last response" body={p.response} />}
            </div>
          ))}
        </div>
      </section>
      <section>
        <h3 className="mb-1 text-sm font-semibold text-slate-900">Exceptions about this entry</h3>
        <ul className="space-y-1 text-sm">
          {l.otherExceptions.map((o) => (
            <li key={o.id} className="flex flex-wrap items-center gap-2">
              <Badge tone={STATUS_TONE[o.status]}>{STATUS_LABEL[o.status]}</Badge>
              <span className="font-medium">{codeLabel(o.code)}</span>
              <span className="text-slate-700">{o.message}</span>
              <span className="text-xs text-slate-600">since {formatDateTime(o.firstSeenAt)}</span>
            </li>
          ))}
        </ul>
      </section>
    </>
  );
}
