import type { SourceSystem } from "@/server/domain/enums";
import type {
  EmployeeInfo,
  EntityInfo,
  EntryForValidation,
  IsoDate,
  LaborCategoryInfo,
  Lookups,
  MappingKindForRules,
  ProjectInfo,
  Rate,
} from "./types";
import { sameWorkKey } from "./validate";

/** The rows a batch's lookups are built from; loaded by one query each, or written by hand in tests. */
export type LookupData = {
  reportingCurrency: string;
  mappings: {
    kind: string;
    sourceSystem: SourceSystem;
    externalId: string;
    targetId: string;
    targetErpId: string;
    validFrom: IsoDate | null;
    validTo: IsoDate | null;
  }[];
  sourceLabels: { kind: string; sourceSystem: SourceSystem; externalId: string; code: string | null; name: string }[];
  projects: ProjectInfo[];
  employees: EmployeeInfo[];
  laborCategories: LaborCategoryInfo[];
  entities: EntityInfo[];
  billRates: { projectId: string | null; laborCategoryId: string; rate: string; currency: string; validFrom: IsoDate; validTo: IsoDate | null }[];
  costRates: { employeeId: string; rate: string; currency: string; validFrom: IsoDate; validTo: IsoDate | null }[];
  periods: { legalEntityId: string; period: string; status: "open" | "closed" }[];
  fxRates: { from: string; to: string; day: IsoDate; rate: string }[];
  committed: { projectId: string; amount: string }[];
  otherHours: { sourceSystem: SourceSystem; sourceUserId: string; day: IsoDate; hours: string }[];
  /** entries outside the batch, keyed like sameWorkKey() */
  sameWork: { key: string; sourceId: string; inErp: boolean }[];
};

/** How far back an FX rate may be taken from (weekends, holidays). */
export const FX_LOOKBACK_DAYS = 3;

const within = (day: IsoDate, from: IsoDate | null, to: IsoDate | null) => (!from || from <= day) && (!to || day <= to);

export function addDays(day: IsoDate, n: number): IsoDate {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

function groupBy<T>(rows: T[], key: (r: T) => string): Map<string, T[]> {
  const m = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = m.get(k);
    if (list) list.push(r);
    else m.set(k, [r]);
  }
  return m;
}

/** Lookups over preloaded rows: pure functions, no I/O. */
export function buildLookups(data: LookupData): Lookups {
  const mappings = groupBy(data.mappings, (m) => `${m.kind}|${m.sourceSystem}|${m.externalId}`);
  const labels = new Map(data.sourceLabels.map((l) => [`${l.kind}|${l.sourceSystem}|${l.externalId}`, l]));
  const projects = new Map(data.projects.map((p) => [p.id, p]));
  const employees = new Map(data.employees.map((e) => [e.id, e]));
  const categories = new Map(data.laborCategories.map((c) => [c.id, c]));
  const entities = new Map(data.entities.map((e) => [e.id, e]));
  const billRates = groupBy(data.billRates, (r) => `${r.laborCategoryId}|${r.projectId ?? "*"}`);
  const costRates = groupBy(data.costRates, (r) => r.employeeId);
  const periods = new Map(data.periods.map((p) => [`${p.legalEntityId}|${p.period}`, p.status]));
  const fx = new Map(data.fxRates.map((r) => [`${r.from}|${r.to}|${r.day}`, r.rate]));
  const committed = new Map(data.committed.map((c) => [c.projectId, c.amount]));
  const otherHours = new Map(data.otherHours.map((h) => [`${h.sourceSystem}|${h.sourceUserId}|${h.day}`, h.hours]));
  const sameWork = groupBy(data.sameWork, (s) => s.key);

  const rateOn = <T extends { validFrom: IsoDate; validTo: IsoDate | null; rate: string; currency: string }>(
    rows: T[] | undefined,
    day: IsoDate,
    currency?: string,
  ): Rate | null => {
    // the latest-starting rate in effect wins, should two ever overlap
    const hit = (rows ?? [])
      .filter((r) => within(day, r.validFrom, r.validTo) && (!currency || r.currency === currency))
      .sort((a, b) => (a.validFrom < b.validFrom ? 1 : -1))[0];
    return hit ? { rate: hit.rate, currency: hit.currency } : null;
  };

  return {
    reportingCurrency: data.reportingCurrency,
    mapping(kind: MappingKindForRules, s, externalId, on) {
      const hit = (mappings.get(`${kind}|${s}|${externalId}`) ?? [])
        .filter((m) => within(on, m.validFrom, m.validTo))
        .sort((a, b) => ((a.validFrom ?? "") < (b.validFrom ?? "") ? 1 : -1))[0];
      return hit ? { targetId: hit.targetId, targetErpId: hit.targetErpId } : null;
    },
    sourceLabel(kind, s, externalId) {
      const l = labels.get(`${kind}|${s}|${externalId}`);
      return l ? { code: l.code, name: l.name } : null;
    },
    project: (id) => projects.get(id) ?? null,
    employee: (id) => employees.get(id) ?? null,
    laborCategory: (id) => categories.get(id) ?? null,
    entity: (id) => entities.get(id) ?? null,
    billRate(projectId, laborCategoryId, on) {
      const currency = projects.get(projectId)?.currency;
      return (
        rateOn(billRates.get(`${laborCategoryId}|${projectId}`), on, currency) ??
        rateOn(billRates.get(`${laborCategoryId}|*`), on, currency)
      );
    },
    costRate: (employeeId, on) => rateOn(costRates.get(employeeId), on),
    periodStatus: (entityId, on) => periods.get(`${entityId}|${on.slice(0, 7)}`) ?? null,
    fxRate(from, to, on) {
      if (from === to) return "1";
      for (let back = 0; back <= FX_LOOKBACK_DAYS; back++) {
        const rate = fx.get(`${from}|${to}|${addDays(on, -back)}`);
        if (rate) return rate;
      }
      return null;
    },
    committedAmount: (projectId) => committed.get(projectId) ?? "0",
    otherHoursOnDay: (s, userId, on) => otherHours.get(`${s}|${userId}|${on}`) ?? "0",
    sameWorkElsewhere: (entry: EntryForValidation) =>
      (sameWork.get(sameWorkKey(entry)) ?? []).map(({ sourceId, inErp }) => ({ sourceId, inErp })),
  };
}

