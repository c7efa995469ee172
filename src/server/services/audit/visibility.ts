import { and, eq, exists, or, sql, type SQL, type SQLWrapper } from "drizzle-orm";
import { QueryBuilder, type AnyPgColumn, type PgTable } from "drizzle-orm/pg-core";
import { isUnrestricted, scopeCondition, type Scope } from "../../auth/scope";
import { accountingPeriods, auditLog, customers, employees, exceptions, legalEntities, projects, reconciliationRuns, users } from "../../db/schema";
import { usersWithin } from "../users/access";

/**
 * Which audit entries a scoped viewer sees. An entry is attributed to a legal entity (and a
 * region) through the thing it is about — its entity type and id — as that thing is now,
 * never through who acted: a US admin's change to a firm-wide connector is about the
 * connector, not about the US.
 *
 * | entity type          | attributed to                                           |
 * | -------------------- | ------------------------------------------------------- |
 * | `user`               | the user's scope: listed if it lies within the viewer's  |
 * | `legal_entity`       | that legal entity (its code and region)                  |
 * | `exception`          | its legal entity and the exception's region              |
 * | `project`            | its legal entity and the project's region                |
 * | `employee`           | their legal entity and the employee's region             |
 * | `customer`, `accounting_period`, `reconciliation_run` | its legal entity (and that entity's region) |
 * | anything else        | nothing: firm-wide (connectors, mappings, alert rules, jobs, imports, sign-ins of unknown accounts…) |
 *
 * A viewer with no scope limit sees every entry; a scoped viewer sees an entry only when it
 * is attributed within their scope, so entries about other entities, about the firm as a
 * whole, or about something that no longer exists are not listed.
 */
export const ATTRIBUTED_ENTITY_TYPES = [
  "user",
  "legal_entity",
  "exception",
  "project",
  "employee",
  "customer",
  "accounting_period",
  "reconciliation_run",
] as const;

// The entry's entity id as a uuid when it is one (the CASE keeps the cast from failing on other ids).
const subjectId = sql`(case when ${auditLog.entityId} ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' then ${auditLog.entityId}::uuid end)`;

/** Things owned by one legal entity: the table, its id, its entity, and the region to judge by. */
const OWNED: { type: (typeof ATTRIBUTED_ENTITY_TYPES)[number]; table: PgTable; id: AnyPgColumn; entity: AnyPgColumn; region: AnyPgColumn }[] = [
  { type: "exception", table: exceptions, id: exceptions.id, entity: exceptions.legalEntityId, region: exceptions.region },
  { type: "project", table: projects, id: projects.id, entity: projects.legalEntityId, region: projects.region },
  { type: "employee", table: employees, id: employees.id, entity: employees.legalEntityId, region: employees.region },
  { type: "customer", table: customers, id: customers.id, entity: customers.legalEntityId, region: legalEntities.region },
  { type: "accounting_period", table: accountingPeriods, id: accountingPeriods.id, entity: accountingPeriods.legalEntityId, region: legalEntities.region },
  { type: "reconciliation_run", table: reconciliationRuns, id: reconciliationRuns.id, entity: reconciliationRuns.legalEntityId, region: legalEntities.region },
];

/**
 * A condition on `audit_log` that keeps the entries the scope may see (undefined: all).
 * Each kind of entry is checked by a lookup of its subject by primary key.
 */
export function auditVisibleTo(scope: Scope): SQL | undefined {
  if (isUnrestricted(scope)) return undefined;
  const qb = new QueryBuilder();
  const one = sql`1`;
  const about = (type: string, lookup: SQLWrapper) => and(eq(auditLog.entityType, type), exists(lookup))!;
  return or(
    about("user", qb.select({ one }).from(users).where(and(eq(users.id, subjectId), usersWithin(scope)))),
    about(
      "legal_entity",
      qb
        .select({ one })
        .from(legalEntities)
        .where(and(eq(legalEntities.id, subjectId), scopeCondition(scope, { entity: legalEntities.code, region: legalEntities.region }))),
    ),
    ...OWNED.map((o) =>
      about(
        o.type,
        qb
          .select({ one })
          .from(o.table)
          .innerJoin(legalEntities, eq(legalEntities.id, o.entity))
          .where(and(eq(o.id, subjectId), scopeCondition(scope, { entity: legalEntities.code, region: o.region }))),
      ),
    ),
  );
}
