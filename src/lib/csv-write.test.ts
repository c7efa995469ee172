import { describe, expect, it } from "vitest";
import { csvField, csvLine } from "./csv-write";

describe("CSV fields", () => {
  it("quotes what needs quoting and doubles quotes", () => {
    expect(csvField('Project "Acme", phase 2')).toBe('"Project ""Acme"", phase 2"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvField(new Date("2026-11-22T08:00:00Z"))).toBe("2026-11-22T08:00:00.000Z");
  });
  it("never lets a spreadsheet run a cell as a formula, but keeps negative numbers", () => {
    expect(csvField("=HYPERLINK(\"x\")")).toBe("\"'=HYPERLINK(\"\"x\"\")\"");
    expect(csvField("+1 555")).toBe("'+1 555");
    expect(csvField("-12.50")).toBe("-12.50");
    expect(csvLine(["a", 1, null])).toBe("a,1,\r\n");
  });
});
