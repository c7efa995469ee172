import { createHash } from "node:crypto";
import Big from "big.js";
import { beforeAll, describe, expect, it } from "vitest";
import { EXCEPTION_CODES, type ExceptionCode } from "@/server/domain/enums";
import { idempotencyKey } from "@/server/domain/idempotency";
import { materialHash } from "@/server/services/entries/ingest";
import { buildLookups, addDays, type LookupData } from "@/sync/rules/lookups";
import { sameWorkKey, validateBatch } from "@/sync/rules/validate";
import type { EntryForValidation } from "@/sync/rules/types";
import { generateDemo, type DemoData } from "./generate";
import { timeEntryMaterialHash } from "./harvest";
import { cyrb128, detUuid, Rng, rngFor } from "./prng";
import type { TimeEntryBundle } from "./types";

const END = "2026-05-14";

function digest(data: DemoData): string {
  const h = createHash("sha256");
  const { timeEntryChunks, ...rest } = data;
  h.update(JSON.stringify(rest));
  for (const chunk of timeEntryChunks(1000)) for (const b of chunk) h.update(JSON.stringify(b));
  return h.digest("hex");
}

function allBundles(data: DemoData): TimeEntryBundle[] {
  const out: TimeEntryBundle[] = [];
  for (const chunk of data.timeEntryChunks(5000)) out.push(...chunk);
  return out;
}

describe("the PRNG", () => {
  it("is deterministic per key and spreads its values", () => {
    const a = rngFor(1, "x", 2);
    const b = rngFor(1, "x", 2);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(rngFor(2, "x", 2).next()).not.toBe(xs[0]);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
    expect(mean).toBeGreaterThan(0.45);
    expect(mean).toBeLessThan(0.55);
  });

  it("has int, pick, weighted, shuffle, sample and chance helpers that stay in range", () => {
    const r = new Rng(cyrb128("helpers"));
    for (let i = 0; i < 500; i++) {
      const n = r.int(3, 5);
      expect(n >= 3 && n <= 5 && Number.isInteger(n)).toBe(true);
    }
    expect(["a", "b"]).toContain(r.pick(["a", "b"]));
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 2000; i++) counts[r.weighted([["a", 9], ["b", 1]] as const)]++;
    expect(counts.a).toBeGreaterThan(counts.b * 5);
    expect(r.shuffle([1, 2, 3, 4, 5]).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(new Set(r.sample([1, 2, 3, 4, 5], 3)).size).toBe(3);
    expect(typeof r.chance(0.5)).toBe("boolean");
    expect(() => r.int(2, 1)).toThrow();
  });

  it("makes stable, well-formed UUIDs", () => {
    const id = detUuid(42, "project", 7);
    expect(id).toBe(detUuid(42, "project", 7));
    expect(id).not.toBe(detUuid(42, "project", 8));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});

describe("generateDemo: determinism", () => {
  const small = { consultants: 30, projects: 20, months: 3, endDate: END };

  it("gives the same data for the same seed, and other data for another seed", () => {
    const a = digest(generateDemo({ ...small, seed: 7 }));
    expect(digest(generateDemo({ ...small, seed: 7 }))).toBe(a);
    expect(digest(generateDemo({ ...small, seed: 8 }))).not.toBe(a);
  });

  it("refuses sizes too small to plant every problem, and a malformed end date", () => {
    expect(() => generateDemo({ ...small, consultants: 5 })).toThrow(/consultants/);
    expect(() => generateDemo({ ...small, months: 1 })).toThrow(/months/);
    expect(() => generateDemo({ ...small, endDate: "2026-02-30" })).toThrow(/calendar day/);
  });

  it("hashes entries exactly as ingest does, so a re-sync of the same payload changes nothing", () => {
    const e = { workDate: "2026-05-04", hours: "7.50", billable: true, sourceUserId: "41", sourceProjectId: "99", sourceTaskId: "7" };
    expect(timeEntryMaterialHash(e)).toBe(
      materialHash({ ...e, sourceId: "1", notes: "x", status: "approved", submittedAt: null, approvedAt: null, approvedBy: null, sourceBillRate: null, sourceCurrency: null, deleted: false }),
    );
  });
});

describe("generateDemo across calendars, seeds and sizes", () => {
  const cases = [
    { seed: 1, endDate: "2026-05-11", consultants: 20, projects: 15, months: 2 }, // a Monday
    { seed: 2, endDate: "2026-05-17", consultants: 25, projects: 18, months: 3 }, // a Sunday
    { seed: 3, endDate: "2026-01-02", consultants: 30, projects: 20, months: 4 }, // after Christmas
    { seed: 4, endDate: "2025-12-29", consultants: 40, projects: 30, months: 2 }, // UK holidays in the window
    { seed: 5, endDate: "2024-03-01", consultants: 60, projects: 45, months: 12 }, // leap year, a year of history
    { seed: 6, endDate: "2026-08-15", consultants: 22, projects: 16, months: 2 }, // a Saturday
  ];
  it.each(cases)("plants exactly its manifest (seed $seed, $endDate, $consultants people, $months months)", (opts) => {
    const data = generateDemo(opts);
    expectRulesToMatchManifest(data, allBundles(data));
  });
});

describe("generateDemo at the default size", () => {
  let data: DemoData;
  let bundles: TimeEntryBundle[];
  beforeAll(() => {
    data = generateDemo({ seed: 42, endDate: END });
    bundles = allBundles(data);
  });

  const planted = (code: ExceptionCode) => data.manifest.plants.filter((p) => p.code === code);
  const plantedEntryIds = (code: ExceptionCode) =>
    new Set(planted(code).filter((p) => p.subjectKey.startsWith("entry:")).map((p) => p.subjectKey.split(":")[2]!));

  it("has about the requested size", () => {
    expect(data.counts.employees).toBe(200);
    expect(data.counts.projects).toBe(150);
    expect(data.counts.legalEntities).toBe(3);
    expect(data.counts.customers).toBeGreaterThanOrEqual(35);
    expect(data.counts.customers).toBeLessThanOrEqual(45);
    expect(data.counts.laborCategories).toBeGreaterThanOrEqual(8);
    // 200 people × ~125 working days × ~2 entries
    expect(data.counts.timeEntries).toBeGreaterThan(30_000);
    expect(data.counts.timeEntries).toBeLessThan(70_000);
    expect(bundles.length).toBe(data.counts.timeEntries);
    const byState = { submitted: 0, approved: 0, rejected: 0, posted: 0, billed: 0, void: 0 };
    for (const b of bundles) byState[b.entry.state]++;
    expect(byState).toEqual(data.counts.timeEntriesByState);
    for (const s of ["submitted", "approved", "rejected", "posted", "billed"] as const) expect(byState[s]).toBeGreaterThan(0);
    expect(new Set(data.projects.map((p) => p.contractType))).toEqual(new Set(["time_and_materials", "fixed_fee", "retainer", "capped"]));
    expect(new Set(data.projects.map((p) => p.status))).toEqual(new Set(["active", "on_hold", "closed"]));
    expect(data.milestones.length).toBeGreaterThan(0);
    expect(data.expenses.length).toBeGreaterThan(200 * 6);
    expect(data.counts.rawRecords).toBe(bundles.reduce((n, b) => n + b.raws.length, 0) + data.expenses.length);
    expect(data.counts.erpPostings).toBe(bundles.filter((b) => b.posting).length + data.expenses.filter((x) => x.posting).length);
  });

  it("declares the planted exceptions, with owners, and one subject each", () => {
    expect(data.manifest.expected).toEqual({
      PROJECT_UNMAPPED: 3,
      TASK_UNMAPPED: 2,
      EMPLOYEE_UNMAPPED: 2,
      PROJECT_NOT_ACTIVE: 3,
      COST_RATE_MISSING: 2,
      BILL_RATE_MISSING: 1,
      PERIOD_CLOSED: 1,
      BILLING_CAP_EXCEEDED: 1,
      DUPLICATE_SUSPECTED: 3,
      HOURS_INVALID: 3,
      FX_RATE_MISSING: 1,
    });
    for (const [code, owner] of Object.entries(data.manifest.owners)) expect(owner).toBe(EXCEPTION_CODES[code as ExceptionCode].owner);
    for (const [code, subjects] of Object.entries(data.manifest.subjects)) {
      expect(new Set(subjects).size).toBe(data.manifest.expected[code as ExceptionCode]);
    }
    for (const p of data.manifest.plants) expect(p.sourceIds.length).toBeGreaterThan(0);
  });

  it("plants exactly the declared exceptions: the real rules over the generated data agree with the manifest", () => {
    expectRulesToMatchManifest(data, bundles);
  });

  it("has no accidental duplicates, invalid hours or over-long days", () => {
    const dupIds = plantedEntryIds("DUPLICATE_SUSPECTED");
    const badHourIds = plantedEntryIds("HOURS_INVALID");
    const badDays = new Set(planted("HOURS_INVALID").filter((p) => p.subjectKey.startsWith("person-day:")).map((p) => p.subjectKey.split(":").slice(2).join(":")));
    const work = new Map<string, string[]>();
    const days = new Map<string, Big>();
    for (const { entry: e } of bundles) {
      if (e.state === "rejected" || e.state === "void") continue;
      const k = `${e.sourceUserId}|${e.workDate}|${e.sourceProjectId}|${e.hours}`;
      work.set(k, [...(work.get(k) ?? []), e.sourceId]);
      const h = new Big(e.hours);
      if (!badHourIds.has(e.sourceId)) {
        const max = badDays.has(`${e.sourceUserId}:${e.workDate}`) ? 24 : 8;
        expect(h.gte(0.5) && h.lte(max), `${e.sourceId}: ${e.hours} h`).toBe(true);
        expect(new Big(e.hours).times(4).mod(1).eq(0)).toBe(true);
        days.set(`${e.sourceUserId}:${e.workDate}`, (days.get(`${e.sourceUserId}:${e.workDate}`) ?? new Big(0)).plus(h));
      } else {
        expect(["0.00", "25.00"]).toContain(e.hours);
      }
    }
    for (const ids of work.values()) {
      if (ids.length === 1) continue;
      expect(ids).toHaveLength(2);
      expect(dupIds.has(ids.sort()[1]!)).toBe(true);
    }
    expect([...work.values()].filter((ids) => ids.length > 1)).toHaveLength(3);
    for (const [k, total] of days) {
      if (badDays.has(k)) expect(total.toFixed(2)).toBe("25.00");
      else expect(total.lte(24), `${k}: ${total} h`).toBe(true);
    }
  });

  it("maps every source object except the planted gaps", () => {
    const unmapped = new Set([
      ...(data.manifest.subjects.PROJECT_UNMAPPED ?? []),
      ...(data.manifest.subjects.TASK_UNMAPPED ?? []),
      ...(data.manifest.subjects.EMPLOYEE_UNMAPPED ?? []),
    ]);
    const prefix: Record<string, string> = { project: "source-project", task: "source-task", user: "source-user", customer: "source-customer" };
    const mapped = new Set(data.idMappings.map((m) => `${m.kind}|${m.externalId}`));
    for (const ref of data.sourceRefs) {
      const planted = unmapped.has(`${prefix[ref.kind]}:harvest:${ref.externalId}`);
      expect(mapped.has(`${ref.kind}|${ref.externalId}`), `${ref.kind} ${ref.externalId}`).toBe(!planted);
    }
    expect(data.idMappings.every((m) => m.createdBy === "system:seed" && m.reason)).toBe(true);
    // and every entry's source objects are known
    const refs = new Set(data.sourceRefs.map((r) => `${r.kind}|${r.externalId}`));
    for (const { entry: e } of bundles.slice(0, 5000)) {
      expect(refs.has(`project|${e.sourceProjectId}`) && refs.has(`task|${e.sourceTaskId}`) && refs.has(`user|${e.sourceUserId}`)).toBe(true);
    }
  });

  it("never overlaps effective-dated rates, and changes some mid-range", () => {
    const overlapFree = (rows: { validFrom: string; validTo?: string | null }[]) => {
      const sorted = [...rows].sort((a, b) => (a.validFrom < b.validFrom ? -1 : 1));
      for (let i = 1; i < sorted.length; i++) {
        const prev = sorted[i - 1]!;
        expect(prev.validTo, "an open-ended rate followed by another").not.toBeNull();
        expect(prev.validTo! < sorted[i]!.validFrom).toBe(true);
      }
      for (const r of rows) if (r.validTo) expect(r.validFrom <= r.validTo).toBe(true);
    };
    const group = <T>(rows: T[], key: (r: T) => string) => {
      const m = new Map<string, T[]>();
      for (const r of rows) m.set(key(r), [...(m.get(key(r)) ?? []), r]);
      return m;
    };
    const bill = group(data.billRates, (r) => `${r.projectId}|${r.laborCategoryId}|${r.currency}`);
    const cost = group(data.costRates, (r) => r.employeeId);
    for (const rows of bill.values()) overlapFree(rows);
    for (const rows of cost.values()) overlapFree(rows);
    const inRange = (d: string) => d > data.calendar.startDate && d <= data.calendar.endDate;
    expect([...bill.values()].some((rows) => rows[0]!.projectId === null && rows.some((r) => inRange(r.validFrom)))).toBe(true);
    expect([...bill.values()].some((rows) => rows[0]!.projectId !== null && rows.some((r) => inRange(r.validFrom)))).toBe(true);
    expect([...cost.values()].some((rows) => rows.length > 1)).toBe(true);
    for (const r of [...data.billRates, ...data.costRates]) expect(r.rate).toMatch(/^\d+\.\d{2}$/);
  });

  it("has an FX rate for every day except the planted gap", () => {
    const gap = new Set(data.calendar.fxGap.missingDays);
    const have = new Set(data.fxRates.map((r) => `${r.fromCurrency}|${r.rateDate}`));
    for (let d = data.calendar.startDate; d <= data.calendar.endDate; d = addDays(d, 1)) {
      expect(have.has(`SGD|${d}`), `SGD ${d}`).toBe(true);
      expect(have.has(`GBP|${d}`), `GBP ${d}`).toBe(!gap.has(d));
    }
    expect(gap.size).toBe(4);
    const gbp = data.fxRates.filter((r) => r.fromCurrency === "GBP").map((r) => Number(r.rate));
    expect(Math.max(...gbp) - Math.min(...gbp)).toBeGreaterThan(0);
    expect(Math.max(...gbp) / Math.min(...gbp)).toBeLessThan(1.2);
  });

  it("covers the whole range with accounting periods, one of them closed", () => {
    const closed = data.accountingPeriods.filter((p) => p.status === "closed");
    expect(closed).toHaveLength(1);
    expect(closed[0]!.closedAt).toBeTruthy();
    for (const e of data.legalEntities) {
      const months = data.accountingPeriods.filter((p) => p.legalEntityId === e.id).map((p) => p.period);
      expect(months[0]).toBe(data.calendar.startDate.slice(0, 7));
      expect(months[months.length - 1]).toBe(data.calendar.endDate.slice(0, 7));
    }
  });

  it("posts and bills history consistently with the rates, the outbox and the invoices", () => {
    const lookups = buildLookups(lookupData(data, [], []));
    const invoiceTotals = new Map<string, Big>();
    for (const l of [...data.invoiceLines, ...data.expenses.flatMap((x) => (x.invoiceLine ? [x.invoiceLine] : []))]) {
      invoiceTotals.set(l.invoiceId, (invoiceTotals.get(l.invoiceId) ?? new Big(0)).plus(l.amount));
    }
    const now = `${data.calendar.endDate}T23:59:59.999Z`;
    for (const { entry: e, posting, invoiceLine, raws } of bundles) {
      const posted = e.state === "posted" || e.state === "billed";
      expect(raws.length).toBeGreaterThanOrEqual(1);
      expect(e.contentHash).toBe(
        timeEntryMaterialHash({ workDate: e.workDate, hours: e.hours, billable: e.billable, sourceUserId: e.sourceUserId, sourceProjectId: e.sourceProjectId, sourceTaskId: e.sourceTaskId }),
      );
      const times = [e.submittedAt, e.approvedAt, e.postedAt, e.billedAt].filter((t): t is string => !!t);
      expect([...times].sort()).toEqual(times);
      for (const t of times) expect(t < now).toBe(true);
      if (!posted) {
        expect(posting).toBeNull();
        expect(e.billAmount ?? null).toBeNull();
        expect(e.workDate >= data.calendar.historyBefore || e.sourceId.startsWith("249")).toBe(true);
        continue;
      }
      expect(e.workDate < data.calendar.historyBefore).toBe(true);
      const bill = e.billable ? lookups.billRate(e.projectId!, e.laborCategoryId!, e.workDate) : null;
      expect(e.billRate ?? null).toBe(bill?.rate ?? null);
      expect(e.billAmount).toBe(bill ? new Big(e.hours).times(bill.rate).toFixed(2) : "0.00");
      const cost = lookups.costRate(e.employeeId!, e.workDate)!;
      expect(e.costRate).toBe(cost.rate);
      expect(e.costAmount).toBe(new Big(e.hours).times(cost.rate).toFixed(2));
      expect(e.postedVersion).toBe(e.version);
      expect(e.erpId).toMatch(/^TB-\d+$/);
      expect(posting).toMatchObject({
        status: "accepted",
        kind: "create",
        entryVersion: e.version,
        timeEntryId: e.id,
        erpId: e.erpId,
        amount: e.billAmount,
        idempotencyKey: idempotencyKey({ sourceSystem: "harvest", sourceId: e.sourceId, version: e.version!, kind: "create" }),
      });
      if (e.state === "billed") {
        expect(invoiceLine).toMatchObject({ timeEntryId: e.id, invoiceId: e.invoiceId, hours: e.hours });
        invoiceTotals.set(e.invoiceId!, (invoiceTotals.get(e.invoiceId!) ?? new Big(0)).plus(invoiceLine!.amount));
      } else {
        expect(invoiceLine).toBeNull();
      }
    }
    for (const inv of data.invoices) expect(inv.total).toBe(invoiceTotals.get(inv.id)!.toFixed(2));
    expect(invoiceTotals.size).toBe(data.invoices.length);
  });

  it("writes Harvest-shaped payloads, a second one for entries rejected or edited", () => {
    const withTwo = bundles.filter((b) => b.raws.length === 2);
    expect(withTwo.length).toBeGreaterThan(10);
    expect(withTwo.some((b) => b.entry.version === 2 && b.entry.rejectedAt)).toBe(true);
    expect(withTwo.some((b) => b.entry.version === 2 && !b.entry.rejectedAt)).toBe(true);
    for (const b of bundles.slice(0, 2000)) {
      const body = b.raws[b.raws.length - 1]!.body as Record<string, unknown>;
      expect(body).toMatchObject({ id: Number(b.entry.sourceId), spent_date: b.entry.workDate, hours: Number(b.entry.hours), billable: b.entry.billable, notes: b.entry.notes });
      expect(body.is_closed).toBe(b.entry.state !== "submitted" && b.entry.state !== "rejected");
      for (const key of ["user", "client", "project", "task", "user_assignment", "task_assignment", "created_at", "updated_at", "rounded_hours", "is_locked"]) {
        expect(body).toHaveProperty(key);
      }
    }
  });
});

/**
 * Runs the real validation rules over every approved entry (one batch, lookups built from
 * the generated rows as the database would serve them) and compares what fails with the
 * manifest: the same subjects per code, the same failing entries per subject, one failure
 * per failing entry, and everything else passing.
 */
function expectRulesToMatchManifest(data: DemoData, bundles: TimeEntryBundle[]) {
  const approved = bundles.filter((b) => b.entry.state === "approved");
  const outside = bundles.filter((b) => b.entry.state !== "approved");
  const batch: EntryForValidation[] = approved.map(({ entry: e }) => ({
    id: e.id,
    sourceSystem: e.sourceSystem,
    sourceId: e.sourceId,
    version: e.version!,
    state: e.state,
    workDate: e.workDate,
    hours: e.hours,
    billable: e.billable,
    sourceUserId: e.sourceUserId,
    sourceProjectId: e.sourceProjectId,
    sourceTaskId: e.sourceTaskId,
    sourceBillRate: e.sourceBillRate ?? null,
    sourceCurrency: e.sourceCurrency ?? null,
  }));
  const verdicts = validateBatch(batch, buildLookups(lookupData(data, outside, batch)));

  const subjects = new Map<string, Set<string>>();
  const failingIds = new Map<string, Set<string>>();
  const sourceIdOf = new Map(batch.map((e) => [e.id, e.sourceId]));
  for (const v of verdicts) {
    if (v.ok) continue;
    for (const f of v.failures) {
      (subjects.get(f.code) ?? subjects.set(f.code, new Set()).get(f.code)!).add(f.subjectKey);
      const k = `${f.code}|${f.subjectKey}`;
      (failingIds.get(k) ?? failingIds.set(k, new Set()).get(k)!).add(sourceIdOf.get(v.entryId)!);
    }
    // one planted problem per entry: nothing fails twice
    expect(v.failures.map((f) => f.code)).toHaveLength(1);
  }
  const actual = Object.fromEntries([...subjects].map(([code, s]) => [code, [...s].sort()]));
  const expected = Object.fromEntries(Object.entries(data.manifest.subjects).map(([code, s]) => [code, [...s].sort()]));
  expect(actual).toEqual(expected);
  for (const p of data.manifest.plants) {
    expect([...(failingIds.get(`${p.code}|${p.subjectKey}`) ?? [])].sort()).toEqual([...p.sourceIds].sort());
  }
  expect(verdicts.filter((v) => v.ok).length).toBe(approved.length - new Set(data.manifest.plants.flatMap((p) => p.sourceIds)).size);
}

/** The lookups validation would load from the database, built straight from the generated rows. */
function lookupData(data: DemoData, outside: TimeEntryBundle[], batch: EntryForValidation[]): LookupData {
  const committed = new Map<string, Big>();
  const otherHours = new Map<string, Big>();
  const capped = new Set(data.projects.filter((p) => p.billingCap).map((p) => p.id));
  for (const { entry: e } of outside) {
    if ((e.state === "posted" || e.state === "billed") && e.projectId && capped.has(e.projectId)) {
      committed.set(e.projectId, (committed.get(e.projectId) ?? new Big(0)).plus(e.billAmount!));
    }
    const h = new Big(e.hours);
    if (["posted", "billed"].includes(e.state!) && h.gt(0) && h.lte(24)) {
      const k = `${e.sourceUserId}|${e.workDate}`;
      otherHours.set(k, (otherHours.get(k) ?? new Big(0)).plus(h));
    }
  }
  const batchKeys = new Set(batch.map(sameWorkKey));
  return {
    reportingCurrency: "USD",
    mappings: data.idMappings.map((m) => ({ kind: m.kind, sourceSystem: m.sourceSystem, externalId: m.externalId, targetId: m.targetId, targetErpId: m.targetErpId, validFrom: m.validFrom ?? null, validTo: m.validTo ?? null })),
    sourceLabels: data.sourceRefs.map((r) => ({ kind: r.kind, sourceSystem: r.sourceSystem, externalId: r.externalId, code: r.code ?? null, name: r.name })),
    projects: data.projects.map((p) => ({ id: p.id, erpId: p.erpId, code: p.code, name: p.name, status: p.status!, contractType: p.contractType, billingCap: p.billingCap ?? null, currency: p.currency, legalEntityId: p.legalEntityId, region: p.region, businessUnit: p.businessUnit })),
    employees: data.employees.map((e) => ({ id: e.id, erpId: e.erpId, name: e.name, legalEntityId: e.legalEntityId, region: e.region })),
    laborCategories: data.laborCategories.map((c) => ({ id: c.id, erpItemId: c.erpItemId, code: c.code, name: c.name, billable: c.billable! })),
    entities: data.legalEntities.map((e) => ({ id: e.id, code: e.code, name: e.name, erpSubsidiaryId: e.erpSubsidiaryId, functionalCurrency: e.functionalCurrency, region: e.region })),
    billRates: data.billRates.map((r) => ({ projectId: r.projectId ?? null, laborCategoryId: r.laborCategoryId, rate: r.rate, currency: r.currency, validFrom: r.validFrom, validTo: r.validTo ?? null })),
    costRates: data.costRates.map((r) => ({ employeeId: r.employeeId, rate: r.rate, currency: r.currency, validFrom: r.validFrom, validTo: r.validTo ?? null })),
    periods: data.accountingPeriods.map((p) => ({ legalEntityId: p.legalEntityId, period: p.period, status: p.status! })),
    fxRates: data.fxRates.map((r) => ({ from: r.fromCurrency, to: r.toCurrency, day: r.rateDate, rate: r.rate })),
    committed: [...committed].map(([projectId, a]) => ({ projectId, amount: a.toFixed(2) })),
    otherHours: [...otherHours].map(([k, h]) => {
      const [sourceUserId, day] = k.split("|") as [string, string];
      return { sourceSystem: "harvest" as const, sourceUserId, day, hours: h.toFixed(2) };
    }),
    sameWork: outside
      .filter((b) => b.entry.state !== "rejected" && b.entry.state !== "void")
      .map((b) => ({ key: sameWorkKey({ ...b.entry, hours: b.entry.hours } as EntryForValidation), sourceId: b.entry.sourceId, inErp: b.entry.state === "posted" || b.entry.state === "billed" }))
      .filter((s) => batchKeys.has(s.key)),
  };
}
