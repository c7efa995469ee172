"use client";

import { codeLabel } from "@/lib/exception-labels";
import { CSV_ROW_OUTCOME } from "@/lib/csv-outcome";
import Link from "next/link";
import { FileCheck2, Upload } from "lucide-react";
import { useId, useRef, useState } from "react";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Select } from "@/components/ui/field";
import { PageHeader } from "@/components/ui/page-header";
import { Table, Td, Th } from "@/components/ui/table";
import type { CsvImportReport, RowOutcome } from "@/server/services/imports/csv-time";

const COLUMNS = "entry_id, person, project, task, work_date (YYYY-MM-DD), hours, billable (yes/no); optional: notes, approved_at, approved_by, bill_rate with currency";

const OUTCOME: Record<RowOutcome, { label: string; tone: BadgeTone }> = CSV_ROW_OUTCOME;

type Phase =
  | { kind: "idle" }
  | { kind: "busy"; what: "check" | "import" }
  | { kind: "refused"; message: string }
  | { kind: "checked"; report: CsvImportReport }
  | { kind: "imported"; report: CsvImportReport };

async function send(file: File, dryRun: boolean): Promise<{ ok: true; report: CsvImportReport } | { ok: false; message: string }> {
  const query = new URLSearchParams({ dryRun: dryRun ? "1" : "0", fileName: file.name });
  try {
    const res = await fetch(`/api/imports/time?${query}`, { method: "POST", headers: { "Content-Type": "text/csv" }, body: file });
    const body = (await res.json().catch(() => null)) as (CsvImportReport & { error?: string }) | null;
    if (res.ok && body) return { ok: true, report: body };
    if (res.status === 401) return { ok: false, message: "Your session has ended. Sign in again, then check the file once more." };
    return { ok: false, message: body?.error ?? `The server answered ${res.status}; try again in a moment.` };
  } catch {
    return { ok: false, message: "The file could not be sent: the connection to the server failed. Try again." };
  }
}

const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en-US")} ${n === 1 ? one : many}`;

export function ImportsView() {
  const inputId = useId();
  const hintId = useId();
  const input = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const [only, setOnly] = useState<"all" | "error">("all");
  const busy = phase.kind === "busy";

  const check = async () => {
    if (!file) return;
    setPhase({ kind: "busy", what: "check" });
    const r = await send(file, true);
    setOnly("all");
    setPhase(r.ok ? { kind: "checked", report: r.report } : { kind: "refused", message: r.message });
  };
  const apply = async () => {
    if (!file) return;
    setPhase({ kind: "busy", what: "import" });
    const r = await send(file, false);
    setPhase(r.ok ? { kind: "imported", report: r.report } : { kind: "refused", message: r.message });
  };

  return (
    <>
      <PageHeader
        title="Imports"
        description="Approved time from a regional office's CSV file. Check the file first: nothing is written until you import it, and importing the same file again changes nothing."
      />

      <section aria-labelledby={`${inputId}-title`} className="mb-4 rounded-lg border border-slate-200 bg-white p-4">
        <h2 id={`${inputId}-title`} className="text-sm font-semibold text-slate-900">
          Approved time (CSV)
        </h2>
        <div className="mt-3 flex flex-wrap items-end gap-3">
          <div className="space-y-1">
            <label htmlFor={inputId} className="block text-xs font-medium text-slate-700">
              CSV file
            </label>
            <input
              ref={input}
              id={inputId}
              type="file"
              accept=".csv,text/csv"
              aria-describedby={hintId}
              disabled={busy}
              className="block text-sm text-slate-800 file:mr-3 file:h-8 file:rounded-md file:border file:border-slate-300 file:bg-white file:px-3 file:text-sm file:font-medium file:text-slate-800 hover:file:bg-slate-50"
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                setPhase({ kind: "idle" });
              }}
            />
          </div>
          <Button onClick={check} disabled={!file || busy}>
            <FileCheck2 className="size-4" aria-hidden />
            {phase.kind === "busy" && phase.what === "check" ? "Checking…" : "Check file"}
          </Button>
        </div>
        <p id={hintId} className="mt-2 text-xs text-slate-600">
          UTF-8 text with a header row, up to 50 MB. Columns, in any order: {COLUMNS}. Every row is time already approved.
        </p>
      </section>

      <div aria-live="polite">
        {phase.kind === "busy" && (
          <p className="text-sm text-slate-600">{phase.what === "check" ? `Checking ${file?.name}…` : `Importing ${file?.name}…`}</p>
        )}
        {phase.kind === "refused" && (
          <div role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800">
            <span className="font-medium">{file?.name ?? "The file"} was refused.</span> {phase.message}
          </div>
        )}
        {phase.kind === "checked" && (
          <CheckResult report={phase.report} only={only} onOnly={setOnly} onImport={apply} />
        )}
        {phase.kind === "imported" && <ImportResult report={phase.report} />}
      </div>
    </>
  );
}

function Totals({ report, caption }: { report: CsvImportReport; caption: string }) {
  // a figure takes its colour only when it is not zero
  const items: [string, number, string][] = [
    ["Rows", report.rows, "text-slate-900"],
    ["New", report.totals.new, report.totals.new ? "text-brand-700" : "text-slate-700"],
    ["Changed", report.totals.changed, report.totals.changed ? "text-amber-800" : "text-slate-700"],
    ["Unchanged", report.totals.unchanged, "text-slate-700"],
    ["Errors", report.totals.error, report.totals.error ? "text-red-700" : "text-slate-700"],
  ];
  return (
    <dl aria-label={caption} className="mb-3 grid grid-cols-2 gap-2 sm:grid-cols-5">
      {items.map(([label, n, tone]) => (
        <div key={label} className="rounded-lg border border-slate-200 bg-white px-3 py-2">
          <dt className="text-xs font-medium text-slate-600">{label}</dt>
          <dd className={`text-lg font-semibold tabular-nums ${tone}`}>{n.toLocaleString("en-US")}</dd>
        </div>
      ))}
    </dl>
  );
}

function CheckResult({
  report,
  only,
  onOnly,
  onImport,
}: {
  report: CsvImportReport;
  only: "all" | "error";
  onOnly: (v: "all" | "error") => void;
  onImport: () => void;
}) {
  const rows = only === "error" ? report.rowResults.filter((r) => r.outcome === "error") : report.rowResults;
  const writes = report.totals.new + report.totals.changed;
  return (
    <section aria-label="Check result">
      <div className="mb-3 flex items-center justify-between gap-4">
        <p className="min-w-0 flex-1 text-sm text-slate-700">
          <span className="font-medium text-slate-900">{report.fileName}</span> checked: {plural(report.rows, "row")},{" "}
          {writes ? `${plural(writes, "row")} would be written` : "nothing would change"}
          {report.errorCount ? `, ${plural(report.errorCount, "row")} with errors (kept and raised as PAYLOAD_INVALID exceptions on import)` : ""}. Nothing has been written yet.
        </p>
        <Button onClick={onImport} className="shrink-0">
          <Upload className="size-4" aria-hidden /> Import
        </Button>
      </div>
      <Totals report={report} caption="What the import would do" />
      {report.validation.wouldPost + report.validation.wouldBlock > 0 && (
        <p className="mb-3 text-sm text-slate-700" aria-label="What validation would decide">
          Of the rows that would be written, <span className="font-medium text-slate-900">{plural(report.validation.wouldPost, "row")}</span> would pass validation
          and be posted to the ERP
          {report.validation.wouldBlock > 0 && (
            <>
              ; <span className="font-medium text-red-700">{plural(report.validation.wouldBlock, "row")}</span> would be blocked (
              {Object.entries(report.validation.byCode)
                .sort((a, b) => b[1] - a[1])
                .map(([code, n]) => `${codeLabel(code)} ${n.toLocaleString("en-US")}`)
                .join(", ")}
              ) and appear in Exceptions
            </>
          )}
          .
        </p>
      )}
      <div className="mb-2 flex items-center gap-2">
        <label htmlFor="row-filter" className="text-xs font-medium text-slate-700">
          Show
        </label>
        <Select id="row-filter" className="w-40" value={only} onChange={(e) => onOnly(e.target.value as "all" | "error")}>
          <option value="all">All rows</option>
          <option value="error">Errors only</option>
        </Select>
        {report.rowResultsTruncated && (
          <span className="text-xs text-slate-600">Showing the first {plural(report.rowResults.length, "row")} of {report.rows.toLocaleString("en-US")}.</span>
        )}
      </div>
      <RowsTable rows={rows} />
      {report.rowResultsTruncated && report.errors.length > 0 && (
        <>
          <h3 className="mt-4 mb-2 text-sm font-semibold text-slate-900">
            Row errors {report.errorCount > report.errors.length ? `(the first ${report.errors.length} of ${report.errorCount.toLocaleString("en-US")})` : ""}
          </h3>
          <RowsTable rows={report.errors.map((e) => ({ ...e, outcome: "error" as const }))} label="Row errors" />
        </>
      )}
    </section>
  );
}

function RowsTable({ rows, label = "Row results" }: { rows: { line: number; entryId: string | null; outcome: RowOutcome; message: string | null }[]; label?: string }) {
  return (
    <Table aria-label={label}>
      <thead>
        <tr>
          <Th className="w-16 text-right">Line</Th>
          <Th className="w-40">Entry id</Th>
          <Th className="w-28">Outcome</Th>
          <Th>Message</Th>
        </tr>
      </thead>
      <tbody>
        {rows.length === 0 && (
          <tr>
            <Td colSpan={4} className="py-6 text-center text-slate-600">
              No row to show.
            </Td>
          </tr>
        )}
        {rows.map((r) => (
          <tr key={`${r.line}-${r.outcome}`} data-testid={`row-line-${r.line}`}>
            <Td className="text-right tabular-nums">{r.line}</Td>
            <Td className="font-mono text-xs">{r.entryId ?? "—"}</Td>
            <Td>
              <Badge tone={OUTCOME[r.outcome].tone}>{OUTCOME[r.outcome].label}</Badge>
            </Td>
            <Td className={r.outcome === "error" ? "text-red-800" : "text-slate-700"}>{r.message ?? ""}</Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function ImportResult({ report }: { report: CsvImportReport }) {
  const run = report.run!;
  const exceptionsRaised = run.refused + run.exceptionsRaised + run.changedAfterInvoice;
  return (
    <section aria-label="Import result">
      <div role="status" className="mb-3 rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-900">
        <span className="font-medium">{report.fileName} imported.</span> {plural(run.created, "new entry", "new entries")},{" "}
        {plural(run.updated + run.corrected, "changed entry", "changed entries")}, {plural(run.unchanged, "unchanged entry", "unchanged entries")},{" "}
        {plural(run.refused, "refused row")}. {plural(run.postingsCreated, "posting")} queued for the ERP.
      </div>
      <Totals report={report} caption="What the import did" />
      <div className="rounded-lg border border-slate-200 bg-white p-4 text-sm text-slate-700">
        <p>
          Recorded as sync run <span className="font-mono text-xs">{run.id}</span>.
        </p>
        {exceptionsRaised > 0 ? (
          <p className="mt-2">
            {run.refused > 0 && <>{plural(run.refused, "refused row")} {run.refused === 1 ? "is" : "are"} kept as received and raised as PAYLOAD_INVALID exceptions. </>}
            {run.exceptionsRaised > 0 && <>{plural(run.exceptionsRaised, "entry", "entries")} failed validation (for example an unmapped project or person). </>}
            {run.changedAfterInvoice > 0 && <>{plural(run.changedAfterInvoice, "change")} to invoiced entries raised CHANGED_AFTER_INVOICE. </>}
            <Link href="/exceptions" className="font-medium text-brand-700 underline underline-offset-2">
              Open the exception queue
            </Link>
          </p>
        ) : (
          <p className="mt-2">
            No exception was raised.{" "}
            <Link href="/exceptions" className="font-medium text-brand-700 underline underline-offset-2">
              Go to the exception queue
            </Link>
          </p>
        )}
        {report.errors.length > 0 && (
          <div className="mt-4">
            <h3 className="mb-2 text-sm font-semibold text-slate-900">Refused rows</h3>
            <RowsTable rows={report.errors.map((e) => ({ ...e, outcome: "error" as const }))} label="Refused rows" />
          </div>
        )}
      </div>
    </section>
  );
}
