import { and, inArray, type SQL } from "drizzle-orm";
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
  columns: { entity?: AnyPgColumn; region?: AnyPgColumn },
): SQL | undefined {
  const parts: SQL[] = [];
  if (scope.entities.length > 0) {
    if (!columns.entity) throw new Error("scopeCondition: the user is limited to legal entities but no entity column was given");
    parts.push(inArray(columns.entity, scope.entities));
  }
  if (scope.regions.length > 0) {
    if (!columns.region) throw new Error("scopeCondition: the user is limited to regions but no region column was given");
    parts.push(inArray(columns.region, scope.regions));
  }
  return parts.length === 0 ? undefined : and(...parts);
}
