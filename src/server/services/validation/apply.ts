import { and, eq, inArray, notInArray, sql } from "drizzle-orm";
import type { Tx } from "../../db/client";
import { erpPostings, exceptionEntries, exceptionEvents, exceptions, timeEntries } from "../../db/schema";
import { tuplesIn } from "../../db/tuples";
import { idempotencyKey } from "../../domain/idempotency";
import { canonicalPostingRequest } from "../../domain/posting";
import type { ExceptionCode } from "../../domain/enums";
import type { EntryForValidation, EntryVerdict, RuleFailure } from "@/sync/rules/types";
import { whatChanged } from "./what-changed";

/** The codes validation raises and may resolve by itself; others (ERP, payload) have their own life cycle. */
export const VALIDATION_CODES: ExceptionCode[] = [
  "PROJECT_UNMAPPED",
  "TASK_UNMAPPED",
  "EMPLOYEE_UNMAPPED",
  "PROJECT_NOT_ACTIVE",
  "HOURS_INVALID",
  "BILL_RATE_MISSING",
  "COST_RATE_MISSING",
  "PERIOD_CLOSED",
  "BILLING_CAP_EXCEEDED",
  "DUPLICATE_SUSPECTED",
  "FX_RATE_MISSING",
];

export type ApplySummary = {
  passed: number;
  failed: number;
  postingsCreated: number;
  exceptionsRaised: number;
  exceptionsReopened: number;
  exceptionsAutoResolved: number;
};

type Ctx = { tx: Tx; actorLabel: string; correlationId: string };

/**
 * Writes a batch's verdicts in the caller's transaction: passing entries get their
 * enrichment and a pending posting (keyed by source, id and version, so nothing posts
 * twice); failures upsert their exceptions by (code, subject) and link the entries they
 * block; exceptions left with nothing to block resolve themselves, saying what changed.
 * A statement count independent of the batch size. Applying the same verdicts twice
 * changes nothing.
 */
export async function applyVerdicts(ctx: Ctx, entries: EntryForValidation[], verdicts: EntryVerdict[]): Promise<ApplySummary> {
  const { tx } = ctx;
  const byId = new Map(entries.map((e) => [e.id, e]));
  const passed = verdicts.filter((v): v is Extract<EntryVerdict, { ok: true }> => v.ok);
  const failed = verdicts.filter((v): v is Extract<EntryVerdict, { ok: false }> => !v.ok);

  // 1. enrichment of passing entries (only where it differs)
  if (passed.length) {
    const rows = passed.map((v) => {
      const e = v.enrichment;
      return sql`(${v.entryId}::uuid, ${e.employeeId}::uuid, ${e.projectId}::uuid, ${e.laborCategoryId}::uuid, ${e.legalEntityId}::uuid, ${e.currency}, ${e.billRate}::numeric, ${e.costRate}::numeric, ${e.billAmount}::numeric, ${e.costAmount}::numeric)`;
    });
    await tx.execute(sql`
      update time_entries t set
        employee_id = v.employee_id, project_id = v.project_id, labor_category_id = v.labor_category_id,
        legal_entity_id = v.legal_entity_id, currency = v.currency, bill_rate = v.bill_rate, cost_rate = v.cost_rate,
        bill_amount = v.bill_amount, cost_amount = v.cost_amount, updated_at = now()
      from (values ${sql.join(rows, sql`, `)}) as v(id, employee_id, project_id, labor_category_id, legal_entity_id, currency, bill_rate, cost_rate, bill_amount, cost_amount)
      where t.id = v.id and (t.employee_id, t.project_id, t.labor_category_id, t.legal_entity_id, t.currency, t.bill_rate, t.cost_rate, t.bill_amount, t.cost_amount)
        is distinct from (v.employee_id, v.project_id, v.labor_category_id, v.legal_entity_id, v.currency::char(3), v.bill_rate, v.cost_rate, v.bill_amount, v.cost_amount)`);
  }

  // 2. the outbox
  let postingsCreated = 0;
  if (passed.length) {
    const created = await tx
      .insert(erpPostings)
      .values(
        passed.map((v) => {
          const e = byId.get(v.entryId)!;
          return {
            timeEntryId: e.id,
            kind: "create" as const,
            entryVersion: e.version,
            idempotencyKey: idempotencyKey({ sourceSystem: e.sourceSystem, sourceId: e.sourceId, version: e.version, kind: "create" }),
            request: canonicalPostingRequest({ ...e, billRate: v.enrichment.billRate, currency: v.enrichment.currency, erp: v.enrichment.erp }),
            legalEntityId: v.enrichment.legalEntityId,
            hours: e.hours,
            amount: v.enrichment.billAmount,
            currency: v.enrichment.currency,
            correlationId: ctx.correlationId,
          };
        }),
      )
      // a version the ERP refused and that passes again (an explicit retry) is queued anew under
      // the same key, with its request rebuilt; anything else already queued stays as it is
      .onConflictDoUpdate({
        target: erpPostings.idempotencyKey,
        set: {
          request: sql`excluded.request`,
          legalEntityId: sql`excluded.legal_entity_id`,
          hours: sql`excluded.hours`,
          amount: sql`excluded.amount`,
          currency: sql`excluded.currency`,
          correlationId: sql`excluded.correlation_id`,
          status: "pending",
          attempts: 0,
          nextAttemptAt: sql`now()`,
          response: null,
          updatedAt: sql`now()`,
        },
        setWhere: sql`${erpPostings.status} = 'rejected'`,
      })
      .returning({ id: erpPostings.id });
    postingsCreated = created.length;
  }

  // 3. one exception per (code, subject): create the new, reopen the resolved
  const subjects = new Map<string, RuleFailure>();
  for (const v of failed) for (const f of v.failures) if (!subjects.has(`${f.code}|${f.subjectKey}`)) subjects.set(`${f.code}|${f.subjectKey}`, f);
  const subjectTuples = [...subjects.values()].map((f) => [f.code, f.subjectKey] as const);
  const existing = subjectTuples.length
    ? await tx
        .select({ id: exceptions.id, code: exceptions.code, subjectKey: exceptions.subjectKey, status: exceptions.status, ignoredUntil: exceptions.ignoredUntil })
        .from(exceptions)
        .where(tuplesIn([exceptions.code, exceptions.subjectKey], subjectTuples))
        .for("update")
    : [];
  const known = new Map(existing.map((x) => [`${x.code}|${x.subjectKey}`, x]));
  const idOf = new Map(existing.map((x) => [`${x.code}|${x.subjectKey}`, x.id]));

  const fresh = [...subjects.entries()].filter(([k]) => !known.has(k));
  let exceptionsRaised = 0;
  if (fresh.length) {
    const inserted = await tx
      .insert(exceptions)
      .values(
        fresh.map(([, f]) => {
          return {
            code: f.code,
            owner: f.owner,
            severity: f.severity,
            subjectType: f.subjectType,
            subjectKey: f.subjectKey,
            subjectLabel: f.subjectLabel,
            message: f.message,
            suggestedFix: f.suggestedFix,
            details: f.details ?? {},
            occurrences: 0,
            sourceSystem: sourceSystemOf(f),
            ...f.scope,
          };
        }),
      )
      .onConflictDoNothing({ target: [exceptions.code, exceptions.subjectKey] })
      .returning({ id: exceptions.id, code: exceptions.code, subjectKey: exceptions.subjectKey });
    for (const x of inserted) idOf.set(`${x.code}|${x.subjectKey}`, x.id);
    exceptionsRaised = inserted.length;
    if (inserted.length) {
      await tx.insert(exceptionEvents).values(
        inserted.map((x) => ({
          exceptionId: x.id,
          actorLabel: ctx.actorLabel,
          kind: "raised",
          message: `Raised by validation: ${subjects.get(`${x.code}|${x.subjectKey}`)!.message}`,
        })),
      );
    }
  }

  const reopen = existing.filter(
    (x) => x.status === "resolved" || (x.status === "ignored" && x.ignoredUntil !== null && x.ignoredUntil <= new Date()),
  );
  if (reopen.length) {
    await tx
      .update(exceptions)
      .set({
        status: "open",
        resolvedAt: null,
        resolution: null,
        resolutionNote: null,
        resolvedBy: null,
        ignoredUntil: null,
        lastSeenAt: sql`now()`,
        version: sql`${exceptions.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(inArray(exceptions.id, reopen.map((x) => x.id)));
    await tx.insert(exceptionEvents).values(
      reopen.map((x) => ({
        exceptionId: x.id,
        actorLabel: ctx.actorLabel,
        kind: "reopened",
        message: `Reopened: validation failed again (${subjects.get(`${x.code}|${x.subjectKey}`)!.message})`,
      })),
    );
  }

  // 4. links: which validation exceptions each entry of the batch now hits
  const batchIds = entries.map((e) => e.id);
  const links = failed.flatMap((v) => {
    const e = byId.get(v.entryId)!;
    const seen = new Set<string>();
    return v.failures.flatMap((f) => {
      const exceptionId = idOf.get(`${f.code}|${f.subjectKey}`)!;
      if (seen.has(exceptionId)) return [];
      seen.add(exceptionId);
      return [{ exceptionId, timeEntryId: e.id, workDate: e.workDate, hours: f.hoursAtStake, value: f.valueAtStake, currency: f.currency, valueReporting: f.valueReporting }];
    });
  });
  const validationExceptionIds = tx
    .select({ id: exceptions.id })
    .from(exceptions)
    .where(inArray(exceptions.code, VALIDATION_CODES));
  const removed = await tx
    .delete(exceptionEntries)
    .where(
      and(
        inArray(exceptionEntries.timeEntryId, batchIds),
        inArray(exceptionEntries.exceptionId, validationExceptionIds),
        links.length
          ? sql`not ${tuplesIn([exceptionEntries.exceptionId, exceptionEntries.timeEntryId], links.map((l) => [l.exceptionId, l.timeEntryId]))}`
          : undefined,
      ),
    )
    .returning({ exceptionId: exceptionEntries.exceptionId, timeEntryId: exceptionEntries.timeEntryId });

  const added = links.length
    ? await tx
        .insert(exceptionEntries)
        .values(links)
        .onConflictDoUpdate({
          target: [exceptionEntries.exceptionId, exceptionEntries.timeEntryId],
          targetWhere: sql`${exceptionEntries.timeEntryId} is not null`,
          set: {
            workDate: sql`excluded.work_date`,
            hours: sql`excluded.hours`,
            value: sql`excluded.value`,
            currency: sql`excluded.currency`,
            valueReporting: sql`excluded.value_reporting`,
          },
          setWhere: sql`(${exceptionEntries.workDate}, ${exceptionEntries.hours}, ${exceptionEntries.value}, ${exceptionEntries.currency}, ${exceptionEntries.valueReporting})
            is distinct from (excluded.work_date, excluded.hours, excluded.value, excluded.currency, excluded.value_reporting)`,
        })
        .returning({ exceptionId: exceptionEntries.exceptionId, inserted: sql<boolean>`(xmax = 0)` })
    : [];

  // 5. occurrences and last seen count newly blocked entries only: re-validating changes nothing
  const newLinks = new Map<string, number>();
  for (const a of added) if (a.inserted) newLinks.set(a.exceptionId, (newLinks.get(a.exceptionId) ?? 0) + 1);
  if (newLinks.size) {
    const rows = [...newLinks.entries()].map(([id, n]) => sql`(${id}::uuid, ${n}::int)`);
    await tx.execute(sql`
      update exceptions e set occurrences = e.occurrences + v.n, last_seen_at = now(), updated_at = now()
      from (values ${sql.join(rows, sql`, `)}) as v(id, n) where e.id = v.id`);
  }

  // 6. totals from the links, for every exception the batch touched
  const touched = [...new Set([...removed.map((r) => r.exceptionId), ...added.map((a) => a.exceptionId)])];
  if (touched.length) {
    await tx.execute(sql`
      update exceptions e set
        entries_count = coalesce(a.n, 0),
        hours_at_stake = coalesce(a.hours, 0),
        value_at_stake = case when a.currencies = 1 then a.value end,
        currency = case when a.currencies = 1 then a.currency end,
        value_reporting = a.value_reporting,
        oldest_work_date = a.oldest,
        updated_at = now()
      from (select t.id, x.n, x.hours, x.value, x.currency, x.currencies, x.value_reporting, x.oldest
            from unnest(array[${sql.join(touched.map((id) => sql`${id}`), sql`, `)}]::uuid[]) as t(id)
            left join lateral (
              select count(*)::int as n, sum(l.hours) as hours, sum(l.value) as value, min(l.currency) as currency,
                     count(distinct l.currency) as currencies, sum(l.value_reporting) as value_reporting, min(l.work_date) as oldest
              from exception_entries l where l.exception_id = t.id) x on true) a
      where e.id = a.id
        and (e.entries_count, e.hours_at_stake, e.value_at_stake, e.currency, e.value_reporting, e.oldest_work_date)
          is distinct from (coalesce(a.n, 0), coalesce(a.hours, 0), case when a.currencies = 1 then a.value end,
                            case when a.currencies = 1 then a.currency end, a.value_reporting, a.oldest)`);
  }

  // 7. exceptions with nothing left to block resolve themselves
  let exceptionsAutoResolved = 0;
  if (touched.length) {
    const resolved = await tx
      .update(exceptions)
      .set({
        status: "resolved",
        resolution: "auto",
        resolvedAt: sql`now()`,
        resolvedBy: ctx.actorLabel,
        version: sql`${exceptions.version} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          inArray(exceptions.id, touched),
          inArray(exceptions.status, ["open", "ignored"]),
          eq(exceptions.entriesCount, 0),
          inArray(exceptions.code, VALIDATION_CODES),
        ),
      )
      .returning({ id: exceptions.id, code: exceptions.code });
    exceptionsAutoResolved = resolved.length;
    if (resolved.length) {
      const passedById = new Map(passed.map((v) => [v.entryId, v.enrichment]));
      await tx.insert(exceptionEvents).values(
        resolved.map((x) => {
          const freed = removed.filter((r) => r.exceptionId === x.id).map((r) => r.timeEntryId!);
          const example = freed.map((id) => passedById.get(id)).find(Boolean) ?? null;
          const change = whatChanged(x.code as ExceptionCode, example);
          return {
            exceptionId: x.id,
            actorLabel: ctx.actorLabel,
            kind: "auto_resolved",
            message: `Resolved automatically: ${change}. ${freed.length} ${freed.length === 1 ? "entry" : "entries"} re-validated.`,
            data: { change, entries: freed.length, nowPosting: freed.filter((id) => passedById.has(id)).length },
          };
        }),
      );
    }
  }

  return {
    passed: passed.length,
    failed: failed.length,
    postingsCreated,
    exceptionsRaised,
    exceptionsReopened: reopen.length,
    exceptionsAutoResolved,
  };
}

/** The source system named in a subject key (source-project:harvest:123, entry:harvest:9…). */
function sourceSystemOf(f: RuleFailure): "harvest" | "clockify" | "csv" | undefined {
  const part = f.subjectKey.split(":")[1];
  return part === "harvest" || part === "clockify" || part === "csv" ? part : undefined;
}
