import { and, eq, inArray, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { auditLog, erpPostings, exceptionEvents, exceptions, idMappings, projects } from "@/server/db/schema";
import { createCaller } from "@/server/api/root";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, serviceCtxFor, systemCtx, type TestUser } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { validateEntries } from "../validation/validate-entries";
import { raiseException } from "./raise";
import { actOnException } from "./act";
import { runBulkAction, startBulkAction } from "./bulk";
import { listExceptions, type Viewer } from "./list";
import { queueFigures } from "./figures";
import { queueGroups } from "./groups";
import { exceptionDetail } from "./detail";
import { exportExceptionsCsv } from "./export";
import { DomainError } from "../errors";
import { expectDomain } from "../../../../test/expect-domain";

const viewer = (u: TestUser): Viewer => ({ userId: u.id, roles: u.roles, scope: u.scope });


describe("the exception queue", () => {
  let t: TestDatabase;
  let w: World;
  let admin: TestUser, finance: TestUser, pmo: TestUser, pmoEmea: TestUser, financeNa: TestUser;
  /** exceptions by code, as validation raised them */
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestDatabase();
    w = await buildWorld(t.db);
    admin = await makeUser(t.db, { roles: ["admin"] });
    finance = await makeUser(t.db, { roles: ["finance_ops"], name: "Fiona Finance" });
    pmo = await makeUser(t.db, { roles: ["pmo"], name: "Paul PMO" });
    pmoEmea = await makeUser(t.db, { roles: ["pmo"], name: "Emma EMEA", scope: { entities: [], regions: ["EMEA"] } });
    financeNa = await makeUser(t.db, { roles: ["finance_ops"], name: "Nate NA", scope: { entities: [], regions: ["NA"] } });

    // NA: three entries on a project with no ERP job mapping (PMO); EMEA: a closed project (PMO)
    await t.db.update(projects).set({ status: "closed" }).where(eq(projects.id, w.beta.id));
    for (const h of ["2.00", "3.50", "1.25"]) await w.entry({ sourceProjectId: w.ext.unmapped, hours: h });
    await w.entry({ sourceProjectId: w.ext.beta, sourceUserId: w.ext.ben, hours: "3.00", workDate: "2026-05-13" });
    await validateEntries({ ctx: systemCtx(t.db, "validation") });
    for (const x of await t.db.select({ id: exceptions.id, code: exceptions.code }).from(exceptions)) ids[x.code] = x.id;

    // NA: a suspected duplicate (finance), raised outside validation
    const dup = await w.entry({ hours: "6.00" });
    await t.db.transaction((tx) =>
      raiseException(tx, "system:test", {
        code: "DUPLICATE_SUSPECTED",
        subjectType: "entry",
        subjectKey: `entry:harvest:${dup.sourceId}`,
        subjectLabel: `Harvest entry ${dup.sourceId}`,
        message: "Same person, date, project and hours as another entry.",
        suggestedFix: "Check with the consultant.",
        legalEntityId: w.us.id,
        projectId: w.acme.id,
        link: { timeEntryId: dup.id, workDate: dup.workDate, hours: "6.00", value: "1080.00", currency: "USD" },
      }),
    );
    await t.db.execute(sql`update exceptions set region = 'NA', value_reporting = value_at_stake where code = 'DUPLICATE_SUSPECTED'`);
    const [d] = await t.db.select({ id: exceptions.id }).from(exceptions).where(eq(exceptions.code, "DUPLICATE_SUSPECTED"));
    ids.DUPLICATE_SUSPECTED = d!.id;
  });
  afterAll(async () => t?.drop());

  const versionOf = async (id: string) => (await t.db.select({ v: exceptions.version }).from(exceptions).where(eq(exceptions.id, id)))[0]!.v;

  it("lists open exceptions with what they block, largest value first", async () => {
    const page = await listExceptions({ ctx: systemCtx(t.db), viewer: viewer(admin), input: {} });
    expect(page.items.map((r) => r.code)).toEqual(["DUPLICATE_SUSPECTED", "PROJECT_NOT_ACTIVE", "PROJECT_UNMAPPED"]);
    const unmapped = page.items[2]!;
    expect(unmapped).toMatchObject({ entries: 3, hours: "6.75", owner: "pmo", region: "NA", entityCode: w.us.code, canAct: true });
    // without a project there is no bill rate to value the hours with: unknown, sorted last
    expect(unmapped.valueReporting).toBeNull();
    // 3 h × GBP 140 = GBP 420.00, at 1.27 on 13 May = USD 533.40
    expect(page.items[1]).toMatchObject({ value: "420.00", currency: "GBP", valueReporting: "533.40" });
    expect(unmapped.slaHours).toBe(24);
    // approved on 18 May 2026: blocked ever since
    expect(unmapped.blockedHours).toBeGreaterThan((Date.now() - Date.parse("2026-05-18T09:00:00Z")) / 3_600_000 - 1);
  });

  it("filters by owner, code, region, entity, project, text, value and period", async () => {
    const codes = async (filter: Record<string, unknown>) =>
      (await listExceptions({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { filter } })).items.map((r) => r.code).sort();
    expect(await codes({ owner: ["finance"] })).toEqual(["DUPLICATE_SUSPECTED"]);
    expect(await codes({ code: ["PROJECT_NOT_ACTIVE"] })).toEqual(["PROJECT_NOT_ACTIVE"]);
    expect(await codes({ region: ["EMEA"] })).toEqual(["PROJECT_NOT_ACTIVE"]);
    expect(await codes({ entity: [w.us.code] })).toEqual(["DUPLICATE_SUSPECTED", "PROJECT_UNMAPPED"]);
    expect(await codes({ project: [w.beta.id] })).toEqual(["PROJECT_NOT_ACTIVE"]);
    expect(await codes({ q: "HV-2291" })).toEqual(["PROJECT_UNMAPPED"]);
    expect(await codes({ minValue: "1000" })).toEqual(["DUPLICATE_SUSPECTED"]);
    expect(await codes({ period: "2026-05" })).toHaveLength(3);
    expect(await codes({ period: "2026-06" })).toEqual([]);
    expect(await codes({ age: ["d0_1"] })).toHaveLength(3);
    expect(await codes({ age: ["d3_7", "d7_30"] })).toEqual([]);
    expect(await codes({ status: ["resolved"] })).toEqual([]);
  });

  it("refuses unknown filter values by name", async () => {
    await expectDomain(listExceptions({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { filter: { entity: ["XX99"] } } }), "invalid", /Unknown legal entity: XX99/);
    const caller = createCaller(ctxFor(t.db, finance));
    const err = await caller.exceptions.list({ filter: { owner: ["accounting" as never] } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect((err as TRPCError).code).toBe("BAD_REQUEST");
    expect((err as TRPCError).message).toMatch(/owner: \\"accounting\\" is not one of pmo, finance, hr, integration/);
    const sortErr = await caller.exceptions.list({ sort: "size" as never }).catch((e: unknown) => e);
    expect((sortErr as TRPCError).message).toMatch(/sort: \\"size\\" is not one of/);
  });

  it("pages by keyset: every row once, in order, for every sort", async () => {
    // 57 more exceptions with values, ages and occurrences that tie on purpose
    await t.db.insert(exceptions).values(
      Array.from({ length: 57 }, (_, i) => ({
        code: "FX_RATE_MISSING",
        owner: "finance" as const,
        severity: "medium" as const,
        subjectType: "fx_rate",
        subjectKey: `paging:${i}`,
        subjectLabel: `Paging ${i}`,
        message: `Paging probe ${i}`,
        suggestedFix: "none",
        legalEntityId: w.us.id,
        region: "NA",
        hoursAtStake: String(i % 5),
        valueReporting: i % 7 === 0 ? null : String((i % 9) * 100),
        occurrences: 1 + (i % 3),
        firstSeenAt: new Date(Date.UTC(2026, 10, 1 + (i % 10))),
        lastSeenAt: new Date(Date.UTC(2026, 10, 1 + (i % 4))),
      })),
    );
    const all = (await t.db.select({ id: exceptions.id }).from(exceptions).where(eq(exceptions.status, "open"))).map((r) => r.id).sort();
    for (const sort of ["value", "hours", "age", "lastSeen", "occurrences", "severity", "code"] as const) {
      for (const dir of ["asc", "desc"] as const) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page: Awaited<ReturnType<typeof listExceptions>> = await listExceptions({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { sort, dir, limit: 8, cursor } });
          seen.push(...page.items.map((r) => r.id));
          cursor = page.nextCursor;
          pages++;
        } while (cursor && pages < 50);
        expect([...seen].sort(), `${sort} ${dir}`).toEqual(all);
        expect(new Set(seen).size).toBe(seen.length);
      }
    }
    // the value order agrees with an independent ordering in SQL
    const expected = (await t.db.execute(sql`select id from exceptions where status = 'open' order by coalesce(value_reporting, -1) desc, id desc`)) as unknown as { id: string }[];
    const got: string[] = [];
    let c: string | null = null;
    do {
      const p: Awaited<ReturnType<typeof listExceptions>> = await listExceptions({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { limit: 10, cursor: c } });
      got.push(...p.items.map((r) => r.id));
      c = p.nextCursor;
    } while (c);
    expect(got).toEqual(expected.map((r) => r.id));
    await t.db.delete(exceptions).where(sql`${exceptions.subjectKey} like 'paging:%'`);
  });

  it("header figures and groups add up to the rows", async () => {
    const f = await queueFigures({ ctx: systemCtx(t.db), viewer: viewer(admin), input: {} });
    // 6.75 h unmapped + 3 h closed project + 6 h duplicate; value 1,080.00 + 533.40 (the unmapped hours have none)
    expect(f).toMatchObject({ open: 3, entries: 5, hours: "15.75", overSla: 0, resolvedToday: 0 });
    expect(f.value).toBe("1613.40");
    expect(f.unvalued).toBe(1);
    const byCode = await queueGroups({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { by: "code" } });
    expect(byCode.groups.map((g) => [g.key, g.count, g.hours])).toEqual(
      expect.arrayContaining([["PROJECT_UNMAPPED", 1, "6.75"], ["DUPLICATE_SUSPECTED", 1, "6.00"], ["PROJECT_NOT_ACTIVE", 1, "3.00"]]),
    );
    const byProject = await queueGroups({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { by: "project" } });
    expect(byProject.groups.find((g) => g.label.includes("HV-2291"))).toMatchObject({ count: 1, entries: 3 });
    expect(byProject.groups.find((g) => g.projectId === w.beta.id)).toMatchObject({ count: 1, hours: "3.00" });
  });

  it("a user scoped to EMEA sees and acts on nothing of NA, by any procedure", async () => {
    const v = viewer(pmoEmea);
    const page = await listExceptions({ ctx: systemCtx(t.db), viewer: v, input: { filter: { status: ["open", "resolved", "ignored"] } } });
    expect(page.items.map((r) => r.region)).toEqual(["EMEA"]);
    const f = await queueFigures({ ctx: systemCtx(t.db), viewer: v, input: {} });
    expect(f.open).toBe(1);
    const g = await queueGroups({ ctx: systemCtx(t.db), viewer: v, input: { by: "code" } });
    expect(g.groups.map((x) => x.key)).toEqual(["PROJECT_NOT_ACTIVE"]);
    const na = ids.PROJECT_UNMAPPED!;
    await expectDomain(exceptionDetail({ ctx: systemCtx(t.db), viewer: v, input: { id: na } }), "not_found");
    await expectDomain(
      actOnException({ ctx: serviceCtxFor(t.db, pmoEmea), viewer: v, input: { id: na, expectedVersion: await versionOf(na), act: { action: "comment", text: "peek" } } }),
      "not_found",
    );
    // through the API as well, and a bulk action over a filter only reaches EMEA rows
    const caller = createCaller(ctxFor(t.db, pmoEmea));
    await expect(caller.exceptions.detail({ id: na })).rejects.toMatchObject({ code: "NOT_FOUND" });
    // alerts add up the whole firm: not for someone who may see only part of it
    await expect(caller.alerts.notifications({})).rejects.toMatchObject({ code: "FORBIDDEN", message: expect.stringMatching(/every legal entity and region/) });
    await expect(caller.alerts.rules()).rejects.toMatchObject({ code: "FORBIDDEN" });
    const bulk = await startBulkAction({ ctx: serviceCtxFor(t.db, pmoEmea), viewer: v, input: { act: { action: "comment", text: "EMEA sweep" }, filter: {} } });
    expect(bulk.total).toBe(1);
    // and a bulk action naming an NA row by id refuses it
    const named = await startBulkAction({ ctx: serviceCtxFor(t.db, pmoEmea), viewer: v, input: { act: { action: "comment", text: "x" }, items: [{ id: na, version: await versionOf(na) }] } });
    await runBulkAction({ ctx: systemCtx(t.db), bulkId: named.id });
    const events = await t.db.select().from(exceptionEvents).where(and(eq(exceptionEvents.exceptionId, na), eq(exceptionEvents.kind, "comment")));
    expect(events).toEqual([]);
    // and the CSV export holds only EMEA rows
    let csv = "";
    for await (const line of exportExceptionsCsv({ ctx: serviceCtxFor(t.db, pmoEmea), viewer: v, input: {} })) csv += line;
    const lines = csv.trimEnd().split("\r\n");
    expect(lines[0]).toMatch(/^exception_id,code,severity,status,owner_team,/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain("PROJECT_NOT_ACTIVE");
    expect(lines[1]).not.toContain(w.us.code);
  });

  it("each team acts on its own exceptions; others may look", async () => {
    const dup = ids.DUPLICATE_SUSPECTED!;
    await expectDomain(
      actOnException({ ctx: serviceCtxFor(t.db, pmo), viewer: viewer(pmo), input: { id: dup, expectedVersion: await versionOf(dup), act: { action: "resolve", reason: "not mine" } } }),
      "forbidden",
      /Finance exceptions are acted on by the Finance team/,
    );
    const d = await exceptionDetail({ ctx: systemCtx(t.db), viewer: viewer(pmo), input: { id: dup } });
    expect(d.exception.canAct).toBe(false);
  });

  it("assign, comment, unassign, ignore, reopen, resolve: each versioned, with an event and an audit entry", async () => {
    const id = ids.DUPLICATE_SUSPECTED!;
    const ctx = serviceCtxFor(t.db, finance);
    const v = viewer(finance);
    let version = await versionOf(id);
    // someone who cannot act for Finance cannot be assigned
    await expectDomain(actOnException({ ctx, viewer: v, input: { id, expectedVersion: version, act: { action: "assign", assigneeId: pmo.id } } }), "invalid", /cannot act on Finance exceptions/);
    let r = await actOnException({ ctx, viewer: v, input: { id, expectedVersion: version, act: { action: "assign", assigneeId: financeNa.id } } });
    expect(r.version).toBe(version + 1);
    version = r.version;
    const mine = await listExceptions({ ctx: systemCtx(t.db), viewer: viewer(financeNa), input: { filter: { assignee: "me" } } });
    expect(mine.items.map((x) => x.id)).toEqual([id]);
    r = await actOnException({ ctx, viewer: v, input: { id, expectedVersion: version, act: { action: "comment", text: "Asked Ana whether both entries are real." } } });
    r = await actOnException({ ctx, viewer: v, input: { id, expectedVersion: r.version, act: { action: "unassign" } } });
    // a reason is required
    await expectDomain(
      actOnException({ ctx, viewer: v, input: { id, expectedVersion: r.version, act: { action: "ignore", reason: " " } as never } }).catch((e: unknown) => {
        throw new DomainError("invalid", String((e as Error).message));
      }),
      "invalid",
      /a reason is required to ignore/,
    );
    r = await actOnException({ ctx, viewer: v, input: { id, expectedVersion: r.version, act: { action: "ignore", reason: "Two workshops that day", until: "2099-01-01" } } });
    expect(r.status).toBe("ignored");
    await expectDomain(actOnException({ ctx, viewer: v, input: { id, expectedVersion: r.version, act: { action: "ignore", reason: "again" } } }), "invalid", /is ignored: it cannot be ignored/);
    r = await actOnException({ ctx, viewer: v, input: { id, expectedVersion: r.version, act: { action: "reopen", reason: "Ana says one is a mistake" } } });
    expect(r.status).toBe("open");
    r = await actOnException({ ctx, viewer: v, input: { id, expectedVersion: r.version, act: { action: "resolve", reason: "Ana deleted the second entry" } } });
    expect(r.status).toBe("resolved");
    const [row] = await t.db.select().from(exceptions).where(eq(exceptions.id, id));
    expect(row).toMatchObject({ status: "resolved", resolution: "manual", resolutionNote: "Ana deleted the second entry", resolvedBy: finance.email, assigneeId: null });

    const events = (await t.db.select({ kind: exceptionEvents.kind }).from(exceptionEvents).where(eq(exceptionEvents.exceptionId, id))).map((e) => e.kind);
    expect(events).toEqual(expect.arrayContaining(["assign", "comment", "unassign", "ignored", "reopened", "resolved"]));
    const audit = (await t.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.entityId, id))).map((a) => a.action);
    expect(audit).toEqual(["exception.assign", "exception.comment", "exception.unassign", "exception.ignore", "exception.reopen", "exception.resolve"]);
    const f = await queueFigures({ ctx: systemCtx(t.db), viewer: viewer(admin), input: {} });
    expect(f.resolvedToday).toBe(1);
  });

  it("two people acting on the same version: exactly one succeeds, the other is told what changed", async () => {
    const id = ids.PROJECT_NOT_ACTIVE!;
    const version = await versionOf(id);
    const results = await Promise.allSettled([
      actOnException({ ctx: serviceCtxFor(t.db, pmo), viewer: viewer(pmo), input: { id, expectedVersion: version, act: { action: "comment", text: "I'll call the PM" } } }),
      actOnException({ ctx: serviceCtxFor(t.db, admin), viewer: viewer(admin), input: { id, expectedVersion: version, act: { action: "assign", assigneeId: pmo.id } } }),
    ]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(refused.reason).toBeInstanceOf(DomainError);
    expect(refused.reason.kind).toBe("conflict");
    expect(refused.reason.message).toMatch(/changed since you opened it/);
    expect(refused.reason.details).toMatchObject({ expectedVersion: version, currentVersion: version + 1 });
    // through the API the conflict is a typed CONFLICT
    const caller = createCaller(ctxFor(t.db, pmo));
    await expect(caller.exceptions.act({ id, expectedVersion: version, act: { action: "comment", text: "stale" } })).rejects.toMatchObject({ code: "CONFLICT" });
  });

  it("retry after the fix re-validates, resolves the exception and queues the postings", async () => {
    const id = ids.PROJECT_UNMAPPED!;
    const ctx = serviceCtxFor(t.db, pmo);
    // before the fix a retry changes nothing but says so
    let r = await actOnException({ ctx, viewer: viewer(pmo), input: { id, expectedVersion: await versionOf(id), act: { action: "retry" } } });
    expect(r.status).toBe("open");
    expect(r.message).toMatch(/Re-validated 3 entries: 0 passed, 3 still blocked/);
    await t.db.insert(idMappings).values({ sourceSystem: "harvest", kind: "project", externalId: w.ext.unmapped, targetId: w.acme.id, targetErpId: w.acme.erpId, reason: "fix", createdBy: "t", updatedBy: "t" });
    r = await actOnException({ ctx, viewer: viewer(pmo), input: { id, expectedVersion: r.version, act: { action: "retry" } } });
    expect(r.status).toBe("resolved");
    expect(r.message).toMatch(/Re-validated 3 entries: 3 passed and are queued for posting, 0 still blocked\. The exception is resolved\./);
    const postings = await t.db.select().from(erpPostings).where(inArray(erpPostings.timeEntryId, (await t.db.execute(sql`select id from time_entries where source_project_id = ${w.ext.unmapped}`) as unknown as { id: string }[]).map((x) => x.id)));
    expect(postings).toHaveLength(3);
    const [job] = (await t.db.execute(sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'send-postings'`)) as unknown as { n: number }[];
    expect(job!.n).toBe(1);
    const kinds = (await t.db.select({ kind: exceptionEvents.kind }).from(exceptionEvents).where(eq(exceptionEvents.exceptionId, id))).map((e) => e.kind);
    expect(kinds).toEqual(expect.arrayContaining(["retry_requested", "auto_resolved"]));
  });

  it("a bulk action runs as one job: done, skipped when changed meanwhile, refused outside the team", async () => {
    const rows = await t.db.insert(exceptions).values(
      Array.from({ length: 40 }, (_, i) => ({
        code: i < 35 ? "BILLING_CAP_EXCEEDED" : "HOURS_INVALID",
        owner: i < 35 ? ("finance" as const) : ("pmo" as const),
        severity: "high" as const,
        subjectType: "cap",
        subjectKey: `bulk:${i}`,
        subjectLabel: `Bulk ${i}`,
        message: `Bulk probe ${i}`,
        suggestedFix: "none",
        legalEntityId: w.us.id,
        region: "NA",
      })),
    ).returning({ id: exceptions.id, version: exceptions.version });
    const items = rows.map((r) => ({ id: r.id, version: r.version }));
    // one changes after the person selected it
    await t.db.update(exceptions).set({ version: sql`${exceptions.version} + 1` }).where(eq(exceptions.id, rows[3]!.id));
    const caller = createCaller(ctxFor(t.db, finance));
    const started = await caller.exceptions.bulk({ act: { action: "resolve", reason: "Cap raised in the ERP" }, items });
    expect(started.total).toBe(40);
    let status = await caller.exceptions.bulkStatus({ id: started.id });
    expect(status.status).toBe("queued");
    await runBulkAction({ ctx: systemCtx(t.db, "worker"), bulkId: started.id });
    status = await caller.exceptions.bulkStatus({ id: started.id });
    expect(status).toMatchObject({ status: "done", total: 40, processed: 40, succeeded: 34, skipped: 1, failed: 5 });
    expect(status.problems.find((p) => p.id === rows[3]!.id)).toMatchObject({ outcome: "changed" });
    expect(status.problems.filter((p) => p.outcome === "refused")).toHaveLength(5);
    const resolved = await t.db.select({ n: sql<number>`count(*)::int` }).from(exceptions).where(and(sql`${exceptions.subjectKey} like 'bulk:%'`, eq(exceptions.status, "resolved"), eq(exceptions.resolutionNote, "Cap raised in the ERP")));
    expect(resolved[0]!.n).toBe(34);
    const audits = await t.db.select({ n: sql<number>`count(*)::int` }).from(auditLog).where(and(eq(auditLog.action, "exception.resolve"), inArray(auditLog.entityId, rows.map((r) => r.id))));
    expect(audits[0]!.n).toBe(34);
    // another person cannot read someone else's bulk action
    await expect(createCaller(ctxFor(t.db, pmo)).exceptions.bulkStatus({ id: started.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("the drawer shows the entry's lineage: payloads, postings with attempts, and the exceptions about it", async () => {
    const id = ids.PROJECT_NOT_ACTIVE!;
    const d = await exceptionDetail({ ctx: systemCtx(t.db), viewer: viewer(admin), input: { id } });
    expect(d.entries).toHaveLength(1);
    expect(d.lineage?.entry.id).toBe(d.entries[0]!.id);
    expect(d.lineage?.blockedBy.map((b) => b.code)).toEqual(["PROJECT_NOT_ACTIVE"]);
    expect(d.exception.blockedSince?.toISOString()).toBe("2026-05-18T09:00:00.000Z");
    expect(d.events.map((e) => e.kind)).toContain("raised");
  });
});
