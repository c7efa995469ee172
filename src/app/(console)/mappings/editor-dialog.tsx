"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { CheckCircle2 } from "lucide-react";
import { useEffect, useId, useMemo, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogClose, DialogContent } from "@/components/ui/dialog";
import { Field, Input, Select } from "@/components/ui/field";
import { codeLabel } from "@/lib/exception-labels";
import { formatHoursValue } from "@/lib/money";
import { SOURCE_SYSTEMS, type MappingKind, type SourceSystem } from "@/server/domain/enums";
import type { ChangeInput } from "@/server/services/mappings/change";
import type { Bucket } from "@/server/services/mappings/impact";
import type { MappingListItem } from "@/server/services/mappings/list";
import { errorMessage, useTRPC } from "@/trpc/client";
import { KIND_TEXT, money, SYSTEM_TEXT } from "./labels";
import { RecoveryStatus } from "./recovery-status";

export type EditorRequest =
  | { op: "create"; kind: MappingKind; sourceSystem?: SourceSystem; sourceKey?: string; sourceLabel?: string; targetKey?: string }
  | { op: "update" | "end_date" | "deactivate" | "reactivate"; kind: MappingKind; mapping: MappingListItem }
  | { op: "restore"; kind: MappingKind; mapping: MappingListItem; version: number; versionText: string };

const TITLES: Record<EditorRequest["op"], string> = {
  create: "New mapping",
  update: "Change mapping",
  end_date: "End-date mapping",
  deactivate: "Deactivate mapping",
  reactivate: "Reactivate mapping",
  restore: "Restore a version",
};

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Creating, changing, end-dating, deactivating or restoring a mapping: the form, then what
 * the change will do before anything is saved (entries and exceptions affected and their
 * value, entries already in the ERP under the old mapping, with the correction offered but
 * never made unless ticked), then the save and the background re-validation's outcome.
 */
export function EditorDialog({ request, onClose }: { request: EditorRequest | null; onClose: () => void }) {
  return (
    <Dialog open={Boolean(request)} onOpenChange={(o) => !o && onClose()}>
      {request && (
        <DialogContent title={TITLES[request.op]} description={`${KIND_TEXT[request.kind].source} → ${KIND_TEXT[request.kind].target}. Nothing is saved until you confirm.`} className="max-h-[calc(100vh-2rem)] w-[min(52rem,calc(100vw-2rem))] overflow-y-auto">
          <EditorBody key={JSON.stringify(request)} request={request} onClose={onClose} />
        </DialogContent>
      )}
    </Dialog>
  );
}

function EditorBody({ request, onClose }: { request: EditorRequest; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const m = request.op === "create" ? null : request.mapping;
  const [sourceSystem, setSourceSystem] = useState<SourceSystem>(request.op === "create" ? (request.sourceSystem ?? "harvest") : m!.sourceSystem);
  const [sourceKey, setSourceKey] = useState(request.op === "create" ? (request.sourceKey ?? "") : m!.sourceKey);
  const [targetKey, setTargetKey] = useState(request.op === "create" ? (request.targetKey ?? "") : m!.targetKey);
  const [validFrom, setValidFrom] = useState(m?.validFrom ?? "");
  const [validTo, setValidTo] = useState(request.op === "end_date" ? (m?.validTo ?? today()) : (m?.validTo ?? ""));
  const [reason, setReason] = useState("");
  const [correct, setCorrect] = useState(false);
  const fixedSource = request.op !== "create" || Boolean(request.sourceKey);
  const editsTarget = request.op === "create" || request.op === "update";
  const editsDates = request.op === "create" || request.op === "update";

  const change: ChangeInput | null = useMemo(() => {
    const r = reason.trim() || undefined;
    switch (request.op) {
      case "create":
        if (!sourceKey.trim() || !targetKey) return null;
        return { op: "create", kind: request.kind, sourceSystem, sourceKey: sourceKey.trim(), targetKey, validFrom: validFrom || null, validTo: validTo || null, reason: r };
      case "update":
        if (!targetKey) return null;
        return { op: "update", mappingId: m!.id, expectedVersion: m!.version, targetKey, validFrom: validFrom || null, validTo: validTo || null, reason: r };
      case "end_date":
        if (!validTo) return null;
        return { op: "end_date", mappingId: m!.id, expectedVersion: m!.version, validTo, reason: r };
      case "deactivate":
      case "reactivate":
        return { op: request.op, mappingId: m!.id, expectedVersion: m!.version, reason: r };
      case "restore":
        return { op: "restore", mappingId: m!.id, expectedVersion: m!.version, version: request.version, reason: r };
    }
  }, [request, m, sourceSystem, sourceKey, targetKey, validFrom, validTo, reason]);

  // the foresight does not depend on the reason: leave it out so typing one does not recompute it
  const previewInput = useDebounced(change ? ({ ...change, reason: undefined } as ChangeInput) : null, 300);
  const preview = useQuery({ ...trpc.mappings.preview.queryOptions(previewInput ?? { op: "deactivate", mappingId: "00000000-0000-0000-0000-000000000000", expectedVersion: 1 }), enabled: Boolean(previewInput), staleTime: 0, gcTime: 0, retry: false });
  const save = useMutation(
    trpc.mappings.save.mutationOptions({
      onSuccess: () => void queryClient.invalidateQueries({ queryKey: trpc.mappings.pathKey() }),
    }),
  );

  if (save.isSuccess) {
    const r = save.data;
    return (
      <div className="space-y-3">
        <p role="status" className="flex items-start gap-2 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
          <CheckCircle2 className="mt-0.5 size-4 shrink-0" aria-hidden />
          <span data-testid="save-result">
            Saved (version {r.mapping.version}). {r.summary}
            {r.corrected.reversed + r.corrected.requeued > 0 && ` ${r.corrected.reversed} posted ${r.corrected.reversed === 1 ? "entry is" : "entries are"} being reversed and reposted; ${r.corrected.requeued} queued ${r.corrected.requeued === 1 ? "one was" : "ones were"} re-queued.`}
            {r.corrected.billedLeft > 0 && ` ${r.corrected.billedLeft} invoiced ${r.corrected.billedLeft === 1 ? "entry keeps" : "entries keep"} the old mapping: correct them with a credit note in the ERP.`}
          </span>
        </p>
        {r.recovery ? <RecoveryStatus id={r.recovery.id} /> : <p className="text-sm text-slate-600">No entry needed re-validating.</p>}
        <div className="flex justify-end">
          <Button onClick={onClose}>Done</Button>
        </div>
      </div>
    );
  }

  const p = preview.data;
  const problems = p?.problems ?? [];
  const canSave = Boolean(change) && Boolean(p) && !preview.isFetching && problems.length === 0 && reason.trim().length >= 3 && !save.isPending;
  const needsCorrection = p ? p.impact.posted.entries + p.impact.queued.entries : 0;

  return (
    <form
      className="space-y-4"
      onSubmit={(e) => {
        e.preventDefault();
        if (canSave && change) save.mutate({ change: { ...change, reason: reason.trim() }, correct });
      }}
    >
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-xs font-semibold text-slate-700">{KIND_TEXT[request.kind].source}</legend>
          {fixedSource ? (
            <p className="text-sm text-slate-900" data-testid="editor-source">
              {request.op === "create"
                ? (request.sourceLabel ?? `${SYSTEM_TEXT[sourceSystem]} ${sourceKey}`)
                : m!.sourceCode
                  ? `${m!.sourceCode} ${m!.sourceName ?? ""}`
                  : (m!.sourceName ?? `${SYSTEM_TEXT[sourceSystem]} ${sourceKey}`)}
              <span className="block font-mono text-[11px] text-slate-500">
                {SYSTEM_TEXT[sourceSystem]} · {sourceKey}
              </span>
            </p>
          ) : (
            <>
              <Field label="Source system">
                {(a) => (
                  <Select {...a} value={sourceSystem} onChange={(e) => setSourceSystem(e.target.value as SourceSystem)}>
                    {SOURCE_SYSTEMS.map((s) => (
                      <option key={s} value={s}>
                        {SYSTEM_TEXT[s]}
                      </option>
                    ))}
                  </Select>
                )}
              </Field>
              <Field label={request.kind === "cost_center" ? "Source cost center code" : "Source id"} hint="As the source system names it (its id, not its display name).">
                {(a) => <Input {...a} value={sourceKey} onChange={(e) => setSourceKey(e.target.value)} maxLength={200} />}
              </Field>
            </>
          )}
        </fieldset>
        <fieldset className="space-y-2 rounded-md border border-slate-200 p-3">
          <legend className="px-1 text-xs font-semibold text-slate-700">{KIND_TEXT[request.kind].target}</legend>
          {editsTarget ? (
            <TargetPicker kind={request.kind} value={targetKey} onChange={setTargetKey} />
          ) : (
            <p className="text-sm text-slate-900">
              {request.kind !== "user" && m!.targetCode && m!.targetCode !== m!.targetKey && m!.targetCode !== m!.targetName ? `${m!.targetCode} ${m!.targetName ?? ""}` : (m!.targetName ?? m!.targetKey)}
              <span className="block font-mono text-[11px] text-slate-500">
                ERP {m!.targetKey}
                {m!.targetEntity ? ` · ${m!.targetEntity}` : ""}
                {request.kind === "user" && m!.targetCode ? ` · ${m!.targetCode}` : ""}
              </span>
            </p>
          )}
        </fieldset>
      </div>

      {(editsDates || request.op === "end_date") && (
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
          {editsDates && (
            <Field label="In effect from (optional)" hint="Empty: from the beginning. Work before this day keeps its mapping.">
              {(a) => <Input {...a} type="date" value={validFrom} onChange={(e) => setValidFrom(e.target.value)} />}
            </Field>
          )}
          <Field label={request.op === "end_date" ? "Last day in effect" : "In effect until (optional)"} hint={request.op === "end_date" ? "Work after this day is no longer mapped by it; earlier work is untouched." : "Empty: open-ended."}>
            {(a) => <Input {...a} type="date" value={validTo} onChange={(e) => setValidTo(e.target.value)} />}
          </Field>
        </div>
      )}

      <section aria-label="What this change will do" className="rounded-md border border-slate-200 bg-slate-50 p-3" data-testid="foresight">
        <h3 className="text-xs font-semibold tracking-wide text-slate-600 uppercase">What it will do</h3>
        {!change ? (
          <p className="mt-1 text-sm text-slate-600">{editsTarget ? "Choose the target to see what the change will do." : "Fill in the form to see what the change will do."}</p>
        ) : preview.isPending || !p ? (
          <p role="status" className="mt-1 text-sm text-slate-600">
            Working out what it will do…
          </p>
        ) : preview.isError ? (
          <p role="alert" className="mt-1 text-sm text-red-700">
            {errorMessage(preview.error)}
          </p>
        ) : (
          <div className="mt-1 space-y-2 text-sm">
            <p className="text-slate-900">{p.summary}</p>
            {problems.length > 0 && (
              <ul role="alert" className="space-y-1 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-800" data-testid="editor-problems">
                {problems.map((x, i) => (
                  <li key={i}>{x.message}</li>
                ))}
              </ul>
            )}
            {!p.impact.applies ? (
              <p className="text-slate-600">No validation rule reads {KIND_TEXT[request.kind].plural} mappings, so no entry is re-decided: only the mapping and its history change.</p>
            ) : p.impact.affected.entries === 0 ? (
              <p className="text-slate-600">No entry received so far changes its mapping.</p>
            ) : (
              <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3" data-testid="impact">
                <ImpactCell label="Entries affected" b={p.impact.affected} currency={p.impact.reportingCurrency} />
                <ImpactCell label={`Re-validated now${p.impact.toValidate.blocked ? ` (${p.impact.toValidate.blocked} blocked)` : ""}`} b={p.impact.toValidate} currency={p.impact.reportingCurrency} />
                <ImpactCell label="Already posted (old mapping)" b={p.impact.posted} currency={p.impact.reportingCurrency} warn />
                {p.impact.queued.entries > 0 && <ImpactCell label="Queued (old mapping)" b={p.impact.queued} currency={p.impact.reportingCurrency} warn />}
                {p.impact.billed.entries > 0 && <ImpactCell label="Invoiced (old mapping)" b={p.impact.billed} currency={p.impact.reportingCurrency} warn />}
                {p.impact.losesMapping.entries > 0 && <ImpactCell label="Left with no mapping" b={p.impact.losesMapping} currency={p.impact.reportingCurrency} warn />}
              </dl>
            )}
            {p.impact.exceptions.length > 0 && (
              <p className="text-xs text-slate-700">
                Open exceptions holding these entries:{" "}
                {p.impact.exceptions.map((x) => `${codeLabel(x.code)} (${x.exceptions} ${x.exceptions === 1 ? "exception" : "exceptions"}, ${x.entries} ${x.entries === 1 ? "entry" : "entries"})`).join("; ")}. Those only this mapping held resolve themselves once re-validated.
              </p>
            )}
            {needsCorrection > 0 && (
              <label className="flex items-start gap-2 rounded-md border border-amber-200 bg-amber-50 px-3 py-2 text-amber-900">
                <input type="checkbox" className="mt-0.5 size-4 accent-brand-600" checked={correct} onChange={(e) => setCorrect(e.target.checked)} />
                <span>
                  Also correct the {needsCorrection} {needsCorrection === 1 ? "entry" : "entries"} already sent or queued under the old mapping: posted ones are reversed in the ERP and reposted under the new one. Left unticked, they stay as they are.
                </span>
              </label>
            )}
            {p.impact.billed.entries > 0 && <p className="text-xs text-amber-900">Invoiced entries cannot be corrected here: if they must move, issue a credit note in the ERP.</p>}
            {p.impact.inFlight.entries > 0 && <p className="text-xs text-slate-700">{p.impact.inFlight.entries} being sent right now are left alone; reopen this mapping to correct them once posted.</p>}
          </div>
        )}
      </section>

      <Field label="Why (kept in the mapping's history)" hint="For example: 'New job opened in the ERP for the phase 2 SOW'.">
        {(a) => <textarea {...a} className="min-h-16 w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm focus:border-brand-500 focus:ring-2 focus:ring-brand-500/30 focus:outline-none" value={reason} onChange={(e) => setReason(e.target.value)} maxLength={500} />}
      </Field>

      {save.isError && (
        <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
          {errorMessage(save.error)}
        </p>
      )}
      <div className="flex items-center justify-end gap-2">
        <DialogClose asChild>
          <Button variant="secondary">Cancel</Button>
        </DialogClose>
        <Button type="submit" disabled={!canSave} variant={request.op === "deactivate" ? "danger" : "primary"}>
          {save.isPending ? "Saving…" : request.op === "restore" ? `Restore ${request.versionText}` : request.op === "deactivate" ? "Deactivate" : request.op === "end_date" ? "End-date" : "Save mapping"}
        </Button>
      </div>
    </form>
  );
}

function ImpactCell({ label, b, currency, warn }: { label: string; b: Bucket; currency: string; warn?: boolean }) {
  return (
    <div className={`rounded border px-2 py-1 ${warn && b.entries > 0 ? "border-amber-200 bg-amber-50" : "border-slate-200 bg-white"}`}>
      <dt className="text-xs text-slate-600">{label}</dt>
      <dd className="text-sm font-semibold text-slate-900 tabular-nums">
        {b.entries.toLocaleString("en-US")} · {formatHoursValue(b.hours)} h · {money(b.value, currency)}
      </dd>
    </div>
  );
}

/** Searches the ERP's records of the kind; the chosen one is what the mapping points at. */
function TargetPicker({ kind, value, onChange }: { kind: MappingKind; value: string; onChange: (key: string) => void }) {
  const trpc = useTRPC();
  const id = useId();
  const [search, setSearch] = useState(value);
  const debounced = useDebounced(search, 250);
  const q = useQuery(trpc.mappings.targets.queryOptions({ kind, search: debounced, limit: 12 }));
  const options = q.data ?? [];
  return (
    <div className="space-y-1.5">
      <label htmlFor={`${id}-search`} className="block text-xs font-medium text-slate-700">
        Find by code, name or ERP id
      </label>
      <Input id={`${id}-search`} value={search} onChange={(e) => setSearch(e.target.value)} placeholder={kind === "user" ? "name or e-mail" : "code or name"} autoComplete="off" />
      <div role="radiogroup" aria-label={`${KIND_TEXT[kind].target} to map to`} className="max-h-44 overflow-y-auto rounded-md border border-slate-200 bg-white">
        {q.isPending && <p className="px-2 py-1.5 text-xs text-slate-600">Searching…</p>}
        {!q.isPending && options.length === 0 && <p className="px-2 py-1.5 text-xs text-slate-600">Nothing in the ERP's master data matches.</p>}
        {options.map((t) => (
          <label key={t.key} className={`flex cursor-pointer items-start gap-2 border-b border-slate-100 px-2 py-1 text-xs last:border-0 ${value === t.key ? "bg-brand-50" : "hover:bg-slate-50"}`}>
            <input type="radio" name={`${id}-target`} className="mt-0.5 accent-brand-600" checked={value === t.key} onChange={() => onChange(t.key)} disabled={!t.active} />
            <span className="min-w-0">
              <span className="font-medium text-slate-900">{t.code && t.code !== t.name && kind !== "user" ? `${t.code} ` : ""}{t.name}</span>
              <span className="block text-slate-600">
                ERP {t.key}
                {t.entityCode ? ` · ${t.entityCode}` : ""}
                {kind === "user" && t.code ? ` · ${t.code}` : ""}
              </span>
            </span>
            {!t.active && (
              <Badge tone="neutral" className="ml-auto">
                {t.inactiveReason?.replace(/^is /, "").replace(/ in the ERP$/, "") ?? "inactive"}
              </Badge>
            )}
          </label>
        ))}
      </div>
    </div>
  );
}
