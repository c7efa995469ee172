import { and, desc, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import { exceptions, projects } from "../../db/schema";
import type { ServiceCtx } from "../context";
import { queueFrom, type Viewer } from "./list";
import { ageHoursSql, checkFilterValues, filterCondition, queueFilter } from "./query";

export const groupsInput = z.object({
  filter: queueFilter.default({}),
  by: z.enum(["code", "project"], { error: 'group by must be "code" or "project"' }),
});

/**
 * The current filter's exceptions grouped by code or by project, with counts and what they
 * block (entries, hours, value in the reporting currency), largest value first. Exceptions
 * about a source project with no ERP job yet group under their source project's label.
 */
export async function queueGroups({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: z.input<typeof groupsInput> }) {
  const { filter, by } = groupsInput.parse(input);
  await checkFilterValues(ctx.db, filter);
  const key =
    by === "code"
      ? sql<string>`${exceptions.code}`
      : sql<string>`coalesce(${exceptions.projectId}::text, case when ${exceptions.subjectType} = 'source_project' then 'source:' || ${exceptions.subjectKey} end, '')`;
  const label =
    by === "code"
      ? sql<string>`min(${exceptions.code})`
      : sql<string>`coalesce(min(${projects.code} || ' ' || ${projects.name}), min(case when ${exceptions.subjectType} = 'source_project' then ${exceptions.subjectLabel} end), 'No project')`;
  const rows = (await queueFrom(ctx.db, {
    key,
    label,
    projectId: sql<string | null>`min(${exceptions.projectId}::text)`,
    count: sql<number>`count(*)::int`,
    entries: sql<number>`coalesce(sum(${exceptions.entriesCount}), 0)::int`,
    hours: sql<string>`coalesce(sum(${exceptions.hoursAtStake}), 0)::text`,
    value: sql<string | null>`sum(${exceptions.valueReporting})::text`,
    oldestFirstSeenAt: sql<Date>`min(${exceptions.firstSeenAt})`.mapWith((v) => new Date(v)),
    oldestAgeHours: sql<number>`max(${ageHoursSql})`.mapWith(Number),
  })
    .where(and(filterCondition(filter, viewer.scope, viewer.userId)))
    .groupBy(key)
    .orderBy(desc(sql`coalesce(sum(${exceptions.valueReporting}), 0)`), desc(sql`count(*)`))
    .limit(200)) as unknown as { key: string; label: string; projectId: string | null; count: number; entries: number; hours: string; value: string | null; oldestFirstSeenAt: Date; oldestAgeHours: number }[];
  return { reportingCurrency: env.REPORTING_CURRENCY, by, groups: rows };
}
