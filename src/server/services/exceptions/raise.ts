import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../../db/client";
import { exceptionEntries, exceptionEvents, exceptions } from "../../db/schema";
import { EXCEPTION_CODES, type ExceptionCode, type SourceSystem } from "../../domain/enums";

export type RaiseInput = {
  code: ExceptionCode;
  subjectType: string;
  subjectKey: string;
  subjectLabel: string;
  message: string;
  suggestedFix: string;
  sourceSystem?: SourceSystem | null;
  legalEntityId?: string | null;
  projectId?: string | null;
  employeeId?: string | null;
  details?: Record<string, unknown>;
  /** what it blocks: an entry (with its hours and value) or a raw record */
  link: { timeEntryId?: string; rawRecordId?: number; workDate?: string | null; hours?: string; value?: string | null; currency?: string | null };
};

/**
 * Opens an exception outside validation (a refused payload, a change after invoicing, an
 * ERP rejection): one per (code, subject), reopened if it was resolved, with the entry or
 * raw record linked and an event saying why. Returns the exception id.
 */
export async function raiseException(tx: Tx, actorLabel: string, input: RaiseInput): Promise<string> {
  const { owner, severity } = EXCEPTION_CODES[input.code];
  const [prev] = await tx
    .select({ status: exceptions.status })
    .from(exceptions)
    .where(and(eq(exceptions.code, input.code), eq(exceptions.subjectKey, input.subjectKey)))
    .for("update");
  const [row] = await tx
    .insert(exceptions)
    .values({
      code: input.code,
      owner,
      severity,
      subjectType: input.subjectType,
      subjectKey: input.subjectKey,
      subjectLabel: input.subjectLabel,
      message: input.message,
      suggestedFix: input.suggestedFix,
      sourceSystem: input.sourceSystem ?? null,
      legalEntityId: input.legalEntityId ?? null,
      projectId: input.projectId ?? null,
      employeeId: input.employeeId ?? null,
      details: input.details ?? {},
    })
    .onConflictDoUpdate({
      target: [exceptions.code, exceptions.subjectKey],
      set: {
        status: "open",
        message: input.message,
        details: input.details ?? {},
        resolvedAt: null,
        resolution: null,
        resolvedBy: null,
        resolutionNote: null,
        lastSeenAt: sql`now()`,
        occurrences: sql`${exceptions.occurrences} + 1`,
        version: sql`${exceptions.version} + 1`,
        updatedAt: sql`now()`,
      },
    })
    .returning({ id: exceptions.id });
  const id = row!.id;

  const link = input.link;
  await tx
    .insert(exceptionEntries)
    .values({
      exceptionId: id,
      timeEntryId: link.timeEntryId ?? null,
      rawRecordId: link.rawRecordId ?? null,
      workDate: link.workDate ?? null,
      hours: link.hours ?? "0",
      value: link.value ?? null,
      currency: link.currency ?? null,
    })
    .onConflictDoNothing();

  await tx.execute(sql`
    update exceptions e set entries_count = x.n, hours_at_stake = x.hours, value_at_stake = x.value,
      currency = x.currency, oldest_work_date = x.oldest
    from (select count(*)::int as n, coalesce(sum(hours), 0) as hours,
                 case when count(distinct currency) = 1 then sum(value) end as value,
                 case when count(distinct currency) = 1 then min(currency) end as currency, min(work_date) as oldest
          from exception_entries where exception_id = ${id}) x
    where e.id = ${id}`);

  await tx.insert(exceptionEvents).values({
    exceptionId: id,
    actorLabel,
    kind: !prev ? "raised" : prev.status === "open" ? "repeated" : "reopened",
    message: input.message,
    data: input.details ?? {},
  });
  return id;
}

/**
 * Resolves the open (or ignored) exceptions of these codes about one subject, because what
 * they reported is over (e.g. the ERP accepted a posting it had refused), with an event
 * saying so. Returns how many were resolved.
 */
export async function resolveExceptions(
  tx: Tx,
  actorLabel: string,
  input: {
    codes: ExceptionCode[];
    subjectKey: string;
    message: string;
    data?: Record<string, unknown>;
    /** per code, the `details.kind` an exception must have to be resolved (others of that code stay open) */
    onlyDetailsKind?: Partial<Record<ExceptionCode, string>>;
  },
): Promise<number> {
  const kinds = Object.entries(input.onlyDetailsKind ?? {});
  const byKind = kinds.length
    ? and(...kinds.map(([code, kind]) => sql`(${exceptions.code} <> ${code} or ${exceptions.details}->>'kind' = ${kind})`))
    : undefined;
  const resolved = await tx
    .update(exceptions)
    .set({ status: "resolved", resolution: "auto", resolvedAt: sql`now()`, resolvedBy: actorLabel, version: sql`${exceptions.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(exceptions.subjectKey, input.subjectKey), inArray(exceptions.code, input.codes), inArray(exceptions.status, ["open", "ignored"]), byKind))
    .returning({ id: exceptions.id });
  if (resolved.length) {
    await tx.insert(exceptionEvents).values(resolved.map((x) => ({ exceptionId: x.id, actorLabel, kind: "auto_resolved", message: input.message, data: input.data ?? {} })));
  }
  return resolved.length;
}
