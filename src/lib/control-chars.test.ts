import { describe, expect, it } from "vitest";
import { escapeControls, findControl, findControlIn } from "./control-chars";

describe("characters text cannot hold", () => {
  it("finds NUL, other C0 and C1 controls, DEL and surrogate halves; tab and line breaks only where text spans lines", () => {
    expect(findControl("plain text — ünïcödé 😀")).toBeNull();
    expect(findControl("a\tb\r\nc")).toBeNull();
    expect(findControl("a\tb", false)).toEqual({ index: 1, code: 9 });
    expect(findControl("ab\u0000")).toEqual({ index: 2, code: 0 });
    expect(findControl("\u001b[31m")).toEqual({ index: 0, code: 0x1b });
    expect(findControl("x\u007f")).toEqual({ index: 1, code: 0x7f });
    expect(findControl("x\u0085")).toEqual({ index: 1, code: 0x85 });
    expect(findControl("x\u00a0y")).toBeNull();
    expect(findControl("😀\ud83d")).toEqual({ index: 2, code: 0xd83d });
    expect(findControl("\ude00")).toEqual({ index: 0, code: 0xde00 });
  });

  it("escapes every such character visibly, and quickly however many there are", () => {
    expect(escapeControls("a\u0000b\u0001c")).toBe("a\\u0000b\\u0001c");
    expect(escapeControls("line\nbreak")).toBe("line\nbreak");
    expect(escapeControls("line\nbreak", false)).toBe("line\\u000abreak");
    const many = "\u0000".repeat(200_000);
    const started = performance.now();
    expect(escapeControls(many)).toHaveLength(1_200_000);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("walks values for the first one, naming its path; keys hold no line breaks", () => {
    expect(findControlIn({ a: [1, "ok", { b: "x\u0000" }] })).toEqual({ path: ["a", 2, "b"], code: 0, key: false });
    expect(findControlIn({ "k\n": 1 })).toEqual({ path: ["k\n"], code: 10, key: true });
    expect(findControlIn(new Map([["m", "v\u0002"]]))).toEqual({ path: ["m"], code: 2, key: false });
    expect(findControlIn({ notes: "a\nb", id: "c\nd" }, { multiline: (p) => p[0] === "notes" })).toEqual({ path: ["id"], code: 10, key: false });
    const cyclic: Record<string, unknown> = { s: "fine" };
    cyclic.self = cyclic;
    expect(findControlIn(cyclic)).toBeNull();
  });
});
