import { and, eq, gte, inArray, lte, notInArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import {
  accountingPeriods,
  billRates,
  costRates,
  employees,
  fxRates,
  idMappings,
  laborCategories,
  legalEntities,
  projects,
  sourceRefs,
  timeEntries,
} from "../../db/schema";
import { distinctTuples, notInValues, tuplesIn } from "../../db/tuples";
import { addDays, type LookupData } from "@/sync/rules/lookups";
import { FX_LOOKBACK_DAYS } from "@/sync/rules/lookups";
import type { EntryForValidation } from "@/sync/rules/types";
import { sameWorkKey } from "@/sync/rules/validate";

const uniq = <T>(xs: T[]) => [...new Set(xs)];

/**
 * Everything the rules need for a batch, in a fixed number of queries whatever the batch
 * size (thirteen): mappings, labels, master data, rates, periods, FX, and the facts about
 * entries outside the batch (committed cap amounts, hours on the same days, same work).
 */
export async function loadLookupData(
  db: DbOrTx,
  batch: EntryForValidation[],
  reportingCurrency: string,
): Promise<LookupData> {
  const batchIds = batch.map((e) => e.id);
  const keys = distinctTuples(
    batch.flatMap((e) => [
      [e.sourceSystem, "project", e.sourceProjectId] as const,
      [e.sourceSystem, "task", e.sourceTaskId] as const,
      [e.sourceSystem, "user", e.sourceUserId] as const,
    ]),
  );

  const mappings = await db
    .select({
      kind: idMappings.kind,
      sourceSystem: idMappings.sourceSystem,
      externalId: idMappings.externalId,
      targetId: idMappings.targetId,
      targetErpId: idMappings.targetErpId,
      validFrom: idMappings.validFrom,
      validTo: idMappings.validTo,
    })
    .from(idMappings)
    .where(and(eq(idMappings.active, true), tuplesIn([idMappings.sourceSystem, idMappings.kind, idMappings.externalId], keys)));

  const sourceLabels = await db
    .select({ kind: sourceRefs.kind, sourceSystem: sourceRefs.sourceSystem, externalId: sourceRefs.externalId, code: sourceRefs.code, name: sourceRefs.name })
    .from(sourceRefs)
    .where(tuplesIn([sourceRefs.sourceSystem, sourceRefs.kind, sourceRefs.externalId], keys));

  const targets = (kind: string) => uniq(mappings.filter((m) => m.kind === kind).map((m) => m.targetId));
  const projectIds = targets("project");
  const employeeIds = targets("user");
  const categoryIds = targets("task");

  const projectRows = projectIds.length
    ? await db
        .select({
          id: projects.id,
          erpId: projects.erpId,
          code: projects.code,
          name: projects.name,
          status: projects.status,
          contractType: projects.contractType,
          billingCap: projects.billingCap,
          currency: projects.currency,
          legalEntityId: projects.legalEntityId,
          region: projects.region,
          businessUnit: projects.businessUnit,
        })
        .from(projects)
        .where(inArray(projects.id, projectIds))
    : [];
  const employeeRows = employeeIds.length
    ? await db
        .select({ id: employees.id, erpId: employees.erpId, name: employees.name, legalEntityId: employees.legalEntityId, region: employees.region })
        .from(employees)
        .where(inArray(employees.id, employeeIds))
    : [];
  const categoryRows = categoryIds.length
    ? await db
        .select({ id: laborCategories.id, erpItemId: laborCategories.erpItemId, code: laborCategories.code, name: laborCategories.name, billable: laborCategories.billable })
        .from(laborCategories)
        .where(inArray(laborCategories.id, categoryIds))
    : [];
  const entityRows = await db
    .select({
      id: legalEntities.id,
      code: legalEntities.code,
      name: legalEntities.name,
      erpSubsidiaryId: legalEntities.erpSubsidiaryId,
      functionalCurrency: legalEntities.functionalCurrency,
      region: legalEntities.region,
    })
    .from(legalEntities);

  const billRateRows = categoryIds.length
    ? await db
        .select({ projectId: billRates.projectId, laborCategoryId: billRates.laborCategoryId, rate: billRates.rate, currency: billRates.currency, validFrom: billRates.validFrom, validTo: billRates.validTo })
        .from(billRates)
        .where(inArray(billRates.laborCategoryId, categoryIds))
    : [];
  const costRateRows = employeeIds.length
    ? await db
        .select({ employeeId: costRates.employeeId, rate: costRates.rate, currency: costRates.currency, validFrom: costRates.validFrom, validTo: costRates.validTo })
        .from(costRates)
        .where(inArray(costRates.employeeId, employeeIds))
    : [];

  const entityIds = uniq(projectRows.map((p) => p.legalEntityId));
  const periodRows = entityIds.length
    ? await db
        .select({ legalEntityId: accountingPeriods.legalEntityId, period: accountingPeriods.period, status: accountingPeriods.status })
        .from(accountingPeriods)
        .where(inArray(accountingPeriods.legalEntityId, entityIds))
    : [];

  const days = batch.map((e) => e.workDate).sort();
  const fxRows =
    days.length > 0
      ? await db
          .select({ from: fxRates.fromCurrency, to: fxRates.toCurrency, day: fxRates.rateDate, rate: fxRates.rate })
          .from(fxRates)
          .where(
            and(
              eq(fxRates.toCurrency, reportingCurrency),
              gte(fxRates.rateDate, addDays(days[0]!, -FX_LOOKBACK_DAYS)),
              lte(fxRates.rateDate, days[days.length - 1]!),
            ),
          )
      : [];

  const cappedIds = projectRows.filter((p) => p.billingCap !== null).map((p) => p.id);
  const committed = cappedIds.length
    ? await db
        .select({ projectId: sql<string>`${timeEntries.projectId}`, amount: sql<string>`coalesce(sum(${timeEntries.billAmount}), 0)::text` })
        .from(timeEntries)
        .where(
          and(
            inArray(timeEntries.projectId, cappedIds),
            notInValues(timeEntries.id, batchIds),
            sql`(${timeEntries.state} in ('posted', 'billed') or (${timeEntries.state} = 'approved' and exists (
              select 1 from erp_postings p where p.time_entry_id = ${timeEntries.id} and p.kind = 'create'
                and p.entry_version = ${timeEntries.version} and p.status in ('pending', 'sent', 'accepted'))))`,
          ),
        )
        .groupBy(timeEntries.projectId)
    : [];

  const personDays = distinctTuples(batch.map((e) => [e.sourceSystem, e.sourceUserId, e.workDate] as const));
  const otherHours = await db
    .select({
      sourceSystem: timeEntries.sourceSystem,
      sourceUserId: timeEntries.sourceUserId,
      day: timeEntries.workDate,
      hours: sql<string>`sum(${timeEntries.hours})::text`,
    })
    .from(timeEntries)
    .where(
      and(
        tuplesIn([timeEntries.sourceSystem, timeEntries.sourceUserId, timeEntries.workDate], personDays),
        inArray(timeEntries.state, ["approved", "posted", "billed"]),
        // as inside the batch, an entry invalid on its own does not count towards its day
        sql`${timeEntries.hours} > 0 and ${timeEntries.hours} <= 24`,
        notInValues(timeEntries.id, batchIds),
      ),
    )
    .groupBy(timeEntries.sourceSystem, timeEntries.sourceUserId, timeEntries.workDate);

  const workKeys = distinctTuples(batch.map((e) => [e.sourceSystem, e.sourceUserId, e.workDate, e.sourceProjectId] as const));
  const sameWorkRows = await db
    .select({
      sourceSystem: timeEntries.sourceSystem,
      sourceUserId: timeEntries.sourceUserId,
      workDate: timeEntries.workDate,
      sourceProjectId: timeEntries.sourceProjectId,
      hours: timeEntries.hours,
      sourceId: timeEntries.sourceId,
      state: timeEntries.state,
    })
    .from(timeEntries)
    .where(
      and(
        tuplesIn([timeEntries.sourceSystem, timeEntries.sourceUserId, timeEntries.workDate, timeEntries.sourceProjectId], workKeys),
        notInArray(timeEntries.state, ["void", "rejected"]),
        notInValues(timeEntries.id, batchIds),
      ),
    );
  const batchWorkKeys = new Set(batch.map(sameWorkKey));
  const sameWork = sameWorkRows
    .map((r) => ({
      key: sameWorkKey({ ...r, hours: r.hours } as EntryForValidation),
      sourceId: r.sourceId,
      inErp: r.state === "posted" || r.state === "billed",
    }))
    .filter((r) => batchWorkKeys.has(r.key));

  return {
    reportingCurrency,
    mappings,
    sourceLabels,
    projects: projectRows,
    employees: employeeRows,
    laborCategories: categoryRows,
    entities: entityRows,
    billRates: billRateRows,
    costRates: costRateRows,
    periods: periodRows,
    fxRates: fxRows,
    committed,
    otherHours,
    sameWork,
  };
}
