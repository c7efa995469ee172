import { and, arrayContains, eq, isNull, ne, sql } from "drizzle-orm";
import { withTx, type Tx } from "../../db/client";
import { users } from "../../db/schema";
import { hashPassword } from "../../auth/password";
import { isUnrestricted, scopeWithin, type Scope } from "../../auth/scope";
import { nextSessionEpoch } from "../../auth/session-token";
import { writeAudit } from "../audit/write";
import type { Actor, ServiceCtx } from "../context";
import { conflict, invalid, notFound } from "../errors";
import { administeredScope, assertGrantable, scopeOfRow } from "./access";
import type { SetDisabledInput, UpdateUserInput } from "./schemas";
import { auditShape, userColumns } from "./view";

const GONE = "That user does not exist (any more).";

/**
 * The user to change, locked, if the actor administers them. A user outside the actor's
 * scope is answered exactly like one that does not exist.
 */
async function lockUser(tx: Tx, actor: Actor, id: string) {
  const administered = await administeredScope(tx, actor);
  const [row] = await tx.select().from(users).where(eq(users.id, id)).for("update");
  if (!row || !scopeWithin(scopeOfRow(row), administered)) throw notFound(GONE);
  return { row, administered };
}

// Any constant works; it only has to be the same for every change that removes an admin.
const LAST_ADMIN_LOCK = 7_240_312;

/**
 * Refuses a change that would leave the firm without an active admin, or without an active
 * admin for all of it (an admin with no scope limit: only such an admin can administer the
 * users of every legal entity and region).
 */
async function assertAdministrationRemains(tx: Tx, exceptId: string, needs: { admin: boolean; unrestrictedAdmin: boolean }) {
  // Changes that remove an admin queue here until the transaction ends, so two admins
  // demoting or disabling each other at once cannot both see the other as "another".
  await tx.execute(sql`select pg_advisory_xact_lock(${LAST_ADMIN_LOCK})`);
  const others = await tx
    .select({ scopeEntities: users.scopeEntities, scopeRegions: users.scopeRegions })
    .from(users)
    .where(and(ne(users.id, exceptId), isNull(users.disabledAt), arrayContains(users.roles, ["admin"])));
  if (needs.admin && others.length === 0) throw conflict("This is the last active admin: give another user the admin role first.");
  if (needs.unrestrictedAdmin && !others.some((o) => isUnrestricted(scopeOfRow(o)))) {
    throw conflict("This is the last active admin for all legal entities and regions: give another user the admin role with no scope limit first.");
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));
const sameScope = (a: Scope, b: Scope) => sameSet(a.entities, b.entities) && sameSet(a.regions, b.regions);

/**
 * Changes a user's name, roles, scope or password. Roles and scope given must lie within
 * what the actor administers. A new password or a change of roles or scope ends every
 * session the user has (their session epoch moves on in the same statement): they sign in
 * again, with the new password or under the new access.
 */
export async function updateUser({ ctx, input }: { ctx: ServiceCtx; input: UpdateUserInput }) {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return withTx(ctx.db, async (tx) => {
    const { row: before, administered } = await lockUser(tx, ctx.actor, input.id);
    if (before.updatedAt.getTime() !== new Date(input.expectedUpdatedAt).getTime()) {
      throw conflict(
        `${before.name} was changed by someone else since you opened it. Reload to see the change, then edit again.`,
        { updatedAt: before.updatedAt.toISOString() },
      );
    }
    const rolesChanged = input.roles !== undefined && !sameSet(input.roles, before.roles);
    const scopeChanged = input.scope !== undefined && !sameScope(input.scope, scopeOfRow(before));
    assertGrantable(ctx.actor, administered, { roles: rolesChanged ? input.roles : undefined, scope: scopeChanged ? input.scope : undefined });

    const wasAdmin = before.disabledAt === null && before.roles.includes("admin");
    const staysAdmin = (input.roles ?? before.roles).includes("admin");
    const staysUnrestricted = isUnrestricted(input.scope ?? scopeOfRow(before));
    const losesAdmin = wasAdmin && !staysAdmin;
    const losesUnrestrictedAdmin = wasAdmin && isUnrestricted(scopeOfRow(before)) && !(staysAdmin && staysUnrestricted);
    if (losesAdmin && ctx.actor.kind === "user" && ctx.actor.userId === before.id) {
      throw invalid("You cannot remove your own admin role; ask another admin.");
    }
    if (losesAdmin || losesUnrestrictedAdmin) {
      await assertAdministrationRemains(tx, before.id, { admin: losesAdmin, unrestrictedAdmin: losesUnrestrictedAdmin });
    }

    const endsSessions = rolesChanged || scopeChanged || passwordHash !== undefined;
    const [after] = await tx
      .update(users)
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.roles !== undefined && { roles: input.roles }),
        ...(input.scope !== undefined && {
          scopeEntities: input.scope.entities,
          scopeRegions: input.scope.regions,
        }),
        ...(passwordHash !== undefined && { passwordHash }),
        ...(endsSessions && { sessionEpoch: nextSessionEpoch }),
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, input.id))
      .returning(userColumns);
    if (!after) throw notFound(GONE);
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: passwordHash !== undefined ? "user.update_with_password" : "user.update",
        entityType: "user",
        entityId: after.id,
        before: auditShape(before),
        after: { ...auditShape(after), ...(endsSessions && { sessionsEnded: true }) },
      },
    );
    return after;
  });
}

/**
 * Disables or enables a user the actor administers. Disabling ends every session the user
 * has at once; enabling lets them sign in again (it revives no old session).
 */
export async function setUserDisabled({ ctx, input }: { ctx: ServiceCtx; input: SetDisabledInput }) {
  return withTx(ctx.db, async (tx) => {
    const { row: before } = await lockUser(tx, ctx.actor, input.id);
    if ((before.disabledAt !== null) === input.disabled) {
      // Nothing to change: answer with the current state, write no audit entry.
      const [same] = await tx.select(userColumns).from(users).where(eq(users.id, input.id));
      return same!;
    }
    if (input.disabled) {
      if (ctx.actor.kind === "user" && ctx.actor.userId === before.id) {
        throw invalid("You cannot disable your own account.");
      }
      if (before.roles.includes("admin")) {
        await assertAdministrationRemains(tx, before.id, { admin: true, unrestrictedAdmin: isUnrestricted(scopeOfRow(before)) });
      }
    }
    const [after] = await tx
      .update(users)
      .set({
        disabledAt: input.disabled ? sql`now()` : null,
        ...(input.disabled && { sessionEpoch: nextSessionEpoch }),
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, input.id))
      .returning(userColumns);
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: input.disabled ? "user.disable" : "user.enable",
        entityType: "user",
        entityId: before.id,
        before: auditShape(before),
        after: { ...auditShape(after!), ...(input.disabled && { sessionsEnded: true }) },
      },
    );
    return after!;
  });
}
