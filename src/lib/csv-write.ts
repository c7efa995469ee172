/**
 * Writing CSV for people who open it in a spreadsheet. Every CSV export goes through
 * `csvField` / `csvLine`: one place decides quoting and formula defusing.
 */

/**
 * Text a spreadsheet would run as a formula: a cell starting with =, +, -, @ (or their
 * full-width forms, which some spreadsheets also take), possibly after spaces or control
 * characters, and a cell starting with a tab, a line break or NUL. A plain number
 * ("-12.50") is a number, not a formula.
 */
const FORMULA = /^[\s\u0000-\u001f]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n\u0000]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

const runsAsFormula = (s: string) => FORMULA.test(s) && !NUMBER.test(s);

/**
 * The text with a leading apostrophe if a spreadsheet would run it as a formula, so it is
 * shown as text and never evaluated. Text that is apostrophes before such a start gets one
 * more, so `undefuseFormula` gives back exactly the original.
 */
export function defuseFormula(s: string): string {
  return runsAsFormula(s.replace(/^'+/, "")) ? `'${s}` : s;
}

/**
 * The reverse of `defuseFormula`, for files Hourbridge exports and reads back (the mapping
 * file): one leading apostrophe before a formula start is removed; any other text is kept.
 */
export function undefuseFormula(s: string): string {
  return s.startsWith("'") && runsAsFormula(s.replace(/^'+/, "")) ? s.slice(1) : s;
}

/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, or line break, or starts
 * or ends with a space, quotes doubled; text that a spreadsheet would run as a formula is
 * defused (`defuseFormula`). Dates are written as ISO 8601 UTC; null and undefined as empty.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  const s = defuseFormula(value instanceof Date ? value.toISOString() : String(value));
  return /[",\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV record, CRLF-terminated. */
export const csvLine = (fields: unknown[]): string => `${fields.map(csvField).join(",")}\r\n`;
