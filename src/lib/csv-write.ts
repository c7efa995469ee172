/**
 * One CSV field per RFC 4180: quoted when it holds a comma, quote, or line break, quotes
 * doubled. A field that a spreadsheet would run as a formula (=, +, -, @ first) gets a
 * leading apostrophe, so an exported message can never execute in the reader's spreadsheet.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return "";
  let s = value instanceof Date ? value.toISOString() : String(value);
  if (/^[=+\-@\t\r]/.test(s) && !/^-?\d+(\.\d+)?$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const csvLine = (fields: unknown[]): string => `${fields.map(csvField).join(",")}\r\n`;
