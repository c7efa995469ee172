"use client";

import { CircleCheck, CirclePause, CircleX, History, TriangleAlert, X } from "lucide-react";
import Link from "next/link";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { cn } from "@/components/ui/cn";
import { formatAge, formatDateTime } from "@/lib/format";
import type { ConnectorOverview, ConnectorStatus } from "@/server/services/sync/overview";
import { ConnectorActions, type Notice } from "./connector-actions";
import {
  describeCron,
  formatClock,
  formatCount,
  formatRate,
  formatUntil,
  ROLE_LABEL,
  RUN_KIND_LABEL,
  SCHEDULE_LABEL,
  STATUS_LABEL,
  STATUS_TONE,
  SYSTEM_LABEL,
} from "./format";

const STATUS_ICON = { healthy: CircleCheck, degraded: TriangleAlert, down: CircleX, paused: CirclePause } as const;

export function StatusBadge({ status }: { status: ConnectorStatus }) {
  const Icon = STATUS_ICON[status];
  return (
    <Badge tone={STATUS_TONE[status]} className="gap-1">
      <Icon className="size-3.5" aria-hidden />
      {STATUS_LABEL[status]}
    </Badge>
  );
}

const REASON_STYLE: Record<ConnectorStatus, string> = {
  healthy: "",
  degraded: "border-amber-200 bg-amber-50 text-amber-900",
  down: "border-red-200 bg-red-50 text-red-800",
  paused: "border-slate-200 bg-slate-50 text-slate-800",
};

const RUN_STATUS_TONE: Record<string, BadgeTone> = { succeeded: "success", running: "info", partial: "warning", failed: "danger" };
const BREAKER_LABEL: Record<string, { label: string; tone: BadgeTone }> = {
  closed: { label: "Closed", tone: "success" },
  half_open: { label: "Half open", tone: "warning" },
  open: { label: "Open", tone: "danger" },
};

/** a labelled group of facts; dense two-column rows */
function Facts({ title, children, className }: { title: string; children: React.ReactNode; className?: string }) {
  return (
    <div className={cn("min-w-0 px-4 py-3", className)}>
      <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-slate-600 uppercase">{title}</h3>
      <dl className="grid grid-cols-[minmax(7rem,auto)_1fr] gap-x-3 gap-y-1 text-sm">{children}</dl>
    </div>
  );
}

function Fact({ label, children, title }: { label: string; children: React.ReactNode; title?: string }) {
  return (
    <>
      <dt className="text-slate-600">{label}</dt>
      <dd className="min-w-0 text-slate-900 tabular-nums" title={title}>
        {children}
      </dd>
    </>
  );
}

/** a time relative to when the data was read; the browser may read a second later than the server rendered */
function Rel({ children, className }: { children: React.ReactNode; className?: string }) {
  return (
    <span className={className} suppressHydrationWarning>
      {children}
    </span>
  );
}

const linkClass = "font-medium text-brand-700 underline underline-offset-2 hover:text-brand-800";

/** One connector: is it well, when did it last work, what comes next, what waits, and within what limits. */
export function ConnectorCard({
  c,
  now,
  canAct,
  notice,
  onNotice,
}: {
  c: ConnectorOverview;
  now: number;
  canAct: boolean;
  notice: Notice | null;
  onNotice: (n: Notice | null) => void;
}) {
  const titleId = `connector-${c.key}-title`;
  const runsHref = `/sync/runs?connector=${c.id}`;
  const erp = c.role === "erp";

  return (
    <section
      id={`connector-${c.key}`}
      aria-labelledby={titleId}
      data-testid={`connector-${c.key}`}
      className="scroll-mt-4 overflow-hidden rounded-lg border border-slate-200 bg-white"
    >
      <header className="flex flex-wrap items-start justify-between gap-3 px-4 py-3">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-2">
            <h2 id={titleId} className="text-base font-semibold text-slate-900">
              {c.name}
            </h2>
            <StatusBadge status={c.status} />
            <span className="text-xs text-slate-600">
              {ROLE_LABEL[c.role]} · {SYSTEM_LABEL[c.system] ?? c.system} · <span className="font-mono">{c.key}</span>
            </span>
          </div>
          {c.statusReason ? (
            <p className={cn("mt-2 rounded-md border px-2.5 py-1.5 text-sm", REASON_STYLE[c.status])} data-testid="status-reason">
              {c.statusReason}
            </p>
          ) : (
            <p className="mt-1 text-sm text-slate-600" data-testid="status-reason">
              {erp ? "Posting normally" : "Pulling normally"}; nothing needs attention.
            </p>
          )}
        </div>
        <div className="flex flex-wrap items-center gap-2">
          <Link href={runsHref} className="inline-flex h-8 items-center gap-1.5 rounded-md px-2 text-sm font-medium text-brand-700 hover:bg-brand-50">
            <History className="size-4" aria-hidden /> Runs<span className="sr-only"> of {c.name}</span>
          </Link>
          {canAct && <ConnectorActions c={c} onNotice={onNotice} />}
        </div>
      </header>

      {notice && (
        <div
          role={notice.tone === "error" ? "alert" : "status"}
          className={cn(
            "mx-4 mb-3 flex items-start justify-between gap-3 rounded-md border px-3 py-2 text-sm",
            notice.tone === "error" ? "border-red-200 bg-red-50 text-red-800" : "border-emerald-200 bg-emerald-50 text-emerald-900",
          )}
        >
          <span>{notice.text}</span>
          <button type="button" className="rounded p-0.5 hover:bg-black/5" aria-label="Dismiss" onClick={() => onNotice(null)}>
            <X className="size-3.5" aria-hidden />
          </button>
        </div>
      )}

      <div className="grid grid-cols-1 gap-px border-t border-slate-100 bg-slate-100 md:grid-cols-2 xl:grid-cols-3 [&>*]:bg-white">
        <Facts title="Runs">
          <Fact label="Last success" title={formatDateTime(c.lastSuccessAt)}>
            {c.lastSuccessAt ? (
              <>
                <Rel className="font-medium">{formatAge(c.lastSuccessAt, now)}</Rel>
                <span className="text-slate-600"> · {formatClock(c.lastSuccessAt)}</span>
              </>
            ) : (
              <span className="text-slate-600">never</span>
            )}
          </Fact>
          <Fact label="Last run" title={c.lastRun ? formatDateTime(c.lastRun.startedAt) : undefined}>
            {c.lastRun ? (
              <span data-testid="last-run">
                <Badge tone={RUN_STATUS_TONE[c.lastRun.status] ?? "neutral"} className="mr-1 capitalize">
                  {c.lastRun.status}
                </Badge>
                {RUN_KIND_LABEL[c.lastRun.kind] ?? c.lastRun.kind}, {c.lastRun.trigger}, <Rel>{formatAge(c.lastRun.startedAt, now)}</Rel>
                {c.lastRun.error && <span className="mt-0.5 block text-xs break-words text-red-700">{c.lastRun.error}</span>}
              </span>
            ) : (
              <span className="text-slate-600">none yet</span>
            )}
          </Fact>
        </Facts>

        <Facts title="Schedule">
          {c.schedules.map((s) => (
            <Fact key={s.name} label={SCHEDULE_LABEL[s.name] ?? s.name} title={s.cron ? `cron "${s.cron}", UTC` : undefined}>
              {s.problem ? (
                <span className="text-red-700">Cannot run: {s.problem}</span>
              ) : !s.cron ? (
                <span className="text-slate-600">off</span>
              ) : (
                <>
                  <Rel className="font-medium">{c.paused ? "paused" : formatUntil(s.next, now)}</Rel>
                  <span className="text-slate-600"> · {describeCron(s.cron)}</span>
                </>
              )}
            </Fact>
          ))}
        </Facts>

        {c.backlog ? (
          <Facts title="Backlog">
            <Fact label="Waiting to post">
              <span className="font-medium">{formatCount(c.backlog.waiting)}</span>
              {c.backlog.retrying > 0 && <span className="text-slate-600"> · {formatCount(c.backlog.retrying)} retrying</span>}
            </Fact>
            <Fact label="Oldest waiting" title={formatDateTime(c.backlog.oldestWaitingAt)}>
              {c.backlog.oldestWaitingAt ? <Rel>{formatAge(c.backlog.oldestWaitingAt, now).replace(" ago", "")}</Rel> : <span className="text-slate-600">nothing waits</span>}
            </Fact>
            <Fact label="Dead-lettered">
              <Link href="/sync/dead-letters" className={cn(linkClass, c.backlog.dead === 0 && "font-normal text-slate-700")}>
                {formatCount(c.backlog.dead)}
                <span className="sr-only"> dead-lettered postings: open the dead letters</span>
              </Link>
            </Fact>
            <Fact label="Refused by ERP">
              <Link href="/sync/dead-letters" className={cn(linkClass, c.backlog.rejected === 0 && "font-normal text-slate-700")}>
                {formatCount(c.backlog.rejected)}
                <span className="sr-only"> postings refused by the ERP: open the dead letters</span>
              </Link>
            </Fact>
          </Facts>
        ) : (
          <Facts title="Backlog">
            <Fact label="Waiting">
              <span className="text-slate-600">none here: pulled time is validated at once, postings wait at the ERP</span>
            </Fact>
          </Facts>
        )}

        <div className="min-w-0 px-4 py-3">
          <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-slate-600 uppercase">Throughput</h3>
          <table className="w-full text-sm tabular-nums">
            <caption className="sr-only">Throughput of {c.name}, last hour and last day</caption>
            <thead>
              <tr className="text-xs text-slate-600">
                <th scope="col" className="pb-0.5 text-left font-normal">
                  <span className="sr-only">Window</span>
                </th>
                <th scope="col" className="pb-0.5 text-right font-normal">{erp ? "Accepted" : "Fetched"}</th>
                <th scope="col" className="pb-0.5 text-right font-normal">{erp ? "Failed attempts" : "Failed runs"}</th>
                <th scope="col" className="pb-0.5 text-right font-normal">Error rate</th>
              </tr>
            </thead>
            <tbody>
              {(
                [
                  ["Last hour", c.lastHour],
                  ["Last day", c.lastDay],
                ] as const
              ).map(([label, w]) => (
                <tr key={label}>
                  <th scope="row" className="py-0.5 text-left font-normal text-slate-600">{label}</th>
                  <td className="py-0.5 text-right font-medium text-slate-900">{formatCount(w.done)}</td>
                  <td className={cn("py-0.5 text-right", w.failed > 0 ? "font-medium text-red-700" : "text-slate-900")}>{formatCount(w.failed)}</td>
                  <td className={cn("py-0.5 text-right", (w.errorRate ?? 0) > 0.05 ? "font-medium text-red-700" : "text-slate-900")}>{formatRate(w.errorRate)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>

        <Facts title={erp ? "Limits and circuit breaker" : "Limits"}>
          <Fact label="Concurrency">{c.limits.concurrency} at a time</Fact>
          {c.limits.inFlight !== null && <Fact label="In flight">{formatCount(c.limits.inFlight)}</Fact>}
          {c.limits.rateLimit && <Fact label="Rate limit">{c.limits.rateLimit}</Fact>}
          {c.breaker && (
            <Fact label="Circuit breaker">
              <Badge tone={BREAKER_LABEL[c.breaker.state]?.tone ?? "neutral"}>{BREAKER_LABEL[c.breaker.state]?.label ?? c.breaker.state}</Badge>
              <span className="text-slate-600">
                {" "}
                · {c.breaker.consecutiveFailures} {c.breaker.consecutiveFailures === 1 ? "failure" : "failures"} in a row
                {c.breaker.probeAt && <> · next probe {formatClock(c.breaker.probeAt)}</>}
              </span>
              {c.breaker.lastError && <span className="mt-0.5 block text-xs break-words text-red-700">{c.breaker.lastError}</span>}
            </Fact>
          )}
        </Facts>

        <Facts title="Connection">
          <Fact label="Base URL">
            <span className="font-mono text-xs break-all">{c.baseUrl}</span>
          </Fact>
          <Fact label="Account">{c.accountId ?? <span className="text-slate-600">none</span>}</Fact>
          <Fact label="Credentials">{c.hasCredentials ? "set (never shown)" : <span className="text-red-700">not set</span>}</Fact>
          <Fact label="Last test" title={c.lastTest ? formatDateTime(c.lastTest.at) : undefined}>
            {c.lastTest ? (
              <span data-testid="last-test">
                <Badge tone={c.lastTest.ok ? "success" : "danger"} className="mr-1">
                  {c.lastTest.ok ? "Passed" : "Failed"}
                </Badge>
                <Rel>{formatAge(c.lastTest.at, now)}</Rel>
                {c.lastTest.message && <span className="mt-0.5 block text-xs break-words text-slate-600">{c.lastTest.message}</span>}
              </span>
            ) : (
              <span className="text-slate-600">never tested</span>
            )}
          </Fact>
        </Facts>
      </div>
    </section>
  );
}
