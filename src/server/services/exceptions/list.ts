import { and, asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import { employees, exceptions, legalEntities, projects, users } from "../../db/schema";
import type { Scope } from "../../auth/scope";
import { canActFor } from "../../auth/teams";
import type { Role } from "../../auth/roles";
import type { OwnerTeam } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import {
  afterCursor,
  ageHoursSql,
  checkFilterValues,
  decodeQueueCursor,
  encodeQueueCursor,
  filterCondition,
  queueFilter,
  queueSort,
  slaHoursSql,
  sortSpec,
  sqlDirection,
} from "./query";

export const listInput = z.object({
  filter: queueFilter.default({}),
  ...queueSort.shape,
  cursor: z.string().max(500, { error: "cursor is too long to be one this queue returned" }).nullish(),
  limit: z.number().int().min(1, { error: "limit must be at least 1" }).max(500, { error: "limit can be at most 500" }).default(50),
});
export type ListInput = z.input<typeof listInput>;

export type Viewer = { userId: string | null; roles: readonly Role[]; scope: Scope };

/** The columns of one queue row; the CSV export selects the same. */
export const rowColumns = {
  id: exceptions.id,
  version: exceptions.version,
  code: exceptions.code,
  owner: exceptions.owner,
  severity: exceptions.severity,
  status: exceptions.status,
  subjectType: exceptions.subjectType,
  subjectLabel: exceptions.subjectLabel,
  message: exceptions.message,
  suggestedFix: exceptions.suggestedFix,
  entityCode: legalEntities.code,
  region: exceptions.region,
  businessUnit: exceptions.businessUnit,
  projectId: exceptions.projectId,
  projectCode: projects.code,
  projectName: projects.name,
  employeeId: exceptions.employeeId,
  employeeName: employees.name,
  entries: exceptions.entriesCount,
  hours: exceptions.hoursAtStake,
  value: exceptions.valueAtStake,
  currency: exceptions.currency,
  valueReporting: exceptions.valueReporting,
  oldestWorkDate: sql<string | null>`${exceptions.oldestWorkDate}::text`,
  firstSeenAt: exceptions.firstSeenAt,
  lastSeenAt: exceptions.lastSeenAt,
  occurrences: exceptions.occurrences,
  assigneeId: exceptions.assigneeId,
  assigneeName: users.name,
  ignoredUntil: exceptions.ignoredUntil,
  resolvedAt: exceptions.resolvedAt,
  resolution: exceptions.resolution,
  resolutionNote: exceptions.resolutionNote,
  slaHours: slaHoursSql.mapWith(Number),
  ageHours: ageHoursSql.mapWith(Number),
  /** hours since the oldest still-blocked entry was approved: how long billing has been held up */
  blockedHours: sql<number | null>`(select extract(epoch from now() - min(t.approved_at)) / 3600 from exception_entries l join time_entries t on t.id = l.time_entry_id
    where l.exception_id = ${exceptions.id} and t.state = 'approved')`.mapWith((v) => (v === null ? null : Number(v))),
};

/** The queue's FROM: exceptions with the names rows show (and the entity code scope filters on). */
export function queueFrom<T extends Record<string, unknown>>(db: ServiceCtx["db"], columns: T) {
  return db
    .select(columns as never)
    .from(exceptions)
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .leftJoin(projects, eq(projects.id, exceptions.projectId))
    .leftJoin(employees, eq(employees.id, exceptions.employeeId))
    .leftJoin(users, eq(users.id, exceptions.assigneeId));
}

/**
 * A page of the exception queue: the user's filter within their scope, sorted on the server,
 * paged by keyset (the last row's sort key and id), never by OFFSET.
 */
export async function listExceptions({ ctx, viewer, input }: { ctx: ServiceCtx; viewer: Viewer; input: ListInput }) {
  const q = listInput.parse(input);
  await checkFilterValues(ctx.db, q.filter);
  const spec = sortSpec(q.sort);
  const order = sqlDirection(spec, q.dir) === "desc" ? [desc(spec.expr), desc(exceptions.id)] : [asc(spec.expr), asc(exceptions.id)];
  const rows = (await queueFrom(ctx.db, { ...rowColumns, sortKey: sql<string>`(${spec.expr})::text` })
    .where(and(filterCondition(q.filter, viewer.scope, viewer.userId), q.cursor ? afterCursor(spec, q.dir, decodeQueueCursor(q.cursor)) : undefined))
    .orderBy(...order)
    .limit(q.limit + 1)) as unknown as (QueueRowBase & { sortKey: string })[];
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    reportingCurrency: env.REPORTING_CURRENCY,
    items: page.map(({ sortKey: _k, ...r }) => ({ ...r, canAct: canActFor(viewer.roles, r.owner) })),
    nextCursor: rows.length > q.limit && last ? encodeQueueCursor({ v: last.sortKey, id: last.id }) : null,
  };
}

export type QueueRowBase = {
  id: string;
  version: number;
  code: string;
  owner: OwnerTeam;
  severity: "low" | "medium" | "high" | "critical";
  status: "open" | "resolved" | "ignored";
  subjectType: string;
  subjectLabel: string;
  message: string;
  suggestedFix: string;
  entityCode: string | null;
  region: string | null;
  businessUnit: string | null;
  projectId: string | null;
  projectCode: string | null;
  projectName: string | null;
  employeeId: string | null;
  employeeName: string | null;
  entries: number;
  hours: string;
  value: string | null;
  currency: string | null;
  valueReporting: string | null;
  oldestWorkDate: string | null;
  firstSeenAt: Date;
  lastSeenAt: Date;
  occurrences: number;
  assigneeId: string | null;
  assigneeName: string | null;
  ignoredUntil: Date | null;
  resolvedAt: Date | null;
  resolution: string | null;
  resolutionNote: string | null;
  slaHours: number;
  ageHours: number;
  blockedHours: number | null;
};
export type QueueRow = QueueRowBase & { canAct: boolean };
