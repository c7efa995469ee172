/**
 * The master-data pull over real HTTP: the app's demo firm and the NetSuite simulator are
 * seeded from the same generator, so a first pull finds them in agreement; changes made in
 * the ERP then arrive exactly, effective-dated and audited, and a fault on the wire stops the
 * run with a sentence, keeping only whole pages.
 */
import { and, asc, eq, inArray, like } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  accountingPeriods,
  auditLog,
  connectors,
  costRates,
  customers,
  employees,
  laborCategories,
  legalEntities,
  projects,
  syncRuns,
} from "@/server/db/schema";
import { seedDemoData } from "@/server/demo/load";
import type { ErpConnector } from "@/sync/connectors/types";
import { faultConfig, NO_FAULTS } from "@/simulators/shared/faults";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { systemCtx } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { MasterDataPullError, pullMasterData, type MasterDataKindSummary, type MasterDataPullSummary } from "./pull-master-data";

const OPTS = { seed: 11, consultants: 20, projects: 15, months: 3, endDate: "2026-11-20" };
/** the day of the pulls: the demo's last day, so the seeded labor costs are the rates in effect */
const TODAY = OPTS.endDate;
const YESTERDAY = "2026-11-19";

let app: TestDatabase;
let erp: NetSuiteSimulator;
let connectorId: string;
/** the job the ERP closes while it is failing (closed in Hourbridge by the next pull that reads jobs) */
let closedWhileFailing: string;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  erp = await startNetSuite(OPTS);
  const [c] = await app.db
    .insert(connectors)
    .values({ key: "netsuite-master-data-test", role: "erp", system: "netsuite", name: "NetSuite (simulator)", baseUrl: erp.apiUrl, accountId: erp.accountId })
    .returning({ id: connectors.id });
  connectorId = c!.id;
}, 120_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

const netsuite = () => erp.connector({ timeoutMs: 5_000 });

function pull(opts: { connector?: ErpConnector; pageSize?: number } = {}) {
  return pullMasterData({ ctx: systemCtx(app.db, "master-data"), connector: opts.connector ?? netsuite(), connectorId, trigger: "manual", today: TODAY, pageSize: opts.pageSize });
}

/** how many rows of each kind the ERP holds */
async function erpCounts(): Promise<Record<keyof MasterDataPullSummary["kinds"], number>> {
  const [r] = await erp.sql<Record<string, number>[]>`
    select (select count(*) from sim_netsuite.subsidiary)::int as subsidiaries,
           (select count(*) from sim_netsuite.customer)::int as customers,
           (select count(*) from sim_netsuite.job)::int as jobs,
           (select count(*) from sim_netsuite.employee)::int as employees,
           (select count(*) from sim_netsuite.item)::int as items,
           (select count(*) from sim_netsuite.accountingperiod)::int as periods`;
  return r as Record<keyof MasterDataPullSummary["kinds"], number>;
}

const allUnchanged = (n: number): MasterDataKindSummary => ({ fetched: n, created: 0, updated: 0, unchanged: n, deactivated: 0, failed: 0 });

async function expectAllUnchanged(s: MasterDataPullSummary) {
  const counts = await erpCounts();
  for (const [kind, n] of Object.entries(counts)) expect(s.kinds[kind as keyof typeof counts], kind).toEqual(allUnchanged(n));
  expect(s.failures).toEqual([]);
  expect(s.costRatesChanged).toBe(0);
}

const runRow = async (id: string) => (await app.db.select().from(syncRuns).where(eq(syncRuns.id, id)))[0]!;
const auditsOf = (correlationId: string) =>
  app.db.select().from(auditLog).where(and(eq(auditLog.correlationId, correlationId), like(auditLog.action, "master_data.%"))).orderBy(asc(auditLog.id));

/** every canonical master-data row's id and updated_at, to prove untouched rows stay untouched */
async function stamps() {
  const rows = await app.sql<{ id: string; at: string }[]>`
    select id::text, updated_at::text as at from legal_entities union all select id::text, updated_at::text from customers
    union all select id::text, updated_at::text from projects union all select id::text, updated_at::text from employees
    union all select id::text, updated_at::text from labor_categories union all select id::text, updated_at::text from accounting_periods
    union all select id::text, updated_at::text from cost_rates`;
  return new Map(rows.map((r) => [r.id, r.at]));
}

describe("pulling master data from the ERP", () => {
  it("finds the demo firm and the ERP in agreement: nothing created, nothing updated, every row unchanged", async () => {
    const before = await stamps();
    const s = await pull();
    expect(s.status).toBe("succeeded");
    await expectAllUnchanged(s);
    expect(await stamps()).toEqual(before);

    // the people planted without a current cost rate have none in the ERP either (null labor cost): nothing is invented
    const noCost = await erp.sql<{ id: string }[]>`select id from sim_netsuite.employee where laborcost is null`;
    expect(noCost.length).toBe(2);

    const run = await runRow(s.runId);
    const counts = await erpCounts();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    expect(run).toMatchObject({ kind: "master_data", trigger: "manual", status: "succeeded", connectorId, fetched: total, created: 0, updated: 0, unchanged: total, failed: 0, error: null });
    expect(run.finishedAt).not.toBeNull();
    expect((run.details as { kinds: unknown }).kinds).toEqual(s.kinds);
    expect(await auditsOf(run.correlationId)).toEqual([]);
  });

  it("brings exactly the ERP's changes, effective-dates the new labor cost, audits each change, then finds nothing more", async () => {
    const [activeJob] = await erp.sql<{ id: string }[]>`select id from sim_netsuite.job where entitystatus = '2' and not isinactive order by id limit 1`;
    const [costly] = await erp.sql<{ id: string; laborcost: string }[]>`select id, laborcost::text from sim_netsuite.employee where laborcost is not null order by id limit 1`;
    const [openPeriod] = await erp.sql<{ id: string; subsidiary: string; startdate: string }[]>`
      select id, subsidiary, to_char(startdate, 'YYYY-MM-DD') as startdate from sim_netsuite.accountingperiod where not closed order by startdate desc, id limit 1`;
    const [item] = await erp.sql<{ id: string }[]>`select id from sim_netsuite.item where not isinactive order by id limit 1`;
    const newCost = (Number(costly!.laborcost) + 7.5).toFixed(2);

    await erp.sql`update sim_netsuite.job set entitystatus = '4' where id = ${activeJob!.id}`;
    await erp.sql`insert into sim_netsuite.customer (id, entityid, companyname, subsidiary) values ('1990', '1990', 'Fabrikam Health', '3')`;
    await erp.sql`insert into sim_netsuite.job (id, entityid, companyname, customer, subsidiary, entitystatus, currency, startdate)
                  values ('9901', 'HV-FAB1', 'Fabrikam Health claims platform', '1990', '3', '2', 'GBP', '2026-11-16')`;
    await erp.sql`update sim_netsuite.employee set laborcost = ${newCost} where id = ${costly!.id}`;
    await erp.sql`update sim_netsuite.accountingperiod set closed = true where id = ${openPeriod!.id}`;
    await erp.sql`update sim_netsuite.item set isinactive = true where id = ${item!.id}`;

    const [emp] = await app.db.select().from(employees).where(eq(employees.erpId, costly!.id));
    const ratesBefore = await app.db.select().from(costRates).where(eq(costRates.employeeId, emp!.id)).orderBy(asc(costRates.validFrom));
    const [cat] = await app.db.select().from(laborCategories).where(eq(laborCategories.erpItemId, item!.id));
    const [proj] = await app.db.select().from(projects).where(eq(projects.erpId, activeJob!.id));
    const before = await stamps();

    // small pages: several transactions per kind
    const s = await pull({ pageSize: 4 });
    const counts = await erpCounts();
    expect(s.status).toBe("succeeded");
    expect(s.failures).toEqual([]);
    expect(s.kinds).toEqual({
      subsidiaries: allUnchanged(counts.subsidiaries),
      customers: { fetched: counts.customers, created: 1, updated: 0, unchanged: counts.customers - 1, deactivated: 0, failed: 0 },
      jobs: { fetched: counts.jobs, created: 1, updated: 1, unchanged: counts.jobs - 2, deactivated: 1, failed: 0 },
      employees: { fetched: counts.employees, created: 0, updated: 1, unchanged: counts.employees - 1, deactivated: 0, failed: 0 },
      items: { fetched: counts.items, created: 0, updated: 1, unchanged: counts.items - 1, deactivated: 1, failed: 0 },
      periods: { fetched: counts.periods, created: 0, updated: 1, unchanged: counts.periods - 1, deactivated: 1, failed: 0 },
    });
    expect(s.costRatesChanged).toBe(2); // one end-dated, one started

    // the job on hold; what Hourbridge owns on it is kept
    const [held] = await app.db.select().from(projects).where(eq(projects.id, proj!.id));
    expect(held).toMatchObject({ status: "on_hold", region: proj!.region, businessUnit: proj!.businessUnit, practice: proj!.practice, contractType: proj!.contractType, billingCap: proj!.billingCap });

    // the new customer and job, with Hourbridge's defaults
    const [uk] = await app.db.select().from(legalEntities).where(eq(legalEntities.erpSubsidiaryId, "3"));
    const [cust] = await app.db.select().from(customers).where(eq(customers.erpId, "1990"));
    expect(cust).toMatchObject({ name: "Fabrikam Health", legalEntityId: uk!.id, active: true });
    const [job] = await app.db.select().from(projects).where(eq(projects.erpId, "9901"));
    expect(job).toMatchObject({
      code: "HV-FAB1",
      name: "Fabrikam Health claims platform",
      customerId: cust!.id,
      legalEntityId: uk!.id,
      region: uk!.region,
      businessUnit: "Unassigned",
      practice: "Unassigned",
      contractType: "time_and_materials",
      status: "active",
      currency: "GBP",
      billingCap: null,
      startsOn: "2026-11-16",
      endsOn: null,
    });
    expect(uk!.region).toBe("EMEA");

    // the labor cost: the old rate ends yesterday, the new one runs from today in the entity's currency
    const ratesAfter = await app.db.select().from(costRates).where(eq(costRates.employeeId, emp!.id)).orderBy(asc(costRates.validFrom));
    expect(ratesAfter).toHaveLength(ratesBefore.length + 1);
    const old = ratesBefore.find((r) => r.validFrom <= TODAY && (r.validTo === null || r.validTo >= TODAY))!;
    expect(old.rate).toBe(Number(costly!.laborcost).toFixed(2));
    expect(ratesAfter.find((r) => r.id === old.id)).toMatchObject({ rate: old.rate, validFrom: old.validFrom, validTo: YESTERDAY });
    const [entity] = await app.db.select().from(legalEntities).where(eq(legalEntities.id, emp!.legalEntityId));
    expect(ratesAfter.at(-1)).toMatchObject({ rate: newCost, currency: entity!.functionalCurrency, validFrom: TODAY, validTo: null });
    const [empAfter] = await app.db.select().from(employees).where(eq(employees.id, emp!.id));
    expect(empAfter).toEqual(emp); // the employee row itself did not change

    // the period closed and stamped; the item inactive, still billable as Hourbridge says
    const [periodEntity] = await app.db.select().from(legalEntities).where(eq(legalEntities.erpSubsidiaryId, openPeriod!.subsidiary));
    const [period] = await app.db
      .select()
      .from(accountingPeriods)
      .where(and(eq(accountingPeriods.legalEntityId, periodEntity!.id), eq(accountingPeriods.period, openPeriod!.startdate.slice(0, 7))));
    expect(period!.status).toBe("closed");
    expect(period!.closedAt).not.toBeNull();
    const [catAfter] = await app.db.select().from(laborCategories).where(eq(laborCategories.id, cat!.id));
    expect(catAfter).toMatchObject({ active: false, billable: cat!.billable, code: cat!.code, name: cat!.name });

    // only the changed rows were touched
    const after = await stamps();
    const touched = [...after].filter(([id, at]) => before.get(id) !== at).map(([id]) => id);
    const created = [cust!.id, job!.id, ratesAfter.at(-1)!.id];
    expect(touched.sort()).toEqual([proj!.id, old.id, period!.id, cat!.id, ...created].sort());

    // one audit row per changed record, with what changed
    const run = await runRow(s.runId);
    expect(run).toMatchObject({ status: "succeeded", created: 2, updated: 4, failed: 0, error: null });
    const audits = await auditsOf(run.correlationId);
    expect(audits.map((a) => [a.action, a.entityId]).sort()).toEqual(
      [
        ["master_data.customers.created", cust!.id],
        ["master_data.jobs.updated", proj!.id],
        ["master_data.jobs.created", job!.id],
        ["master_data.employees.updated", emp!.id],
        ["master_data.items.updated", cat!.id],
        ["master_data.periods.updated", period!.id],
      ].sort(),
    );
    const audit = (action: string) => audits.find((a) => a.action === action)!;
    expect(audit("master_data.jobs.updated")).toMatchObject({ actorLabel: "system:master-data", entityType: "project", before: { status: "active" }, after: { status: "on_hold" } });
    expect(audit("master_data.items.updated")).toMatchObject({ before: { active: true }, after: { active: false } });
    expect(audit("master_data.periods.updated").before).toMatchObject({ status: "open", closedAt: null });
    expect(audit("master_data.periods.updated").after).toMatchObject({ status: "closed" });
    expect(audit("master_data.employees.updated")).toMatchObject({
      before: { laborCost: { rate: old.rate, validFrom: old.validFrom } },
      after: { laborCost: { rate: newCost, validFrom: TODAY, validTo: null }, endedCostRate: { costRateId: old.id, validTo: YESTERDAY } },
    });
    expect(audit("master_data.jobs.created").after).toMatchObject({ code: "HV-FAB1", region: "EMEA", businessUnit: "Unassigned" });

    // a second pull finds nothing to do
    const stampsBeforeAgain = await stamps();
    const again = await pull();
    expect(again.status).toBe("succeeded");
    await expectAllUnchanged(again);
    expect(await stamps()).toEqual(stampsBeforeAgain);
  });

  it("leaves out, and lists, records that refer to a subsidiary or customer Hourbridge does not know; takes them once it can", async () => {
    // a new subsidiary the ERP gives no currency: it cannot become a legal entity, so nothing under it can be placed
    await erp.sql`insert into sim_netsuite.subsidiary (id, name, country, currency) values ('9', 'Northwind Partners GmbH', 'DE', '')`;
    await erp.sql`insert into sim_netsuite.customer (id, entityid, companyname, subsidiary) values ('1991', '1991', 'Tailspin Mobility', '9')`;
    await erp.sql`insert into sim_netsuite.job (id, entityid, companyname, customer, subsidiary, entitystatus, currency) values ('9902', 'HV-TAIL1', 'Tailspin fleet analytics', '1991', '9', '2', 'EUR')`;
    await erp.sql`insert into sim_netsuite.employee (id, entityid, firstname, lastname, email, subsidiary, department, laborcost)
                  values ('399', 'Greta Vogel', 'Greta', 'Vogel', 'greta.vogel@northwind.example', '9', 'Data & AI', '95.00')`;

    const s = await pull();
    expect(s.status).toBe("partial");
    expect(s.failures).toEqual([
      { kind: "subsidiaries", erpId: "9", reason: "subsidiary 9 has no currency, so Hourbridge cannot book in its functional currency" },
      { kind: "customers", erpId: "1991", reason: "customer 1991 belongs to subsidiary 9, which Hourbridge does not know" },
      { kind: "jobs", erpId: "9902", reason: "job HV-TAIL1 refers to customer 1991, which Hourbridge does not know" },
      { kind: "employees", erpId: "399", reason: "employee 399 belongs to subsidiary 9, which Hourbridge does not know" },
    ]);
    for (const k of ["subsidiaries", "customers", "jobs", "employees"] as const) expect(s.kinds[k]).toMatchObject({ created: 0, updated: 0, failed: 1 });
    const run = await runRow(s.runId);
    expect(run).toMatchObject({ status: "partial", failed: 4, created: 0, updated: 0 });
    expect(run.error).toMatch(/^4 master data record\(s\) from the ERP could not be taken in/);
    expect((run.details as { failures: unknown }).failures).toEqual(s.failures);
    expect(await app.db.select().from(legalEntities).where(eq(legalEntities.erpSubsidiaryId, "9"))).toEqual([]);
    expect(await auditsOf(run.correlationId)).toEqual([]);

    // the ERP fixes the subsidiary: everything under it arrives, with region and codes derived
    await erp.sql`update sim_netsuite.subsidiary set currency = 'EUR' where id = '9'`;
    const fixed = await pull();
    expect(fixed.status).toBe("succeeded");
    expect(fixed.failures).toEqual([]);
    for (const k of ["subsidiaries", "customers", "jobs", "employees"] as const) expect(fixed.kinds[k]).toMatchObject({ created: 1, updated: 0, failed: 0 });
    const [de] = await app.db.select().from(legalEntities).where(eq(legalEntities.erpSubsidiaryId, "9"));
    expect(de).toMatchObject({ code: "NPG-9", name: "Northwind Partners GmbH", country: "DE", functionalCurrency: "EUR", region: "EMEA", postingSlaHours: 24 });
    const [job] = await app.db.select().from(projects).where(eq(projects.erpId, "9902"));
    expect(job).toMatchObject({ legalEntityId: de!.id, region: "EMEA", currency: "EUR", contractType: "time_and_materials" });
    const [greta] = await app.db.select().from(employees).where(eq(employees.erpId, "399"));
    expect(greta).toMatchObject({ name: "Greta Vogel", legalEntityId: de!.id, region: "EMEA", department: "Data & AI", costCenter: "Unassigned", weeklyCapacityHours: "40.00", active: true });
    expect(await app.db.select({ rate: costRates.rate, currency: costRates.currency, validFrom: costRates.validFrom, validTo: costRates.validTo }).from(costRates).where(eq(costRates.employeeId, greta!.id))).toEqual([
      { rate: "95.00", currency: "EUR", validFrom: TODAY, validTo: null },
    ]);
    const audits = await auditsOf((await runRow(fixed.runId)).correlationId);
    expect(audits.map((a) => a.action).sort()).toEqual(["master_data.customers.created", "master_data.employees.created", "master_data.jobs.created", "master_data.subsidiaries.created"]);

    await expectAllUnchanged(await pull());
  });

  it("fails with a sentence when the ERP answers 500, and writes nothing", async () => {
    const [job] = await erp.sql<{ id: string }[]>`select id from sim_netsuite.job where entitystatus = '2' order by id desc limit 1`;
    await erp.sql`update sim_netsuite.job set entitystatus = '1' where id = ${job!.id}`;
    closedWhileFailing = job!.id;
    const before = await stamps();

    erp.injector.set(faultConfig.parse({ serverErrorRate: 1 }));
    let error: unknown;
    try {
      await pull();
    } catch (err) {
      error = err;
    } finally {
      erp.injector.set(NO_FAULTS);
    }
    expect(error).toBeInstanceOf(MasterDataPullError);
    const e = error as MasterDataPullError;
    expect(e.kind).toBe("subsidiaries");
    // a 5xx while reading is worth another try (a retry from the console makes a few)
    expect(e.transient).toBe(true);
    const run = await runRow(e.runId);
    expect(run).toMatchObject({ status: "failed", fetched: 0, created: 0, updated: 0, unchanged: 0, failed: 0 });
    expect(run.error).toMatch(/^Reading subsidiaries from the ERP failed: SuiteQL answered 5\d\d\b.*\.$/);
    expect(run.error).toBe(e.message);
    expect(run.finishedAt).not.toBeNull();
    expect(await stamps()).toEqual(before);
    expect(await auditsOf(run.correlationId)).toEqual([]);
    const [proj] = await app.db.select({ status: projects.status }).from(projects).where(eq(projects.erpId, job!.id));
    expect(proj!.status).toBe("active");
  });

  it("keeps the kinds committed before a failure, and the failing kind untouched; the next pull catches up", async () => {
    const job = { id: closedWhileFailing };
    const [person] = await erp.sql<{ id: string; laborcost: string }[]>`
      select id, laborcost::text from sim_netsuite.employee where laborcost is not null and id <> '399' order by id desc limit 1`;
    await erp.sql`update sim_netsuite.employee set laborcost = laborcost + 3 where id = ${person!.id}`;
    const [emp] = await app.db.select({ id: employees.id }).from(employees).where(eq(employees.erpId, person!.id));
    const ratesBefore = await app.db.select().from(costRates).where(eq(costRates.employeeId, emp!.id));

    // the ERP starts failing when employees are read: subsidiaries, customers and jobs are in by then
    const base = netsuite();
    const failingAtEmployees: ErpConnector = {
      ...base,
      masterData: (kind, opts) => {
        if (kind === "employees") erp.injector.set(faultConfig.parse({ serverErrorRate: 1 }));
        return base.masterData(kind, opts);
      },
    };
    let error: unknown;
    try {
      await pull({ connector: failingAtEmployees });
    } catch (err) {
      error = err;
    } finally {
      erp.injector.set(NO_FAULTS);
    }
    const e = error as MasterDataPullError;
    expect(e).toBeInstanceOf(MasterDataPullError);
    expect(e.kind).toBe("employees");
    const run = await runRow(e.runId);
    expect(run.status).toBe("failed");
    expect(run.error).toMatch(/^Reading employees from the ERP failed: SuiteQL answered 5\d\d\b/);
    const details = run.details as { kinds: Record<string, MasterDataKindSummary>; stoppedAt: string };
    expect(details.stoppedAt).toBe("employees");
    expect(details.kinds.jobs).toMatchObject({ updated: 1, deactivated: 1 });
    expect(details.kinds.employees).toEqual(allUnchanged(0));
    expect(run).toMatchObject({ updated: 1 });

    // the job's close (an earlier kind) is in, audited; the labor cost (the failing kind) is not
    const [proj] = await app.db.select().from(projects).where(eq(projects.erpId, job!.id));
    expect(proj!.status).toBe("closed");
    const audits = await auditsOf(run.correlationId);
    expect(audits.map((a) => [a.action, a.entityId])).toEqual([["master_data.jobs.updated", proj!.id]]);
    expect(await app.db.select().from(costRates).where(eq(costRates.employeeId, emp!.id))).toEqual(ratesBefore);

    const next = await pull();
    expect(next.kinds.jobs).toMatchObject({ updated: 0, created: 0 });
    expect(next.kinds.employees).toMatchObject({ updated: 1 });
    const rates = await app.db.select().from(costRates).where(and(eq(costRates.employeeId, emp!.id), inArray(costRates.validFrom, [TODAY])));
    expect(rates).toHaveLength(1);
    expect(rates[0]!.rate).toBe((Number(person!.laborcost) + 3).toFixed(2));
  });
});
