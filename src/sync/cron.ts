/**
 * Five-field cron expressions (minute hour day-of-month month day-of-week, UTC) for connector
 * schedules: `*`, numbers, ranges `a-b`, steps `*\/n` or `a-b/n`, lists `a,b`. A malformed
 * expression is refused with a sentence saying which field and why.
 */
const FIELDS = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day of month", min: 1, max: 31 },
  { name: "month", min: 1, max: 12 },
  { name: "day of week", min: 0, max: 6 },
] as const;

export type Cron = { expression: string; sets: Set<number>[] };

export class CronError extends Error {}

function parseField(text: string, f: (typeof FIELDS)[number]): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(",")) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CronError(`the ${f.name} field "${text}" is not a number, range, list or step`);
    const step = m[4] ? Number(m[4]) : 1;
    if (step < 1) throw new CronError(`the ${f.name} step must be at least 1`);
    const from = m[1] === "*" ? f.min : Number(m[2]);
    const to = m[1] === "*" ? f.max : m[3] !== undefined ? Number(m[3]) : m[4] ? f.max : from;
    if (from < f.min || to > f.max || from > to) throw new CronError(`the ${f.name} field "${part}" is outside ${f.min}–${f.max}`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export function parseCron(expression: string): Cron {
  const parts = expression.trim().split(/\s+/);
  if (parts.length !== 5) throw new CronError(`a schedule has 5 fields (minute hour day-of-month month day-of-week), "${expression}" has ${parts.length}`);
  return { expression, sets: parts.map((p, i) => parseField(p, FIELDS[i]!)) };
}

/** Does the schedule fire in the minute of `at` (UTC)? */
export function cronMatches(cron: Cron, at: Date): boolean {
  const [minute, hour, dom, month, dow] = cron.sets as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  return (
    minute.has(at.getUTCMinutes()) &&
    hour.has(at.getUTCHours()) &&
    dom.has(at.getUTCDate()) &&
    month.has(at.getUTCMonth() + 1) &&
    dow.has(at.getUTCDay())
  );
}

/** The next minute (UTC) strictly after `from` at which the schedule fires; null if none within a year. */
export function nextFire(cron: Cron, from: Date): Date | null {
  const t = new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);
  const [minute, hour, dom, month] = cron.sets as [Set<number>, Set<number>, Set<number>, Set<number>];
  for (let i = 0; i < 366 * 24 * 60; ) {
    // skip whole days and hours that cannot match before trying minutes
    if (!month.has(t.getUTCMonth() + 1) || !dom.has(t.getUTCDate()) || !cronMatchesDay(cron, t)) {
      const skip = 24 * 60 - (t.getUTCHours() * 60 + t.getUTCMinutes());
      t.setTime(t.getTime() + skip * 60_000);
      i += skip;
      continue;
    }
    if (!hour.has(t.getUTCHours())) {
      const skip = 60 - t.getUTCMinutes();
      t.setTime(t.getTime() + skip * 60_000);
      i += skip;
      continue;
    }
    if (minute.has(t.getUTCMinutes())) return new Date(t);
    t.setTime(t.getTime() + 60_000);
    i += 1;
  }
  return null;
}

function cronMatchesDay(cron: Cron, at: Date): boolean {
  return cron.sets[4]!.has(at.getUTCDay());
}
