import { sql } from "drizzle-orm";
import { NOT_CHECKED, VARIANCE_CLASSES, VARIANCE_TEXT, type VarianceClass } from "./classes";
import type { Scope } from "../../auth/scope";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { invalid } from "../errors";
import { runInScope } from "./view";
import { csvLine } from "@/lib/csv-write";

/**
 * A finished run as a CSV for the close file (RFC 4180, UTF-8, CRLF; every field through
 * `csvLine`, so text a spreadsheet would run as a formula is defused): a summary block (the four
 * sides and each variance class, in the reporting currency; a class the run could not check reads
 * "not checked" in every figure, never 0), a blank line, then every variance line. Audited as an
 * export (who took which run, when).
 */
export async function reconciliationCsv({ ctx, runId, scope }: { ctx: ServiceCtx; runId: string; scope: Scope }): Promise<{ fileName: string; csv: string }> {
  const run = await runInScope(ctx.db, scope, runId);
  if (run.status !== "succeeded" || !run.totals) throw invalid("This run has not finished, so there is nothing to export yet.");
  const t = run.totals;
  let out = "";
  out += csvLine(["reconciliation", "legal_entity", "period", "finished_at_utc", "reporting_currency", "matched_lines", "total_lines", "erp_side", "source_approvals"]);
  const approvalsNote = t.sourceApprovals?.note ?? "Approval differences with the source were not checked: this run predates the check.";
  out += csvLine([run.id, run.entityCode, run.period, run.finishedAt, run.reportingCurrency, t.matched, t.lines, run.erpSideNote, approvalsNote]);
  out += "\r\n";
  out += csvLine(["figure", "count", "hours", `value_${run.reportingCurrency.toLowerCase()}`, "not_valued", "unexplained"]);
  for (const [key, label] of [["sourceApproved", "Source-approved"], ["canonical", "Canonical (validated)"], ["erpPosted", "ERP-posted"], ["invoiced", "Invoiced"]] as const) {
    const s = t[key];
    out += csvLine([label, s.count, s.hours, s.value, s.unvalued, ""]);
  }
  for (const c of VARIANCE_CLASSES) {
    const v = t.variances[c];
    out += v
      ? csvLine([`Variance: ${VARIANCE_TEXT[c].label}`, v.count, v.hours, v.value, "", v.unexplained])
      : csvLine([`Variance: ${VARIANCE_TEXT[c].label}`, NOT_CHECKED, NOT_CHECKED, NOT_CHECKED, "", NOT_CHECKED]);
  }
  out += "\r\n";
  out += csvLine(["variance", "source_entry", "erp_record", "work_date", "project", "person", "hours_ours", "hours_erp", "amount_ours", "amount_erp", "currency", `value_${run.reportingCurrency.toLowerCase()}`, "explanation"]);
  const lines = (await ctx.db.execute(sql`
    select variance_class, source_ref, erp_id, work_date::text as work_date, project_label, person_label, hours_ours::text as hours_ours, hours_erp::text as hours_erp,
           amount_ours::text as amount_ours, amount_erp::text as amount_erp, currency, value_reporting::text as value_reporting, explanation
    from reconciliation_variances where run_id = ${run.id} order by id`)) as unknown as Record<string, string | null>[];
  for (const l of lines) {
    out += csvLine([
      VARIANCE_TEXT[l.variance_class as VarianceClass]?.label ?? l.variance_class,
      l.source_ref,
      l.erp_id,
      l.work_date,
      l.project_label,
      l.person_label,
      l.hours_ours,
      l.hours_erp,
      l.amount_ours,
      l.amount_erp,
      l.currency,
      l.value_reporting,
      l.explanation,
    ]);
  }
  await writeAudit(ctx, { action: "reconciliation.exported", entityType: "reconciliation_run", entityId: run.id, after: { entity: run.entityCode, period: run.period, lines: lines.length } });
  return { fileName: `reconciliation-${run.entityCode}-${run.period}-${run.id.slice(0, 8)}.csv`, csv: out };
}
