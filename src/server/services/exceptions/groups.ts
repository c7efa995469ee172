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
  // grouped on plain columns (no text built per row); a source project with no ERP job yet is its own group
  const sourceKey = sql<string | null>`case when ${exceptions.projectId} is null and ${exceptions.subjectType} = 'source_project' then ${exceptions.subjectKey} end`;
  const keys = by === "code" ? [exceptions.code] : [exceptions.projectId, sourceKey];
  const label =
    by === "code"
      ? sql<string>`min(${exceptions.code})`
      : sql<string>`coalesce(min(${projects.code} || ' ' || ${projects.name}), min(${exceptions.subjectLabel}) filter (where ${exceptions.subjectType} = 'source_project'), 'No project')`;
  const rows = (await queueFrom(ctx.db, {
    code: sql<string>`min(${exceptions.code})`,
    projectId: sql<string | null>`min(${exceptions.projectId}::text)`,
    sourceKey: sql<string | null>`min(${sourceKey})`,
    label,
    count: sql<number>`count(*)::int`,
    entries: sql<number>`coalesce(sum(${exceptions.entriesCount}), 0)::int`,
    hours: sql<string>`coalesce(sum(${exceptions.hoursAtStake}), 0)::text`,
    value: sql<string | null>`sum(${exceptions.valueReporting})::text`,
    oldestFirstSeenAt: sql<Date>`min(${exceptions.firstSeenAt})`.mapWith((v) => new Date(v)),
    oldestAgeHours: sql<number>`max(${ageHoursSql})`.mapWith(Number),
  })
    .where(and(filterCondition(filter, viewer.scope, viewer.userId)))
    .groupBy(...keys)
    .orderBy(desc(sql`coalesce(sum(${exceptions.valueReporting}), 0)`), desc(sql`count(*)`))
    .limit(200)) as unknown as { code: string; label: string; projectId: string | null; sourceKey: string | null; count: number; entries: number; hours: string; value: string | null; oldestFirstSeenAt: Date; oldestAgeHours: number }[];
  const groups = rows.map(({ code, sourceKey: sk, ...g }) => ({
    ...g,
    projectId: by === "code" ? null : g.projectId,
    key: by === "code" ? code : (g.projectId ?? (sk ? `source:${sk}` : "")),
  }));
  return { reportingCurrency: env.REPORTING_CURRENCY, by, groups };
}
