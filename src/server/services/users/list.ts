import { and, asc, arrayContains, ilike, isNotNull, isNull, or, type SQL } from "drizzle-orm";
import { users } from "../../db/schema";
import { escapeLike } from "../../db/like";
import type { ServiceCtx } from "../context";
import type { ListUsersInput } from "./schemas";
import { administeredScope, usersWithin } from "./access";
import { userColumns } from "./view";

/** The users the actor administers (those whose scope lies within theirs), filtered, by name. */
export async function listUsers({ ctx, input }: { ctx: ServiceCtx; input: ListUsersInput }) {
  const where: (SQL | undefined)[] = [usersWithin(await administeredScope(ctx.db, ctx.actor))];
  if (input.search) {
    const like = `%${escapeLike(input.search)}%`;
    where.push(or(ilike(users.email, like), ilike(users.name, like)));
  }
  if (input.role) where.push(arrayContains(users.roles, [input.role]));
  if (input.status === "active") where.push(isNull(users.disabledAt));
  if (input.status === "disabled") where.push(isNotNull(users.disabledAt));
  return ctx.db
    .select(userColumns)
    .from(users)
    .where(and(...where))
    .orderBy(asc(users.name), asc(users.email))
    .limit(1000);
}

export type UserRow = Awaited<ReturnType<typeof listUsers>>[number];
