import { and, inArray, sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/** What part of the firm a user may see: legal entity and region codes; empty = all. */
export type Scope = { entities: string[]; regions: string[] };

export const UNRESTRICTED: Scope = { entities: [], regions: [] };

export function isUnrestricted(scope: Scope): boolean {
  return scope.entities.length === 0 && scope.regions.length === 0;
}

/**
 * Turns a user's scope into a Drizzle condition for a query on scoped data. Pass the
 * columns that hold the row's legal entity and region. A restriction the table cannot
 * express (a region scope on a table without a region column) is refused rather than
 * silently ignored, so a query can never show more than the user may see.
 *
 * Returns undefined when nothing needs filtering, which `and()` and `where()` accept.
 */
export function scopeCondition(
  scope: Scope,
  columns: { entity?: AnyPgColumn | SQL; region?: AnyPgColumn | SQL },
): SQL | undefined {
  const parts: SQL[] = [];
  if (scope.entities.length > 0) {
    if (!columns.entity) throw new Error("scopeCondition: the user is limited to legal entities but no entity column was given");
    parts.push(inArray(sql`${columns.entity}`, scope.entities));
  }
  if (scope.regions.length > 0) {
    if (!columns.region) throw new Error("scopeCondition: the user is limited to regions but no region column was given");
    parts.push(inArray(sql`${columns.region}`, scope.regions));
  }
  return parts.length === 0 ? undefined : and(...parts);
}

/**
 * Whether `inner` shows nothing `outer` does not: in each dimension `outer` limits, `inner`
 * is limited too, to codes `outer` holds. An empty list means "all", so an unlimited
 * dimension of `inner` is within only an unlimited dimension of `outer`. The check is on the
 * codes as written, never on which entities happen to lie in which region today: a scope is
 * within another whatever the master data says later.
 */
export function scopeWithin(inner: Scope, outer: Scope): boolean {
  const within = (a: string[], b: string[]) => b.length === 0 || (a.length > 0 && a.every((c) => b.includes(c)));
  return within(inner.entities, outer.entities) && within(inner.regions, outer.regions);
}

/** "legal entities US01, US02 and regions EMEA", "all legal entities and regions". */
export function describeScope(scope: Scope): string {
  if (isUnrestricted(scope)) return "all legal entities and regions";
  const parts: string[] = [];
  if (scope.entities.length) parts.push(`legal ${scope.entities.length === 1 ? "entity" : "entities"} ${scope.entities.join(", ")}`);
  if (scope.regions.length) parts.push(`${scope.regions.length === 1 ? "region" : "regions"} ${scope.regions.join(", ")}`);
  return parts.join(" and ");
}
