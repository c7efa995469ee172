import Big from "big.js";
import { and, eq, inArray, sql } from "drizzle-orm";
import { ERP_MASTER_DATA_KINDS, type ErpConnector, type ErpMasterData, type ErpMasterDataKind } from "@/sync/connectors/types";
import type { Region } from "../../domain/enums";
import { withTx, type Db, type Tx } from "../../db/client";
import { accountingPeriods, costRates, customers, employees, laborCategories, legalEntities, projects, syncRuns } from "../../db/schema";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";

/** What one kind of master data did in a pull. `deactivated` is part of `updated`. */
export type MasterDataKindSummary = {
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  /** went from active to inactive: a flag cleared, a job put on hold or closed, a period closed */
  deactivated: number;
  /** records not taken in (an unknown subsidiary or customer, a value the model cannot hold) */
  failed: number;
};

/** A record the pull could not take in, and why. */
export type MasterDataFailure = { kind: ErpMasterDataKind; erpId: string; reason: string };

export type MasterDataPullSummary = {
  runId: string;
  /** `partial` when some records were not taken in (see `failures`); `failed` when the pull stopped */
  status: "succeeded" | "partial" | "failed";
  kinds: Record<ErpMasterDataKind, MasterDataKindSummary>;
  failures: MasterDataFailure[];
  /** cost rates end-dated or started because an employee's labor cost changed */
  costRatesChanged: number;
};

/** The pull stopped: what was committed before stays; the run is recorded as failed with this sentence. */
export class MasterDataPullError extends Error {
  constructor(
    message: string,
    readonly runId: string,
    readonly kind: ErpMasterDataKind,
    readonly summary: MasterDataPullSummary,
    /** reading again may work (the ERP was busy, unreachable or answered oddly) */
    readonly transient: boolean = false,
  ) {
    super(message);
    this.name = "MasterDataPullError";
  }
}

/** Failures listed in the run's details beyond this many are only counted. */
const MAX_LISTED_FAILURES = 200;

/** Where Hourbridge reports a legal entity, from its country (ISO 3166 alpha-2). */
const REGION_BY_COUNTRY: Record<string, Region> = Object.fromEntries([
  ...["US", "CA", "MX"].map((c) => [c, "NA"] as const),
  ...["AU", "NZ", "SG", "IN", "JP", "CN", "HK"].map((c) => [c, "APAC"] as const),
]);
export const regionForCountry = (country: string): Region => REGION_BY_COUNTRY[country.toUpperCase()] ?? "EMEA";

/** What new projects and employees get until someone in Hourbridge classifies them. */
const UNASSIGNED = "Unassigned";

const ISO_CURRENCY = /^[A-Z]{3}$/;
const ISO_COUNTRY = /^[A-Z]{2}$/;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;

const emptyKind = (): MasterDataKindSummary => ({ fetched: 0, created: 0, updated: 0, unchanged: 0, deactivated: 0, failed: 0 });

const KIND_WORDS: Record<ErpMasterDataKind, string> = {
  subsidiaries: "subsidiaries",
  customers: "customers",
  jobs: "jobs",
  employees: "employees",
  items: "service items",
  periods: "accounting periods",
};

/** The day before an ISO day. */
function dayBefore(day: string): string {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() - 1);
  return d.toISOString().slice(0, 10);
}

/** The fields of `desired` whose value differs from `current`, as before/after pairs. */
function changes<T extends Record<string, unknown>>(current: T, desired: Partial<T>) {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(desired)) {
    if (v === undefined) continue;
    const cur = current[k];
    const same = cur instanceof Date && v instanceof Date ? cur.getTime() === v.getTime() : cur === v;
    if (!same) {
      before[k] = cur ?? null;
      after[k] = v;
    }
  }
  return { changed: Object.keys(after).length > 0, before, after };
}

/** An ERP decimal as Hourbridge stores money (two places), or null when it is not a number. */
function money(value: string): string | null {
  try {
    return new Big(value).toFixed(2);
  } catch {
    return null;
  }
}

type PageCtx = ServiceCtx & { db: Tx };
type Tally = {
  kind: ErpMasterDataKind;
  s: MasterDataKindSummary;
  fail: (erpId: string, reason: string) => void;
  today: string;
  costRatesChanged: number;
};

/**
 * Brings the ERP's master data into the canonical tables: subsidiaries, customers, jobs,
 * employees (with their labor cost as effective-dated cost rates), service items and
 * accounting periods, in that order, each page in its own transaction with its audit rows.
 *
 * Upserts by ERP id and writes only the fields the ERP owns (names, codes, status and
 * active flags, currency, dates, the subsidiary and customer links, a period's status);
 * what Hourbridge owns (region, business unit, practice, contract type, billing cap, cost
 * center, capacity, posting SLA, whether a labor category is billable) is set once, on
 * creation, and kept afterwards. A row the ERP did not change is not touched. A record that
 * refers to something Hourbridge does not know is left out and listed in the run's details.
 *
 * Recorded as a `master_data` sync run. If reading or writing stops the pull, the pages
 * already committed stay, the run is `failed` with a sentence naming the kind, and a
 * `MasterDataPullError` is thrown.
 */
export async function pullMasterData({
  ctx,
  connector,
  connectorId,
  trigger,
  today = new Date().toISOString().slice(0, 10),
  pageSize,
}: {
  ctx: ServiceCtx & { db: Db };
  connector: ErpConnector;
  connectorId: string;
  trigger: "schedule" | "manual" | "replay";
  /** the day new cost rates start (YYYY-MM-DD, UTC); defaults to today */
  today?: string;
  /** records per page read from the ERP (the connector's default when absent) */
  pageSize?: number;
}): Promise<MasterDataPullSummary> {
  const db = ctx.db;
  const [run] = await db
    .insert(syncRuns)
    .values({ connectorId, kind: "master_data", trigger, correlationId: ctx.correlationId })
    .returning({ id: syncRuns.id });
  const runId = run!.id;

  const kinds = Object.fromEntries(ERP_MASTER_DATA_KINDS.map((k) => [k, emptyKind()])) as Record<ErpMasterDataKind, MasterDataKindSummary>;
  const failures: MasterDataFailure[] = [];
  let costRatesChanged = 0;
  let pages = 0;

  const totals = () => {
    const all = Object.values(kinds);
    const sum = (f: keyof MasterDataKindSummary) => all.reduce((n, k) => n + k[f], 0);
    return { fetched: sum("fetched"), created: sum("created"), updated: sum("updated"), unchanged: sum("unchanged"), failed: sum("failed") };
  };
  const details = (extra: Record<string, unknown> = {}) => ({
    kinds,
    pages,
    costRatesChanged,
    failures: failures.slice(0, MAX_LISTED_FAILURES),
    ...(failures.length > MAX_LISTED_FAILURES ? { failuresNotListed: failures.length - MAX_LISTED_FAILURES } : {}),
    ...extra,
  });
  const summary = (status: MasterDataPullSummary["status"]): MasterDataPullSummary => ({ runId, status, kinds, failures, costRatesChanged });

  for (const kind of ERP_MASTER_DATA_KINDS) {
    const pagesOfKind = connector.masterData(kind, { pageSize })[Symbol.asyncIterator]();
    let phase: "reading" | "writing" = "reading";
    try {
      for (;;) {
        phase = "reading";
        const next = await pagesOfKind.next();
        if (next.done) break;
        phase = "writing";
        const records = next.value;
        // counts and failures join the run's only once their page has committed
        const s = emptyKind();
        const pageFailures: MasterDataFailure[] = [];
        const tally: Tally = {
          kind,
          s,
          today,
          costRatesChanged: 0,
          fail: (erpId, reason) => {
            s.failed += 1;
            pageFailures.push({ kind, erpId, reason });
          },
        };
        await withTx(db, (tx) => applyPage({ ...ctx, db: tx }, kind, records, tally));
        pages += 1;
        for (const f of Object.keys(s) as (keyof MasterDataKindSummary)[]) kinds[kind][f] += s[f];
        failures.push(...pageFailures);
        costRatesChanged += tally.costRatesChanged;
      }
    } catch (err) {
      const reason = (err as Error).message.replace(/\.\s*$/, "");
      const what = KIND_WORDS[kind];
      const sentence = phase === "reading" ? `Reading ${what} from the ERP failed: ${reason}.` : `Writing ${what} from the ERP into Hourbridge failed: ${reason}.`;
      await db
        .update(syncRuns)
        .set({ status: "failed", finishedAt: sql`now()`, error: sentence, ...totals(), details: details({ stoppedAt: kind }) })
        .where(eq(syncRuns.id, runId));
      await pagesOfKind.return?.(undefined).catch(() => undefined);
      const transient = phase === "reading" && (err as { transient?: unknown }).transient === true;
      throw new MasterDataPullError(sentence, runId, kind, summary("failed"), transient);
    }
  }

  const status = failures.length > 0 ? ("partial" as const) : ("succeeded" as const);
  const t = totals();
  await db
    .update(syncRuns)
    .set({
      status,
      finishedAt: sql`now()`,
      ...t,
      details: details(),
      error: status === "partial" ? `${t.failed} master data record(s) from the ERP could not be taken in; the run's details list them.` : null,
    })
    .where(eq(syncRuns.id, runId));
  return summary(status);
}

function applyPage(ctx: PageCtx, kind: ErpMasterDataKind, records: ErpMasterData[ErpMasterDataKind][], t: Tally): Promise<void> {
  t.s.fetched += records.length;
  switch (kind) {
    case "subsidiaries":
      return applySubsidiaries(ctx, records as ErpMasterData["subsidiaries"][], t);
    case "customers":
      return applyCustomers(ctx, records as ErpMasterData["customers"][], t);
    case "jobs":
      return applyJobs(ctx, records as ErpMasterData["jobs"][], t);
    case "employees":
      return applyEmployees(ctx, records as ErpMasterData["employees"][], t);
    case "items":
      return applyItems(ctx, records as ErpMasterData["items"][], t);
    case "periods":
      return applyPeriods(ctx, records as ErpMasterData["periods"][], t);
  }
}

const ENTITY_TYPE: Record<ErpMasterDataKind, string> = {
  subsidiaries: "legal_entity",
  customers: "customer",
  jobs: "project",
  employees: "employee",
  items: "labor_category",
  periods: "accounting_period",
};

async function audited(ctx: PageCtx, t: Tally, change: "created" | "updated", entityId: string, before: unknown, after: unknown) {
  await writeAudit(ctx, { action: `master_data.${t.kind}.${change}`, entityType: ENTITY_TYPE[t.kind], entityId, before, after });
}

/** Updates a row whose ERP-owned fields changed, audits it, and counts it; counts it unchanged otherwise. */
async function applyChanges<Row extends Record<string, unknown>>(
  ctx: PageCtx,
  t: Tally,
  id: string,
  current: Row,
  desired: Partial<Row>,
  write: (set: Record<string, unknown>) => Promise<unknown>,
  opts: { deactivated?: boolean; extra?: { before: Record<string, unknown>; after: Record<string, unknown> } } = {},
) {
  const diff = changes(current, desired);
  const extra = opts.extra;
  if (!diff.changed && !extra) {
    t.s.unchanged += 1;
    return;
  }
  if (diff.changed) await write({ ...diff.after, updatedAt: new Date() });
  await audited(ctx, t, "updated", id, { ...diff.before, ...extra?.before }, { ...diff.after, ...extra?.after });
  t.s.updated += 1;
  if (opts.deactivated) t.s.deactivated += 1;
}

const allEntities = (ctx: PageCtx) => ctx.db.select().from(legalEntities);

/** A code for a new legal entity: the initials of its name and its ERP id ("Northwind Partners GmbH", 7 → "NPG-7"). */
async function entityCode(ctx: PageCtx, name: string, erpId: string): Promise<string> {
  const initials = name
    .split(/\s+/)
    .map((w) => w.replace(/[^A-Za-z0-9]/g, "").charAt(0))
    .join("")
    .toUpperCase()
    .slice(0, 4);
  const base = `${initials || "SUB"}-${erpId}`;
  const taken = new Set((await ctx.db.select({ code: legalEntities.code }).from(legalEntities).where(sql`${legalEntities.code} like ${`${base}%`}`)).map((r) => r.code));
  let code = base;
  for (let i = 2; taken.has(code); i++) code = `${base}-${i}`;
  return code;
}

async function applySubsidiaries(ctx: PageCtx, records: ErpMasterData["subsidiaries"][], t: Tally) {
  const existing = new Map(
    (records.length ? await ctx.db.select().from(legalEntities).where(inArray(legalEntities.erpSubsidiaryId, records.map((r) => r.erpId))) : []).map((e) => [e.erpSubsidiaryId, e]),
  );
  for (const r of records) {
    const country = r.country?.toUpperCase() ?? null;
    const currency = r.currency?.toUpperCase() ?? null;
    if (country !== null && !ISO_COUNTRY.test(country)) {
      t.fail(r.erpId, `subsidiary ${r.erpId} has a country that is not an ISO code: ${JSON.stringify(r.country)}`);
      continue;
    }
    if (currency !== null && !ISO_CURRENCY.test(currency)) {
      t.fail(r.erpId, `subsidiary ${r.erpId} has a currency that is not an ISO code: ${JSON.stringify(r.currency)}`);
      continue;
    }
    const cur = existing.get(r.erpId);
    if (cur) {
      // a legal entity has no active flag: an inactive subsidiary keeps its entity and its history
      await applyChanges(ctx, t, cur.id, cur, { name: r.name, country: country ?? undefined, functionalCurrency: currency ?? undefined }, (set) =>
        ctx.db.update(legalEntities).set(set).where(eq(legalEntities.id, cur.id)),
      );
      continue;
    }
    if (!country) {
      t.fail(r.erpId, `subsidiary ${r.erpId} has no country, so Hourbridge cannot place it in a region`);
      continue;
    }
    if (!currency) {
      t.fail(r.erpId, `subsidiary ${r.erpId} has no currency, so Hourbridge cannot book in its functional currency`);
      continue;
    }
    const values = { code: await entityCode(ctx, r.name, r.erpId), name: r.name, erpSubsidiaryId: r.erpId, functionalCurrency: currency, country, region: regionForCountry(country) };
    const [row] = await ctx.db.insert(legalEntities).values(values).returning();
    await audited(ctx, t, "created", row!.id, null, { ...values, postingSlaHours: row!.postingSlaHours });
    t.s.created += 1;
  }
}

async function applyCustomers(ctx: PageCtx, records: ErpMasterData["customers"][], t: Tally) {
  const entities = new Map((await allEntities(ctx)).map((e) => [e.erpSubsidiaryId, e]));
  const existing = new Map(
    (records.length ? await ctx.db.select().from(customers).where(inArray(customers.erpId, records.map((r) => r.erpId))) : []).map((c) => [c.erpId, c]),
  );
  for (const r of records) {
    const entity = r.subsidiaryId ? entities.get(r.subsidiaryId) : undefined;
    if (!entity) {
      t.fail(r.erpId, r.subsidiaryId ? `customer ${r.erpId} belongs to subsidiary ${r.subsidiaryId}, which Hourbridge does not know` : `customer ${r.erpId} names no subsidiary`);
      continue;
    }
    const cur = existing.get(r.erpId);
    if (cur) {
      await applyChanges(ctx, t, cur.id, cur, { name: r.name, legalEntityId: entity.id, active: r.active }, (set) => ctx.db.update(customers).set(set).where(eq(customers.id, cur.id)), {
        deactivated: cur.active && !r.active,
      });
      continue;
    }
    const values = { erpId: r.erpId, name: r.name, legalEntityId: entity.id, active: r.active };
    const [row] = await ctx.db.insert(customers).values(values).returning({ id: customers.id });
    await audited(ctx, t, "created", row!.id, null, values);
    t.s.created += 1;
  }
}

async function applyJobs(ctx: PageCtx, records: ErpMasterData["jobs"][], t: Tally) {
  if (records.length === 0) return;
  const entities = await allEntities(ctx);
  const entityBySub = new Map(entities.map((e) => [e.erpSubsidiaryId, e]));
  const entityById = new Map(entities.map((e) => [e.id, e]));
  const customerIds = [...new Set(records.flatMap((r) => (r.customerId ? [r.customerId] : [])))];
  const custs = new Map((customerIds.length ? await ctx.db.select().from(customers).where(inArray(customers.erpId, customerIds)) : []).map((c) => [c.erpId, c]));
  const existing = new Map((await ctx.db.select().from(projects).where(inArray(projects.erpId, records.map((r) => r.erpId)))).map((p) => [p.erpId, p]));
  // project codes are unique: who holds each code this page brings
  const codeHolder = new Map(
    (await ctx.db.select({ code: projects.code, erpId: projects.erpId }).from(projects).where(inArray(projects.code, records.map((r) => r.code)))).map((p) => [p.code, p.erpId]),
  );

  for (const r of records) {
    const customer = r.customerId ? custs.get(r.customerId) : undefined;
    if (!customer) {
      t.fail(r.erpId, r.customerId ? `job ${r.code} refers to customer ${r.customerId}, which Hourbridge does not know` : `job ${r.code} names no customer`);
      continue;
    }
    const entity = r.subsidiaryId ? entityBySub.get(r.subsidiaryId) : entityById.get(customer.legalEntityId);
    if (!entity) {
      t.fail(r.erpId, `job ${r.code} belongs to subsidiary ${r.subsidiaryId}, which Hourbridge does not know`);
      continue;
    }
    const holder = codeHolder.get(r.code);
    if (holder !== undefined && holder !== r.erpId) {
      t.fail(r.erpId, `job ${r.erpId} has the code ${r.code}, which project ${holder} already uses in Hourbridge`);
      continue;
    }
    const currency = r.currency?.toUpperCase() ?? null;
    if (currency !== null && !ISO_CURRENCY.test(currency)) {
      t.fail(r.erpId, `job ${r.code} has a currency that is not an ISO code: ${JSON.stringify(r.currency)}`);
      continue;
    }
    const cur = existing.get(r.erpId);
    const desired = {
      code: r.code,
      name: r.name,
      customerId: customer.id,
      legalEntityId: entity.id,
      status: r.status,
      currency: currency ?? undefined,
      startsOn: r.startsOn,
      endsOn: r.endsOn,
    };
    if (cur) {
      if (cur.code !== r.code) codeHolder.delete(cur.code);
      codeHolder.set(r.code, r.erpId);
      await applyChanges(ctx, t, cur.id, cur, desired, (set) => ctx.db.update(projects).set(set).where(eq(projects.id, cur.id)), {
        deactivated: cur.status === "active" && r.status !== "active",
      });
      continue;
    }
    const values = {
      ...desired,
      erpId: r.erpId,
      currency: currency ?? entity.functionalCurrency,
      region: entity.region,
      businessUnit: UNASSIGNED,
      practice: UNASSIGNED,
      contractType: "time_and_materials" as const,
    };
    const [row] = await ctx.db.insert(projects).values(values).returning({ id: projects.id });
    codeHolder.set(r.code, r.erpId);
    await audited(ctx, t, "created", row!.id, null, values);
    t.s.created += 1;
  }
}

async function applyEmployees(ctx: PageCtx, records: ErpMasterData["employees"][], t: Tally) {
  if (records.length === 0) return;
  const entities = new Map((await allEntities(ctx)).map((e) => [e.erpSubsidiaryId, e]));
  const existing = new Map((await ctx.db.select().from(employees).where(inArray(employees.erpId, records.map((r) => r.erpId)))).map((e) => [e.erpId, e]));
  const ids = [...existing.values()].map((e) => e.id);
  const ratesByEmployee = new Map<string, (typeof costRates.$inferSelect)[]>();
  for (const rate of ids.length ? await ctx.db.select().from(costRates).where(inArray(costRates.employeeId, ids)) : []) {
    ratesByEmployee.set(rate.employeeId, [...(ratesByEmployee.get(rate.employeeId) ?? []), rate]);
  }

  for (const r of records) {
    const entity = r.subsidiaryId ? entities.get(r.subsidiaryId) : undefined;
    if (!entity) {
      t.fail(r.erpId, r.subsidiaryId ? `employee ${r.erpId} belongs to subsidiary ${r.subsidiaryId}, which Hourbridge does not know` : `employee ${r.erpId} names no subsidiary`);
      continue;
    }
    const cost = r.laborCost === null ? null : money(r.laborCost);
    if (r.laborCost !== null && cost === null) {
      t.fail(r.erpId, `employee ${r.erpId} has a labor cost that is not a number: ${JSON.stringify(r.laborCost)}`);
      continue;
    }
    const cur = existing.get(r.erpId);
    if (cur) {
      const desired = { name: r.name, email: r.email ?? undefined, department: r.department ?? undefined, legalEntityId: entity.id, active: r.active };
      const costChange = cost === null ? null : await applyLaborCost(ctx, t, cur.id, ratesByEmployee.get(cur.id) ?? [], cost, entity.functionalCurrency);
      await applyChanges(ctx, t, cur.id, cur, desired, (set) => ctx.db.update(employees).set(set).where(eq(employees.id, cur.id)), {
        deactivated: cur.active && !r.active,
        extra: costChange ?? undefined,
      });
      continue;
    }
    if (!r.email) {
      t.fail(r.erpId, `employee ${r.erpId} has no e-mail address, which Hourbridge needs to match their time`);
      continue;
    }
    const values = {
      erpId: r.erpId,
      name: r.name,
      email: r.email,
      legalEntityId: entity.id,
      region: entity.region,
      department: r.department ?? UNASSIGNED,
      costCenter: UNASSIGNED,
      active: r.active,
    };
    const [row] = await ctx.db.insert(employees).values(values).returning({ id: employees.id, weeklyCapacityHours: employees.weeklyCapacityHours });
    const costChange = cost === null ? null : await applyLaborCost(ctx, t, row!.id, [], cost, entity.functionalCurrency);
    await audited(ctx, t, "created", row!.id, null, { ...values, weeklyCapacityHours: row!.weeklyCapacityHours, ...costChange?.after });
    t.s.created += 1;
  }
}

/**
 * Makes the employee's cost rate in effect today equal the ERP's labor cost: the current
 * rate ends yesterday and a new one starts today (up to the day before a rate already
 * planned, if any). A rate that started today is corrected in place. Same cost: nothing.
 */
async function applyLaborCost(
  ctx: PageCtx,
  t: Tally,
  employeeId: string,
  rates: (typeof costRates.$inferSelect)[],
  cost: string,
  currency: string,
): Promise<{ before: Record<string, unknown>; after: Record<string, unknown> } | null> {
  const today = t.today;
  const inEffect = rates
    .filter((r) => r.validFrom <= today && (r.validTo === null || r.validTo >= today))
    .sort((a, b) => b.validFrom.localeCompare(a.validFrom))[0];
  if (inEffect && new Big(inEffect.rate).eq(cost)) return null;
  const before = { laborCost: inEffect ? { rate: inEffect.rate, currency: inEffect.currency, validFrom: inEffect.validFrom, validTo: inEffect.validTo } : null };

  if (inEffect && inEffect.validFrom === today) {
    await ctx.db.update(costRates).set({ rate: cost, currency, updatedAt: new Date() }).where(eq(costRates.id, inEffect.id));
    t.costRatesChanged += 1;
    return { before, after: { laborCost: { costRateId: inEffect.id, rate: cost, currency, validFrom: today, validTo: inEffect.validTo } } };
  }
  const yesterday = dayBefore(today);
  if (inEffect) {
    await ctx.db.update(costRates).set({ validTo: yesterday, updatedAt: new Date() }).where(eq(costRates.id, inEffect.id));
    t.costRatesChanged += 1;
  }
  const nextPlanned = rates.filter((r) => r.validFrom > today).sort((a, b) => a.validFrom.localeCompare(b.validFrom))[0];
  const validTo = nextPlanned ? dayBefore(nextPlanned.validFrom) : null;
  const [row] = await ctx.db.insert(costRates).values({ employeeId, rate: cost, currency, validFrom: today, validTo }).returning({ id: costRates.id });
  t.costRatesChanged += 1;
  return {
    before,
    after: { laborCost: { costRateId: row!.id, rate: cost, currency, validFrom: today, validTo }, ...(inEffect ? { endedCostRate: { costRateId: inEffect.id, validTo: yesterday } } : {}) },
  };
}

async function applyItems(ctx: PageCtx, records: ErpMasterData["items"][], t: Tally) {
  if (records.length === 0) return;
  const existing = new Map((await ctx.db.select().from(laborCategories).where(inArray(laborCategories.erpItemId, records.map((r) => r.erpId)))).map((c) => [c.erpItemId, c]));
  const codeHolder = new Map(
    (await ctx.db.select({ code: laborCategories.code, erpId: laborCategories.erpItemId }).from(laborCategories).where(inArray(laborCategories.code, records.map((r) => r.code)))).map(
      (c) => [c.code, c.erpId],
    ),
  );
  for (const r of records) {
    const holder = codeHolder.get(r.code);
    if (holder !== undefined && holder !== r.erpId) {
      t.fail(r.erpId, `service item ${r.erpId} has the code ${r.code}, which the labor category of item ${holder} already uses in Hourbridge`);
      continue;
    }
    const cur = existing.get(r.erpId);
    if (cur) {
      if (cur.code !== r.code) codeHolder.delete(cur.code);
      codeHolder.set(r.code, r.erpId);
      await applyChanges(ctx, t, cur.id, cur, { code: r.code, name: r.name, active: r.active }, (set) => ctx.db.update(laborCategories).set(set).where(eq(laborCategories.id, cur.id)), {
        deactivated: cur.active && !r.active,
      });
      continue;
    }
    const values = { erpItemId: r.erpId, code: r.code, name: r.name, active: r.active };
    const [row] = await ctx.db.insert(laborCategories).values(values).returning({ id: laborCategories.id, billable: laborCategories.billable });
    codeHolder.set(r.code, r.erpId);
    await audited(ctx, t, "created", row!.id, null, { ...values, billable: row!.billable });
    t.s.created += 1;
  }
}

async function applyPeriods(ctx: PageCtx, records: ErpMasterData["periods"][], t: Tally) {
  if (records.length === 0) return;
  const entities = new Map((await allEntities(ctx)).map((e) => [e.erpSubsidiaryId, e]));
  const entityIds = [...new Set(records.flatMap((r) => entities.get(r.subsidiaryId)?.id ?? []))];
  const periods = [...new Set(records.map((r) => r.period))];
  const existing = new Map(
    (entityIds.length
      ? await ctx.db.select().from(accountingPeriods).where(and(inArray(accountingPeriods.legalEntityId, entityIds), inArray(accountingPeriods.period, periods)))
      : []
    ).map((p) => [`${p.legalEntityId}|${p.period}`, p]),
  );
  for (const r of records) {
    const entity = entities.get(r.subsidiaryId);
    if (!entity) {
      t.fail(r.erpId, `accounting period ${r.period} belongs to subsidiary ${r.subsidiaryId}, which Hourbridge does not know`);
      continue;
    }
    if (!PERIOD.test(r.period)) {
      t.fail(r.erpId, `accounting period ${r.erpId} does not start on a valid day: ${JSON.stringify(r.startsOn)}`);
      continue;
    }
    const status = r.closed ? ("closed" as const) : ("open" as const);
    const cur = existing.get(`${entity.id}|${r.period}`);
    if (cur) {
      // the ERP says closed or open, not when: a period closing now is stamped now; one reopened loses its stamp
      const closedAt = cur.status === status ? undefined : status === "closed" ? new Date() : null;
      await applyChanges(ctx, t, cur.id, cur, { startsOn: r.startsOn, endsOn: r.endsOn, status, closedAt }, (set) => ctx.db.update(accountingPeriods).set(set).where(eq(accountingPeriods.id, cur.id)), {
        deactivated: cur.status === "open" && status === "closed",
      });
      continue;
    }
    const values = { legalEntityId: entity.id, period: r.period, startsOn: r.startsOn, endsOn: r.endsOn, status, closedAt: status === "closed" ? new Date() : null };
    const [row] = await ctx.db.insert(accountingPeriods).values(values).returning({ id: accountingPeriods.id });
    existing.set(`${entity.id}|${r.period}`, { ...values, id: row!.id, createdAt: new Date(), updatedAt: new Date() });
    await audited(ctx, t, "created", row!.id, null, values);
    t.s.created += 1;
  }
}
