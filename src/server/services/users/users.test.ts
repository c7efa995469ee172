import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, arrayContains, eq, isNull, sql } from "drizzle-orm";
import { auditLog, users } from "../../db/schema";
import { verifyPassword } from "../../auth/password";
import { DomainError } from "../errors";
import { createUser } from "./create";
import { listUsers } from "./list";
import { setUserDisabled, updateUser } from "./update";
import { createUserInput, listUsersInput, updateUserInput } from "./schemas";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, serviceCtxFor, systemCtx, uniqueEmail, type TestUser } from "../../../../test/factories";
import { createCallerFactory } from "../../api/trpc";
import { usersRouter } from "../../api/routers/users";

let t: TestDatabase;
let admin: TestUser;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await makeUser(t.db, { roles: ["admin"], name: "Ada Admin" });
});
afterAll(async () => {
  await t?.drop();
});

async function domainError(run: () => Promise<unknown>): Promise<DomainError> {
  try {
    await run();
  } catch (err) {
    expect(err).toBeInstanceOf(DomainError);
    return err as DomainError;
  }
  throw new Error("expected a DomainError");
}

const auditFor = (entityId: string, action?: string) =>
  t.db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.entityId, entityId), action ? eq(auditLog.action, action) : undefined))
    .orderBy(auditLog.id);

const rowOf = async (id: string) => (await t.db.select().from(users).where(eq(users.id, id)))[0]!;

describe("createUser", () => {
  it("writes the user and a user.create audit entry with actor and correlation id, never the hash", async () => {
    const ctx = serviceCtxFor(t.db, admin);
    const email = uniqueEmail("new");
    const input = createUserInput.parse({
      email: `  ${email.toUpperCase()} `,
      name: " Marcus Lee ",
      password: "correct horse battery",
      roles: ["pmo", "finance_ops", "pmo"],
      scope: { entities: ["us01", " uk02 ", "US01"], regions: ["emea"] },
    });
    const created = await createUser({ ctx, input });

    expect(created).toMatchObject({
      email,
      name: "Marcus Lee",
      roles: ["finance_ops", "pmo"],
      scopeEntities: ["UK02", "US01"],
      scopeRegions: ["EMEA"],
      disabledAt: null,
      lastSignInAt: null,
      hasPassword: true,
    });
    expect(created).not.toHaveProperty("passwordHash");

    const row = await rowOf(created.id);
    expect(row.email).toBe(email);
    expect(row.passwordHash).toMatch(/^\$argon2id\$/);
    expect(await verifyPassword(row.passwordHash, "correct horse battery")).toBe(true);
    expect(await verifyPassword(row.passwordHash, "wrong horse battery")).toBe(false);

    const entries = await auditFor(created.id);
    expect(entries).toHaveLength(1);
    const [entry] = entries;
    expect(entry).toMatchObject({
      action: "user.create",
      entityType: "user",
      actorId: admin.id,
      actorLabel: admin.email,
      actorRoles: ["admin"],
      correlationId: ctx.correlationId,
      ip: "127.0.0.1",
      before: null,
      after: {
        email,
        name: "Marcus Lee",
        roles: ["finance_ops", "pmo"],
        scopeEntities: ["UK02", "US01"],
        scopeRegions: ["EMEA"],
        disabled: false,
        password: "[redacted]",
      },
    });
    const text = JSON.stringify(entry);
    expect(text).not.toContain("$argon2");
    expect(text).not.toContain(row.passwordHash!);
    expect(text).not.toContain("correct horse battery");
  });

  it("creates a single-sign-on user without a password", async () => {
    const created = await createUser({
      ctx: serviceCtxFor(t.db, admin),
      input: createUserInput.parse({ email: uniqueEmail("sso"), name: "Sso Only", roles: ["executive"] }),
    });
    expect(created.hasPassword).toBe(false);
    expect((await rowOf(created.id)).passwordHash).toBeNull();
    const [entry] = await auditFor(created.id, "user.create");
    expect((entry!.after as { password: unknown }).password).toBeNull();
  });

  it("refuses a second user with the same e-mail in any case, and writes nothing", async () => {
    const email = uniqueEmail("dup");
    await makeUser(t.db, { roles: ["pmo"], email });
    const countBefore = (await t.db.select().from(users)).length;
    const auditBefore = (await t.db.select().from(auditLog)).length;

    const err = await domainError(() =>
      createUser({
        ctx: serviceCtxFor(t.db, admin),
        // not through the schema: the database itself must compare case-insensitively
        input: { email: email.toUpperCase(), name: "Twin", roles: ["pmo"], scope: { entities: [], regions: [] } },
      }),
    );
    expect(err.kind).toBe("conflict");
    expect(err.message).toContain("already exists");
    expect((await t.db.select().from(users)).length).toBe(countBefore);
    expect((await t.db.select().from(auditLog)).length).toBe(auditBefore);
  });
});

describe("updateUser", () => {
  it("changes roles and scope and writes user.update with before and after", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    const ctx = serviceCtxFor(t.db, admin);
    const updated = await updateUser({
      ctx,
      input: updateUserInput.parse({
        id: user.id,
        expectedUpdatedAt: user.updatedAt.toISOString(),
        roles: ["executive", "finance_ops"],
        scope: { entities: ["DE01"], regions: [] },
      }),
    });
    expect(updated.roles).toEqual(["executive", "finance_ops"]);
    expect(updated.scopeEntities).toEqual(["DE01"]);
    expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(user.updatedAt.getTime());

    const row = await rowOf(user.id);
    expect(row.roles).toEqual(["executive", "finance_ops"]);
    expect(row.scopeEntities).toEqual(["DE01"]);

    const [entry] = await auditFor(user.id, "user.update");
    expect(entry).toMatchObject({
      actorId: admin.id,
      correlationId: ctx.correlationId,
      before: { roles: ["pmo"], scopeEntities: [], disabled: false },
      after: { roles: ["executive", "finance_ops"], scopeEntities: ["DE01"], disabled: false },
    });
  });

  it("refuses an edit based on a stale copy, and changes nothing", async () => {
    const created = await makeUser(t.db, { roles: ["pmo"] });
    // what both editors opened: a copy from a minute ago (so the first save surely moves updatedAt)
    const [seen] = await t.db
      .update(users)
      .set({ updatedAt: sql`now() - interval '1 minute'` })
      .where(eq(users.id, created.id))
      .returning();
    const user = { ...created, updatedAt: seen!.updatedAt };
    const first = await updateUser({
      ctx: serviceCtxFor(t.db, admin),
      input: updateUserInput.parse({ id: user.id, expectedUpdatedAt: user.updatedAt.toISOString(), name: "First edit" }),
    });
    expect(first.updatedAt.getTime()).toBeGreaterThan(user.updatedAt.getTime());

    const err = await domainError(() =>
      updateUser({
        ctx: serviceCtxFor(t.db, admin),
        input: updateUserInput.parse({
          id: user.id,
          expectedUpdatedAt: user.updatedAt.toISOString(),
          name: "Second edit",
        }),
      }),
    );
    expect(err.kind).toBe("conflict");
    expect(err.details).toEqual({ updatedAt: first.updatedAt.toISOString() });
    expect((await rowOf(user.id)).name).toBe("First edit");
    expect(await auditFor(user.id, "user.update")).toHaveLength(1);
  });

  it("answers not_found for a user that does not exist", async () => {
    const err = await domainError(() =>
      updateUser({
        ctx: serviceCtxFor(t.db, admin),
        input: updateUserInput.parse({
          id: "00000000-0000-4000-8000-000000000000",
          expectedUpdatedAt: new Date().toISOString(),
          name: "Ghost",
        }),
      }),
    );
    expect(err.kind).toBe("not_found");
  });

  it("sets a new password, audited without the password", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    await updateUser({
      ctx: serviceCtxFor(t.db, admin),
      input: updateUserInput.parse({
        id: user.id,
        expectedUpdatedAt: user.updatedAt.toISOString(),
        password: "a brand new passphrase",
      }),
    });
    const row = await rowOf(user.id);
    expect(await verifyPassword(row.passwordHash, "a brand new passphrase")).toBe(true);
    const [entry] = await auditFor(user.id, "user.update_with_password");
    expect(entry).toBeDefined();
    const text = JSON.stringify(entry);
    expect(text).not.toContain("a brand new passphrase");
    expect(text).not.toContain("$argon2");
  });
});

describe("the last active admin", () => {
  it("cannot lose the admin role while no other active admin exists", async () => {
    // A database of its own: the rule counts every admin in it.
    const own = await createTestDatabase();
    try {
      const only = await makeUser(own.db, { roles: ["admin"] });
      await makeUser(own.db, { roles: ["admin"], disabled: true });

      const err = await domainError(() =>
        updateUser({
          ctx: systemCtx(own.db),
          input: updateUserInput.parse({
            id: only.id,
            expectedUpdatedAt: only.updatedAt.toISOString(),
            roles: ["pmo"],
          }),
        }),
      );
      expect(err.kind).toBe("conflict");
      expect(err.message).toContain("last active admin");

      const disable = await domainError(() =>
        setUserDisabled({ ctx: systemCtx(own.db), input: { id: only.id, disabled: true } }),
      );
      expect(disable.kind).toBe("conflict");

      const [row] = await own.db.select().from(users).where(eq(users.id, only.id));
      expect(row!.roles).toEqual(["admin"]);
      expect(row!.disabledAt).toBeNull();

      // With a second active admin both changes are allowed.
      const second = await makeUser(own.db, { roles: ["admin"] });
      const demoted = await updateUser({
        ctx: serviceCtxFor(own.db, second),
        input: updateUserInput.parse({ id: only.id, expectedUpdatedAt: only.updatedAt.toISOString(), roles: ["pmo"] }),
      });
      expect(demoted.roles).toEqual(["pmo"]);
    } finally {
      await own.drop();
    }
  });

  it("two admins removing each other at the same moment leave one active admin", async () => {
    const own = await createTestDatabase();
    try {
      for (let round = 0; round < 6; round++) {
        // only this round's pair are admins
        await own.sql`update users set roles = '{pmo}' where 'admin' = any(roles)`;
        const a = await makeUser(own.db, { roles: ["admin"] });
        const b = await makeUser(own.db, { roles: ["admin"] });
        const demoteB = updateUser({
          ctx: serviceCtxFor(own.db, a),
          input: updateUserInput.parse({ id: b.id, expectedUpdatedAt: b.updatedAt.toISOString(), roles: ["pmo"] }),
        });
        // even rounds: both demote; odd rounds: one demotes, the other disables
        const removeA =
          round % 2 === 0
            ? updateUser({
                ctx: serviceCtxFor(own.db, b),
                input: updateUserInput.parse({ id: a.id, expectedUpdatedAt: a.updatedAt.toISOString(), roles: ["pmo"] }),
              })
            : setUserDisabled({ ctx: serviceCtxFor(own.db, b), input: { id: a.id, disabled: true } });
        const outcomes = await Promise.allSettled([demoteB, removeA]);
        expect(outcomes.filter((o) => o.status === "fulfilled")).toHaveLength(1);
        const refused = outcomes.find((o) => o.status === "rejected") as PromiseRejectedResult;
        expect(refused.reason).toBeInstanceOf(DomainError);
        expect((refused.reason as DomainError).kind).toBe("conflict");

        const admins = await own.db
          .select({ id: users.id })
          .from(users)
          .where(and(isNull(users.disabledAt), arrayContains(users.roles, ["admin"])));
        expect(admins).toHaveLength(1);
      }
    } finally {
      await own.drop();
    }
  });

  it("an admin cannot remove their own admin role", async () => {
    const other = await makeUser(t.db, { roles: ["admin"] });
    const err = await domainError(() =>
      updateUser({
        ctx: serviceCtxFor(t.db, other),
        input: updateUserInput.parse({ id: other.id, expectedUpdatedAt: other.updatedAt.toISOString(), roles: ["pmo"] }),
      }),
    );
    expect(err.kind).toBe("invalid");
    expect((await rowOf(other.id)).roles).toEqual(["admin"]);
  });
});

describe("setUserDisabled", () => {
  it("an admin cannot disable themselves", async () => {
    const err = await domainError(() =>
      setUserDisabled({ ctx: serviceCtxFor(t.db, admin), input: { id: admin.id, disabled: true } }),
    );
    expect(err.kind).toBe("invalid");
    expect(err.message).toContain("your own account");
    expect((await rowOf(admin.id)).disabledAt).toBeNull();
  });

  it("disabling twice writes one audit entry; enabling writes another", async () => {
    const user = await makeUser(t.db, { roles: ["finance_ops"] });
    const ctx = serviceCtxFor(t.db, admin);
    const once = await setUserDisabled({ ctx, input: { id: user.id, disabled: true } });
    const twice = await setUserDisabled({ ctx, input: { id: user.id, disabled: true } });
    expect(once.disabledAt).toBeInstanceOf(Date);
    expect(twice.disabledAt?.getTime()).toBe(once.disabledAt?.getTime());

    const disables = await auditFor(user.id, "user.disable");
    expect(disables).toHaveLength(1);
    expect(disables[0]).toMatchObject({
      actorId: admin.id,
      before: { disabled: false },
      after: { disabled: true },
    });

    const enabled = await setUserDisabled({ ctx, input: { id: user.id, disabled: false } });
    expect(enabled.disabledAt).toBeNull();
    expect((await rowOf(user.id)).disabledAt).toBeNull();
    expect(await auditFor(user.id, "user.enable")).toHaveLength(1);
  });
});

describe("listUsers", () => {
  it("filters by search text, role and status, never returning the hash", async () => {
    const ctx = serviceCtxFor(t.db, admin);
    const marker = `zeta${Date.now()}`;
    const a = await makeUser(t.db, { roles: ["executive"], name: `${marker} Active` });
    const d = await makeUser(t.db, { roles: ["executive"], name: `${marker} Disabled`, disabled: true });
    await makeUser(t.db, { roles: ["pmo"], name: `${marker} Pmo` });

    const all = await listUsers({ ctx, input: listUsersInput.parse({ search: marker }) });
    expect(all.map((u) => u.name)).toEqual([`${marker} Active`, `${marker} Disabled`, `${marker} Pmo`]);
    expect(all[0]).not.toHaveProperty("passwordHash");

    const execs = await listUsers({ ctx, input: listUsersInput.parse({ search: marker, role: "executive" }) });
    expect(execs.map((u) => u.id).sort()).toEqual([a.id, d.id].sort());

    const active = await listUsers({ ctx, input: listUsersInput.parse({ search: marker, status: "active", role: "executive" }) });
    expect(active.map((u) => u.id)).toEqual([a.id]);
    const disabled = await listUsers({ ctx, input: listUsersInput.parse({ search: marker, status: "disabled" }) });
    expect(disabled.map((u) => u.id)).toEqual([d.id]);

    // % is matched literally, not as a wildcard
    expect(await listUsers({ ctx, input: listUsersInput.parse({ search: "%" }) })).toEqual([]);
  });
});

describe("scoped administration", () => {
  let usAdmin: TestUser;
  let ukUser: TestUser;
  let usUser: TestUser;
  let naOnly: TestUser;
  let globalPmo: TestUser;

  beforeAll(async () => {
    usAdmin = await makeUser(t.db, { roles: ["admin"], name: "Uma US Admin", scope: { entities: ["US01"], regions: [] } });
    usUser = await makeUser(t.db, { roles: ["pmo"], name: "Zoned US Pmo", scope: { entities: ["US01"], regions: ["NA"] } });
    ukUser = await makeUser(t.db, { roles: ["finance_ops"], name: "Zoned UK Finance", scope: { entities: ["UK02"], regions: [] } });
    naOnly = await makeUser(t.db, { roles: ["executive"], name: "Zoned NA Executive", scope: { entities: [], regions: ["NA"] } });
    globalPmo = await makeUser(t.db, { roles: ["pmo"], name: "Zoned Global Pmo" });
  });

  const create = (actor: TestUser, roles: ("admin" | "pmo" | "finance_ops" | "executive")[], scope: { entities: string[]; regions: string[] }) =>
    createUser({ ctx: serviceCtxFor(t.db, actor), input: createUserInput.parse({ email: uniqueEmail("scoped"), name: "Created In US01", roles, scope }) });

  it("an admin limited to a legal entity cannot create an unrestricted admin, nor a user of another entity, and writes nothing", async () => {
    const usersBefore = (await t.db.select().from(users)).length;
    const auditBefore = (await t.db.select().from(auditLog)).length;
    for (const [roles, scope] of [
      [["admin"], { entities: [], regions: [] }],
      [["pmo"], { entities: [], regions: [] }],
      [["pmo"], { entities: ["UK02"], regions: [] }],
      [["pmo"], { entities: ["US01", "UK02"], regions: [] }],
      // all of North America is wider than US01
      [["executive"], { entities: [], regions: ["NA"] }],
    ] as const) {
      const err = await domainError(() => create(usAdmin, [...roles], { entities: [...scope.entities], regions: [...scope.regions] }));
      expect(err.kind).toBe("forbidden");
      expect(err.message).toBe(
        "You administer legal entity US01 only: a user you create or change must be limited to legal entities among US01 (an empty list means all, which is outside your scope).",
      );
    }
    expect((await t.db.select().from(users)).length).toBe(usersBefore);
    expect((await t.db.select().from(auditLog)).length).toBe(auditBefore);
  });

  it("creates users, admins included, within its own scope", async () => {
    const admin2 = await create(usAdmin, ["admin"], { entities: ["US01"], regions: [] });
    expect(admin2).toMatchObject({ roles: ["admin"], scopeEntities: ["US01"], scopeRegions: [] });
    const narrower = await create(usAdmin, ["finance_ops", "pmo"], { entities: ["US01"], regions: ["NA"] });
    expect(narrower).toMatchObject({ scopeEntities: ["US01"], scopeRegions: ["NA"] });
  });

  it("through the router too: FORBIDDEN with the sentence", async () => {
    const caller = createCallerFactory(usersRouter)(ctxFor(t.db, usAdmin));
    await expect(
      caller.create({ email: uniqueEmail("via-router"), name: "Escalation Attempt", roles: ["admin"], scope: { entities: [], regions: [] } }),
    ).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringContaining("You administer legal entity US01 only") });
  });

  it("lists only the users within its scope", async () => {
    const listed = await listUsers({ ctx: serviceCtxFor(t.db, usAdmin), input: listUsersInput.parse({ search: "Zoned" }) });
    expect(listed.map((u) => u.id)).toEqual([usUser.id]);
    const fromRouter = await createCallerFactory(usersRouter)(ctxFor(t.db, usAdmin)).list({});
    expect(fromRouter.map((u) => u.id)).not.toContain(admin.id);
    expect(fromRouter.map((u) => u.id)).toContain(usAdmin.id);
    expect(fromRouter.every((u) => u.scopeEntities.length > 0 && u.scopeEntities.every((c) => c === "US01"))).toBe(true);
    // an admin with no scope limit sees them all
    const all = await listUsers({ ctx: serviceCtxFor(t.db, admin), input: listUsersInput.parse({ search: "Zoned" }) });
    expect(all.map((u) => u.id).sort()).toEqual([usUser.id, ukUser.id, naOnly.id, globalPmo.id].sort());
  });

  it("cannot find, change, disable or set the password of a user outside its scope", async () => {
    for (const target of [ukUser, naOnly, globalPmo, admin]) {
      const before = await rowOf(target.id);
      const edit = await domainError(() =>
        updateUser({
          ctx: serviceCtxFor(t.db, usAdmin),
          input: updateUserInput.parse({ id: target.id, expectedUpdatedAt: before.updatedAt.toISOString(), password: "taken over at last", name: "Taken Over" }),
        }),
      );
      expect(edit.kind).toBe("not_found");
      expect(edit.message).toBe("That user does not exist (any more).");
      const disable = await domainError(() => setUserDisabled({ ctx: serviceCtxFor(t.db, usAdmin), input: { id: target.id, disabled: true } }));
      expect(disable.kind).toBe("not_found");
      const after = await rowOf(target.id);
      expect(after).toEqual(before);
    }
  });

  it("can change a user within its scope, but not widen their scope beyond its own", async () => {
    const target = await makeUser(t.db, { roles: ["pmo"], scope: { entities: ["US01"], regions: [] } });
    const renamed = await updateUser({
      ctx: serviceCtxFor(t.db, usAdmin),
      input: updateUserInput.parse({ id: target.id, expectedUpdatedAt: target.updatedAt.toISOString(), name: "Renamed In Scope", roles: ["admin", "pmo"] }),
    });
    expect(renamed).toMatchObject({ name: "Renamed In Scope", roles: ["admin", "pmo"] });
    for (const scope of [{ entities: [], regions: [] }, { entities: ["US01", "UK02"], regions: [] }]) {
      const err = await domainError(() =>
        updateUser({ ctx: serviceCtxFor(t.db, usAdmin), input: updateUserInput.parse({ id: target.id, expectedUpdatedAt: renamed.updatedAt.toISOString(), scope }) }),
      );
      expect(err.kind).toBe("forbidden");
    }
    expect((await rowOf(target.id)).scopeEntities).toEqual(["US01"]);
    // nor its own
    const self = await rowOf(usAdmin.id);
    const err = await domainError(() =>
      updateUser({ ctx: serviceCtxFor(t.db, usAdmin), input: updateUserInput.parse({ id: usAdmin.id, expectedUpdatedAt: self.updatedAt.toISOString(), scope: { entities: [], regions: [] } }) }),
    );
    expect(err.kind).toBe("forbidden");
  });

  it("an admin whose own account was disabled administers nothing, whatever their token says", async () => {
    const gone = await makeUser(t.db, { roles: ["admin"], scope: { entities: ["US01"], regions: [] }, disabled: true });
    const err = await domainError(() => listUsers({ ctx: serviceCtxFor(t.db, gone), input: listUsersInput.parse({}) }));
    expect(err.kind).toBe("forbidden");
  });

  it("the last admin with no scope limit cannot be limited, demoted or disabled", async () => {
    const own = await createTestDatabase();
    try {
      const only = await makeUser(own.db, { roles: ["admin"] });
      const scoped = await makeUser(own.db, { roles: ["admin"], scope: { entities: ["US01"], regions: [] } });
      for (const input of [{ scope: { entities: ["US01"], regions: [] } }, { roles: ["pmo" as const] }]) {
        const err = await domainError(() =>
          updateUser({ ctx: systemCtx(own.db), input: updateUserInput.parse({ id: only.id, expectedUpdatedAt: only.updatedAt.toISOString(), ...input }) }),
        );
        expect(err.kind).toBe("conflict");
        expect(err.message).toBe("This is the last active admin for all legal entities and regions: give another user the admin role with no scope limit first.");
      }
      const disable = await domainError(() => setUserDisabled({ ctx: systemCtx(own.db), input: { id: only.id, disabled: true } }));
      expect(disable.kind).toBe("conflict");
      // the scoped admin is not the last of anything: it may go
      await setUserDisabled({ ctx: serviceCtxFor(own.db, only), input: { id: scoped.id, disabled: true } });
      // with a second unrestricted admin, the first may limit itself
      await makeUser(own.db, { roles: ["admin"] });
      const limited = await updateUser({
        ctx: serviceCtxFor(own.db, only),
        input: updateUserInput.parse({ id: only.id, expectedUpdatedAt: only.updatedAt.toISOString(), scope: { entities: ["US01"], regions: [] } }),
      });
      expect(limited.scopeEntities).toEqual(["US01"]);
    } finally {
      await own.drop();
    }
  });
});

describe("changes that end a user's sessions", () => {
  const epochOf = async (id: string) => (await rowOf(id)).sessionEpoch;
  const edit = async (user: TestUser, change: Record<string, unknown>) => {
    const { updatedAt } = await rowOf(user.id);
    return updateUser({ ctx: serviceCtxFor(t.db, admin), input: updateUserInput.parse({ id: user.id, expectedUpdatedAt: updatedAt.toISOString(), ...change }) });
  };

  it("a change of roles, of scope, or a new password ends them; a new name or the same roles again does not", async () => {
    const user = await makeUser(t.db, { roles: ["pmo", "executive"], scope: { entities: ["US01"], regions: [] } });
    expect(await epochOf(user.id)).toBe(0);
    await edit(user, { name: "Only Renamed" });
    await edit(user, { roles: ["pmo", "executive"], scope: { entities: ["us01"], regions: [] } });
    expect(await epochOf(user.id)).toBe(0);

    await edit(user, { roles: ["pmo"] });
    expect(await epochOf(user.id)).toBe(1);
    await edit(user, { scope: { entities: ["US01", "UK02"], regions: [] } });
    expect(await epochOf(user.id)).toBe(2);
    await edit(user, { password: "a fresh passphrase here" });
    expect(await epochOf(user.id)).toBe(3);
    const [entry] = await auditFor(user.id, "user.update_with_password");
    expect(entry!.after).toMatchObject({ sessionsEnded: true });
  });

  it("disabling ends them; enabling again revives none", async () => {
    const user = await makeUser(t.db, { roles: ["finance_ops"] });
    await setUserDisabled({ ctx: serviceCtxFor(t.db, admin), input: { id: user.id, disabled: true } });
    expect(await epochOf(user.id)).toBe(1);
    await setUserDisabled({ ctx: serviceCtxFor(t.db, admin), input: { id: user.id, disabled: false } });
    expect(await epochOf(user.id)).toBe(1);
  });
});
