/**
 * Variances planted on the ERP's side of the demo, so that a reconciliation of the demo finds
 * one of each class that only the ERP can cause (docs/reconciliation.md, "What the demo plants").
 * The demo's canonical side brings the other classes by itself: approved entries still waiting
 * (not yet posted) and posted billable history not yet invoiced.
 *
 * Where: the first legal entity (by code) whose accounting period of the last history month (the
 * month before `calendar.historyBefore`) is open — all of that month's approved time was posted
 * to the ERP in the demo's history. What, on that entity's time bills of that month:
 *
 *   amount_mismatch    a billable time bill's rate raised by 10.00
 *   hours_mismatch     another billable time bill's hours raised by 1.00
 *   duplicated_in_erp  a third billable time bill booked a second time, with the memo naming the same entry
 *   unknown_in_erp     a time bill booked directly in the ERP (3 h, memo "Manual adjustment booked in the ERP")
 *   missing_in_erp     a non-billable time bill deleted from the ERP
 *
 * Pure planning (deterministic for the demo's seed and day) and one function applying the plan
 * to the NetSuite simulator's tables.
 */
import type postgres from "postgres";
import type { DemoData } from "./generate";

export type ErpVarianceClass = "amount_mismatch" | "hours_mismatch" | "duplicated_in_erp" | "unknown_in_erp" | "missing_in_erp";

export type ErpVariancePlant = {
  varianceClass: ErpVarianceClass;
  what: string;
  /** the time bill changed, copied or deleted (for unknown_in_erp: the one whose employee, job and item it borrows) */
  timeBillId: string;
  /** the entry (source system and id) the time bill belongs to, when one does */
  entry: { sourceSystem: string; sourceId: string; version: number } | null;
  workDate: string;
};

export type ErpVariancePlan = { entityId: string; entityCode: string; subsidiaryId: string; period: string; plants: ErpVariancePlant[] };

const MEMO_LABEL: Record<string, string> = { harvest: "Harvest", clockify: "Clockify", csv: "CSV" };

const previousDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);

/** Which time bills to change, or null when the demo has no open period with posted history. */
export function planErpVariances(d: DemoData): ErpVariancePlan | null {
  const period = previousDay(d.calendar.historyBefore).slice(0, 7);
  const entity = [...d.legalEntities]
    .sort((a, b) => a.code.localeCompare(b.code))
    .find((e) => d.accountingPeriods.some((p) => p.legalEntityId === e.id && p.period === period && (p.status ?? "open") === "open"));
  if (!entity) return null;
  const projectEntity = new Map(d.projects.map((p) => [p.id, p.legalEntityId]));
  const billable: { erpId: string; sourceSystem: string; sourceId: string; version: number; workDate: string }[] = [];
  let internal: (typeof billable)[number] | null = null;
  for (const chunk of d.timeEntryChunks(5000)) {
    for (const { entry: e } of chunk) {
      if (!e.erpId || !e.projectId || (e.state !== "posted" && e.state !== "billed")) continue;
      if (!e.workDate.startsWith(period) || projectEntity.get(e.projectId) !== entity.id) continue;
      const ref = { erpId: e.erpId, sourceSystem: e.sourceSystem, sourceId: e.sourceId, version: e.version ?? 1, workDate: e.workDate };
      if (e.billable && billable.length < 4) billable.push(ref);
      else if (!e.billable && !internal) internal = ref;
    }
    if (billable.length >= 4 && internal) break;
  }
  if (billable.length < 4 || !internal) return null;
  const [a, b, c, u] = billable as [typeof internal, typeof internal, typeof internal, typeof internal];
  const entry = (r: typeof internal) => ({ sourceSystem: r.sourceSystem, sourceId: r.sourceId, version: r.version });
  return {
    entityId: entity.id,
    entityCode: entity.code,
    subsidiaryId: entity.erpSubsidiaryId,
    period,
    plants: [
      { varianceClass: "amount_mismatch", what: "rate raised by 10.00 in the ERP", timeBillId: a.erpId, entry: entry(a), workDate: a.workDate },
      { varianceClass: "hours_mismatch", what: "hours raised by 1.00 in the ERP", timeBillId: b.erpId, entry: entry(b), workDate: b.workDate },
      { varianceClass: "duplicated_in_erp", what: "booked a second time in the ERP", timeBillId: c.erpId, entry: entry(c), workDate: c.workDate },
      { varianceClass: "unknown_in_erp", what: "3 h booked directly in the ERP", timeBillId: u.erpId, entry: null, workDate: u.workDate },
      { varianceClass: "missing_in_erp", what: "deleted from the ERP", timeBillId: internal.erpId, entry: entry(internal), workDate: internal.workDate },
    ],
  };
}

/**
 * Applies the plan to the simulator's tables (in the seed's transaction). New time bills take the
 * simulator's next ids. Returns the ids of the time bills it created, by class.
 */
export async function plantErpVariances(tx: postgres.TransactionSql | postgres.Sql, plan: ErpVariancePlan): Promise<Partial<Record<ErpVarianceClass, string>>> {
  const created: Partial<Record<ErpVarianceClass, string>> = {};
  for (const p of plan.plants) {
    switch (p.varianceClass) {
      case "amount_mismatch":
        await tx.unsafe(`update sim_netsuite.timebill set rate = coalesce(rate, 0) + 10, lastmodifieddate = now() where id = $1`, [p.timeBillId]);
        break;
      case "hours_mismatch":
        await tx.unsafe(`update sim_netsuite.timebill set hours = hours + 1, lastmodifieddate = now() where id = $1`, [p.timeBillId]);
        break;
      case "duplicated_in_erp": {
        const memo = `${MEMO_LABEL[p.entry!.sourceSystem] ?? p.entry!.sourceSystem} ${p.entry!.sourceId} v${p.entry!.version}`;
        const [row] = await tx.unsafe(
          `insert into sim_netsuite.timebill (id, employee, customer, item, subsidiary, hours, rate, isbillable, trandate, memo, approvalstatus)
           select nextval('sim_netsuite.timebill_seq')::text, employee, customer, item, subsidiary, hours, rate, isbillable, trandate, $2, approvalstatus
           from sim_netsuite.timebill where id = $1 returning id`,
          [p.timeBillId, memo],
        );
        created.duplicated_in_erp = row!.id as string;
        break;
      }
      case "unknown_in_erp": {
        const [row] = await tx.unsafe(
          `insert into sim_netsuite.timebill (id, employee, customer, item, subsidiary, hours, rate, isbillable, trandate, memo, approvalstatus)
           select nextval('sim_netsuite.timebill_seq')::text, employee, customer, item, subsidiary, 3, rate, true, trandate, 'Manual adjustment booked in the ERP', '3'
           from sim_netsuite.timebill where id = $1 returning id`,
          [p.timeBillId],
        );
        created.unknown_in_erp = row!.id as string;
        break;
      }
      case "missing_in_erp":
        await tx.unsafe(`delete from sim_netsuite.transactionline where timebill = $1`, [p.timeBillId]);
        await tx.unsafe(`delete from sim_netsuite.timebill where id = $1`, [p.timeBillId]);
        break;
    }
  }
  return created;
}
