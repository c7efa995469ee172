import type { LookupData } from "./lookups";
import type { EntryForValidation } from "./types";

/**
 * A small hand-built world for rule tests: two legal entities (USD, GBP), three projects,
 * two labor categories, two consultants, rates that change mid-week, FX for May 2026.
 */
export const IDS = {
  us: "ent-us",
  uk: "ent-uk",
  acme: "prj-acme",
  beta: "prj-beta",
  capped: "prj-cap",
  senior: "cat-senior",
  internal: "cat-internal",
  ana: "emp-ana",
  ben: "emp-ben",
} as const;

export function world(over: Partial<LookupData> = {}): LookupData {
  return {
    reportingCurrency: "USD",
    mappings: [
      { kind: "project", sourceSystem: "harvest", externalId: "101", targetId: IDS.acme, targetErpId: "JOB-1", validFrom: null, validTo: null },
      { kind: "project", sourceSystem: "harvest", externalId: "102", targetId: IDS.beta, targetErpId: "JOB-2", validFrom: null, validTo: null },
      { kind: "project", sourceSystem: "harvest", externalId: "103", targetId: IDS.capped, targetErpId: "JOB-3", validFrom: null, validTo: null },
      { kind: "task", sourceSystem: "harvest", externalId: "201", targetId: IDS.senior, targetErpId: "ITEM-SC", validFrom: null, validTo: null },
      { kind: "task", sourceSystem: "harvest", externalId: "202", targetId: IDS.internal, targetErpId: "ITEM-INT", validFrom: null, validTo: null },
      { kind: "user", sourceSystem: "harvest", externalId: "301", targetId: IDS.ana, targetErpId: "EMP-1", validFrom: null, validTo: null },
      { kind: "user", sourceSystem: "harvest", externalId: "302", targetId: IDS.ben, targetErpId: "EMP-2", validFrom: null, validTo: null },
    ],
    sourceLabels: [
      { kind: "project", sourceSystem: "harvest", externalId: "101", code: "HV-101", name: "Acme ERP rollout" },
      { kind: "project", sourceSystem: "harvest", externalId: "999", code: "HV-2291", name: "Acme data platform" },
      { kind: "task", sourceSystem: "harvest", externalId: "299", code: null, name: "Workshop facilitation" },
      { kind: "user", sourceSystem: "harvest", externalId: "301", code: null, name: "Ana Souza" },
      { kind: "user", sourceSystem: "harvest", externalId: "399", code: null, name: "Carl Jensen" },
    ],
    projects: [
      { id: IDS.acme, erpId: "JOB-1", code: "AC-1", name: "Acme ERP rollout", status: "active", contractType: "time_and_materials", billingCap: null, currency: "USD", legalEntityId: IDS.us, region: "NA", businessUnit: "Consulting" },
      { id: IDS.beta, erpId: "JOB-2", code: "BE-2", name: "Beta cloud move", status: "active", contractType: "time_and_materials", billingCap: null, currency: "GBP", legalEntityId: IDS.uk, region: "EMEA", businessUnit: "Digital" },
      { id: IDS.capped, erpId: "JOB-3", code: "CP-3", name: "Capped audit", status: "active", contractType: "capped", billingCap: "10000.00", currency: "USD", legalEntityId: IDS.us, region: "NA", businessUnit: "Consulting" },
    ],
    employees: [
      { id: IDS.ana, erpId: "EMP-1", name: "Ana Souza", legalEntityId: IDS.us, region: "NA" },
      { id: IDS.ben, erpId: "EMP-2", name: "Ben Okafor", legalEntityId: IDS.uk, region: "EMEA" },
    ],
    laborCategories: [
      { id: IDS.senior, erpItemId: "ITEM-SC", code: "SC", name: "Senior Consultant", billable: true },
      { id: IDS.internal, erpItemId: "ITEM-INT", code: "INT", name: "Internal", billable: false },
    ],
    entities: [
      { id: IDS.us, code: "US01", name: "Hourbridge Demo Inc.", erpSubsidiaryId: "1", functionalCurrency: "USD", region: "NA" },
      { id: IDS.uk, code: "UK01", name: "Hourbridge Demo Ltd", erpSubsidiaryId: "2", functionalCurrency: "GBP", region: "EMEA" },
    ],
    billRates: [
      // the standard rate rises on Wednesday 13 May 2026
      { projectId: null, laborCategoryId: IDS.senior, rate: "180.00", currency: "USD", validFrom: "2026-01-01", validTo: "2026-05-12" },
      { projectId: null, laborCategoryId: IDS.senior, rate: "190.00", currency: "USD", validFrom: "2026-05-13", validTo: null },
      { projectId: null, laborCategoryId: IDS.senior, rate: "140.00", currency: "GBP", validFrom: "2026-01-01", validTo: null },
      // Acme negotiated its own rate
      { projectId: IDS.acme, laborCategoryId: IDS.senior, rate: "175.50", currency: "USD", validFrom: "2026-01-01", validTo: null },
    ],
    costRates: [
      { employeeId: IDS.ana, rate: "90.00", currency: "USD", validFrom: "2026-01-01", validTo: null },
      { employeeId: IDS.ben, rate: "70.00", currency: "GBP", validFrom: "2026-01-01", validTo: "2026-05-31" },
    ],
    periods: [
      { legalEntityId: IDS.us, period: "2026-04", status: "closed" },
      { legalEntityId: IDS.us, period: "2026-05", status: "open" },
      { legalEntityId: IDS.uk, period: "2026-05", status: "open" },
    ],
    fxRates: [
      { from: "GBP", to: "USD", day: "2026-05-11", rate: "1.25000000" },
      { from: "GBP", to: "USD", day: "2026-05-12", rate: "1.26000000" },
      { from: "GBP", to: "USD", day: "2026-05-15", rate: "1.27000000" },
    ],
    committed: [],
    otherHours: [],
    sameWork: [],
    ...over,
  };
}

let n = 1000;
export function entry(over: Partial<EntryForValidation> = {}): EntryForValidation {
  n += 1;
  return {
    id: `te-${n}`,
    sourceSystem: "harvest",
    sourceId: String(n),
    version: 1,
    state: "approved",
    workDate: "2026-05-12",
    hours: "4.00",
    billable: true,
    sourceUserId: "301",
    sourceProjectId: "101",
    sourceTaskId: "201",
    sourceBillRate: null,
    sourceCurrency: null,
    ...over,
  };
}
