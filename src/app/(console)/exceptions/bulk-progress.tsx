"use client";

import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { errorMessage, useTRPC } from "@/trpc/client";
import { ACTION_LABEL, type ActionKind } from "./action-dialog";

/** A bulk action's progress, polled while it runs, then what was done and what was not, and why. */
export function BulkProgress({ id, onClose, onFinished }: { id: string | null; onClose: () => void; onFinished: () => void }) {
  const trpc = useTRPC();
  const status = useQuery(
    trpc.exceptions.bulkStatus.queryOptions(
      { id: id ?? "00000000-0000-0000-0000-000000000000" },
      { enabled: id !== null, refetchInterval: (q) => (q.state.data && (q.state.data.status === "done" || q.state.data.status === "failed") ? false : 750) },
    ),
  );
  const s = status.data;
  const finished = s?.status === "done" || s?.status === "failed";
  const told = useRef<string | null>(null);
  useEffect(() => {
    if (finished && id && told.current !== id) {
      told.current = id;
      onFinished();
    }
  }, [finished, id, onFinished]);
  const pct = s && s.total ? Math.round((s.processed / s.total) * 100) : 0;
  return (
    <Dialog open={id !== null} onOpenChange={(o) => !o && onClose()}>
      {id && (
        <DialogContent title={s ? `${ACTION_LABEL[s.action as ActionKind] ?? s.action}: ${s.total.toLocaleString("en-US")} exceptions` : "Bulk action"} description="Runs on the server; you may close this and keep working.">
          {status.isError && <p role="alert" className="text-sm text-red-800">{errorMessage(status.error)}</p>}
          {s && (
            <div className="space-y-3 text-sm">
              <div>
                <div className="mb-1 flex justify-between text-xs text-slate-600">
                  <span>{s.status === "queued" ? "Waiting for the worker…" : s.status === "running" ? "Working…" : s.status === "done" ? "Finished" : "Stopped"}</span>
                  <span>
                    {s.processed.toLocaleString("en-US")} / {s.total.toLocaleString("en-US")}
                  </span>
                </div>
                <div role="progressbar" aria-label="Progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct} className="h-2 overflow-hidden rounded bg-slate-100">
                  <div className="h-full bg-brand-600 transition-all" style={{ width: `${pct}%` }} />
                </div>
              </div>
              <p data-testid="bulk-summary">
                {s.succeeded.toLocaleString("en-US")} done · {s.skipped.toLocaleString("en-US")} skipped because someone changed them · {s.failed.toLocaleString("en-US")} refused
              </p>
              {s.error && <p className="text-red-800">{s.error}</p>}
              {s.problems.length > 0 && (
                <details>
                  <summary className="cursor-pointer text-slate-700">What was not done, and why ({s.problems.length})</summary>
                  <ul className="mt-1 max-h-48 list-disc overflow-y-auto pl-5 text-xs text-slate-700">
                    {s.problems.slice(0, 200).map((p) => (
                      <li key={p.id}>{p.message}</li>
                    ))}
                  </ul>
                </details>
              )}
              <div className="flex justify-end">
                <DialogClose asChild>
                  <Button variant={finished ? "primary" : "secondary"}>{finished ? "Done" : "Keep working"}</Button>
                </DialogClose>
              </div>
            </div>
          )}
        </DialogContent>
      )}
    </Dialog>
  );
}
