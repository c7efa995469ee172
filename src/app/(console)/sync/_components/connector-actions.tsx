"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { ChevronDown, Pause, Play, PlugZap, Settings2 } from "lucide-react";
import { useState } from "react";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuItem, DropdownMenuLabel, DropdownMenuSeparator, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import type { ConnectorOverview } from "@/server/services/sync/overview";
import type { RunKind } from "@/server/services/sync/run-now";
import { errorMessage, useTRPC } from "@/trpc/client";
import { EndpointDialog, LimitsDialog, PauseDialog, ScheduleDialog } from "./connector-dialogs";

export type Notice = { tone: "success" | "error"; text: string };

/** the runs a person may start, per role of connector (the server checks the same) */
const RUNS: Record<ConnectorOverview["role"], { kind: RunKind; label: string; hint: string }[]> = {
  source: [
    { kind: "pull", label: "Pull time", hint: "new and changed entries since the cursor" },
    { kind: "full_walk", label: "Full walk", hint: "every entry again, to find deletions" },
  ],
  erp: [
    { kind: "post", label: "Post the outbox", hint: "send the postings that are due" },
    { kind: "master_data", label: "Pull master data", hint: "entities, projects, employees, items, periods" },
    { kind: "read_back", label: "Read back", hint: "posted time and invoices" },
  ],
};

type Open = null | "pause" | "schedule" | "limits" | "endpoint";

/** What an admin can do to one connector; every change is audited by the server. */
export function ConnectorActions({ c, onNotice }: { c: ConnectorOverview; onNotice: (n: Notice | null) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState<Open>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.sync.overview.queryKey() });
  const fail = (err: unknown) => onNotice({ tone: "error", text: errorMessage(err) });

  const runNow = useMutation(
    trpc.sync.runNow.mutationOptions({
      onSuccess: (r) => {
        const run = RUNS[c.role].find((x) => x.kind === r.kind);
        onNotice({ tone: "success", text: `${run?.label ?? r.kind} queued for ${r.connector}; the worker starts it within seconds.` });
        void refresh();
      },
      onError: fail,
    }),
  );
  const resume = useMutation(
    trpc.connectors.resume.mutationOptions({
      onSuccess: () => {
        onNotice({ tone: "success", text: `${c.name} resumed; its schedules run again.` });
        void refresh();
      },
      onError: fail,
    }),
  );
  const test = useMutation(
    trpc.connectors.testConnection.mutationOptions({
      onSuccess: (r) => {
        onNotice({ tone: r.ok ? "success" : "error", text: `${r.ok ? "Connection works" : "Connection failed"}: ${r.message}` });
        void refresh();
      },
      onError: fail,
    }),
  );

  const done = (text: string) => {
    setOpen(null);
    onNotice({ tone: "success", text });
    void refresh();
  };

  return (
    <>
      <DropdownMenu>
        <DropdownMenuTrigger asChild>
          <Button size="sm" disabled={runNow.isPending} aria-label={`Run ${c.name} now`}>
            <Play className="size-3.5" aria-hidden /> Run now <ChevronDown className="size-3.5" aria-hidden />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent>
          {c.paused && <DropdownMenuLabel>Paused: resume {c.name} to run it.</DropdownMenuLabel>}
          {RUNS[c.role].map((r) => (
            <DropdownMenuItem
              key={r.kind}
              disabled={c.paused !== null}
              onSelect={() => {
                onNotice(null);
                runNow.mutate({ connectorId: c.id, kind: r.kind });
              }}
            >
              <span>
                <span className="block font-medium">{r.label}</span>
                <span className="block text-xs text-slate-600">{r.hint}</span>
              </span>
            </DropdownMenuItem>
          ))}
        </DropdownMenuContent>
      </DropdownMenu>

      {c.paused ? (
        <Button
          size="sm"
          variant="secondary"
          disabled={resume.isPending}
          onClick={() => {
            onNotice(null);
            resume.mutate({ connectorId: c.id });
          }}
        >
          <Play className="size-3.5" aria-hidden /> Resume<span className="sr-only"> {c.name}</span>
        </Button>
      ) : (
        <Button size="sm" variant="secondary" onClick={() => setOpen("pause")}>
          <Pause className="size-3.5" aria-hidden /> Pause<span className="sr-only"> {c.name}</span>
        </Button>
      )}

      <Button
        size="sm"
        variant="secondary"
        disabled={test.isPending}
        onClick={() => {
          onNotice(null);
          test.mutate({ connectorId: c.id });
        }}
      >
        <PlugZap className="size-3.5" aria-hidden /> {test.isPending ? "Testing…" : "Test connection"}
      </Button>

      <DropdownMenu modal={false}>
        <DropdownMenuTrigger asChild>
          <Button size="sm" variant="secondary" aria-label={`Settings of ${c.name}`}>
            <Settings2 className="size-3.5" aria-hidden /> Settings <ChevronDown className="size-3.5" aria-hidden />
          </Button>
        </DropdownMenuTrigger>
        <DropdownMenuContent>
          <DropdownMenuItem onSelect={() => setOpen("schedule")}>Edit schedule…</DropdownMenuItem>
          <DropdownMenuItem onSelect={() => setOpen("limits")}>Edit limits…</DropdownMenuItem>
          <DropdownMenuSeparator />
          <DropdownMenuItem onSelect={() => setOpen("endpoint")}>Edit endpoint and credentials…</DropdownMenuItem>
        </DropdownMenuContent>
      </DropdownMenu>

      {/* mounted when opened: each form starts from the connector as the page shows it then */}
      {open === "pause" && <PauseDialog c={c} open onClose={() => setOpen(null)} onDone={done} />}
      {open === "schedule" && <ScheduleDialog c={c} open onClose={() => setOpen(null)} onDone={done} />}
      {open === "limits" && <LimitsDialog c={c} open onClose={() => setOpen(null)} onDone={done} />}
      {open === "endpoint" && <EndpointDialog c={c} open onClose={() => setOpen(null)} onDone={done} />}
    </>
  );
}
