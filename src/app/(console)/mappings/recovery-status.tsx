"use client";

import { useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2, Loader2, TriangleAlert } from "lucide-react";
import { useEffect, useRef } from "react";
import { errorMessage, useTRPC } from "@/trpc/client";

/**
 * Follows a background re-validation until it is done, then refreshes what it changed (the
 * unmapped lists, the tabs' counts, the mappings). Says the outcome in one sentence.
 */
export function RecoveryStatus({ id, onSettled }: { id: string; onSettled?: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const q = useQuery({
    ...trpc.mappings.recovery.queryOptions({ id }),
    refetchInterval: (query) => {
      const s = query.state.data?.status;
      return s === "done" || s === "failed" ? false : 1000;
    },
  });
  const settled = useRef(false);
  const status = q.data?.status;
  useEffect(() => {
    if ((status === "done" || status === "failed") && !settled.current) {
      settled.current = true;
      void queryClient.invalidateQueries({ queryKey: trpc.mappings.pathKey() });
      onSettled?.();
    }
  }, [status, queryClient, trpc, onSettled]);

  if (q.isError) return <p role="alert" className="text-sm text-red-700">{errorMessage(q.error)}</p>;
  const r = q.data;
  if (!r) return <p role="status" className="text-sm text-slate-600">Starting the re-validation…</p>;
  const pct = r.total > 0 ? Math.round((r.processed / r.total) * 100) : 100;
  const tone =
    r.status === "done"
      ? "border-emerald-200 bg-emerald-50 text-emerald-900"
      : r.status === "failed"
        ? "border-red-200 bg-red-50 text-red-800"
        : "border-brand-100 bg-brand-50 text-slate-900";
  return (
    <div className={`rounded-md border px-3 py-2 text-sm ${tone}`} data-testid="recovery-status" data-status={r.status}>
      <div className="flex items-start gap-2">
        {r.status === "done" ? (
          <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden />
        ) : r.status === "failed" ? (
          <TriangleAlert className="mt-0.5 size-4 shrink-0" aria-hidden />
        ) : (
          <Loader2 className="mt-0.5 size-4 shrink-0 animate-spin" aria-hidden />
        )}
        <div className="min-w-0 flex-1">
          <p role="status" aria-live="polite" data-testid="recovery-sentence">
            {r.sentence}
          </p>
          {r.status !== "done" && r.status !== "failed" && (
            <div className="mt-1.5 h-1.5 w-full overflow-hidden rounded bg-white/70" role="progressbar" aria-label="Re-validation progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
              <div className="h-full bg-brand-600 transition-all" style={{ width: `${pct}%` }} />
            </div>
          )}
          {r.status === "done" && r.unblocked > 0 && <p className="mt-0.5 text-xs">Their exceptions resolved themselves; the postings are on their way to the ERP.</p>}
        </div>
      </div>
    </div>
  );
}
