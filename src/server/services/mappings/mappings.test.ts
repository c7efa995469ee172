import { randomBytes } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { runOnce } from "graphile-worker";
import { afterEach, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { auditLog, erpPostings, exceptions, idMappings, laborCategories, mappingRecoveries, mappingVersions, projects, timeEntries, valueMappings } from "@/server/db/schema";
import type { Db } from "@/server/db/client";
import { createCaller } from "@/server/api/root";
import { UNRESTRICTED, type Scope } from "@/server/auth/scope";
import { DomainError } from "../errors";
import { validateEntries } from "../validation/validate-entries";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, serviceCtxFor, systemCtx, type TestUser } from "../../../../test/factories";
import { buildWorld, type World } from "../../../../test/world";
import { silentLog } from "@/server/log";
import { taskList } from "@/sync/tasks";
import { acceptSuggestions } from "./accept";
import { previewChange, saveMapping, type ChangeInput } from "./change";
import { exportMappingsCsv, importMappingsCsv } from "./csv";
import { mappingHistory } from "./history";
import { listMappings } from "./list";
import { getRecovery, runRecovery } from "./recovery";
import { dice, sameCode } from "./similarity";
import { listUnmapped } from "./unmapped";

// each test its own database (a world's rates and periods are once per database)
const open: TestDatabase[] = [];
let t: TestDatabase;
let db: Db;
let pmo: TestUser;

async function buildFresh(): Promise<World> {
  t = await createTestDatabase();
  open.push(t);
  db = t.db;
  pmo = await makeUser(db, { roles: ["pmo"] });
  return buildWorld(t.db);
}
afterEach(async () => {
  while (open.length) await open.pop()!.drop();
});

const as = (user: TestUser = pmo) => serviceCtxFor(db, user);
const save = (change: ChangeInput, opts: { correct?: boolean; scope?: Scope; user?: TestUser } = {}) =>
  saveMapping({ ctx: as(opts.user), input: { change, correct: opts.correct ?? false }, scope: opts.scope ?? UNRESTRICTED });
const validate = (entryIds?: string[]) => validateEntries({ ctx: systemCtx(db, "validation"), input: { entryIds } });

async function refusalOf(p: Promise<unknown>): Promise<DomainError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof DomainError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

async function mappingOf(w: World, kind: string, externalId: string) {
  const rows = await db.select().from(idMappings).where(and(eq(idMappings.kind, kind), eq(idMappings.externalId, externalId)));
  expect(rows.length, `mappings of ${kind} ${externalId}`).toBeGreaterThan(0);
  return rows.sort((a, b) => (a.validFrom ?? "") < (b.validFrom ?? "") ? -1 : 1);
}

/** Posts an entry the way the sender would have: its current version accepted by the ERP. */
async function markPosted(entryId: string) {
  await db.execute(sql`update erp_postings set status = 'accepted', accepted_at = now(), erp_id = 'TB-' || left(id::text, 8) where time_entry_id = ${entryId} and kind = 'create'`);
  await db.execute(sql`update time_entries set state = 'posted', posted_at = now(), posted_version = version, erp_id = 'TB-' || left(id::text, 8) where id = ${entryId}`);
}

async function jobsFor(recoveryId: string) {
  const rows = (await db.execute(sql`select task_identifier from graphile_worker.jobs where key = ${`mapping-recovery:${recoveryId}`}`)) as unknown as { task_identifier: string }[];
  return rows.map((r) => r.task_identifier);
}

describe("similarity", () => {
  it("scores equal texts 1, unrelated 0, and near ones in between, ignoring case and punctuation", () => {
    expect(dice("Changi Service-desk transition", "changi service desk TRANSITION")).toBe(1);
    expect(dice("Data Migration", "Principal")).toBeLessThan(0.2);
    const near = dice("Acme ERP rollout", "Acme ERP roll-out phase 2");
    expect(near).toBeGreaterThan(0.6);
    expect(near).toBeLessThan(1);
    expect(sameCode("hv-3516", "HV 3516")).toBe(true);
    expect(sameCode("HV-3516", "HV-3517")).toBe(false);
  });
});

describe("unmapped first, with suggestions", () => {
  it("ranks the unmapped project by what it blocks and suggests the ERP job with the same code, with why", async () => {
    const w = await buildFresh();
    // the ERP has a job for the unmapped source project HV-2291 'Acme data platform'
    const [job] = await db
      .insert(projects)
      .values({ erpId: `JOB-9-${w.tag}`, code: "HV-2291", name: "Acme data platform", customerId: w.acme.customerId, legalEntityId: w.us.id, region: "NA", businessUnit: "Consulting", practice: "Data", contractType: "time_and_materials", currency: "USD" })
      .returning();
    const e1 = await w.entry({ sourceProjectId: w.ext.unmapped, hours: "3.00" });
    const e2 = await w.entry({ sourceProjectId: w.ext.unmapped, hours: "5.00", workDate: "2026-05-11" });
    await validate([e1.id, e2.id]);

    const u = await listUnmapped({ ctx: as(), input: { kind: "project", search: "HV-2291" }, scope: UNRESTRICTED });
    expect(u.items).toHaveLength(1);
    const item = u.items[0]!;
    expect(item).toMatchObject({ sourceKey: w.ext.unmapped, code: "HV-2291", entries: 2, hours: "8.00", oldestWorkDate: "2026-05-11" });
    expect(item.suggestions[0]).toMatchObject({ targetKey: job!.erpId });
    expect(item.suggestions[0]!.confidence).toBeGreaterThanOrEqual(90);
    expect(item.suggestions[0]!.why.join("; ")).toContain("code HV-2291 matches");

    // accepting it maps the project, and the re-validation unblocks both entries and resolves the exception
    const r = await acceptSuggestions({ ctx: as(), input: { kind: "project", items: [{ sourceSystem: "harvest", sourceKey: w.ext.unmapped, targetKey: job!.erpId }] }, scope: UNRESTRICTED });
    expect(r.refused).toEqual([]);
    expect(r.accepted).toHaveLength(1);
    expect(r.recovery?.total).toBe(2);
    expect(await jobsFor(r.recovery!.id)).toEqual(["mapping-recovery"]);
    const [m] = await mappingOf(w, "project", w.ext.unmapped);
    expect(m!.reason).toMatch(/^Accepted suggestion \(\d+%: code HV-2291 matches/);

    const run = await runRecovery({ ctx: systemCtx(db, "worker"), input: { recoveryId: r.recovery!.id } });
    expect(run.postingsCreated).toBe(2);
    const rec = await getRecovery({ ctx: as(), input: { id: r.recovery!.id }, scope: UNRESTRICTED });
    expect(rec).toMatchObject({ status: "done", total: 2, processed: 2, unblocked: 2, stillBlocked: 0, hoursUnblocked: "8.00" });
    expect(rec.sentence).toBe("2 entries unblocked (8 h, USD 1,440.00); none still blocked.");
    const [x] = await db.select().from(exceptions).where(eq(exceptions.subjectKey, `source-project:harvest:${w.ext.unmapped}`));
    expect(x).toMatchObject({ status: "resolved", resolution: "auto" });
    // a second run of the same recovery changes nothing
    expect(await runRecovery({ ctx: systemCtx(db, "worker"), input: { recoveryId: r.recovery!.id } })).toEqual({ postingsCreated: 0, status: "done" });
  });

  it("says which entries stay blocked by other reasons", async () => {
    const w = await buildFresh();
    const ok = await w.entry({ sourceProjectId: w.ext.unmapped });
    const alsoTaskless = await w.entry({ sourceProjectId: w.ext.unmapped, sourceTaskId: `t-${w.tag}-nowhere`, hours: "2.00" });
    await validate([ok.id, alsoTaskless.id]);
    const saved = await save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.unmapped, targetKey: w.acme.erpId, reason: "Same engagement as Acme ERP rollout" });
    expect(saved.impact.toValidate).toMatchObject({ entries: 2, blocked: 2 });
    await runRecovery({ ctx: systemCtx(db, "worker"), input: { recoveryId: saved.recovery!.id } });
    const rec = await getRecovery({ ctx: as(), input: { id: saved.recovery!.id }, scope: UNRESTRICTED });
    expect(rec).toMatchObject({ unblocked: 1, stillBlocked: 1, stillBlockedByCode: { TASK_UNMAPPED: 1 } });
    expect(rec.sentence).toBe("1 entry unblocked (4 h, USD 720.00); 1 entry still blocked by other reasons (TASK_UNMAPPED 1).");
  });
});

describe("governance", () => {
  it("refuses a target the ERP does not have, an inactive one, and says which", async () => {
    const w = await buildFresh();
    const missing = await refusalOf(save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.unmapped, targetKey: "NO-SUCH-JOB", reason: "typo" }));
    expect(missing.kind).toBe("invalid");
    expect(missing.message).toContain("ERP job NO-SUCH-JOB does not exist in the master data pulled from the ERP");

    await db.update(projects).set({ status: "closed" }).where(eq(projects.id, w.beta.id));
    const closed = await refusalOf(save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.unmapped, targetKey: w.beta.erpId, reason: "closed job" }));
    expect(closed.message).toContain("is closed in the ERP: a mapping may only point at an active record");

    await db.update(laborCategories).set({ active: false }).where(eq(laborCategories.id, w.internal.id));
    const inactive = await refusalOf(save({ op: "create", kind: "task", sourceSystem: "harvest", sourceKey: `t-${w.tag}-new`, targetKey: w.internal.erpItemId, reason: "x" }));
    expect(inactive.message).toContain("is inactive in the ERP");
    expect(await db.select().from(idMappings).where(eq(idMappings.externalId, w.ext.unmapped))).toEqual([]);
  });

  it("refuses a duplicate and an overlapping range with the conflict shown, and accepts ranges that follow each other", async () => {
    const w = await buildFresh();
    const [acme] = await mappingOf(w, "project", w.ext.acme);
    const dup = await refusalOf(save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.acme, targetKey: w.acme.erpId, reason: "again" }));
    expect(dup.kind).toBe("conflict");
    expect(dup.message).toContain(`duplicates an existing mapping to ERP job ${w.acme.erpId}`);
    expect(dup.details?.problems).toEqual([expect.objectContaining({ kind: "overlap", conflict: expect.objectContaining({ mappingId: acme!.id }) })]);

    const overlap = await refusalOf(save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.acme, targetKey: w.capped.erpId, validFrom: "2026-05-13", reason: "phase 2" }));
    expect(overlap.message).toContain("overlaps the mapping to ERP job");
    expect(overlap.message).toContain("always");

    // end-date the old one, then the new one may start the day after
    await save({ op: "end_date", mappingId: acme!.id, expectedVersion: 1, validTo: "2026-05-12", reason: "phase 1 ends" });
    const phase2 = await save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.acme, targetKey: w.capped.erpId, validFrom: "2026-05-13", reason: "phase 2 job" });
    expect(phase2.mapping).toMatchObject({ validFrom: "2026-05-13", validTo: null, version: 1 });
    const bad = await refusalOf(save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.beta, targetKey: w.beta.erpId, validFrom: "2026-06-01", validTo: "2026-05-01", reason: "x" }));
    expect(bad.message).toContain("The end date 2026-05-01 is before the start date 2026-06-01.");
  });

  it("refuses a change made on a version someone else has changed since, naming who", async () => {
    const w = await buildFresh();
    const [m] = await mappingOf(w, "user", w.ext.ben);
    await save({ op: "update", mappingId: m!.id, expectedVersion: 1, targetKey: w.ana.erpId, reason: "first editor" });
    const stale = await refusalOf(save({ op: "deactivate", mappingId: m!.id, expectedVersion: 1, reason: "second editor" }));
    expect(stale.kind).toBe("conflict");
    expect(stale.message).toContain(`${pmo.email} changed this mapping`);
    expect(stale.message).toContain("it is now at version 2, you saw version 1");
  });

  it("requires a reason, and writes the audit log and the history with every change", async () => {
    const w = await buildFresh();
    const [m] = await mappingOf(w, "task", w.ext.internal);
    expect((await refusalOf(save({ op: "deactivate", mappingId: m!.id, expectedVersion: 1 }))).message).toContain("reason: say why");
    const before = await db.$count(auditLog, eq(auditLog.entityId, m!.id));
    await save({ op: "deactivate", mappingId: m!.id, expectedVersion: 1, reason: "retired item" });
    expect(await db.$count(auditLog, and(eq(auditLog.entityId, m!.id), eq(auditLog.action, "mappings.deactivated")))).toBe(before + 1);
    const versions = await db.select().from(mappingVersions).where(eq(mappingVersions.mappingId, m!.id)).orderBy(mappingVersions.version);
    expect(versions.map((v) => [v.version, v.action, v.after.active])).toEqual([
      [1, "baseline", true],
      [2, "deactivated", false],
    ]);
  });
});

describe("effective dating and foresight", () => {
  it("changes the mapping from a day on without rewriting history, and offers (never forces) the correction of posted entries", async () => {
    const w = await buildFresh();
    const early = await w.entry({ workDate: "2026-05-11" });
    const late = await w.entry({ workDate: "2026-05-14" });
    await validate([early.id, late.id]);
    await markPosted(early.id);
    await markPosted(late.id);
    const [acme] = await mappingOf(w, "project", w.ext.acme);

    // from 14 May the work belongs to the capped job: only the later entry is affected
    const endDate: ChangeInput = { op: "end_date", mappingId: acme!.id, expectedVersion: 1, validTo: "2026-05-13" };
    const p = await previewChange({ ctx: as(), input: endDate, scope: UNRESTRICTED });
    expect(p.problems).toEqual([]);
    expect(p.impact.affected.entries).toBe(1);
    expect(p.impact.posted).toMatchObject({ entries: 1, hours: "4.00" });
    expect(p.impact.losesMapping.entries).toBe(1);

    await save({ ...endDate, reason: "phase 1 closes on 13 May" });
    const create: ChangeInput = { op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.acme, targetKey: w.capped.erpId, validFrom: "2026-05-14", reason: "phase 2" };
    const p2 = await previewChange({ ctx: as(), input: create, scope: UNRESTRICTED });
    expect(p2.impact.posted.entries).toBe(1);

    // without asking for the correction, the posted entry stays as it is
    const first = await save(create);
    expect(first.corrected).toMatchObject({ reversed: 0, requeued: 0 });
    expect(first.recovery).toBeNull();
    const [still] = await db.select().from(timeEntries).where(eq(timeEntries.id, late.id));
    expect(still).toMatchObject({ state: "posted", version: 1, projectId: w.acme.id });

    const [newer] = (await mappingOf(w, "project", w.ext.acme)).filter((m) => m.validFrom === "2026-05-14");
    const corrected = await save({ op: "update", mappingId: newer!.id, expectedVersion: 1, targetKey: w.capped.erpId, validFrom: "2026-05-14", validTo: null, reason: "correct posted time" }, { correct: true });
    // the same target again changes no entry's resolution: there is nothing to correct
    expect(corrected.corrected.reversed).toBe(0);

    // the late entry was posted to acme under the old mapping; moving it takes an explicit correction
    const undo = await save({ op: "deactivate", mappingId: newer!.id, expectedVersion: 2, reason: "undo" });
    expect(undo.impact.posted.entries).toBe(1);
    const redo = await save({ op: "reactivate", mappingId: newer!.id, expectedVersion: 3, reason: "redo, with the correction" }, { correct: true });
    expect(redo.corrected.reversed).toBe(1);
    const [after] = await db.select().from(timeEntries).where(eq(timeEntries.id, late.id));
    expect(after).toMatchObject({ state: "approved", version: 2, postedVersion: 1 });
    const reversal = await db.select().from(erpPostings).where(and(eq(erpPostings.timeEntryId, late.id), eq(erpPostings.kind, "reverse")));
    expect(reversal).toHaveLength(1);
    expect(reversal[0]).toMatchObject({ entryVersion: 1, status: "pending" });
    expect(redo.recovery?.total).toBe(1);
    await runRecovery({ ctx: systemCtx(db, "worker"), input: { recoveryId: redo.recovery!.id } });
    const [reposted] = await db.select().from(timeEntries).where(eq(timeEntries.id, late.id));
    expect(reposted!.projectId).toBe(w.capped.id);
    // the early entry kept its job: history before the change is not rewritten
    const [kept] = await db.select().from(timeEntries).where(eq(timeEntries.id, early.id));
    expect(kept).toMatchObject({ state: "posted", version: 1, projectId: w.acme.id });
  });
});

describe("history and restore", () => {
  it("lists every version and restores one as a new change", async () => {
    const w = await buildFresh();
    const [m] = await mappingOf(w, "project", w.ext.beta);
    await save({ op: "update", mappingId: m!.id, expectedVersion: 1, targetKey: w.acme.erpId, reason: "moved to the US job" });
    await save({ op: "end_date", mappingId: m!.id, expectedVersion: 2, validTo: "2026-12-31", reason: "contract end" });
    const restored = await save({ op: "restore", mappingId: m!.id, expectedVersion: 3, version: 1, reason: "back as it was" });
    expect(restored.action).toBe("restored");
    expect(restored.mapping).toMatchObject({ version: 4, targetKey: w.beta.erpId, targetId: w.beta.id, validTo: null, reason: "back as it was" });

    const h = await mappingHistory({ ctx: as(), input: { mappingId: m!.id }, scope: UNRESTRICTED });
    expect(h.versions.map((v) => [v.version, v.action, v.after.targetKey, v.current])).toEqual([
      [4, "restored", w.beta.erpId, true],
      [3, "end_dated", w.acme.erpId, false],
      [2, "changed", w.acme.erpId, false],
      [1, "baseline", w.beta.erpId, false],
    ]);
    expect(h.versions[2]).toMatchObject({ actorLabel: pmo.email, reason: "moved to the US job", before: expect.objectContaining({ targetKey: w.beta.erpId }) });
    expect((await refusalOf(save({ op: "restore", mappingId: m!.id, expectedVersion: 4, version: 4, reason: "x" }))).message).toContain("is the current one");
  });
});

describe("scope and permissions", () => {
  it("limits what a scoped user sees and may change, on the server", async () => {
    const w = await buildFresh();
    const uk: Scope = { entities: [w.uk.code], regions: [] };
    const list = await listMappings({ ctx: as(), input: { kind: "project", search: w.tag }, scope: uk });
    expect(list.items.map((i) => i.targetKey)).toEqual([w.beta.erpId]);

    const outside = await refusalOf(save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.unmapped, targetKey: w.acme.erpId, reason: "x" }, { scope: uk }));
    expect(outside.kind).toBe("forbidden");
    expect(outside.message).toContain("outside your scope");
    const [task] = await mappingOf(w, "task", w.ext.senior);
    const firmWide = await refusalOf(save({ op: "end_date", mappingId: task!.id, expectedVersion: 1, validTo: "2026-06-30", reason: "x" }, { scope: uk }));
    expect(firmWide.message).toContain("apply to every legal entity");
    const [acme] = await mappingOf(w, "project", w.ext.acme);
    await expect(mappingHistory({ ctx: as(), input: { mappingId: acme!.id }, scope: uk })).rejects.toThrow(/outside your scope/);
  });

  it("refuses every mapping procedure to finance ops and executives, changing nothing", async () => {
    const w = await buildFresh();
    const [m] = await mappingOf(w, "project", w.ext.acme);
    for (const role of ["finance_ops", "executive"] as const) {
      const user = await makeUser(db, { roles: [role] });
      const caller = createCaller(ctxFor(db, user));
      const err = await caller.mappings.save({ change: { op: "deactivate", mappingId: m!.id, expectedVersion: 1, reason: "not mine" } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe("FORBIDDEN");
    }
    const [after] = await mappingOf(w, "project", w.ext.acme);
    expect(after).toMatchObject({ active: true, version: 1 });
    const caller = createCaller(ctxFor(db, pmo));
    const out = await caller.mappings.save({ change: { op: "deactivate", mappingId: m!.id, expectedVersion: 1, reason: "via the router" } });
    expect(out.mapping.active).toBe(false);
  });
});

const streamOf = (text: string | Uint8Array, chunk = 64) => {
  const bytes = typeof text === "string" ? new TextEncoder().encode(text) : text;
  return (async function* () {
    for (let i = 0; i < bytes.length; i += chunk) yield bytes.slice(i, i + chunk);
  })();
};
const importCsv = (kind: "project" | "task" | "user" | "customer" | "cost_center", text: string | Uint8Array, dryRun: boolean, limits?: { maxBytes?: number }) =>
  importMappingsCsv({ ctx: as(), input: { kind, stream: streamOf(text), fileName: "m.csv", dryRun }, scope: UNRESTRICTED, limits });
async function exportCsv(kind: "project" | "cost_center") {
  let out = "";
  for await (const part of exportMappingsCsv({ ctx: as(), input: { kind }, scope: UNRESTRICTED })) out += part;
  return out;
}

describe("CSV import and export", () => {
  it("exports a file that re-imports as unchanged, and applying it changes nothing", async () => {
    await buildFresh();
    const file = await exportCsv("project");
    expect(file.split("\r\n")[0]).toBe("source_system,source_id,source_label,target_erp_id,target_label,valid_from,valid_to,active,reason");
    const before = await db.select({ id: idMappings.id, version: idMappings.version, updatedAt: idMappings.updatedAt }).from(idMappings).orderBy(idMappings.id);
    const dry = await importCsv("project", file, true);
    expect(dry.errorCount).toBe(0);
    expect(dry.totals).toMatchObject({ new: 0, changed: 0, error: 0 });
    expect(dry.totals.unchanged).toBe(file.trim().split("\r\n").length - 1);
    const applied = await importCsv("project", file, false);
    expect(applied.applied).toMatchObject({ created: 0, changed: 0, recovery: null });
    expect(await db.select({ id: idMappings.id, version: idMappings.version, updatedAt: idMappings.updatedAt }).from(idMappings).orderBy(idMappings.id)).toEqual(before);
  });

  it("reports every row in a dry run (new, changed, unchanged, error with line and reason) and applies nothing while a row is wrong", async () => {
    const w = await buildFresh();
    const e = await w.entry({ sourceProjectId: w.ext.unmapped });
    await validate([e.id]);
    const header = "source_system,source_id,target_erp_id,valid_from,valid_to,active,reason";
    const rows = [
      `harvest,${w.ext.unmapped},${w.acme.erpId},,,true,"Same client, same job"`,
      `harvest,${w.ext.beta},${w.capped.erpId},,,,moved`,
      `harvest,${w.ext.capped},${w.capped.erpId},,,true,test world`,
      `harvest,p-${w.tag}-77,NO-SUCH-JOB,,,,x`,
      `harvest,p-${w.tag}-78,${w.acme.erpId},2026-02-30,,,x`,
      `harvest,p-${w.tag}-79,${w.acme.erpId},2026-01-01,,,x`,
      `harvest,p-${w.tag}-79,${w.beta.erpId},2026-03-01,,,overlaps line 7`,
    ];
    const bad = [header, ...rows].join("\n");
    const dry = await importCsv("project", bad, true);
    expect(dry.rowResults.map((r) => [r.line, r.outcome])).toEqual([
      [2, "new"],
      [3, "changed"],
      [4, "unchanged"],
      [5, "error"],
      [6, "error"],
      [7, "error"],
      [8, "error"],
    ]);
    expect(dry.errors.map((x) => x.line)).toEqual([5, 6, 7, 8]);
    expect(dry.errors[0]!.message).toContain("ERP job NO-SUCH-JOB does not exist");
    expect(dry.errors[1]!.message).toContain('valid_from "2026-02-30" is not a date');
    expect(dry.errors[2]!.message).toContain("Its dates overlap line 8");
    const mappingsBefore = await db.$count(idMappings);
    const refused = await refusalOf(importCsv("project", bad, false));
    expect(refused.message).toBe("4 rows have errors, so nothing was imported. Correct them and import the file again.");
    expect(await db.$count(idMappings)).toBe(mappingsBefore);

    // fixed: applied in one transaction, and what it unblocks is re-validated in the background
    const fixed = [header, ...rows.slice(0, 3)].join("\n");
    const applied = await importCsv("project", fixed, false);
    expect(applied.applied).toMatchObject({ created: 1, changed: 1 });
    expect(applied.applied!.recovery?.total).toBe(1);
    const [m] = await mappingOf(w, "project", w.ext.unmapped);
    expect(m).toMatchObject({ targetErpId: w.acme.erpId, reason: "Same client, same job" });
    const [moved] = await mappingOf(w, "project", w.ext.beta);
    expect(moved).toMatchObject({ targetErpId: w.capped.erpId, version: 2 });
    const [v] = await db.select().from(mappingVersions).where(and(eq(mappingVersions.mappingId, moved!.id), eq(mappingVersions.version, 2)));
    expect(v).toMatchObject({ action: "imported", actorLabel: pmo.email });
    // the same file again changes nothing
    const again = await importCsv("project", fixed, true);
    expect(again.totals).toMatchObject({ new: 0, changed: 0, unchanged: 3 });
  });

  it("refuses a malformed file whole, naming the problem, and changes nothing", async () => {
    await buildFresh();
    const before = await db.$count(idMappings);
    const audit = await db.$count(auditLog);
    const wrongColumns = await refusalOf(importCsv("project", "project,job\nA,B\n", true));
    expect(wrongColumns.message).toContain('The header row names columns a mapping file does not have: "project", "job"');
    const missing = await refusalOf(importCsv("project", "source_system,source_id\nharvest,1\n", true));
    expect(missing.message).toContain("lacks the required column target_erp_id");
    const latin1 = new Uint8Array([...new TextEncoder().encode("source_system,source_id,target_erp_id\nharvest,Caf"), 0xe9, 0x0a]);
    expect((await refusalOf(importCsv("project", latin1, true))).message).toContain("is not valid UTF-8 text (the first invalid bytes are on line 2)");
    const junk = new Uint8Array(300_000).fill(0x41);
    expect((await refusalOf(importCsv("project", junk, true))).message).toBe("Line 1 is longer than 10,000 characters; this does not look like a mapping file.");
    const big = "source_system,source_id,target_erp_id\n" + "harvest,1,2\n".repeat(200);
    expect((await refusalOf(importCsv("project", big, true, { maxBytes: 1000 }))).message).toContain("The file is larger than the");
    expect((await refusalOf(importCsv("project", "", true))).message).toBe("The file is empty: it has no header row.");
    expect(await db.$count(idMappings)).toBe(before);
    expect(await db.$count(auditLog)).toBe(audit);
  });

  it("governs value mappings (cost centers) against the ERP's cost centers", async () => {
    const w = await buildFresh();
    const file = `source_system,source_id,target_erp_id\nharvest,OPS-${w.tag},CC-100\nharvest,FIN-${w.tag},CC-999\n`;
    const dry = await importCsv("cost_center", file, true);
    expect(dry.rowResults.map((r) => r.outcome)).toEqual(["new", "error"]);
    expect(dry.errors[0]!.message).toContain("ERP cost center CC-999 does not exist");
    await importCsv("cost_center", file.split("\n").slice(0, 2).join("\n"), false);
    const held = await db.select().from(valueMappings).where(eq(valueMappings.sourceValue, `OPS-${w.tag}`));
    expect(held).toMatchObject([{ kind: "cost_center", targetValue: "CC-100", version: 1 }]);
    expect(await exportCsv("cost_center")).toContain(`harvest,OPS-${w.tag},`);
  });
});

describe("recoveries", () => {
  it("run in the worker's mapping-recovery job, which then wakes the outbox sender", async () => {
    const w = await buildFresh();
    const e = await w.entry({ sourceProjectId: w.ext.unmapped });
    await validate([e.id]);
    const saved = await save({ op: "create", kind: "project", sourceSystem: "harvest", sourceKey: w.ext.unmapped, targetKey: w.acme.erpId, reason: "same engagement" });
    const woken: string[] = [];
    const tasks = taskList({ db, secretsKey: randomBytes(32), log: silentLog });
    await runOnce({
      connectionString: t.url,
      noHandleSignals: true,
      taskList: { "mapping-recovery": tasks["mapping-recovery"]!, "send-postings": async () => void woken.push("send-postings") },
    });
    const rec = await getRecovery({ ctx: as(), input: { id: saved.recovery!.id }, scope: UNRESTRICTED });
    expect(rec).toMatchObject({ status: "done", unblocked: 1 });
    expect(woken).toEqual(["send-postings"]);
    const [posting] = await db.select().from(erpPostings).where(eq(erpPostings.timeEntryId, e.id));
    expect(posting).toMatchObject({ kind: "create", status: "pending" });
  });

  it("are queued with their change and recorded", async () => {
    const w = await buildFresh();
    const e = await w.entry({ sourceUserId: `u-${w.tag}-new` });
    await validate([e.id]);
    const saved = await save({ op: "create", kind: "user", sourceSystem: "harvest", sourceKey: `u-${w.tag}-new`, targetKey: w.ana.erpId, reason: "Ana's second account" });
    const [row] = await db.select().from(mappingRecoveries).where(eq(mappingRecoveries.id, saved.recovery!.id));
    expect(row).toMatchObject({ status: "queued", total: 1, requestedBy: pmo.email, entryIds: [e.id] });
  });
});
