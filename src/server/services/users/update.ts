import { and, arrayContains, eq, isNull, ne, sql } from "drizzle-orm";
import { withTx, type Tx } from "../../db/client";
import { users } from "../../db/schema";
import { hashPassword } from "../../auth/password";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { conflict, invalid, notFound } from "../errors";
import type { SetDisabledInput, UpdateUserInput } from "./schemas";
import { auditShape, userColumns } from "./view";

async function lockUser(tx: Tx, id: string) {
  const [row] = await tx.select().from(users).where(eq(users.id, id)).for("update");
  if (!row) throw notFound("That user does not exist (any more).");
  return row;
}

// Any constant works; it only has to be the same for every change that removes an admin.
const LAST_ADMIN_LOCK = 7_240_312;

/** Refuses a change that would leave the firm without an active admin. */
async function assertAnotherActiveAdmin(tx: Tx, exceptId: string) {
  // Changes that remove an admin queue here until the transaction ends, so two admins
  // demoting or disabling each other at once cannot both see the other as "another".
  await tx.execute(sql`select pg_advisory_xact_lock(${LAST_ADMIN_LOCK})`);
  const [other] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(ne(users.id, exceptId), isNull(users.disabledAt), arrayContains(users.roles, ["admin"])))
    .limit(1);
  if (!other) throw conflict("This is the last active admin: give another user the admin role first.");
}

export async function updateUser({ ctx, input }: { ctx: ServiceCtx; input: UpdateUserInput }) {
  const passwordHash = input.password ? await hashPassword(input.password) : undefined;
  return withTx(ctx.db, async (tx) => {
    const before = await lockUser(tx, input.id);
    if (before.updatedAt.getTime() !== new Date(input.expectedUpdatedAt).getTime()) {
      throw conflict(
        `${before.name} was changed by someone else since you opened it. Reload to see the change, then edit again.`,
        { updatedAt: before.updatedAt.toISOString() },
      );
    }
    const losesAdmin = input.roles && before.roles.includes("admin") && !input.roles.includes("admin");
    if (losesAdmin && before.disabledAt === null) {
      if (ctx.actor.kind === "user" && ctx.actor.userId === before.id) {
        throw invalid("You cannot remove your own admin role; ask another admin.");
      }
      await assertAnotherActiveAdmin(tx, before.id);
    }
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
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, input.id))
      .returning(userColumns);
    if (!after) throw notFound("That user does not exist (any more).");
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: passwordHash !== undefined ? "user.update_with_password" : "user.update",
        entityType: "user",
        entityId: after.id,
        before: auditShape(before),
        after: auditShape(after),
      },
    );
    return after;
  });
}

export async function setUserDisabled({ ctx, input }: { ctx: ServiceCtx; input: SetDisabledInput }) {
  return withTx(ctx.db, async (tx) => {
    const before = await lockUser(tx, input.id);
    if ((before.disabledAt !== null) === input.disabled) {
      // Nothing to change: answer with the current state, write no audit entry.
      const [same] = await tx.select(userColumns).from(users).where(eq(users.id, input.id));
      return same!;
    }
    if (input.disabled) {
      if (ctx.actor.kind === "user" && ctx.actor.userId === before.id) {
        throw invalid("You cannot disable your own account.");
      }
      if (before.roles.includes("admin")) await assertAnotherActiveAdmin(tx, before.id);
    }
    const [after] = await tx
      .update(users)
      .set({ disabledAt: input.disabled ? sql`now()` : null, updatedAt: sql`now()` })
      .where(eq(users.id, input.id))
      .returning(userColumns);
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: input.disabled ? "user.disable" : "user.enable",
        entityType: "user",
        entityId: before.id,
        before: auditShape(before),
        after: auditShape(after!),
      },
    );
    return after!;
  });
}
