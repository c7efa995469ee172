"use client";

import { useIsFetching, useQueryClient, useSuspenseQuery } from "@tanstack/react-query";
import { CircleCheck, CirclePause, CircleX, PlugZap, RefreshCw, TriangleAlert } from "lucide-react";
import Link from "next/link";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { cn } from "@/components/ui/cn";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import type { ConnectorOverview, ConnectorStatus } from "@/server/services/sync/overview";
import { useTRPC } from "@/trpc/client";
import type { Notice } from "./_components/connector-actions";
import { ConnectorCard } from "./_components/connector-card";
import { formatClock, STATUS_RANK } from "./_components/format";

const REFRESH_MS = 15_000;

const SUMMARY_STYLE: Record<ConnectorStatus, { box: string; icon: typeof CircleCheck; iconClass: string }> = {
  healthy: { box: "border-emerald-200 bg-emerald-50 text-emerald-950", icon: CircleCheck, iconClass: "text-emerald-700" },
  degraded: { box: "border-amber-300 bg-amber-50 text-amber-950", icon: TriangleAlert, iconClass: "text-amber-700" },
  down: { box: "border-red-300 bg-red-50 text-red-950", icon: CircleX, iconClass: "text-red-700" },
  paused: { box: "border-slate-300 bg-slate-50 text-slate-900", icon: CirclePause, iconClass: "text-slate-600" },
};

/** why a connector needs attention, in one sentence after its name */
function problemOf(c: ConnectorOverview): string {
  if (c.status === "paused") {
    const by = c.paused?.by ? ` by ${c.paused.by}` : "";
    const when = c.paused?.at ? ` at ${formatClock(c.paused.at)}` : "";
    const why = c.paused?.reason ? `: “${c.paused.reason}”` : "";
    return `paused${by}${when}${why}. Nothing runs until it is resumed.`;
  }
  return `${c.status}: ${c.statusReason ?? "no reason recorded"}`;
}

/** The answer to "is everything well?" first, then each flow that is not, most serious first. */
function HealthSummary({ connectors }: { connectors: ConnectorOverview[] }) {
  const unwell = connectors.filter((c) => c.status !== "healthy").sort((a, b) => STATUS_RANK[a.status] - STATUS_RANK[b.status]);
  const worst: ConnectorStatus = unwell[0]?.status ?? "healthy";
  const style = SUMMARY_STYLE[worst];
  const Icon = style.icon;
  const n = connectors.length;
  return (
    <div role="status" data-testid="sync-health" className={cn("mb-4 flex items-start gap-2.5 rounded-lg border px-4 py-3", style.box)}>
      <Icon className={cn("mt-0.5 size-5 shrink-0", style.iconClass)} aria-hidden />
      <div className="min-w-0 text-sm">
        {unwell.length === 0 ? (
          <p className="font-semibold">
            {n === 1 ? "The connector is healthy" : `All ${n} connectors healthy`}: pulling and posting on schedule.
          </p>
        ) : unwell.length === 1 ? (
          <p>
            <a href={`#connector-${unwell[0]!.key}`} className="font-semibold underline underline-offset-2">
              {unwell[0]!.name}
            </a>{" "}
            is {problemOf(unwell[0]!)}
          </p>
        ) : (
          <>
            <p className="font-semibold">
              {unwell.length} of {n} connectors need attention
            </p>
            <ul className="mt-1 space-y-0.5">
              {unwell.map((c) => (
                <li key={c.id}>
                  <a href={`#connector-${c.key}`} className="font-semibold underline underline-offset-2">
                    {c.name}
                  </a>{" "}
                  is {problemOf(c)}
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
    </div>
  );
}

export function SyncView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // refetched in the background every 15 s: the cards stay on screen and change in place
  const { data: connectors, dataUpdatedAt } = useSuspenseQuery({ ...trpc.sync.overview.queryOptions(), refetchInterval: REFRESH_MS });
  const { data: me } = useSuspenseQuery(trpc.me.get.queryOptions());
  const fetching = useIsFetching({ queryKey: trpc.sync.overview.queryKey() }) > 0;
  const canAct = me.roles.includes("admin");
  const [notices, setNotices] = useState<Record<string, Notice | null>>({});
  // ages and "in 3 min" are reckoned from when the data was read, the same on server and browser
  const now = dataUpdatedAt;

  return (
    <>
      <PageHeader
        title="Sync"
        description={
          canAct
            ? "Each connector's health, schedules, backlog and limits. Run, pause, test and reconfigure them here; every change is audited."
            : "Each connector's health, schedules, backlog and limits. Read-only for your role: an admin runs, pauses and reconfigures connectors."
        }
        actions={
          <>
            <span className="text-xs text-slate-600" data-testid="read-at" suppressHydrationWarning>
              Read at {formatClock(dataUpdatedAt, true)} · refreshes every 15 s
            </span>
            <Button
              size="sm"
              variant="secondary"
              disabled={fetching}
              onClick={() => void queryClient.invalidateQueries({ queryKey: trpc.sync.overview.queryKey() })}
            >
              <RefreshCw className={cn("size-3.5", fetching && "animate-spin")} aria-hidden /> Refresh
            </Button>
          </>
        }
      />

      {connectors.length === 0 ? (
        <EmptyState icon={PlugZap} title="No connector is configured">
          <p>Connectors to the time sources and the ERP are created when Hourbridge starts with its configuration.</p>
        </EmptyState>
      ) : (
        <>
          <HealthSummary connectors={connectors} />
          <div className="space-y-4">
            {connectors.map((c) => (
              <ConnectorCard
                key={c.id}
                c={c}
                now={now}
                canAct={canAct}
                notice={notices[c.id] ?? null}
                onNotice={(n) => setNotices((m) => ({ ...m, [c.id]: n }))}
              />
            ))}
          </div>
          <p className="mt-4 text-xs text-slate-600">
            Also here: <Link href="/sync/runs" className="font-medium text-brand-700 underline underline-offset-2">all sync runs</Link> ·{" "}
            <Link href="/sync/dead-letters" className="font-medium text-brand-700 underline underline-offset-2">dead letters and replay</Link>
          </p>
        </>
      )}
    </>
  );
}
