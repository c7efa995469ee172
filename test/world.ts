import { randomBytes } from "node:crypto";
import type { Db } from "@/server/db/client";
import {
  accountingPeriods,
  billRates,
  costRates,
  customers,
  employees,
  fxRates,
  idMappings,
  laborCategories,
  legalEntities,
  projects,
  sourceRefs,
  timeEntries,
} from "@/server/db/schema";
import { contentHash } from "@/server/domain/idempotency";

/**
 * A small, hand-built firm in a test database: two legal entities (USD, GBP), an active, a
 * capped and a GBP project, a billable and an internal labor category, two consultants,
 * their Harvest counterparts and mappings, rates (one changing mid-week), periods, FX.
 * Ids are generated; the returned object names them.
 */
export async function buildWorld(db: Db) {
  const tag = randomBytes(3).toString("hex");
  const [us, uk] = await db
    .insert(legalEntities)
    .values([
      { code: `US-${tag}`, name: "Demo Inc.", erpSubsidiaryId: `1${tag}`, functionalCurrency: "USD", country: "US", region: "NA" },
      { code: `UK-${tag}`, name: "Demo Ltd", erpSubsidiaryId: `2${tag}`, functionalCurrency: "GBP", country: "GB", region: "EMEA" },
    ])
    .returning();
  const [cust] = await db.insert(customers).values({ erpId: `C-${tag}`, name: "Acme Corp", legalEntityId: us!.id }).returning();
  const [acme, capped, beta] = await db
    .insert(projects)
    .values([
      { erpId: `JOB-1-${tag}`, code: `AC-1-${tag}`, name: "Acme ERP rollout", customerId: cust!.id, legalEntityId: us!.id, region: "NA", businessUnit: "Consulting", practice: "Finance Transformation", contractType: "time_and_materials", currency: "USD" },
      { erpId: `JOB-3-${tag}`, code: `CP-3-${tag}`, name: "Capped audit", customerId: cust!.id, legalEntityId: us!.id, region: "NA", businessUnit: "Consulting", practice: "Cybersecurity", contractType: "capped", billingCap: "1000.00", currency: "USD" },
      { erpId: `JOB-2-${tag}`, code: `BE-2-${tag}`, name: "Beta cloud move", customerId: cust!.id, legalEntityId: uk!.id, region: "EMEA", businessUnit: "Digital", practice: "Cloud", contractType: "time_and_materials", currency: "GBP" },
    ])
    .returning();
  const [senior, internal] = await db
    .insert(laborCategories)
    .values([
      { erpItemId: `ITEM-SC-${tag}`, code: `SC-${tag}`, name: "Senior Consultant", billable: true },
      { erpItemId: `ITEM-INT-${tag}`, code: `INT-${tag}`, name: "Internal", billable: false },
    ])
    .returning();
  const [ana, ben] = await db
    .insert(employees)
    .values([
      { erpId: `EMP-1-${tag}`, name: "Ana Souza", email: `ana-${tag}@demo.test`, legalEntityId: us!.id, region: "NA", department: "Consulting", costCenter: "CC-100" },
      { erpId: `EMP-2-${tag}`, name: "Ben Okafor", email: `ben-${tag}@demo.test`, legalEntityId: uk!.id, region: "EMEA", department: "Digital", costCenter: "CC-200" },
    ])
    .returning();
  await db.insert(billRates).values([
    { laborCategoryId: senior!.id, rate: "180.00", currency: "USD", validFrom: "2026-01-01", validTo: "2026-05-12" },
    { laborCategoryId: senior!.id, rate: "190.00", currency: "USD", validFrom: "2026-05-13" },
    { laborCategoryId: senior!.id, rate: "140.00", currency: "GBP", validFrom: "2026-01-01" },
  ]);
  await db.insert(costRates).values([
    { employeeId: ana!.id, rate: "90.00", currency: "USD", validFrom: "2026-01-01" },
    { employeeId: ben!.id, rate: "70.00", currency: "GBP", validFrom: "2026-01-01" },
  ]);
  await db.insert(accountingPeriods).values([
    { legalEntityId: us!.id, period: "2026-04", startsOn: "2026-04-01", endsOn: "2026-04-30", status: "closed", closedAt: new Date("2026-05-05T00:00:00Z") },
    { legalEntityId: us!.id, period: "2026-05", startsOn: "2026-05-01", endsOn: "2026-05-31" },
    { legalEntityId: uk!.id, period: "2026-05", startsOn: "2026-05-01", endsOn: "2026-05-31" },
  ]);
  await db.insert(fxRates).values(
    ["2026-05-11", "2026-05-12", "2026-05-13", "2026-05-14", "2026-05-15"].map((d, i) => ({
      rateDate: d,
      fromCurrency: "GBP",
      toCurrency: "USD",
      rate: (1.25 + i * 0.01).toFixed(8),
    })),
  );

  const ext = { acme: `p-${tag}-1`, capped: `p-${tag}-3`, beta: `p-${tag}-2`, unmapped: `p-${tag}-9`, senior: `t-${tag}-1`, internal: `t-${tag}-2`, ana: `u-${tag}-1`, ben: `u-${tag}-2` };
  await db.insert(sourceRefs).values([
    { sourceSystem: "harvest", kind: "project", externalId: ext.acme, code: "HV-101", name: "Acme ERP rollout" },
    { sourceSystem: "harvest", kind: "project", externalId: ext.unmapped, code: "HV-2291", name: "Acme data platform" },
    { sourceSystem: "harvest", kind: "user", externalId: ext.ana, name: "Ana Souza" },
  ]);
  const mappingRows = [
    ["project", ext.acme, acme!.id, acme!.erpId],
    ["project", ext.capped, capped!.id, capped!.erpId],
    ["project", ext.beta, beta!.id, beta!.erpId],
    ["task", ext.senior, senior!.id, senior!.erpItemId],
    ["task", ext.internal, internal!.id, internal!.erpItemId],
    ["user", ext.ana, ana!.id, ana!.erpId],
    ["user", ext.ben, ben!.id, ben!.erpId],
  ] as const;
  await db.insert(idMappings).values(
    mappingRows.map(([kind, externalId, targetId, targetErpId]) => ({
      sourceSystem: "harvest" as const,
      kind,
      externalId,
      targetId,
      targetErpId,
      reason: "test world",
      createdBy: "system:test",
      updatedBy: "system:test",
    })),
  );

  let next = Number.parseInt(tag, 16) * 1000;
  /** Inserts an approved Harvest entry (Ana, Acme, Senior Consultant, 4 h on 12 May 2026 unless told otherwise). */
  async function entry(over: Partial<typeof timeEntries.$inferInsert> = {}) {
    next += 1;
    const row = {
      sourceSystem: "harvest" as const,
      sourceId: String(next),
      state: "approved" as const,
      sourceUserId: ext.ana,
      sourceProjectId: ext.acme,
      sourceTaskId: ext.senior,
      workDate: "2026-05-12",
      hours: "4.00",
      billable: true,
      approvedAt: new Date("2026-05-18T09:00:00Z"),
      ...over,
    };
    const [created] = await db
      .insert(timeEntries)
      .values({ ...row, contentHash: contentHash({ d: row.workDate, h: row.hours, p: row.sourceProjectId, t: row.sourceTaskId, u: row.sourceUserId }) })
      .returning();
    return created!;
  }

  return { tag, us: us!, uk: uk!, acme: acme!, capped: capped!, beta: beta!, senior: senior!, internal: internal!, ana: ana!, ben: ben!, ext, entry };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;
