import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EXCEPTION_CODES } from "@/server/domain/enums";
import { entry, IDS, world } from "./fixtures";
import { buildLookups, type LookupData } from "./lookups";
import type { EntryForValidation, EntryVerdict, RuleFailure } from "./types";
import { validateBatch } from "./validate";

function verdicts(entries: EntryForValidation[], over: Partial<LookupData> = {}) {
  return validateBatch(entries, buildLookups(world(over)));
}
function one(e: EntryForValidation, over: Partial<LookupData> = {}): EntryVerdict {
  return verdicts([e], over)[0]!;
}
function failuresOf(v: EntryVerdict): RuleFailure[] {
  return v.ok ? [] : v.failures;
}
function codes(v: EntryVerdict) {
  return failuresOf(v).map((f) => f.code);
}

describe("a clean entry", () => {
  it("passes and is enriched with ERP keys, entity, currency and the rates of its day", () => {
    const v = one(entry({ workDate: "2026-05-12", hours: "4.00" }));
    expect(v.ok).toBe(true);
    if (!v.ok) return;
    expect(v.enrichment).toEqual({
      employeeId: IDS.ana,
      projectId: IDS.acme,
      laborCategoryId: IDS.senior,
      legalEntityId: IDS.us,
      currency: "USD",
      billRate: "175.50",
      costRate: "90.00",
      billAmount: "702.00",
      costAmount: "360.00",
      erp: { jobId: "JOB-1", itemId: "ITEM-SC", employeeId: "EMP-1", subsidiaryId: "1" },
    });
  });

  it("prices money exactly (no float drift): 0.1 h × 175.50 = 17.55", () => {
    const v = one(entry({ hours: "0.10" }));
    expect(v.ok && v.enrichment.billAmount).toBe("17.55");
  });
});

describe("rates by date", () => {
  it("takes the standard rate in effect on the work date when the rate changes mid-week", () => {
    const tue = one(entry({ sourceProjectId: "103", workDate: "2026-05-12", hours: "1.00" }));
    const wed = one(entry({ sourceProjectId: "103", workDate: "2026-05-13", hours: "1.00" }));
    expect(tue.ok && tue.enrichment.billRate).toBe("180.00");
    expect(wed.ok && wed.enrichment.billRate).toBe("190.00");
  });

  it("prefers the project's own rate over the standard rate", () => {
    const v = one(entry({ sourceProjectId: "101", workDate: "2026-05-13" }));
    expect(v.ok && v.enrichment.billRate).toBe("175.50");
  });

  it("uses only a rate in the project's currency (GBP project, GBP rate)", () => {
    const v = one(entry({ sourceProjectId: "102", sourceUserId: "302", workDate: "2026-05-12", hours: "2.00" }));
    expect(v.ok && v.enrichment).toMatchObject({ currency: "GBP", billRate: "140.00", billAmount: "280.00", legalEntityId: IDS.uk });
  });

  it("a non-billable category posts with no bill rate and zero bill amount", () => {
    const v = one(entry({ sourceTaskId: "202" }));
    expect(v.ok && v.enrichment).toMatchObject({ billRate: null, billAmount: "0.00", costAmount: "360.00" });
  });
});

describe("HOURS_INVALID", () => {
  it.each(["0.00", "24.25", "25.00"])("refuses %s h on one entry (subject: the entry)", (hours) => {
    const e = entry({ hours });
    const [f] = failuresOf(one(e));
    expect(f).toMatchObject({ code: "HOURS_INVALID", owner: "pmo", subjectKey: `entry:harvest:${e.sourceId}` });
    expect(f!.message).toContain(`${Number(hours)} h`);
  });

  it("accepts exactly 24 h", () => {
    expect(one(entry({ hours: "24.00" })).ok).toBe(true);
  });

  it("refuses a person's day over 24 h across entries (subject: the person-day), counting entries outside the batch", () => {
    const a = entry({ hours: "8.00", sourceProjectId: "101" });
    const b = entry({ hours: "9.00", sourceProjectId: "103" });
    const vs = verdicts([a, b], { otherHours: [{ sourceSystem: "harvest", sourceUserId: "301", day: "2026-05-12", hours: "7.50" }] });
    for (const v of vs) {
      expect(failuresOf(v).map((f) => f.subjectKey)).toEqual(["person-day:harvest:301:2026-05-12"]);
    }
    expect(failuresOf(vs[0]!)[0]!.message).toContain("24.5 h");
  });

  it("does not count an entry that is invalid on its own towards its day", () => {
    const bad = entry({ hours: "25.00" });
    const ok = entry({ hours: "2.00", sourceProjectId: "103" });
    const [vb, vo] = verdicts([bad, ok]);
    expect(failuresOf(vb!).map((f) => f.subjectKey)).toEqual([`entry:harvest:${bad.sourceId}`]);
    expect(vo!.ok).toBe(true);
  });
});

describe("mapping rules", () => {
  it("PROJECT_UNMAPPED names the source project and carries the value at the source's rate", () => {
    const v = one(entry({ sourceProjectId: "999", hours: "38.5", sourceBillRate: "180.00", sourceCurrency: "USD", workDate: "2026-05-12" }));
    const f = failuresOf(v).find((x) => x.code === "PROJECT_UNMAPPED")!;
    expect(f).toMatchObject({
      owner: "pmo",
      subjectKey: "source-project:harvest:999",
      message: "Project HV-2291 'Acme data platform' has no ERP job mapping.",
      hoursAtStake: "38.50",
      valueAtStake: "6930.00",
      currency: "USD",
      valueReporting: "6930.00",
    });
    expect(f.suggestedFix).toContain("Mappings → Projects");
  });

  it("TASK_UNMAPPED and EMPLOYEE_UNMAPPED go to their owners", () => {
    const v = one(entry({ sourceTaskId: "299", sourceUserId: "399" }));
    const byCode = Object.fromEntries(failuresOf(v).map((f) => [f.code, f]));
    expect(byCode.TASK_UNMAPPED).toMatchObject({ owner: "pmo", subjectKey: "source-task:harvest:299" });
    expect(byCode.TASK_UNMAPPED!.message).toContain("'Workshop facilitation'");
    expect(byCode.EMPLOYEE_UNMAPPED).toMatchObject({ owner: "hr", subjectKey: "source-user:harvest:399" });
    expect(byCode.EMPLOYEE_UNMAPPED!.message).toContain("Carl Jensen");
  });

  it("respects a mapping's effective dates", () => {
    const mappings = world().mappings.map((m) =>
      m.kind === "project" && m.externalId === "101" ? { ...m, validFrom: "2026-05-13" } : m,
    );
    expect(codes(one(entry({ workDate: "2026-05-12" }), { mappings }))).toContain("PROJECT_UNMAPPED");
    expect(one(entry({ workDate: "2026-05-13" }), { mappings }).ok).toBe(true);
  });
});

describe("project, period and rate rules", () => {
  it.each([
    ["on_hold", "is on hold"],
    ["closed", "is closed"],
  ] as const)("PROJECT_NOT_ACTIVE when the ERP project is %s", (status, words) => {
    const projects = world().projects.map((p) => (p.id === IDS.acme ? { ...p, status } : p));
    const [f] = failuresOf(one(entry(), { projects }));
    expect(f).toMatchObject({ code: "PROJECT_NOT_ACTIVE", owner: "pmo", subjectKey: `project:${IDS.acme}` });
    expect(f!.message).toContain(words);
  });

  it("PERIOD_CLOSED for work in a closed period of the project's entity", () => {
    const [f] = failuresOf(one(entry({ workDate: "2026-04-30" })));
    expect(f).toMatchObject({ code: "PERIOD_CLOSED", owner: "finance", subjectKey: `period:${IDS.us}:2026-04` });
    expect(f!.message).toBe("Accounting period 2026-04 of US01 is closed: time worked in it cannot post.");
  });

  it("BILL_RATE_MISSING when no rate in the project currency covers the day", () => {
    const billRates = world().billRates.filter((r) => r.currency !== "GBP");
    const [f] = failuresOf(one(entry({ sourceProjectId: "102", sourceUserId: "302" }), { billRates }));
    expect(f).toMatchObject({ code: "BILL_RATE_MISSING", owner: "finance", subjectKey: `bill-rate:${IDS.beta}:${IDS.senior}`, valueAtStake: null });
  });

  it("no bill rate is needed for a non-billable entry", () => {
    expect(one(entry({ billable: false }), { billRates: [] }).ok).toBe(true);
  });

  it("COST_RATE_MISSING when the person's cost rate ended before the work date", () => {
    const [f] = failuresOf(one(entry({ sourceProjectId: "102", sourceUserId: "302", workDate: "2026-06-01" }), {
      fxRates: [{ from: "GBP", to: "USD", day: "2026-06-01", rate: "1.27" }],
      periods: [],
    }));
    expect(f).toMatchObject({ code: "COST_RATE_MISSING", owner: "hr", subjectKey: `cost-rate:${IDS.ben}` });
  });

  it("FX_RATE_MISSING when no rate to the reporting currency within 3 days; a rate 3 days back will do", () => {
    // GBP→USD known on the 11th, 12th and 15th
    const ok = one(entry({ sourceProjectId: "102", sourceUserId: "302", workDate: "2026-05-14" })); // 12th is 2 days back
    expect(ok.ok).toBe(true);
    const v = one(entry({ sourceProjectId: "102", sourceUserId: "302", workDate: "2026-05-20" }));
    const f = failuresOf(v).find((x) => x.code === "FX_RATE_MISSING")!;
    expect(f).toMatchObject({ owner: "finance", subjectKey: "fx:GBP:USD:2026-05-20", valueAtStake: "560.00", currency: "GBP", valueReporting: null });
  });

  it("values a GBP entry in USD at its work date's rate", () => {
    const billRates = world().billRates.filter((r) => r.currency !== "GBP");
    const [f] = failuresOf(one(entry({ sourceProjectId: "102", sourceUserId: "302", sourceBillRate: "100.00", sourceCurrency: "GBP", workDate: "2026-05-12" }), { billRates }));
    // 4 h × GBP 100 = GBP 400 at 1.26 = USD 504
    expect(f).toMatchObject({ valueAtStake: "400.00", currency: "GBP", valueReporting: "504.00" });
  });
});

describe("BILLING_CAP_EXCEEDED", () => {
  it("lets entries post up to the cap, in work-date order, and stops the one that would burst it", () => {
    // cap 10,000; 9,000 already committed; 180/h before the 13th, 190/h after
    const a = entry({ sourceProjectId: "103", workDate: "2026-05-12", hours: "4.00" }); // 720 → 9,720
    const b = entry({ sourceProjectId: "103", workDate: "2026-05-13", hours: "2.00" }); // 380 → 10,100 ✗
    const c = entry({ sourceProjectId: "103", workDate: "2026-05-14", hours: "1.00" }); // 190 → 9,910 ✓
    const [vb, va, vc] = verdicts([b, a, c], { committed: [{ projectId: IDS.capped, amount: "9000.00" }] });
    expect(va!.ok).toBe(true);
    expect(vc!.ok).toBe(true);
    const [f] = failuresOf(vb!);
    expect(f).toMatchObject({ code: "BILLING_CAP_EXCEEDED", owner: "finance", subjectKey: `cap:${IDS.capped}` });
    expect(f!.message).toContain("USD 10,100.00");
    expect(f!.message).toContain("cap of USD 10,000.00");
  });
});

describe("DUPLICATE_SUSPECTED", () => {
  it("flags the later of two entries with the same person, day, project and hours", () => {
    const first = entry({ sourceId: "5001" });
    const copy = entry({ sourceId: "5002", sourceTaskId: "202" });
    const [v1, v2] = verdicts([copy, first].reverse());
    expect(v1!.ok).toBe(true);
    expect(failuresOf(v2!)).toMatchObject([{ code: "DUPLICATE_SUSPECTED", subjectKey: "entry:harvest:5002" }]);
    expect(failuresOf(v2!)[0]!.message).toContain("copy of entry 5001");
  });

  it("treats the one already in the ERP as the original, whatever its id", () => {
    const e = entry({ sourceId: "4000" });
    const key = `harvest|301|${e.workDate}|101|4.00`;
    const [v] = verdicts([e], { sameWork: [{ key, sourceId: "4500", inErp: true }] });
    expect(failuresOf(v!)).toMatchObject([{ code: "DUPLICATE_SUSPECTED", details: { originalSourceId: "4500", originalInErp: true } }]);
  });

  it("different hours are not a duplicate", () => {
    const vs = verdicts([entry({ sourceId: "6001" }), entry({ sourceId: "6002", hours: "4.25" })]);
    expect(vs.every((v) => v.ok)).toBe(true);
  });
});

describe("every failure", () => {
  it("carries the owner and severity of its code", () => {
    const vs = verdicts([
      entry({ hours: "0" }),
      entry({ sourceProjectId: "999" }),
      entry({ sourceTaskId: "299" }),
      entry({ sourceUserId: "399" }),
      entry({ workDate: "2026-04-01" }),
    ]);
    const all = vs.flatMap(failuresOf);
    expect(all.length).toBeGreaterThanOrEqual(5);
    for (const f of all) {
      expect(f.owner).toBe(EXCEPTION_CODES[f.code].owner);
      expect(f.severity).toBe(EXCEPTION_CODES[f.code].severity);
    }
  });
});

describe("validation is a pure function", () => {
  const arbEntry = fc.record({
    sourceId: fc.integer({ min: 1, max: 60 }).map(String),
    workDate: fc.constantFrom("2026-04-30", "2026-05-11", "2026-05-12", "2026-05-13", "2026-05-20"),
    hours: fc.integer({ min: -1, max: 100 }).map((q) => (q / 4).toFixed(2)),
    billable: fc.boolean(),
    sourceUserId: fc.constantFrom("301", "302", "399"),
    sourceProjectId: fc.constantFrom("101", "102", "103", "999"),
    sourceTaskId: fc.constantFrom("201", "202", "299"),
  });
  const arbBatch = fc.uniqueArray(arbEntry, { selector: (e) => e.sourceId, maxLength: 25 }).map((rows) =>
    rows.map((r) => entry({ ...r, id: `te-${r.sourceId}` })),
  );

  it("gives the same verdicts for the same input, every time", () => {
    fc.assert(
      fc.property(arbBatch, (batch) => {
        const lookups = buildLookups(world({ committed: [{ projectId: IDS.capped, amount: "9500.00" }] }));
        expect(validateBatch(batch, lookups)).toEqual(validateBatch(structuredClone(batch), lookups));
      }),
      { numRuns: 200 },
    );
  });

  it("does not depend on the order the batch arrives in", () => {
    fc.assert(
      fc.property(arbBatch, (batch) => {
        const lookups = buildLookups(world({ committed: [{ projectId: IDS.capped, amount: "9500.00" }] }));
        const byId = (vs: EntryVerdict[]) => [...vs].sort((a, b) => a.entryId.localeCompare(b.entryId));
        expect(byId(validateBatch([...batch].reverse(), lookups))).toEqual(byId(validateBatch(batch, lookups)));
      }),
      { numRuns: 200 },
    );
  });
});
