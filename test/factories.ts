import { randomBytes, randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import type { Db } from "@/server/db/client";
import { users } from "@/server/db/schema";
import type { Role } from "@/server/auth/roles";
import type { Context, SessionUser } from "@/server/api/trpc";
import { createUser } from "@/server/services/users/create";
import { createUserInput } from "@/server/services/users/schemas";
import { systemActor, type ServiceCtx } from "@/server/services/context";
import { isRole } from "@/server/auth/roles";

export type TestUser = SessionUser & {
  /** the plain password, when the user was given one */
  password: string | null;
  updatedAt: Date;
  disabledAt: Date | null;
};

/** A context acting as the system (no user), as seeds and jobs do. */
export function systemCtx(db: Db, label = "test"): ServiceCtx {
  return { db, actor: systemActor(label), correlationId: randomUUID(), ip: null };
}

/** An e-mail address no other test uses. */
export function uniqueEmail(prefix = "user"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}@hourbridge.test`;
}

/**
 * Creates a user through the real createUser service (so the row and its audit entry are
 * what production writes). A password is hashed only when one is given: argon2 is slow
 * on purpose, and most tests never sign in.
 */
export async function makeUser(
  db: Db,
  opts: {
    roles: Role[];
    email?: string;
    name?: string;
    password?: string;
    disabled?: boolean;
    scope?: { entities: string[]; regions: string[] };
  },
): Promise<TestUser> {
  const email = opts.email ?? uniqueEmail(opts.roles[0] ?? "user");
  const created = await createUser({
    ctx: systemCtx(db, "test-factory"),
    // parsed as the tRPC layer parses it: trimmed, lower-cased, roles sorted
    input: createUserInput.parse({
      email,
      name: opts.name ?? `Test ${opts.roles.join("+") || "nobody"}`,
      password: opts.password,
      roles: opts.roles,
      scope: opts.scope ?? { entities: [], regions: [] },
    }),
  });
  let row = created;
  if (opts.disabled) {
    // A fixture, not the behaviour under test: set the flag directly, so that even the
    // only admin can be made disabled (the service refuses that, on purpose).
    const [disabled] = await db
      .update(users)
      .set({ disabledAt: sql`now()`, updatedAt: sql`now()` })
      .where(eq(users.id, created.id))
      .returning();
    row = { ...created, disabledAt: disabled!.disabledAt, updatedAt: disabled!.updatedAt };
  }
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    roles: row.roles.filter(isRole),
    scope: { entities: row.scopeEntities, regions: row.scopeRegions },
    password: opts.password ?? null,
    updatedAt: row.updatedAt,
    disabledAt: row.disabledAt,
  };
}

/** The session user the server would build for this user. */
export function sessionUser(user: SessionUser): SessionUser {
  return { id: user.id, email: user.email, name: user.name, roles: [...user.roles], scope: user.scope };
}

/** A tRPC context for a signed-in user, or a signed-out visitor when user is null. */
export function ctxFor(db: Db, user: SessionUser | null, extra: Partial<Context> = {}): Context {
  return {
    db,
    user: user ? sessionUser(user) : null,
    correlationId: randomUUID(),
    ip: "127.0.0.1",
    ...extra,
  };
}

/** A service context acting as this user, as authedProcedure builds it. */
export function serviceCtxFor(db: Db, user: SessionUser): ServiceCtx {
  return {
    db,
    actor: { kind: "user", userId: user.id, email: user.email, roles: [...user.roles] },
    correlationId: randomUUID(),
    ip: "127.0.0.1",
  };
}
