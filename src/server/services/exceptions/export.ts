import { z } from "zod";
import { csvLine } from "@/lib/csv-write";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { listExceptions, type QueueRow, type Viewer } from "./list";
import { queueFilter, queueSort } from "./query";

export const exportInput = z.object({ filter: queueFilter.default({}), ...queueSort.shape });

const COLUMNS: [string, (r: QueueRow, ccy: string) => unknown][] = [
  ["exception_id", (r) => r.id],
  ["code", (r) => r.code],
  ["severity", (r) => r.severity],
  ["status", (r) => r.status],
  ["owner_team", (r) => r.owner],
  ["assignee", (r) => r.assigneeName],
  ["subject", (r) => r.subjectLabel],
  ["message", (r) => r.message],
  ["suggested_fix", (r) => r.suggestedFix],
  ["legal_entity", (r) => r.entityCode],
  ["region", (r) => r.region],
  ["business_unit", (r) => r.businessUnit],
  ["project", (r) => r.projectCode],
  ["person", (r) => r.employeeName],
  ["entries", (r) => r.entries],
  ["hours", (r) => r.hours],
  ["value", (r) => r.value],
  ["currency", (r) => r.currency],
  ["value_reporting", (r) => r.valueReporting],
  ["reporting_currency", (_r, ccy) => ccy],
  ["oldest_work_date", (r) => r.oldestWorkDate],
  ["first_seen_at_utc", (r) => r.firstSeenAt],
  ["last_seen_at_utc", (r) => r.lastSeenAt],
  ["occurrences", (r) => r.occurrences],
  ["sla_hours", (r) => r.slaHours],
  ["age_hours", (r) => r.ageHours.toFixed(1)],
  ["billing_blocked_hours", (r) => (r.blockedHours === null ? null : r.blockedHours.toFixed(1))],
  ["resolved_at_utc", (r) => r.resolvedAt],
  ["resolution", (r) => r.resolution],
  ["resolution_note", (r) => r.resolutionNote],
];

/**
 * The filtered queue as CSV, in the queue's order, streamed page by page (keyset, 1,000 rows
 * at a time), within the user's scope. The export is recorded in the audit log with its filter.
 */
export async function* exportExceptionsCsv({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: z.input<typeof exportInput> }): AsyncGenerator<string> {
  const q = exportInput.parse(input);
  let cursor: string | null = null;
  // the first page also validates the filter, before anything is written
  let page = await listExceptions({ ctx, viewer, input: { ...q, limit: 500 } });
  await writeAudit(ctx, { action: "exception.export", entityType: "exception", entityId: null, after: { filter: q.filter, sort: q.sort, dir: q.dir } });
  yield csvLine(COLUMNS.map(([name]) => name));
  for (;;) {
    for (const r of page.items) yield csvLine(COLUMNS.map(([, get]) => get(r, page.reportingCurrency)));
    cursor = page.nextCursor;
    if (!cursor) break;
    page = await listExceptions({ ctx, viewer, input: { ...q, limit: 500, cursor } });
  }
}
