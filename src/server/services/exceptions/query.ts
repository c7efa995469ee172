import { and, eq, gte, ilike, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { exceptions, legalEntities } from "../../db/schema";
import { AGE_BUCKETS, type AgeBucket, type QueueFilter, type Sort } from "./filter-schema";
import { scopeCondition, type Scope } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import { invalid } from "../errors";

/**
 * The exception queue's filters, sorts and paging in SQL, shared by the list, the header
 * figures, the groups, the CSV export, bulk actions "on everything that matches" and alerts:
 * one definition, so what a person sees, counts, exports and acts on is the same set of rows.
 */
export * from "./filter-schema";

/**
 * The SLA of each exception, in hours: the code's configured value or its severity's default.
 * The configured values are read once per query (an uncorrelated subquery, run once), not
 * once per row: filtering 100,000 exceptions on "past SLA" stays a scan.
 */
export const slaHoursSql = sql<number>`coalesce(
  ((select coalesce(jsonb_object_agg(s.code, s.sla_hours), '{}'::jsonb) from exception_slas s) ->> ${exceptions.code})::int,
  case ${exceptions.severity} when 'critical' then 8 when 'high' then 24 when 'medium' then 72 else 168 end)`;

export const ageHoursSql = sql<number>`(extract(epoch from (now() - ${exceptions.firstSeenAt})) / 3600)`;

/**
 * The rows a filter selects, within the user's scope. `statusDefault` applies when the
 * filter names no status (the queue shows open exceptions unless asked otherwise).
 */
export function filterCondition(
  f: QueueFilter,
  scope: Scope,
  userId: string | null,
  opts: { ignoreStatus?: boolean } = {},
): SQL | undefined {
  const parts: (SQL | undefined)[] = [scopeCondition(scope, { entity: legalEntities.code, region: exceptions.region })];
  if (!opts.ignoreStatus) parts.push(inArray(exceptions.status, f.status?.length ? f.status : ["open"]));
  if (f.owner?.length) parts.push(inArray(exceptions.owner, f.owner));
  if (f.code?.length) parts.push(inArray(exceptions.code, f.code));
  if (f.severity?.length) parts.push(inArray(exceptions.severity, f.severity));
  if (f.entity?.length) parts.push(inArray(legalEntities.code, f.entity));
  if (f.region?.length) parts.push(inArray(exceptions.region, f.region));
  if (f.businessUnit?.length) parts.push(inArray(exceptions.businessUnit, f.businessUnit));
  if (f.project?.length) parts.push(inArray(exceptions.projectId, f.project));
  if (f.person?.length) parts.push(inArray(exceptions.employeeId, f.person));
  if (f.assignee === "none") parts.push(isNull(exceptions.assigneeId));
  else if (f.assignee === "me") parts.push(userId ? eq(exceptions.assigneeId, userId) : sql`false`);
  else if (f.assignee) parts.push(eq(exceptions.assigneeId, f.assignee));
  if (f.age?.length) {
    parts.push(
      or(
        ...f.age.map((b) => {
          const { from, to } = AGE_BUCKETS[b as AgeBucket];
          return and(
            lt(exceptions.firstSeenAt, sql`now() - make_interval(days => ${from})`),
            to === null ? undefined : gte(exceptions.firstSeenAt, sql`now() - make_interval(days => ${to})`),
          );
        }),
      ),
    );
  }
  if (f.minValue) parts.push(gte(exceptions.valueReporting, f.minValue));
  if (f.period) {
    const start = `${f.period}-01`;
    parts.push(sql`exists (select 1 from exception_entries l where l.exception_id = ${exceptions.id}
      and l.work_date >= ${start}::date and l.work_date < (${start}::date + interval '1 month'))`);
  }
  if (f.overSla) parts.push(sql`${ageHoursSql} >= ${slaHoursSql}`);
  if (f.q) {
    const like = `%${f.q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    parts.push(or(ilike(exceptions.subjectLabel, like), ilike(exceptions.message, like), ilike(exceptions.code, like)));
  }
  return and(...parts.filter(Boolean));
}

/**
 * Filter values that name things (legal entities, projects, people, assignees) must exist:
 * a typo or a stale link says so instead of quietly showing an empty queue.
 */
export async function checkFilterValues(db: DbOrTx, f: QueueFilter): Promise<void> {
  const missing = async (table: string, column: string, values: string[] | undefined, what: string) => {
    if (!values?.length) return;
    const found = (await db.execute(
      sql`select ${sql.identifier(column)}::text as v from ${sql.identifier(table)} where ${sql.identifier(column)}::text in ${values}`,
    )) as unknown as { v: string }[];
    const known = new Set(found.map((r) => r.v));
    const unknown = values.filter((v) => !known.has(v));
    if (unknown.length) throw invalid(`Unknown ${what}: ${unknown.join(", ")}. Pick one from the filter list.`, { filter: what, values: unknown });
  };
  await missing("legal_entities", "code", f.entity, "legal entity");
  await missing("projects", "id", f.project, "project");
  await missing("employees", "id", f.person, "person");
  if (f.assignee && f.assignee !== "me" && f.assignee !== "none") await missing("users", "id", [f.assignee], "assignee");
}

type SortSpec = { expr: SQL; cast: string; /** the key runs against the sort's direction (older = smaller timestamp) */ invert?: boolean };

/**
 * Each sort's key, never null (so keyset comparisons are total), and how its cursor value is
 * cast back. The open queue has an index per sortable key (0011), so a page is an index walk.
 */
export function sortSpec(sort: Sort): SortSpec {
  switch (sort) {
    case "value":
      return { expr: sql`coalesce(${exceptions.valueReporting}, -1)`, cast: "numeric" };
    case "hours":
      return { expr: sql`${exceptions.hoursAtStake}`, cast: "numeric" };
    case "age":
      // oldest first when descending
      return { expr: sql`${exceptions.firstSeenAt}`, cast: "timestamptz", invert: true };
    case "lastSeen":
      return { expr: sql`${exceptions.lastSeenAt}`, cast: "timestamptz" };
    case "occurrences":
      return { expr: sql`${exceptions.occurrences}`, cast: "int" };
    case "severity":
      return { expr: sql`(case ${exceptions.severity} when 'critical' then 4 when 'high' then 3 when 'medium' then 2 else 1 end)`, cast: "int" };
    case "code":
      return { expr: sql`${exceptions.code}`, cast: "text" };
  }
}

/** The SQL direction of a sort as the person asked for it. */
export const sqlDirection = (spec: SortSpec, dir: "asc" | "desc"): "asc" | "desc" => (spec.invert ? (dir === "asc" ? "desc" : "asc") : dir);

export type QueueCursor = { v: string; id: string };

const cursorShape = z.object({ v: z.string().max(100), id: z.uuid() });

export function encodeQueueCursor(c: QueueCursor): string {
  return Buffer.from(JSON.stringify(c), "utf8").toString("base64url");
}

export function decodeQueueCursor(cursor: string): QueueCursor {
  try {
    return cursorShape.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw invalid("The page cursor is not one this queue gave out; reload the queue from its first page.");
  }
}

/** Rows strictly after the cursor in the sort's order (ties broken by id in the same direction). */
export function afterCursor(spec: SortSpec, dir: "asc" | "desc", c: QueueCursor): SQL {
  const v = sql`${c.v}::${sql.raw(spec.cast)}`;
  return sqlDirection(spec, dir) === "desc" ? sql`(${spec.expr}, ${exceptions.id}) < (${v}, ${c.id}::uuid)` : sql`(${spec.expr}, ${exceptions.id}) > (${v}, ${c.id}::uuid)`;
}
