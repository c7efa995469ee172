/**
 * Calendar arithmetic on day numbers (days since 1970-01-01, UTC): exact, fast, and free of
 * time zones. Everything the generator dates is a UTC day or a UTC timestamp.
 */
const MS_PER_DAY = 86_400_000;
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;

export function dayNum(iso: string): number {
  if (!ISO_DAY.test(iso)) throw new Error(`not an ISO day (YYYY-MM-DD): "${iso}"`);
  const ms = Date.parse(`${iso}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== iso) {
    throw new Error(`not a calendar day: "${iso}"`);
  }
  return Math.round(ms / MS_PER_DAY);
}

const isoCache = new Map<number, string>();

export function isoDay(day: number): string {
  let s = isoCache.get(day);
  if (s === undefined) {
    s = new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
    if (isoCache.size < 50_000) isoCache.set(day, s);
  }
  return s;
}

/** 0 = Monday … 6 = Sunday. */
export function weekday(day: number): number {
  // 1970-01-01 was a Thursday (3)
  return (((day + 3) % 7) + 7) % 7;
}

export const isWeekend = (day: number) => weekday(day) >= 5;
export const mondayOf = (day: number) => day - weekday(day);

/** "YYYY-MM" of a day. */
export const monthOf = (day: number) => isoDay(day).slice(0, 7);

export function firstOfMonth(month: string): number {
  return dayNum(`${month}-01`);
}

export function lastOfMonth(month: string): number {
  return addMonths(firstOfMonth(month), 1) - 1;
}

/** The same day of the month `n` months later (clamped to the month's end). */
export function addMonths(day: number, n: number): number {
  const d = new Date(day * MS_PER_DAY);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + n;
  const target = new Date(Date.UTC(y, m, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return Math.round(target.getTime() / MS_PER_DAY);
}

/** Every "YYYY-MM" from the month of `from` to the month of `to`, inclusive. */
export function monthsBetween(from: number, to: number): string[] {
  const out: string[] = [];
  let m = monthOf(from);
  const last = monthOf(to);
  while (m <= last) {
    out.push(m);
    m = monthOf(addMonths(firstOfMonth(m), 1));
  }
  return out;
}

/** A UTC timestamp (ISO 8601, milliseconds) `minutes` after midnight of `day`. */
export function isoAt(day: number, minutes: number): string {
  return new Date(day * MS_PER_DAY + Math.round(minutes * 60_000)).toISOString();
}

/** Minutes since the epoch of an ISO timestamp, for ordering and offsets. */
export function minutesOf(iso: string): number {
  return Date.parse(iso) / 60_000;
}

export function isoFromMinutes(minutes: number): string {
  return new Date(Math.round(minutes * 60_000)).toISOString();
}
