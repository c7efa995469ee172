"use client";

import { useMutation, useQueryClient, useSuspenseInfiniteQuery, useSuspenseQuery } from "@tanstack/react-query";
import { ArrowLeft, BellOff, CheckCheck, Play, Plus } from "lucide-react";
import Link from "next/link";
import { useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import { OWNER_LABELS } from "@/lib/exception-labels";
import { formatAge, formatDateTime } from "@/lib/format";
import { formatAmount } from "@/lib/money";
import { ALERT_CONDITIONS, NOTIFICATIONS_PAGE } from "@/server/services/alerts/catalog";
import type { listRules } from "@/server/services/alerts/rules";
import { errorMessage, useTRPC } from "@/trpc/client";
import { RuleDialog } from "./rule-dialog";

export type RuleRow = Awaited<ReturnType<typeof listRules>>["rules"][number];

const linkClass = "font-medium text-brand-700 underline-offset-2 hover:underline";

/** "USD 50,000" or "25 open" or "—": a rule's threshold in words. */
export function thresholdText(r: Pick<RuleRow, "condition" | "threshold">, currency: string): string {
  if (r.threshold === null) return "—";
  return ALERT_CONDITIONS[r.condition].threshold === "amount" ? formatAmount(r.threshold, currency, { cents: !r.threshold.endsWith(".00") }) : `${r.threshold} open`;
}

function lastValueText(r: RuleRow, currency: string): string {
  if (r.lastValue === null) return "not evaluated yet";
  switch (r.condition) {
    case "value_blocked_over":
      return `now ${formatAmount(r.lastValue, currency)}`;
    case "open_count_over":
      return `now ${r.lastValue} open`;
    case "older_than_sla":
      return `now ${r.lastValue} past SLA`;
  }
}

const DELIVERY: Record<string, { label: string; tone: "success" | "warning" | "danger" }> = {
  delivered: { label: "Delivered", tone: "success" },
  pending: { label: "Retrying", tone: "warning" },
  failed: { label: "Failed", tone: "danger" },
};

export function AlertsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const rulesQ = useSuspenseQuery(trpc.alerts.rules.queryOptions());
  const { rules, manageableTeams, canEvaluateNow, reportingCurrency } = rulesQ.data;
  const [editing, setEditing] = useState<RuleRow | "new" | null>(null);
  const [confirming, setConfirming] = useState<{ rule: RuleRow; action: "deactivate" | "delete" } | null>(null);

  const refreshAll = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.alerts.rules.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.alerts.notifications.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.alerts.unreadCount.queryKey() }),
    ]);

  const evaluate = useMutation(trpc.alerts.evaluateNow.mutationOptions({ onSuccess: refreshAll }));
  const activate = useMutation(trpc.alerts.setRuleActive.mutationOptions({ onSuccess: refreshAll }));

  return (
    <>
      <PageHeader
        title="Alerts"
        description="Each team's rules on its open exceptions, and what they said. A rule notifies once when its condition becomes true, then stays quiet until the condition clears. Rules are checked every five minutes. Times in UTC."
        actions={
          <>
            <Link href="/exceptions" className={`${linkClass} inline-flex items-center gap-1 text-sm`}>
              <ArrowLeft className="size-3.5" aria-hidden /> Exception queue
            </Link>
            {canEvaluateNow && (
              <Button variant="secondary" onClick={() => evaluate.mutate()} disabled={evaluate.isPending}>
                <Play className="size-3.5" aria-hidden /> {evaluate.isPending ? "Evaluating…" : "Evaluate now"}
              </Button>
            )}
          </>
        }
      />
      {(evaluate.isSuccess || evaluate.isError) && (
        <p
          role={evaluate.isError ? "alert" : "status"}
          className={`mb-4 rounded-md border px-3 py-2 text-sm ${evaluate.isError ? "border-red-200 bg-red-50 text-red-800" : "border-brand-100 bg-brand-50 text-slate-800"}`}
        >
          {evaluate.isError
            ? errorMessage(evaluate.error)
            : `${evaluate.data.evaluated} active ${evaluate.data.evaluated === 1 ? "rule" : "rules"} evaluated: ${evaluate.data.fired.length} started firing, ${evaluate.data.cleared.length} cleared.`}
        </p>
      )}

      <div className="grid grid-cols-1 gap-6 2xl:grid-cols-[minmax(0,28rem)_minmax(0,1fr)]">
        <Notifications />

        <section aria-labelledby="rules-heading">
          <div className="mb-2 flex items-center justify-between gap-3">
            <h2 id="rules-heading" className="text-sm font-semibold text-slate-900">
              Rules
            </h2>
            {manageableTeams.length > 0 && (
              <Button size="sm" onClick={() => setEditing("new")}>
                <Plus className="size-3.5" aria-hidden /> New rule
              </Button>
            )}
          </div>
          {activate.isError && (
            <p role="alert" className="mb-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              {errorMessage(activate.error)}
            </p>
          )}
          {rules.length === 0 ? (
            <EmptyState icon={BellOff} title="No alert rules yet">
              <p>
                A rule watches one team&apos;s open exceptions — the value they block, how many there are, or whether any is past its SLA — and notifies the team here
                {manageableTeams.length > 0 ? " (and, if you like, a webhook) when it trips." : " when it trips. Finance ops, PMO and admins create them."}
              </p>
            </EmptyState>
          ) : (
            <Table aria-label="Alert rules">
              <thead>
                <tr>
                  <Th>Team</Th>
                  <Th>Rule</Th>
                  <Th>Condition</Th>
                  <Th className="text-right">Threshold</Th>
                  <Th>Webhook</Th>
                  <Th>State</Th>
                  <Th>Last evaluated</Th>
                  <Th>Last delivery</Th>
                  <Th>
                    <span className="sr-only">Actions</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {rules.map((r) => (
                  <tr key={r.id} className={r.active ? undefined : "text-slate-500"} data-testid="alert-rule">
                    <Td className="whitespace-nowrap">{OWNER_LABELS[r.ownerTeam]}</Td>
                    <Td>
                      <Link href={r.queueLink} className={linkClass} title="Open what this rule watches in the queue">
                        {r.name}
                      </Link>
                    </Td>
                    <Td className="text-xs">{ALERT_CONDITIONS[r.condition].label}</Td>
                    <Td className="text-right whitespace-nowrap tabular-nums">{thresholdText(r, reportingCurrency)}</Td>
                    <Td className="text-xs">
                      {r.webhookUrl ? (
                        <span title={r.webhookUrl}>
                          {new URL(r.webhookUrl).host}
                          <span className="block text-slate-600">{r.webhookSecretSet ? "signed (secret set)" : "secret not set"}</span>
                        </span>
                      ) : (
                        <span className="text-slate-600">none</span>
                      )}
                    </Td>
                    <Td className="text-xs whitespace-nowrap">
                      {!r.active ? (
                        <Badge>Off</Badge>
                      ) : r.firing ? (
                        <>
                          <Badge tone="danger">Firing</Badge>
                          <span className="block text-slate-700" title={formatDateTime(r.lastFiredAt)}>
                            since {formatDateTime(r.lastFiredAt).replace(" UTC", "")}
                          </span>
                        </>
                      ) : (
                        <Badge tone="success">Quiet</Badge>
                      )}
                    </Td>
                    <Td className="text-xs whitespace-nowrap">
                      <span title={formatDateTime(r.lastEvaluatedAt)}>{r.lastEvaluatedAt ? formatAge(r.lastEvaluatedAt) : "never"}</span>
                      {r.active && <span className="block text-slate-600">{lastValueText(r, reportingCurrency)}</span>}
                    </Td>
                    <Td className="text-xs">
                      {r.lastDelivery ? (
                        <span title={r.lastDelivery.lastError ?? undefined}>
                          <Badge tone={DELIVERY[r.lastDelivery.status]?.tone ?? "warning"}>{DELIVERY[r.lastDelivery.status]?.label ?? r.lastDelivery.status}</Badge>
                          <span className="block text-slate-600">
                            {r.lastDelivery.attempts} {r.lastDelivery.attempts === 1 ? "attempt" : "attempts"}
                            {r.lastDelivery.responseStatus !== null && ` · HTTP ${r.lastDelivery.responseStatus}`}
                          </span>
                          {r.lastDelivery.status !== "delivered" && r.lastDelivery.lastError && <span className="block max-w-56 truncate text-red-700">{r.lastDelivery.lastError}</span>}
                        </span>
                      ) : (
                        <span className="text-slate-600">—</span>
                      )}
                    </Td>
                    <Td className="whitespace-nowrap">
                      {r.canManage && (
                        <span className="flex gap-1">
                          <Button size="sm" variant="secondary" onClick={() => setEditing(r)} aria-label={`Edit ${r.name}`}>
                            Edit
                          </Button>
                          {r.active ? (
                            <Button size="sm" variant="ghost" onClick={() => setConfirming({ rule: r, action: "deactivate" })} aria-label={`Deactivate ${r.name}`}>
                              Deactivate
                            </Button>
                          ) : (
                            <Button
                              size="sm"
                              variant="ghost"
                              disabled={activate.isPending}
                              onClick={() => activate.mutate({ id: r.id, expectedVersion: r.version, active: true })}
                              aria-label={`Activate ${r.name}`}
                            >
                              Activate
                            </Button>
                          )}
                          <Button size="sm" variant="ghost" className="text-red-700" onClick={() => setConfirming({ rule: r, action: "delete" })} aria-label={`Delete ${r.name}`}>
                            Delete
                          </Button>
                        </span>
                      )}
                    </Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </section>
      </div>

      <RuleDialog
        key={editing === null ? "closed" : editing === "new" ? "new" : `${editing.id}:${editing.version}`}
        rule={editing}
        teams={manageableTeams}
        reportingCurrency={reportingCurrency}
        onClose={() => setEditing(null)}
        onSaved={refreshAll}
      />
      <ConfirmDialog confirming={confirming} onClose={() => setConfirming(null)} onDone={refreshAll} />
    </>
  );
}

function Notifications() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useSuspenseInfiniteQuery(trpc.alerts.notifications.infiniteQueryOptions({ limit: NOTIFICATIONS_PAGE }, { getNextPageParam: (p) => p.nextCursor }));
  const items = useMemo(() => q.data.pages.flatMap((p) => p.items), [q.data]);
  // counted from the page in hand; the shell's badge keeps its own count query (rendered
  // before this page, it would leave a suspense query here without its prefetched promise)
  const unreadCount = items.filter((n) => !n.read).length;
  const more = q.hasNextPage;
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.alerts.notifications.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.alerts.unreadCount.queryKey() }),
    ]);
  const markRead = useMutation(trpc.alerts.markRead.mutationOptions({ onSuccess: refresh }));
  const markAll = useMutation(trpc.alerts.markAllRead.mutationOptions({ onSuccess: refresh }));
  const failed = markRead.error ?? markAll.error;

  return (
    <section aria-labelledby="notifications-heading">
      <div className="mb-2 flex items-center justify-between gap-3">
        <h2 id="notifications-heading" className="text-sm font-semibold text-slate-900">
          Notifications <span className="font-normal text-slate-600">· {unreadCount.toLocaleString("en-US")}{more && unreadCount > 0 ? "+" : ""} unread</span>
        </h2>
        {unreadCount > 0 && (
          <Button size="sm" variant="secondary" onClick={() => markAll.mutate()} disabled={markAll.isPending}>
            <CheckCheck className="size-3.5" aria-hidden /> Mark all read
          </Button>
        )}
      </div>
      {failed && (
        <p role="alert" className="mb-2 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorMessage(failed)}
        </p>
      )}
      {items.length === 0 ? (
        <EmptyState icon={BellOff} title="No notifications">
          <p>When one of your teams&apos; alert rules trips, what it found appears here, with a link to those exceptions in the queue.</p>
        </EmptyState>
      ) : (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white" aria-label="Notifications">
          {items.map((n) => (
            <li key={n.id} className={`flex gap-2 px-3 py-2 ${n.read ? "" : "bg-brand-50/50"}`} data-testid="notification">
              <span className={`mt-1.5 size-2 shrink-0 rounded-full ${n.read ? "bg-transparent" : "bg-brand-600"}`} aria-hidden />
              <div className="min-w-0 flex-1">
                <div className="flex flex-wrap items-baseline gap-x-2">
                  <Link
                    href={n.link}
                    className={`text-sm text-slate-900 underline-offset-2 hover:underline ${n.read ? "" : "font-semibold"}`}
                    onClick={() => !n.read && markRead.mutate({ ids: [n.id] })}
                  >
                    {n.title}
                  </Link>
                  {!n.read && <span className="sr-only">(unread)</span>}
                </div>
                <p className="mt-0.5 text-xs text-slate-700">{n.body}</p>
                <p className="mt-1 flex flex-wrap items-center gap-x-3 text-xs text-slate-600">
                  <Badge>{OWNER_LABELS[n.ownerTeam]}</Badge>
                  <time dateTime={new Date(n.createdAt).toISOString()} title={formatDateTime(n.createdAt)}>
                    {formatAge(n.createdAt)}
                  </time>
                  <Link href={n.link} className={linkClass} onClick={() => !n.read && markRead.mutate({ ids: [n.id] })}>
                    Show in the queue
                  </Link>
                  {!n.read && (
                    <button type="button" className="font-medium text-slate-700 underline-offset-2 hover:underline" onClick={() => markRead.mutate({ ids: [n.id] })} disabled={markRead.isPending}>
                      Mark read
                    </button>
                  )}
                </p>
              </div>
            </li>
          ))}
        </ul>
      )}
      {q.hasNextPage && (
        <div className="mt-2 flex justify-center">
          <Button size="sm" variant="secondary" onClick={() => void q.fetchNextPage()} disabled={q.isFetchingNextPage}>
            {q.isFetchingNextPage ? "Loading…" : "Show older"}
          </Button>
        </div>
      )}
    </section>
  );
}

function ConfirmDialog({ confirming, onClose, onDone }: { confirming: { rule: RuleRow; action: "deactivate" | "delete" } | null; onClose: () => void; onDone: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const close = () => {
    deactivate.reset();
    remove.reset();
    onClose();
  };
  const deactivate = useMutation(trpc.alerts.setRuleActive.mutationOptions({ onSuccess: async () => (await onDone(), close()) }));
  const remove = useMutation(trpc.alerts.deleteRule.mutationOptions({ onSuccess: async () => (await onDone(), close()) }));
  const pending = deactivate.isPending || remove.isPending;
  const error = deactivate.error ?? remove.error;
  const r = confirming?.rule;
  const isDelete = confirming?.action === "delete";
  return (
    <Dialog open={Boolean(confirming)} onOpenChange={(o) => !o && close()}>
      {r && (
        <DialogContent
          title={isDelete ? `Delete "${r.name}"?` : `Deactivate "${r.name}"?`}
          description={
            isDelete
              ? "The rule stops and is removed. The notifications it sent stay in the list."
              : "The rule stops being checked and nothing more is sent. Its settings are kept; activate it again at any time, and it starts from quiet."
          }
        >
          {error && (
            <p role="alert" className="mb-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              {errorMessage(error)}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <DialogClose asChild>
              <Button variant="secondary">Cancel</Button>
            </DialogClose>
            <Button
              variant="danger"
              disabled={pending}
              onClick={() => (isDelete ? remove.mutate({ id: r.id, expectedVersion: r.version }) : deactivate.mutate({ id: r.id, expectedVersion: r.version, active: false }))}
            >
              {pending ? "Working…" : isDelete ? "Delete rule" : "Deactivate rule"}
            </Button>
          </div>
        </DialogContent>
      )}
    </Dialog>
  );
}
