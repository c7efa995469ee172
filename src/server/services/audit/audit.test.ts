import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { randomUUID } from "node:crypto";
import { eq } from "drizzle-orm";
import { auditLog, accountingPeriods, customers, employees, exceptions, legalEntities, projects, reconciliationRuns } from "../../db/schema";
import { createCallerFactory } from "../../api/trpc";
import { auditRouter } from "../../api/routers/audit";
import { writeAudit } from "./write";
import { UNRESTRICTED } from "../../auth/scope";
import { auditFacets, listAudit, listAuditInput } from "./list";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, serviceCtxFor, systemCtx, type TestUser } from "../../../../test/factories";

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

    const first = await listAudit({ ctx, input: listAuditInput.parse({ action: "pager.", limit: 2 }), scope: UNRESTRICTED });
    expect(first.items.map((r) => r.entityId)).toEqual(["5", "4"]);
    expect(first.nextCursor).toBe(first.items[1]!.id);

    const second = await listAudit({
      ctx,
      input: listAuditInput.parse({ action: "pager.", limit: 2, cursor: first.nextCursor! }),
      scope: UNRESTRICTED,
    });
    expect(second.items.map((r) => r.entityId)).toEqual(["3", "2"]);
    const third = await listAudit({
      ctx,
      input: listAuditInput.parse({ action: "pager.", limit: 2, cursor: second.nextCursor! }),
      scope: UNRESTRICTED,
    });
    expect(third.items.map((r) => r.entityId)).toEqual(["1"]);
    expect(third.nextCursor).toBeNull();

    // "_" in the filter is a literal character, not a LIKE wildcard
    const literal = await listAudit({ ctx, input: listAuditInput.parse({ action: "pager_" }), scope: UNRESTRICTED });
    expect(literal.items.map((r) => r.action)).toEqual(["pager_other"]);

    const byActor = await listAudit({ ctx, input: listAuditInput.parse({ actor: "system:pag", entityId: "3" }), scope: UNRESTRICTED });
    expect(byActor.items).toHaveLength(1);
    expect(byActor.items[0]).toMatchObject({ actorLabel: "system:pager", entityId: "3" });

    const future = await listAudit({
      ctx,
      input: listAuditInput.parse({ from: new Date(Date.now() + 3_600_000).toISOString() }),
      scope: UNRESTRICTED,
    });
    expect(future.items).toEqual([]);
  });

  it("lists the distinct actions and entity types", async () => {
    const facets = await auditFacets({ ctx: systemCtx(t.db), scope: UNRESTRICTED });
    expect(facets.actions).toEqual(expect.arrayContaining(["pager.step", "pager_other", "test.keep", "user.create"]));
    expect(new Set(facets.actions).size).toBe(facets.actions.length);
    expect(facets.entityTypes).toEqual(expect.arrayContaining(["pager", "thing", "user", "job"]));
    expect([...facets.actions].sort()).toEqual(facets.actions);
  });
});

describe("what a scoped admin sees of the audit log", () => {
  // what each entry is about, by the name its action carries; the expected viewers follow
  const about = new Map<string, { entityType: string; entityId: string | null }>();
  let usAdmin: TestUser;
  let emeaAdmin: TestUser;
  let globalAdmin: TestUser;

  beforeAll(async () => {
    const [us, uk] = await t.db
      .insert(legalEntities)
      .values([
        { code: "US01", name: "Hourbridge Inc.", erpSubsidiaryId: "va-1", functionalCurrency: "USD", country: "US", region: "NA" },
        { code: "UK02", name: "Hourbridge Ltd", erpSubsidiaryId: "va-2", functionalCurrency: "GBP", country: "GB", region: "EMEA" },
      ])
      .returning();
    const [cust] = await t.db.insert(customers).values({ erpId: "va-c1", name: "Acme", legalEntityId: us!.id }).returning();
    const [usProject, ukProject] = await t.db
      .insert(projects)
      .values([
        { erpId: "va-j1", code: "VA-US", name: "US work", customerId: cust!.id, legalEntityId: us!.id, region: "NA", businessUnit: "Consulting", practice: "Finance", contractType: "time_and_materials", currency: "USD" },
        { erpId: "va-j2", code: "VA-UK", name: "UK work", customerId: cust!.id, legalEntityId: uk!.id, region: "EMEA", businessUnit: "Digital", practice: "Cloud", contractType: "time_and_materials", currency: "GBP" },
      ])
      .returning();
    const [ukPerson] = await t.db
      .insert(employees)
      .values({ erpId: "va-e1", name: "Ben Okafor", email: "ben@va.test", legalEntityId: uk!.id, region: "EMEA", department: "Digital", costCenter: "CC-2" })
      .returning();
    const [usPeriod] = await t.db.insert(accountingPeriods).values({ legalEntityId: us!.id, period: "2026-05", startsOn: "2026-05-01", endsOn: "2026-05-31" }).returning();
    const exception = (entityId: string, region: string, key: string) => ({
      code: "PROJECT_UNMAPPED",
      owner: "pmo" as const,
      severity: "high" as const,
      subjectType: "source_project",
      subjectKey: key,
      subjectLabel: key,
      message: "unmapped",
      suggestedFix: "map it",
      legalEntityId: entityId,
      region,
    });
    const [usException, ukException] = await t.db
      .insert(exceptions)
      .values([exception(us!.id, "NA", "va-x1"), exception(uk!.id, "EMEA", "va-x2")])
      .returning();
    const [ukRun] = await t.db
      .insert(reconciliationRuns)
      .values({ legalEntityId: uk!.id, period: "2026-05", trigger: "manual", requestedBy: "someone", reportingCurrency: "USD", correlationId: randomUUID() })
      .returning();

    usAdmin = await makeUser(t.db, { roles: ["admin"], scope: { entities: ["US01"], regions: [] } });
    emeaAdmin = await makeUser(t.db, { roles: ["admin"], scope: { entities: [], regions: ["EMEA"] } });
    globalAdmin = await makeUser(t.db, { roles: ["admin"] });
    const usPmo = await makeUser(t.db, { roles: ["pmo"], scope: { entities: ["US01"], regions: [] } });
    const ukFinance = await makeUser(t.db, { roles: ["finance_ops"], scope: { entities: ["UK02"], regions: ["EMEA"] } });
    // limited to UK02 only: its region is EMEA today, but the scope itself does not say so
    const ukAnyRegion = await makeUser(t.db, { roles: ["finance_ops"], scope: { entities: ["UK02"], regions: [] } });

    const entries: [string, string, string | null][] = [
      ["vis.user.us_pmo", "user", usPmo.id],
      ["vis.user.uk_finance", "user", ukFinance.id],
      ["vis.user.uk_any_region", "user", ukAnyRegion.id],
      ["vis.user.global_admin", "user", globalAdmin.id],
      ["vis.user.unknown_account", "user", null],
      ["vis.user.gone", "user", randomUUID()],
      ["vis.exception.us", "exception", usException!.id],
      ["vis.exception.uk", "exception", ukException!.id],
      ["vis.exception.not_an_id", "exception", "not-a-uuid"],
      ["vis.project.us", "project", usProject!.id],
      ["vis.project.uk", "project", ukProject!.id],
      ["vis.legal_entity.uk", "legal_entity", uk!.id],
      ["vis.employee.uk", "employee", ukPerson!.id],
      ["vis.customer.us", "customer", cust!.id],
      ["vis.accounting_period.us", "accounting_period", usPeriod!.id],
      ["vis.reconciliation_run.uk", "reconciliation_run", ukRun!.id],
      ["vis.connector.firm_wide", "connector", randomUUID()],
      ["vis.mappings.firm_wide", "mappings", null],
    ];
    for (const [action, entityType, entityId] of entries) {
      about.set(action, { entityType, entityId });
      await writeAudit(systemCtx(t.db, "visibility"), { action, entityType, entityId });
    }
  });

  const seenBy = async (user: TestUser) => {
    const page = await listAudit({ ctx: serviceCtxFor(t.db, user), input: listAuditInput.parse({ action: "vis.", limit: 200 }), scope: user.scope });
    return page.items.map((r) => r.action).sort();
  };

  it("an admin limited to a legal entity sees only the entries about things of that entity", async () => {
    expect(await seenBy(usAdmin)).toEqual(["vis.accounting_period.us", "vis.customer.us", "vis.exception.us", "vis.project.us", "vis.user.us_pmo"]);
  });

  it("an admin limited to a region sees the entries about things in that region, and users limited to it", async () => {
    expect(await seenBy(emeaAdmin)).toEqual([
      "vis.employee.uk",
      "vis.exception.uk",
      "vis.legal_entity.uk",
      "vis.project.uk",
      "vis.reconciliation_run.uk",
      "vis.user.uk_finance",
    ]);
  });

  it("an admin with no scope limit sees every entry", async () => {
    expect(await seenBy(globalAdmin)).toEqual([...about.keys()].sort());
  });

  it("the filter pickers offer only what the viewer may see", async () => {
    const facets = await auditFacets({ ctx: serviceCtxFor(t.db, usAdmin), scope: usAdmin.scope });
    const vis = facets.actions.filter((a) => a.startsWith("vis."));
    expect(vis).toEqual(["vis.accounting_period.us", "vis.customer.us", "vis.exception.us", "vis.project.us", "vis.user.us_pmo"]);
    // the entries written before this block are about things of no legal entity
    expect(facets.actions.some((a) => a.startsWith("pager"))).toBe(false);
    expect(facets.entityTypes).not.toContain("connector");
    const all = await auditFacets({ ctx: serviceCtxFor(t.db, globalAdmin), scope: globalAdmin.scope });
    expect(all.entityTypes).toContain("connector");
  });

  it("the router lists the viewer's own scope, whatever the input asks", async () => {
    const caller = createCallerFactory(auditRouter);
    const page = await caller(ctxFor(t.db, usAdmin)).list({ action: "vis.", limit: 200 });
    expect(page.items.map((r) => r.action).sort()).toEqual(await seenBy(usAdmin));
    const aboutGlobal = await caller(ctxFor(t.db, usAdmin)).list({ entityType: "user", entityId: globalAdmin.id });
    expect(aboutGlobal.items).toEqual([]);
  });
});
