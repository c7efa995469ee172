import { withTx } from "../../db/client";
import { users } from "../../db/schema";
import { hashPassword } from "../../auth/password";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";
import { conflict } from "../errors";
import type { CreateUserInput } from "./schemas";
import { administeredScope, assertGrantable } from "./access";
import { auditShape, userColumns } from "./view";

/**
 * Creates a user. The roles and scope given must lie within what the actor administers
 * (see access.ts): an admin limited to some legal entities or regions creates only users
 * limited to them too.
 */
export async function createUser({ ctx, input }: { ctx: ServiceCtx; input: CreateUserInput }) {
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  return withTx(ctx.db, async (tx) => {
    assertGrantable(ctx.actor, await administeredScope(tx, ctx.actor), { roles: input.roles, scope: input.scope });
    const [created] = await tx
      .insert(users)
      .values({
        email: input.email,
        name: input.name,
        passwordHash,
        roles: input.roles,
        scopeEntities: input.scope.entities,
        scopeRegions: input.scope.regions,
      })
      .onConflictDoNothing()
      .returning(userColumns);
    if (!created) throw conflict(`A user with the e-mail ${input.email} already exists.`);
    await writeAudit(
      { ...ctx, db: tx },
      {
        action: "user.create",
        entityType: "user",
        entityId: created.id,
        after: { ...auditShape(created), password: passwordHash ? "set" : null },
      },
    );
    return created;
  });
}
