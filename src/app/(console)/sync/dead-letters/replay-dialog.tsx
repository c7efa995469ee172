"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2 } from "lucide-react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/format";
import { formatAmount, formatHoursValue } from "@/lib/money";
import type { ReplayInput, ReplayResult } from "@/server/services/posting/replay";
import { errorMessage, useTRPC } from "@/trpc/client";

export type ReplaySelection = { label: string; input: ReplayInput };

const ACTION_LABEL = {
  look_up_then_resend: "Look up, then send",
  revalidate_then_resend: "Validate again, then send",
  resend: "Send again",
  skip: "Skipped",
} as const;

export const valueText = (value: Record<string, string>) =>
  Object.entries(value)
    .map(([c, v]) => formatAmount(v, c))
    .join(" + ") || "no value";

/** "12 requeued, 3 skipped: 2 because the ERP already accepted it, 1 because …" */
export function resultSentence(r: ReplayResult): string {
  const parts = [`${r.requeued} requeued`];
  if (r.revalidated) parts.push(`${r.revalidated} validated again`);
  if (r.stillBlocked) parts.push(`${r.stillBlocked} still blocked (their exceptions say why)`);
  if (r.changedMeanwhile) parts.push(`${r.changedMeanwhile} changed meanwhile and were left alone`);
  let text = parts.join(", ");
  if (r.skipped.length) {
    const why = new Map<string, number>();
    for (const s of r.skipped) why.set(s.reason, (why.get(s.reason) ?? 0) + 1);
    text += `, ${r.skipped.length} skipped: ${[...why].map(([reason, n]) => `${n} because ${reason}`).join("; ")}`;
  } else {
    text += ", none skipped";
  }
  return `${text}.`;
}

/**
 * Shows what a replay of the selection would do (what is sent, what is skipped and why,
 * the hours and value), then replays it on confirmation and says what happened.
 */
export function ReplayDialog({ selection, onClose, onDone }: { selection: ReplaySelection | null; onClose: () => void; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const preview = useQuery({
    ...trpc.sync.replayPreview.queryOptions(selection?.input ?? { postingIds: ["00000000-0000-0000-0000-000000000000"] }),
    enabled: Boolean(selection),
    staleTime: 0,
    gcTime: 0,
  });
  const replay = useMutation(
    trpc.sync.replay.mutationOptions({
      onSuccess: async () => {
        onDone();
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.syncConsole.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.sync.overview.queryKey() }),
        ]);
      },
    }),
  );
  const close = () => {
    replay.reset();
    onClose();
  };
  const p = preview.data;
  const skipped = p?.items.filter((i) => i.action === "skip") ?? [];
  const skipReasons = new Map<string, number>();
  for (const s of skipped) skipReasons.set(s.reason, (skipReasons.get(s.reason) ?? 0) + 1);

  return (
    <Dialog open={Boolean(selection)} onOpenChange={(o) => !o && close()}>
      {selection && (
        <DialogContent title={`Replay ${selection.label}?`} description="Nothing is sent until you confirm. Each posting keeps its idempotency key, so the ERP never books one twice." className="w-[min(56rem,calc(100vw-2rem))]">
          {replay.isSuccess ? (
            <div className="space-y-4">
              <p role="status" className="flex items-start gap-2 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
                <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden />
                <span data-testid="replay-result">{resultSentence(replay.data)}</span>
              </p>
              <p className="text-xs text-slate-600">The sender has been woken up; requeued postings leave this list as the ERP accepts them.</p>
              <div className="flex justify-end">
                <Button onClick={close}>Done</Button>
              </div>
            </div>
          ) : preview.isPending ? (
            <p role="status" className="py-6 text-center text-sm text-slate-600">Working out what would be sent…</p>
          ) : preview.isError ? (
            <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
              {errorMessage(preview.error)}
            </div>
          ) : p ? (
            <div className="space-y-3">
              <div className="grid grid-cols-1 gap-2 sm:grid-cols-2" data-testid="replay-preview">
                <div className="rounded-md border border-brand-100 bg-brand-50 px-3 py-2 text-sm">
                  <div className="font-semibold text-slate-900">{p.counts.replayable.toLocaleString("en-US")} will be sent</div>
                  <div className="text-xs text-slate-700">
                    {formatHoursValue(p.hours)} h · {valueText(p.value)}
                    {p.counts.dead > 0 && ` · ${p.counts.dead} dead-lettered (the ERP is asked first whether it already holds them)`}
                    {p.counts.rejected > 0 && ` · ${p.counts.rejected} refused (validated again first)`}
                  </div>
                </div>
                <div className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm">
                  <div className="font-semibold text-slate-900">{p.counts.skipped.toLocaleString("en-US")} skipped</div>
                  <div className="text-xs text-slate-700">
                    {skipReasons.size === 0 ? "Nothing is left out." : [...skipReasons].map(([r, n]) => `${n}: ${r}`).join("; ")}
                  </div>
                </div>
              </div>
              {p.total > p.listed && <p className="text-xs text-slate-600">The first {p.listed} of {p.total.toLocaleString("en-US")} are listed.</p>}
              <div className="max-h-72 overflow-auto">
                <Table aria-label="What the replay would do">
                  <thead>
                    <tr>
                      <Th>Posting</Th>
                      <Th>Now</Th>
                      <Th className="text-right">Hours</Th>
                      <Th className="text-right">Value</Th>
                      <Th>What happens</Th>
                    </tr>
                  </thead>
                  <tbody>
                    {p.items.map((i) => (
                      <tr key={i.id} className={i.action === "skip" ? "text-slate-500" : undefined}>
                        <Td className="font-mono text-[11px] whitespace-nowrap" title={i.idempotencyKey}>
                          {i.idempotencyKey.length > 28 ? `${i.idempotencyKey.slice(0, 28)}…` : i.idempotencyKey}
                        </Td>
                        <Td className="text-xs">{i.status}</Td>
                        <Td className="text-right text-xs tabular-nums">{i.hours ? formatHoursValue(i.hours) : "—"}</Td>
                        <Td className="text-right text-xs whitespace-nowrap tabular-nums">{formatAmount(i.amount, i.currency, { cents: true })}</Td>
                        <Td className="text-xs">
                          <Badge tone={i.action === "skip" ? "neutral" : "info"}>{ACTION_LABEL[i.action]}</Badge> <span className="text-slate-700">{i.reason}</span>
                        </Td>
                      </tr>
                    ))}
                  </tbody>
                </Table>
              </div>
              {replay.isError && (
                <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
                  {errorMessage(replay.error)}
                </div>
              )}
              <div className="flex items-center justify-between gap-2">
                <span className="text-xs text-slate-500">Previewed {formatDateTime(new Date(preview.dataUpdatedAt))}</span>
                <div className="flex gap-2">
                  <DialogClose asChild>
                    <Button variant="secondary">Cancel</Button>
                  </DialogClose>
                  <Button disabled={p.counts.replayable === 0 || replay.isPending} onClick={() => replay.mutate(selection.input)}>
                    {replay.isPending ? "Replaying…" : p.counts.replayable === 0 ? "Nothing to replay" : `Replay ${p.counts.replayable.toLocaleString("en-US")} ${p.counts.replayable === 1 ? "posting" : "postings"}`}
                  </Button>
                </div>
              </div>
            </div>
          ) : null}
        </DialogContent>
      )}
    </Dialog>
  );
}
