import { and, arrayContained, eq, sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { users } from "../../db/schema";
import { ROLES, type Role } from "../../auth/roles";
import { describeScope, scopeWithin, UNRESTRICTED, type Scope } from "../../auth/scope";
import type { Actor } from "../context";
import { forbidden } from "../errors";

/**
 * Scoped administration. An admin administers the part of the firm their own scope covers:
 * they see, change and create only users whose scope lies within theirs (`scopeWithin`),
 * and give them only roles and scopes within their own. An admin limited to legal entity
 * US01 can therefore neither create an unrestricted admin nor find one. The system (seeds,
 * jobs) administers everything.
 */

/**
 * The scope the actor administers, read now from their own row rather than trusted from the
 * session: a change to it counts from the next statement, not the next request. A user
 * actor whose account is gone or disabled administers nothing.
 */
export async function administeredScope(db: DbOrTx, actor: Actor): Promise<Scope> {
  if (actor.kind === "system") return UNRESTRICTED;
  const [me] = await db
    .select({ entities: users.scopeEntities, regions: users.scopeRegions, disabledAt: users.disabledAt })
    .from(users)
    .where(eq(users.id, actor.userId));
  if (!me || me.disabledAt) throw forbidden("Your account is no longer active.");
  return { entities: me.entities, regions: me.regions };
}

/** The users whose scope lies within `scope`, as a condition on the users table (undefined: all). */
export function usersWithin(scope: Scope): SQL | undefined {
  const parts: SQL[] = [];
  // an empty list means "all": a user with one is within only an unlimited dimension
  if (scope.entities.length) parts.push(and(sql`cardinality(${users.scopeEntities}) > 0`, arrayContained(users.scopeEntities, scope.entities))!);
  if (scope.regions.length) parts.push(and(sql`cardinality(${users.scopeRegions}) > 0`, arrayContained(users.scopeRegions, scope.regions))!);
  return parts.length ? and(...parts) : undefined;
}

export const scopeOfRow = (u: { scopeEntities: string[]; scopeRegions: string[] }): Scope => ({ entities: u.scopeEntities, regions: u.scopeRegions });

/** Roles the actor may give: an admin may act in every area, so every role; anyone else only theirs. */
export function grantableRoles(actor: Actor): readonly Role[] {
  if (actor.kind === "system" || actor.roles.includes("admin")) return ROLES;
  return actor.roles;
}

/** Refuses a grant of roles or a scope outside what the actor administers. */
export function assertGrantable(actor: Actor, administered: Scope, grant: { roles?: readonly Role[]; scope?: Scope }) {
  if (grant.roles) {
    const allowed = grantableRoles(actor);
    const outside = grant.roles.filter((r) => !allowed.includes(r));
    if (outside.length) throw forbidden(`You cannot give the role${outside.length === 1 ? "" : "s"} ${outside.join(", ")}: you can give only roles you hold.`);
  }
  if (grant.scope && !scopeWithin(grant.scope, administered)) {
    const limits: string[] = [];
    if (administered.entities.length) limits.push(`legal entities among ${administered.entities.join(", ")}`);
    if (administered.regions.length) limits.push(`regions among ${administered.regions.join(", ")}`);
    throw forbidden(
      `You administer ${describeScope(administered)} only: a user you create or change must be limited to ${limits.join(" and ")} (an empty list means all, which is outside your scope).`,
    );
  }
}
