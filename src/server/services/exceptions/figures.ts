import { and, inArray, or, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import type { ServiceCtx } from "../context";
import { queueFrom, type Viewer } from "./list";
import { exceptions } from "../../db/schema";
import { ageHoursSql, checkFilterValues, filterCondition, queueFilter, slaHoursSql } from "./query";

export const figuresInput = z.object({ filter: queueFilter.default({}) });

/**
 * The queue header for the current filter: what is open (count, entries, hours, value in the
 * reporting currency, the oldest), how many are past their SLA, and what was resolved today
 * (UTC) — the last under the same filter whatever its status choice.
 */
export async function queueFigures({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: z.input<typeof figuresInput> }) {
  const { filter } = figuresInput.parse(input);
  await checkFilterValues(ctx.db, filter);
  const anyStatus = filterCondition({ ...filter, status: undefined }, viewer.scope, viewer.userId, { ignoreStatus: true });
  const open = sql`${exceptions.status} = 'open'`;
  // every other condition is in the WHERE clause once; the aggregates only tell statuses apart
  const inFilter = inArray(exceptions.status, filter.status?.length ? filter.status : ["open"]);
  const resolvedToday = sql`${exceptions.status} = 'resolved' and ${exceptions.resolvedAt} >= date_trunc('day', now() at time zone 'UTC') at time zone 'UTC'`;
  const [row] = (await queueFrom(ctx.db, {
    matching: sql<number>`count(*) filter (where ${inFilter})::int`,
    open: sql<number>`count(*) filter (where ${open} and ${inFilter})::int`,
    entries: sql<number>`coalesce(sum(${exceptions.entriesCount}) filter (where ${open} and ${inFilter}), 0)::int`,
    hours: sql<string>`coalesce(sum(${exceptions.hoursAtStake}) filter (where ${open} and ${inFilter}), 0)::text`,
    value: sql<string>`coalesce(sum(${exceptions.valueReporting}) filter (where ${open} and ${inFilter}), 0)::text`,
    unvalued: sql<number>`count(*) filter (where ${open} and ${inFilter} and ${exceptions.valueReporting} is null and ${exceptions.entriesCount} > 0)::int`,
    oldestFirstSeenAt: sql<Date | null>`min(${exceptions.firstSeenAt}) filter (where ${open} and ${inFilter})`.mapWith((v) => (v ? new Date(v) : null)),
    oldestAgeHours: sql<number | null>`max(${ageHoursSql}) filter (where ${open} and ${inFilter})`.mapWith((v) => (v === null ? null : Number(v))),
    overSla: sql<number>`count(*) filter (where ${open} and ${inFilter} and ${ageHoursSql} >= ${slaHoursSql})::int`,
    resolvedToday: sql<number>`count(*) filter (where ${resolvedToday})::int`,
  }).where(and(anyStatus, or(inFilter, resolvedToday)))) as unknown as {
    matching: number;
    open: number;
    entries: number;
    hours: string;
    value: string;
    unvalued: number;
    oldestFirstSeenAt: Date | null;
    oldestAgeHours: number | null;
    overSla: number;
    resolvedToday: number;
  }[];
  return { reportingCurrency: env.REPORTING_CURRENCY, ...row! };
}
