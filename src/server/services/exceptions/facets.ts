import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { employees, exceptions, legalEntities, projects, users } from "../../db/schema";
import { isRole, type Role } from "../../auth/roles";
import { scopeCondition } from "../../auth/scope";
import { teamsOf } from "../../auth/teams";
import type { ServiceCtx } from "../context";
import type { Viewer } from "./list";

/**
 * What the queue's filter lists offer, within the user's scope: legal entities, business
 * units, and the projects and people that have exceptions; and who exceptions can be
 * assigned to (active users, with the teams they act for).
 */
export async function queueFacets({ ctx, viewer }: { ctx: ServiceCtx; viewer: Viewer }) {
  const visible = scopeCondition(viewer.scope, { entity: legalEntities.code, region: exceptions.region });
  const entities = await ctx.db
    .select({ code: legalEntities.code, name: legalEntities.name })
    .from(legalEntities)
    .where(scopeCondition(viewer.scope, { entity: legalEntities.code, region: legalEntities.region }))
    .orderBy(asc(legalEntities.code));
  const businessUnits = (await ctx.db
    .selectDistinct({ v: exceptions.businessUnit })
    .from(exceptions)
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .where(and(visible, sql`${exceptions.businessUnit} is not null`))
    .orderBy(asc(exceptions.businessUnit))).map((r) => r.v!);
  const projectRows = await ctx.db
    .selectDistinct({ id: projects.id, code: projects.code, name: projects.name })
    .from(exceptions)
    .innerJoin(projects, eq(projects.id, exceptions.projectId))
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .where(and(visible, eq(exceptions.status, "open")))
    .orderBy(asc(projects.code))
    .limit(2000);
  const people = await ctx.db
    .selectDistinct({ id: employees.id, name: employees.name })
    .from(exceptions)
    .innerJoin(employees, eq(employees.id, exceptions.employeeId))
    .leftJoin(legalEntities, eq(legalEntities.id, exceptions.legalEntityId))
    .where(and(visible, eq(exceptions.status, "open")))
    .orderBy(asc(employees.name))
    .limit(2000);
  const assignees = (
    await ctx.db
      .select({ id: users.id, name: users.name, email: users.email, roles: users.roles })
      .from(users)
      .where(isNull(users.disabledAt))
      .orderBy(asc(users.name))
  )
    .map((u) => ({ id: u.id, name: u.name, email: u.email, teams: teamsOf(u.roles.filter(isRole) as Role[]) }))
    .filter((u) => u.teams.length > 0);
  return { entities, businessUnits, projects: projectRows, people, assignees, myTeams: teamsOf(viewer.roles) };
}
