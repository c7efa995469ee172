import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { csvField, csvLine, defuseFormula, undefuseFormula } from "./csv-write";

/** What a spreadsheet runs: =, +, -, @ (or full-width) first after spaces/controls, or tab/CR/LF/NUL first; a plain number is not. */
const runs = (cell: string) => (/^[\s\u0000-\u001f]*[=+\-@＝＋－＠]/.test(cell) || /^[\t\r\n\u0000]/.test(cell)) && !/^-?\d+(\.\d+)?$/.test(cell);

describe("CSV fields", () => {
  it("quotes what needs quoting and doubles quotes", () => {
    expect(csvField('Project "Acme", phase 2')).toBe('"Project ""Acme"", phase 2"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(" padded ")).toBe('" padded "');
    expect(csvField(null)).toBe("");
    expect(csvField(new Date("2026-11-22T08:00:00Z"))).toBe("2026-11-22T08:00:00.000Z");
  });

  it("never lets a spreadsheet run a cell as a formula, but keeps negative numbers", () => {
    expect(csvField('=HYPERLINK("x")')).toBe("\"'=HYPERLINK(\"\"x\"\")\"");
    expect(csvField("+1 555")).toBe("'+1 555");
    expect(csvField("-12.50")).toBe("-12.50");
    expect(csvField(-3)).toBe("-3");
    expect(csvField("@SUM(A1:A9)")).toBe("'@SUM(A1:A9)");
    expect(csvField("-2+3")).toBe("'-2+3");
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });

  it("defuses what hides behind spaces, tabs, line breaks, NUL and full-width signs", () => {
    expect(csvField("  =1+1")).toBe("'  =1+1");
    expect(csvField("\t=1+1")).toBe("'\t=1+1");
    expect(csvField("\r\n=1+1")).toBe("\"'\r\n=1+1\"");
    expect(csvField("\u0000=cmd")).toBe("'\u0000=cmd");
    expect(csvField("＝1+1")).toBe("'＝1+1");
    expect(csvField("\ttext")).toBe("'\ttext");
  });

  it("leaves ordinary text alone, apostrophes included", () => {
    for (const s of ["Acme ERP rollout", "It's fine", "'quoted'", "a=b", "e-mail", "100%", ""]) expect(csvField(s)).toBe(s.includes(",") ? `"${s}"` : s);
  });

  it("an apostrophe before a formula start gets one more, so reading it back gives the original", () => {
    expect(defuseFormula("'=x")).toBe("''=x");
    expect(undefuseFormula("''=x")).toBe("'=x");
    expect(undefuseFormula("'=x")).toBe("=x");
    expect(undefuseFormula("'quoted'")).toBe("'quoted'");
    expect(undefuseFormula("'-12.50")).toBe("'-12.50");
  });

  it("for any text: the field never runs as a formula, and undefusing gives the text back", () => {
    const text = fc.string({ unit: fc.oneof(fc.constantFrom("=", "+", "-", "@", "'", " ", "\t", "\r", "\n", "\u0000", "＝", "1", ".", "a", '"', ","), fc.string({ unit: "binary", maxLength: 1 })) });
    fc.assert(
      fc.property(text, (s) => {
        const d = defuseFormula(s);
        expect(runs(d)).toBe(false);
        expect(undefuseFormula(d)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });
});
