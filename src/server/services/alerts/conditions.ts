import Big from "big.js";
import { sql } from "drizzle-orm";
import { exceptions } from "../../db/schema";
import { UNRESTRICTED } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import type { OwnerTeam } from "../../domain/enums";
import { filterCondition, queueFilter, type QueueFilter } from "../exceptions/query";
import { queueFrom } from "../exceptions/list";
import type { AlertCondition } from "./catalog";

/** A team's open exceptions as the queue shows them (no scope: alerts watch the whole firm). */
export type TeamMeasures = {
  /** sum of value_reporting, decimal string; exceptions without a value count for nothing */
  value: string;
  count: number;
  /** how many have no value in the reporting currency yet (unknown rate or no project) */
  unvalued: number;
  overSla: number;
  oldestOverSlaFirstSeenAt: Date | null;
};

const NONE: TeamMeasures = { value: "0", count: 0, unvalued: 0, overSla: 0, oldestOverSlaFirstSeenAt: null };

/** One query for every team: what each rule compares with its threshold. */
export async function measureTeams(db: DbOrTx): Promise<Map<OwnerTeam, TeamMeasures>> {
  const overSla = filterCondition({ overSla: true }, UNRESTRICTED, null);
  const rows = (await queueFrom(db, {
    team: exceptions.owner,
    value: sql<string>`coalesce(sum(${exceptions.valueReporting}), 0)::text`,
    count: sql<number>`count(*)::int`,
    unvalued: sql<number>`(count(*) filter (where ${exceptions.valueReporting} is null))::int`,
    overSla: sql<number>`(count(*) filter (where ${overSla}))::int`,
    oldestOverSlaFirstSeenAt: sql<string | null>`min(${exceptions.firstSeenAt}) filter (where ${overSla})`,
  })
    .where(filterCondition({}, UNRESTRICTED, null))
    .groupBy(exceptions.owner)) as unknown as (Omit<TeamMeasures, "oldestOverSlaFirstSeenAt"> & { team: OwnerTeam; oldestOverSlaFirstSeenAt: string | Date | null })[];
  return new Map(
    rows.map(({ team, oldestOverSlaFirstSeenAt, ...m }) => [team, { ...m, oldestOverSlaFirstSeenAt: oldestOverSlaFirstSeenAt ? new Date(oldestOverSlaFirstSeenAt) : null }]),
  );
}

export const measuresOf = (all: Map<OwnerTeam, TeamMeasures>, team: OwnerTeam): TeamMeasures => all.get(team) ?? NONE;

/** The figure a rule watches (a decimal string for value, a whole number for counts) and whether it is past the threshold. */
export function judge(condition: AlertCondition, threshold: string | null, m: TeamMeasures): { value: string; breached: boolean } {
  switch (condition) {
    case "value_blocked_over":
      return { value: m.value, breached: threshold !== null && new Big(m.value).gt(threshold) };
    case "open_count_over":
      return { value: String(m.count), breached: threshold !== null && new Big(m.count).gt(threshold) };
    case "older_than_sla":
      return { value: String(m.overSla), breached: m.overSla > 0 };
  }
}

/** A stored threshold as the rule means it: an amount with cents, a whole count, or none. */
export function thresholdOf(condition: string, stored: string | null): string | null {
  if (stored === null) return null;
  return condition === "open_count_over" ? new Big(stored).toFixed(0) : stored;
}

/** The queue filter that shows what a rule is about. */
export function queueFilterFor(team: OwnerTeam, condition: AlertCondition): QueueFilter {
  return condition === "older_than_sla" ? { owner: [team], overSla: true } : { owner: [team] };
}

/**
 * A queue URL for a filter, with the queue's own parameter names: lists comma-separated,
 * booleans as 1. The filter is checked by the queue's schema first, so the link is always
 * one the queue accepts.
 */
export function queueHref(filter: QueueFilter): string {
  const f = queueFilter.parse(filter);
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(f)) {
    if (value === undefined || value === false) continue;
    if (Array.isArray(value)) {
      if (value.length) params.set(key, value.join(","));
    } else params.set(key, value === true ? "1" : String(value));
  }
  const qs = params.toString().replace(/%2C/g, ",");
  return qs ? `/exceptions?${qs}` : "/exceptions";
}
