import { sql } from "drizzle-orm";
import { NOT_CHECKED, VARIANCE_CLASSES, VARIANCE_TEXT, type VarianceClass } from "./classes";
import type { Scope } from "../../auth/scope";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { invalid } from "../errors";
import { runInScope } from "./view";

/** One CSV field: quoted when it needs to be; text that a spreadsheet would run as a formula is defused. */
export function csvField(v: string | number | null | undefined, opts: { text?: boolean } = {}): string {
  if (v === null || v === undefined) return "";
  let s = String(v);
  if (opts.text && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
const row = (cells: string[]) => cells.join(",") + "\r\n";


/**
 * A finished run as a CSV for the close file (RFC 4180, UTF-8, CRLF): a summary block (the four
 * sides and each variance class, in the reporting currency; a class the run could not check reads
 * "not checked" in every figure, never 0), a blank line, then every variance line. Audited as an
 * export (who took which run, when).
 */
export async function reconciliationCsv({ ctx, runId, scope }: { ctx: ServiceCtx; runId: string; scope: Scope }): Promise<{ fileName: string; csv: string }> {
  const run = await runInScope(ctx.db, scope, runId);
  if (run.status !== "succeeded" || !run.totals) throw invalid("This run has not finished, so there is nothing to export yet.");
  const t = run.totals;
  let out = "";
  out += row(["reconciliation", "legal_entity", "period", "finished_at_utc", "reporting_currency", "matched_lines", "total_lines", "erp_side", "source_approvals"].map((h) => csvField(h)));
  const approvalsNote = t.sourceApprovals?.note ?? "Approval differences with the source were not checked: this run predates the check.";
  out += row([
    csvField(run.id),
    csvField(run.entityCode, { text: true }),
    csvField(run.period),
    csvField(run.finishedAt),
    csvField(run.reportingCurrency),
    csvField(t.matched),
    csvField(t.lines),
    csvField(run.erpSideNote, { text: true }),
    csvField(approvalsNote, { text: true }),
  ]);
  out += "\r\n";
  out += row(["figure", "count", "hours", `value_${run.reportingCurrency.toLowerCase()}`, "not_valued", "unexplained"].map((h) => csvField(h)));
  for (const [key, label] of [["sourceApproved", "Source-approved"], ["canonical", "Canonical (validated)"], ["erpPosted", "ERP-posted"], ["invoiced", "Invoiced"]] as const) {
    const s = t[key];
    out += row([csvField(label), csvField(s.count), csvField(s.hours), csvField(s.value), csvField(s.unvalued), ""]);
  }
  for (const c of VARIANCE_CLASSES) {
    const v = t.variances[c];
    out += v
      ? row([csvField(`Variance: ${VARIANCE_TEXT[c].label}`), csvField(v.count), csvField(v.hours), csvField(v.value), "", csvField(v.unexplained)])
      : row([csvField(`Variance: ${VARIANCE_TEXT[c].label}`), NOT_CHECKED, NOT_CHECKED, NOT_CHECKED, "", NOT_CHECKED]);
  }
  out += "\r\n";
  out += row(
    ["variance", "source_entry", "erp_record", "work_date", "project", "person", "hours_ours", "hours_erp", "amount_ours", "amount_erp", "currency", `value_${run.reportingCurrency.toLowerCase()}`, "explanation"].map((h) => csvField(h)),
  );
  const lines = (await ctx.db.execute(sql`
    select variance_class, source_ref, erp_id, work_date::text as work_date, project_label, person_label, hours_ours::text as hours_ours, hours_erp::text as hours_erp,
           amount_ours::text as amount_ours, amount_erp::text as amount_erp, currency, value_reporting::text as value_reporting, explanation
    from reconciliation_variances where run_id = ${run.id} order by id`)) as unknown as Record<string, string | null>[];
  for (const l of lines) {
    out += row([
      csvField(VARIANCE_TEXT[l.variance_class as VarianceClass]?.label ?? l.variance_class),
      csvField(l.source_ref, { text: true }),
      csvField(l.erp_id, { text: true }),
      csvField(l.work_date),
      csvField(l.project_label, { text: true }),
      csvField(l.person_label, { text: true }),
      csvField(l.hours_ours),
      csvField(l.hours_erp),
      csvField(l.amount_ours),
      csvField(l.amount_erp),
      csvField(l.currency),
      csvField(l.value_reporting),
      csvField(l.explanation, { text: true }),
    ]);
  }
  await writeAudit(ctx, { action: "reconciliation.exported", entityType: "reconciliation_run", entityId: run.id, after: { entity: run.entityCode, period: run.period, lines: lines.length } });
  return { fileName: `reconciliation-${run.entityCode}-${run.period}-${run.id.slice(0, 8)}.csv`, csv: out };
}
