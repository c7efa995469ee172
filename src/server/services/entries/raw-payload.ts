import { controlProblem, escapeControls, findControl, findControlIn, pathText } from "@/lib/control-chars";

/**
 * What raw_records keeps of a payload received from a source (a page of a source's API, a row
 * of a CSV file). Nothing received is lost, even text a database cannot hold: jsonb refuses
 * U+0000 and half of a surrogate pair, so a payload holding either is kept as its JSON text,
 * in which such a character is written as an escape (`\u0000`); `JSON.parse(body.json)`
 * gives back exactly what was received.
 */
export type EscapedPayload = {
  escaped: true;
  why: string;
  /** the payload as JSON text, every character jsonb cannot hold written as a \u escape */
  json: string;
};

export type KeptPayload = {
  /** what raw_records.body holds */
  body: unknown;
  /** the body is an EscapedPayload */
  escaped: boolean;
  /** why the payload cannot be taken as it is (a character text may not hold, and where), or null */
  problem: string | null;
};

/** jsonb holds every character but U+0000 and unpaired surrogates. */
const unstorable = (code: number) => code === 0 || (code >= 0xd800 && code <= 0xdfff);

function firstUnstorable(v: unknown): { path: (string | number)[]; code: number } | null {
  // findControlIn stops at the first control character; search on past the storable ones
  if (typeof v === "string") {
    for (let hit = findControl(v, true); hit; hit = findControl(v, true, hit.index + 1)) {
      if (unstorable(hit.code)) return { path: [], code: hit.code };
    }
    return null;
  }
  if (v === null || typeof v !== "object") return null;
  const entries: [string | number, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v as Record<string, unknown>);
  for (const [k, x] of entries) {
    if (typeof k === "string") {
      const inKey = firstUnstorable(k);
      if (inKey) return { path: [k], code: inKey.code };
    }
    const inside = firstUnstorable(x);
    if (inside) return { path: [k, ...inside.path], code: inside.code };
  }
  return null;
}

/**
 * Reads a received payload and its canonical reading for text no column may hold. `entry`:
 * the fields of the canonical reading that may span lines (notes) may hold tabs and line
 * breaks; the payload as received may hold them anywhere. Any other control character, and
 * half of a surrogate pair, makes the record a PAYLOAD_INVALID; U+0000 or a surrogate half
 * in the payload also makes the raw body its escaped JSON text.
 */
export function keepPayload(payload: unknown, entry: unknown, multilineFields: readonly string[] = ["notes"]): KeptPayload {
  const bad = firstUnstorable(payload);
  const inPayload = findControlIn(payload) ?? (bad && { ...bad, key: false });
  const inEntry = findControlIn(entry, { multiline: (path) => path.length === 1 && multilineFields.includes(String(path[0])) });
  const hit = inPayload ?? inEntry;
  const oneLine = !inPayload && !!inEntry && !(inEntry.path.length === 1 && multilineFields.includes(String(inEntry.path[0])));
  const problem = hit ? `${hit.path.length ? `${pathText(hit.path)} ` : ""}${hit.key ? "has a name that " : ""}${controlProblem({ index: 0, code: hit.code }, !oneLine)}` : null;
  if (!bad) return { body: payload, escaped: false, problem };
  const where = bad.path.length ? ` in ${pathText(bad.path)}` : "";
  const body: EscapedPayload = {
    escaped: true,
    why: `The payload held U+${bad.code.toString(16).toUpperCase().padStart(4, "0")}${where}, which the database cannot store as JSON; it is kept as its JSON text, where such characters are written as \\u escapes.`,
    json: JSON.stringify(payload) ?? "null",
  };
  return { body, escaped: true, problem };
}

/** A source id as text can hold it (a character it cannot hold is written as a \u escape). */
export const storableId = (id: string): string => escapeControls(id, false);

/** What a refusal's message adds when the raw body had to be escaped. */
export const escapedNote = (kept: KeptPayload): string => (kept.escaped ? " The payload as received is kept escaped (as JSON text) in its lineage." : "");
