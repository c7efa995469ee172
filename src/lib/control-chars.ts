/**
 * Characters that text in Hourbridge never holds: the control characters (U+0000–U+001F,
 * U+007F–U+009F), except tab, line feed and carriage return where the text may span lines,
 * and unpaired UTF-16 surrogates (half of a character, which no encoding can store).
 * PostgreSQL refuses U+0000 in text and jsonb outright; the rest are refused because they
 * are never meant, and they break the CSV files and screens the text is shown in.
 */

export type ControlHit = { index: number; code: number };

const TAB = 9;
const LF = 10;
const CR = 13;

/** The first character of `s` (from index `from`) that text may not hold, or null. `multiline`: tab, LF and CR are allowed. */
export function findControl(s: string, multiline = true, from = 0): ControlHit | null {
  for (let i = from; i < s.length; i += 1) {
    const c = s.charCodeAt(i);
    if (c < 0x20) {
      if (multiline && (c === TAB || c === LF || c === CR)) continue;
      return { index: i, code: c };
    }
    if (c < 0x7f) continue;
    if (c <= 0x9f) return { index: i, code: c };
    if (c >= 0xd800 && c <= 0xdbff) {
      const d = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (d >= 0xdc00 && d <= 0xdfff) {
        i += 1;
        continue;
      }
      return { index: i, code: c };
    }
    if (c >= 0xdc00 && c <= 0xdfff) return { index: i, code: c };
  }
  return null;
}

const hex = (code: number) => `U+${code.toString(16).toUpperCase().padStart(4, "0")}`;
const NAMES: Record<number, string> = { 0: "NUL", 9: "tab", 10: "line feed", 13: "carriage return", 27: "ESC", 127: "DEL" };

/** "a control character (U+0000, NUL)", "half of a character (unpaired surrogate U+D800)" */
export function describeControl(code: number): string {
  if (code >= 0xd800 && code <= 0xdfff) return `half of a character (an unpaired surrogate, ${hex(code)})`;
  if (code === TAB || code === LF || code === CR) return `a ${NAMES[code]} (${hex(code)})`;
  return `a control character (${hex(code)}${NAMES[code] ? `, ${NAMES[code]}` : ""})`;
}

/** "contains a control character (U+0000, NUL), which text cannot hold" */
export const controlProblem = (hit: ControlHit, multiline = true): string =>
  `contains ${describeControl(hit.code)}, which ${multiline ? "text" : "a one-line value"} cannot hold`;

/**
 * The text with every character it may not hold written as a visible escape (`\u0000`), so
 * that a value received with one can still be named in a message or stored as text.
 */
export function escapeControls(s: string, multiline = true): string {
  let hit = findControl(s, multiline);
  if (!hit) return s;
  let out = "";
  let from = 0;
  for (; hit; hit = findControl(s, multiline, from)) {
    out += `${s.slice(from, hit.index)}\\u${hit.code.toString(16).padStart(4, "0")}`;
    from = hit.index + 1;
  }
  return out + s.slice(from);
}

export type ControlInValue = { path: (string | number)[]; code: number; key: boolean };

/**
 * Walks a value (objects, arrays, Maps, Sets; strings as keys and values) for the first
 * character that text may not hold. `multiline(path)` says whether the string at `path` may
 * hold tabs and line breaks (default: yes). Keys never may. The walk is iterative and
 * visits each object once; below `maxDepth` levels (256 by default) it stops looking.
 */
export function findControlIn(
  value: unknown,
  opts: { multiline?: (path: (string | number)[]) => boolean; maxDepth?: number } = {},
): ControlInValue | null {
  const multiline = opts.multiline ?? (() => true);
  const maxDepth = opts.maxDepth ?? 256;
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }];
  const seen = new Set<object>();
  while (stack.length) {
    const { v, path } = stack.pop()!;
    if (typeof v === "string") {
      const hit = findControl(v, multiline(path));
      if (hit) return { path, code: hit.code, key: false };
      continue;
    }
    if (v === null || typeof v !== "object" || path.length >= maxDepth || seen.has(v)) continue;
    seen.add(v);
    const children: { v: unknown; path: (string | number)[] }[] = [];
    if (Array.isArray(v)) {
      v.forEach((item, i) => children.push({ v: item, path: [...path, i] }));
    } else if (v instanceof Map) {
      let i = 0;
      for (const [k, item] of v) {
        children.push({ v: k, path: [...path, i, "key"] }, { v: item, path: [...path, typeof k === "string" ? k : i] });
        i += 1;
      }
    } else if (v instanceof Set) {
      let i = 0;
      for (const item of v) children.push({ v: item, path: [...path, i++] });
    } else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
      for (const [k, item] of Object.entries(v)) {
        const hit = findControl(k, false);
        if (hit) return { path: [...path, k], code: hit.code, key: true };
        children.push({ v: item, path: [...path, k] });
      }
    }
    // depth first, in document order
    for (let i = children.length - 1; i >= 0; i -= 1) stack.push(children[i]!);
  }
  return null;
}

/** A path as people read it: `scope.entities.0`; the value itself when empty. */
export const pathText = (path: (string | number)[]): string => path.map((p) => (typeof p === "string" ? escapeControls(p, false) : String(p))).join(".");
