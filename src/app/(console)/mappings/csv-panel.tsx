"use client";

import { useQueryClient } from "@tanstack/react-query";
import { CSV_ROW_OUTCOME } from "@/lib/csv-outcome";
import { FileCheck2, Upload } from "lucide-react";
import { useId, useRef, useState } from "react";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Table, Td, Th } from "@/components/ui/table";
import type { MappingKind } from "@/server/domain/enums";
import type { MappingImportReport, RowOutcome } from "@/server/services/mappings/csv";
import { useTRPC } from "@/trpc/client";
import { KIND_TEXT } from "./labels";
import { RecoveryStatus } from "./recovery-status";

const OUTCOME: Record<RowOutcome, { label: string; tone: BadgeTone }> = CSV_ROW_OUTCOME;

type Phase =
  | { kind: "idle" }
  | { kind: "busy"; what: "check" | "import" }
  | { kind: "refused"; message: string; report: MappingImportReport | null }
  | { kind: "checked"; report: MappingImportReport }
  | { kind: "imported"; report: MappingImportReport };

async function send(kind: MappingKind, file: File, dryRun: boolean): Promise<{ ok: true; report: MappingImportReport } | { ok: false; message: string; report: MappingImportReport | null }> {
  const query = new URLSearchParams({ kind, dryRun: dryRun ? "1" : "0", fileName: file.name });
  try {
    const res = await fetch(`/api/mappings/import?${query}`, { method: "POST", headers: { "Content-Type": "text/csv" }, body: file });
    const body = (await res.json().catch(() => null)) as (MappingImportReport & { error?: string; report?: MappingImportReport | null }) | null;
    if (res.ok && body) return { ok: true, report: body };
    if (res.status === 401) return { ok: false, message: "Your session has ended. Sign in again, then check the file once more.", report: null };
    return { ok: false, message: body?.error ?? `The server answered ${res.status}; try again in a moment.`, report: body?.report ?? null };
  } catch {
    return { ok: false, message: "The file could not be sent: the connection to the server failed. Try again.", report: null };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

/**
 * Export the tab's mappings as a file, or import one: check it first (what each row would
 * do), then import it in one go, which only happens when no row has an error.
 */
export function CsvPanel({ kind }: { kind: MappingKind }) {
  const inputId = useId();
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [only, setOnly] = useState<"all" | "error">("all");
  const busy = phase.kind === "busy";

  const run = async (dryRun: boolean) => {
    if (!file) return;
    setPhase({ kind: "busy", what: dryRun ? "check" : "import" });
    const r = await send(kind, file, dryRun);
    setOnly(r.ok ? "all" : "error");
    if (!r.ok) setPhase({ kind: "refused", message: r.message, report: r.report });
    else if (dryRun) setPhase({ kind: "checked", report: r.report });
    else {
      setPhase({ kind: "imported", report: r.report });
      void queryClient.invalidateQueries({ queryKey: trpc.mappings.pathKey() });
    }
  };

  const report = phase.kind === "checked" || phase.kind === "imported" ? phase.report : phase.kind === "refused" ? phase.report : null;
  const rows = report ? report.rowResults.filter((r) => only === "all" || r.outcome === "error") : [];
  const changes = report ? report.totals.new + report.totals.changed : 0;

  return (
    <section aria-labelledby={`${inputId}-h`} className="mb-4 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id={`${inputId}-h`} className="text-sm font-semibold text-slate-900">
        {KIND_TEXT[kind].tab}: mapping file
      </h2>
      <p id={hintId} className="mt-0.5 text-xs text-slate-600">
        Columns: source_system, source_id, target_erp_id; optional: valid_from, valid_to (YYYY-MM-DD), active (true/false), reason; source_label and target_label are for reading and ignored. Mappings not in the file are left as they are. Up to 50 MB.
      </p>
      <div className="mt-3 flex flex-wrap items-center gap-2">
        <a href={`/api/mappings/export?kind=${kind}`} className="inline-flex h-8 items-center gap-1.5 rounded-md border border-slate-300 bg-white px-3 text-sm font-medium text-slate-800 hover:bg-slate-50" download>
          Export {KIND_TEXT[kind].tab.toLowerCase()} (CSV)
        </a>
        <label htmlFor={inputId} className="text-sm font-medium text-slate-700">
          File to import
        </label>
        <input
          ref={input}
          id={inputId}
          type="file"
          accept=".csv,text/csv"
          aria-describedby={hintId}
          className="text-sm file:mr-2 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-2.5 file:py-1 file:text-sm"
          onChange={(e) => {
            setFile(e.target.files?.[0] ?? null);
            setPhase({ kind: "idle" });
          }}
        />
        <Button variant="secondary" disabled={!file || busy} onClick={() => void run(true)}>
          <FileCheck2 className="size-3.5" aria-hidden /> {phase.kind === "busy" && phase.what === "check" ? "Checking…" : "Check file"}
        </Button>
        <Button disabled={!file || busy || phase.kind !== "checked" || phase.report.errorCount > 0 || changes === 0} onClick={() => void run(false)}>
          <Upload className="size-3.5" aria-hidden /> {phase.kind === "busy" && phase.what === "import" ? "Importing…" : phase.kind === "checked" && changes > 0 ? `Import ${plural(changes, "change")}` : "Import"}
        </Button>
      </div>

      {phase.kind === "refused" && (
        <p role="alert" className="mt-3 rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800" data-testid="csv-refusal">
          {phase.message} Nothing was changed.
        </p>
      )}
      {phase.kind === "checked" && (
        <p role="status" className={`mt-3 rounded-md border px-3 py-2 text-sm ${phase.report.errorCount > 0 ? "border-amber-200 bg-amber-50 text-amber-900" : "border-brand-100 bg-brand-50 text-slate-900"}`} data-testid="csv-summary">
          Checked {plural(phase.report.rows, "row")}: {phase.report.totals.new} new, {phase.report.totals.changed} changed, {phase.report.totals.unchanged} unchanged, {plural(phase.report.errorCount, "error")}.{" "}
          {phase.report.errorCount > 0 ? "Nothing can be imported until every row is correct: fix the rows below and check the file again." : changes === 0 ? "The file changes nothing." : "Nothing has been written yet."}
        </p>
      )}
      {phase.kind === "imported" && phase.report.applied && (
        <div className="mt-3 space-y-2">
          <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900" data-testid="csv-summary">
            Imported: {phase.report.applied.created} new and {phase.report.applied.changed} changed mappings, in one transaction.
            {phase.report.applied.inErpUnderOtherMapping > 0 &&
              ` ${plural(phase.report.applied.inErpUnderOtherMapping, "entry")} already in the ERP now resolve to another target: open their mappings to correct them.`}
          </p>
          {phase.report.applied.recovery && <RecoveryStatus id={phase.report.applied.recovery.id} />}
        </div>
      )}

      {report && report.rowResults.length > 0 && (
        <div className="mt-3 space-y-2">
          <div className="flex items-center gap-3 text-xs text-slate-700">
            <span>Row by row{report.rowResultsTruncated ? ` (the first ${report.rowResults.length})` : ""}:</span>
            <label className="flex items-center gap-1">
              <input type="checkbox" className="size-4 accent-brand-600" checked={only === "error"} onChange={(e) => setOnly(e.target.checked ? "error" : "all")} /> errors only
            </label>
          </div>
          <div className="max-h-80 overflow-y-auto">
            <Table aria-label="What each row does">
              <thead>
                <tr>
                  <Th>Line</Th>
                  <Th>Source</Th>
                  <Th>From</Th>
                  <Th>Outcome</Th>
                  <Th>Detail</Th>
                </tr>
              </thead>
              <tbody>
                {rows.map((r) => (
                  <tr key={r.line} data-testid="csv-row" data-outcome={r.outcome}>
                    <Td className="text-xs tabular-nums">{r.line}</Td>
                    <Td className="font-mono text-[11px]">
                      {r.sourceSystem} {r.sourceKey}
                    </Td>
                    <Td className="text-xs">{r.validFrom ?? "always"}</Td>
                    <Td>
                      <Badge tone={OUTCOME[r.outcome].tone}>{OUTCOME[r.outcome].label}</Badge>
                    </Td>
                    <Td className={`text-xs ${r.outcome === "error" ? "text-red-800" : "text-slate-700"}`}>{r.message ?? ""}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          </div>
        </div>
      )}
    </section>
  );
}
