import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { auditLog } from "../../db/schema";
import { writeAudit } from "./write";
import { auditFacets, listAudit, listAuditInput } from "./list";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor, systemCtx } from "../../../../test/factories";

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

/** The Postgres error under whatever wrapper the driver or ORM put around it. */
async function pgError(run: () => Promise<unknown>): Promise<{ code?: string; message: string }> {
  try {
    await run();
  } catch (err) {
    let e = err as { code?: string; message: string; cause?: unknown };
    while (!e.code && e.cause) e = e.cause as typeof e;
    return e;
  }
  throw new Error("expected the statement to fail");
}

describe("writeAudit", () => {
  it("records actor, roles, action, entity, before, after, correlation id, address and UTC time", async () => {
    const admin = await makeUser(t.db, { roles: ["admin"] });
    const ctx = { ...serviceCtxFor(t.db, admin), ip: "203.0.113.9" };
    const startedAt = Date.now();
    await writeAudit(ctx, {
      action: "test.thing",
      entityType: "thing",
      entityId: "42",
      before: { n: 1, apiToken: "abc" },
      after: { n: 2, apiToken: "def" },
    });
    const [row] = await t.db.select().from(auditLog).where(eq(auditLog.correlationId, ctx.correlationId));
    expect(row).toMatchObject({
      actorId: admin.id,
      actorLabel: admin.email,
      actorRoles: ["admin"],
      action: "test.thing",
      entityType: "thing",
      entityId: "42",
      before: { n: 1, apiToken: "[redacted]" },
      after: { n: 2, apiToken: "[redacted]" },
      ip: "203.0.113.9",
    });
    expect(row!.at.getTime()).toBeGreaterThanOrEqual(startedAt - 5_000);
    expect(row!.at.getTime()).toBeLessThanOrEqual(Date.now() + 5_000);
  });

  it("labels the system as system:<job> with no actor id or roles", async () => {
    const ctx = systemCtx(t.db, "nightly-sync");
    await writeAudit(ctx, { action: "test.system", entityType: "job" });
    const [row] = await t.db.select().from(auditLog).where(eq(auditLog.correlationId, ctx.correlationId));
    expect(row).toMatchObject({
      actorId: null,
      actorLabel: "system:nightly-sync",
      actorRoles: [],
      entityId: null,
      before: null,
      after: null,
      ip: null,
    });
  });
});

describe("the audit log is append-only", () => {
  it("refuses UPDATE, DELETE and TRUNCATE, and every row stays as written", async () => {
    const ctx = systemCtx(t.db, "append-only");
    await writeAudit(ctx, { action: "test.keep", entityType: "thing", entityId: "1", after: { v: 1 } });
    const before = await t.sql`select * from audit_log order by id`;
    expect(before.length).toBeGreaterThan(0);

    const update = await pgError(() => t.sql`update audit_log set action = 'tampered'`);
    expect(update.code).toBe("42501");
    expect(update.message).toContain("audit_log is append-only: UPDATE is not allowed");

    const del = await pgError(() => t.sql`delete from audit_log where correlation_id = ${ctx.correlationId}`);
    expect(del.code).toBe("42501");
    expect(del.message).toContain("DELETE is not allowed");

    const truncate = await pgError(() => t.sql`truncate audit_log`);
    expect(truncate.code).toBe("42501");
    expect(truncate.message).toContain("TRUNCATE is not allowed");

    // through the ORM as well, as application code would try it
    const ormUpdate = await pgError(() =>
      t.db.update(auditLog).set({ action: "tampered" }).where(eq(auditLog.correlationId, ctx.correlationId)),
    );
    expect(ormUpdate.code).toBe("42501");
    const ormDelete = await pgError(() => t.db.delete(auditLog));
    expect(ormDelete.code).toBe("42501");

    const after = await t.sql`select * from audit_log order by id`;
    expect(after).toEqual(before);
  });
});

describe("listAudit", () => {
  it("filters by actor, action prefix and entity, newest first, and pages by cursor", async () => {
    const ctx = systemCtx(t.db, "pager");
    for (let i = 1; i <= 5; i++) {
      await writeAudit(ctx, { action: "pager.step", entityType: "pager", entityId: String(i) });
    }
    await writeAudit(ctx, { action: "pager_other", entityType: "pager", entityId: "x" });

    const first = await listAudit({ ctx, input: listAuditInput.parse({ action: "pager.", limit: 2 }) });
    expect(first.items.map((r) => r.entityId)).toEqual(["5", "4"]);
    expect(first.nextCursor).toBe(first.items[1]!.id);

    const second = await listAudit({
      ctx,
      input: listAuditInput.parse({ action: "pager.", limit: 2, cursor: first.nextCursor! }),
    });
    expect(second.items.map((r) => r.entityId)).toEqual(["3", "2"]);
    const third = await listAudit({
      ctx,
      input: listAuditInput.parse({ action: "pager.", limit: 2, cursor: second.nextCursor! }),
    });
    expect(third.items.map((r) => r.entityId)).toEqual(["1"]);
    expect(third.nextCursor).toBeNull();

    // "_" in the filter is a literal character, not a LIKE wildcard
    const literal = await listAudit({ ctx, input: listAuditInput.parse({ action: "pager_" }) });
    expect(literal.items.map((r) => r.action)).toEqual(["pager_other"]);

    const byActor = await listAudit({ ctx, input: listAuditInput.parse({ actor: "system:pag", entityId: "3" }) });
    expect(byActor.items).toHaveLength(1);
    expect(byActor.items[0]).toMatchObject({ actorLabel: "system:pager", entityId: "3" });

    const future = await listAudit({
      ctx,
      input: listAuditInput.parse({ from: new Date(Date.now() + 3_600_000).toISOString() }),
    });
    expect(future.items).toEqual([]);
  });

  it("lists the distinct actions and entity types", async () => {
    const facets = await auditFacets({ ctx: systemCtx(t.db) });
    expect(facets.actions).toEqual(expect.arrayContaining(["pager.step", "pager_other", "test.keep", "user.create"]));
    expect(new Set(facets.actions).size).toBe(facets.actions.length);
    expect(facets.entityTypes).toEqual(expect.arrayContaining(["pager", "thing", "user", "job"]));
    expect([...facets.actions].sort()).toEqual(facets.actions);
  });
});
