/**
 * Approval differences with the source, found from the source's current state: the demo firm in
 * Hourbridge, the Harvest simulator seeded from the same generator and pulled once over real
 * HTTP; then approvals are changed in the simulator's own tables (withdrawn, deleted, approved,
 * new entries) without pulling again, and a reconciliation must find exactly those entries, in
 * their classes. A source that fails or is too slow makes the classes "not checked", never 0.
 */
import { randomBytes } from "node:crypto";
import Big from "big.js";
import { eq, sql } from "drizzle-orm";
import { runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encryptSecret } from "@/server/crypto/secrets";
import { connectors, reconciliationRuns } from "@/server/db/schema";
import type { ReconciliationTotals } from "@/server/db/schema/reporting";
import { seedDemoData } from "@/server/demo/load";
import { silentLog } from "@/server/log";
import { faultConfig, NO_FAULTS } from "@/simulators/shared/faults";
import { taskList } from "@/sync/tasks/index";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor, systemCtx, type TestUser } from "../../../../test/factories";
import { startHarvest, type HarvestSimulator } from "../../../../test/simulators";
import { pullTimeEntries } from "../sync/pull-time";
import { validateEntries } from "../validation/validate-entries";
import { closeReadiness } from "./close-readiness";
import { reconciliationCsv } from "./export";
import { requestReconciliation, runReconciliation, type ErpSide } from "./run";
import type { ApprovalSources } from "./source-approvals";
import { compareRuns, reconciliationRun, varianceLines, type VarianceLine } from "./view";

const OPTS = { seed: 31, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };
const PERIOD = OPTS.endDate.slice(0, 7);
const ALL = { entities: [], regions: [] };
/** no ERP in these tests: the ERP's side is whatever is stored (nothing), which the approval classes do not depend on */
const NO_ERP: ErpSide = { connector: null, reason: "No ERP connector in this test." };

let app: TestDatabase;
let src: HarvestSimulator;
let connectorId: string;
let finance: TestUser;
const secretsKey = randomBytes(32);

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  src = await startHarvest(OPTS);
  const [c] = await app.db
    .insert(connectors)
    .values({
      key: "harvest-approvals-test",
      role: "source",
      system: "harvest",
      name: "Harvest (simulator)",
      baseUrl: src.apiUrl,
      accountId: src.accountId,
      credentialsEncrypted: encryptSecret(JSON.stringify({ token: src.token }), secretsKey),
    })
    .returning({ id: connectors.id });
  connectorId = c!.id;
  // Hourbridge as up to date as a pull makes it
  await pullTimeEntries({ ctx: { ...systemCtx(app.db, "sync"), db: app.db }, connector: src.connector(), connectorId, perPage: 500 });
  finance = await makeUser(app.db, { roles: ["finance_ops"] });
}, 180_000);
afterAll(async () => {
  await src?.stop();
  await app?.drop();
});

const rows = async <T>(q: ReturnType<typeof sql>) => (await app.db.execute(q)) as unknown as T[];

/** The source as the worker would hand it over; `overrides` change the connector's configuration. */
const harvest = (overrides: Parameters<HarvestSimulator["connector"]>[0] = {}): ApprovalSources => ({
  usable: [{ connector: src.connector(overrides), connectorId, connectorName: "Harvest (simulator)" }],
  notUsed: [],
});

/** Requests a run as the finance user, then runs it as the worker would. */
async function reconcile(entity: string, sources: ApprovalSources | null, opts: { sourceTimeoutMs?: number; sourcePerPage?: number } = {}) {
  const req = await requestReconciliation({ ctx: serviceCtxFor(app.db, finance), input: { entity, period: PERIOD }, scope: ALL });
  const done = await runReconciliation({ ctx: { ...systemCtx(app.db, "worker:reconcile"), db: app.db }, runId: req.runId, erp: NO_ERP, sources, ...opts });
  expect(done?.status).toBe("succeeded");
  const run = await reconciliationRun({ ctx: systemCtx(app.db), input: { runId: req.runId }, scope: ALL });
  return { runId: req.runId, totals: run.totals!, run };
}

async function allLines(runId: string): Promise<VarianceLine[]> {
  const out: VarianceLine[] = [];
  let cursor: number | null = null;
  do {
    const page: { items: VarianceLine[]; nextCursor: number | null } = await varianceLines({ ctx: systemCtx(app.db), input: { runId, cursor, limit: 500 }, scope: ALL });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

const approvalLines = (lines: VarianceLine[], c: "approved_here_not_in_source" | "approved_in_source_not_here") => lines.filter((l) => l.varianceClass === c);

/** An entry of the entity and period in one of `states`, whose source project maps to a project of the entity. */
async function entryOf(entityId: string, states: string[], not: string[] = []) {
  const [e] = await rows<{ id: string; source_id: string; hours: string; state: string; source_project_id: string }>(sql`
    select te.id, te.source_id, te.hours::text as hours, te.state::text as state, te.source_project_id from time_entries te
    join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
    join projects p on p.id = m.target_id
    where te.source_system = 'harvest' and p.legal_entity_id = ${entityId} and coalesce(te.legal_entity_id, p.legal_entity_id) = ${entityId}
      and to_char(te.work_date, 'YYYY-MM') = ${PERIOD} and te.state::text = any(${`{${states.join(",")}}`}::text[])
      and te.source_id <> all(${`{${["0", ...not].join(",")}}`}::text[])
    order by te.source_id limit 1`);
  expect(e, `an entry ${states.join("/")} of the entity in ${PERIOD}`).toBeTruthy();
  return e!;
}

/** Sets an entry's approval in the simulator as Harvest would show it, and bumps its update time. */
async function setClosed(sourceId: string, closed: boolean) {
  const stamp = new Date(Math.floor(Date.now() / 1000) * 1000);
  const iso = stamp.toISOString().replace(/\.\d{3}Z$/, "Z");
  const done = await src.sql`
    update sim_harvest.time_entries set is_closed = ${closed}, updated_at = ${stamp},
           body = body || ${src.sql.json({ is_closed: closed, is_locked: closed, locked_reason: closed ? "Item Approved and Locked for this Time Period" : null, updated_at: iso })}
    where id = ${Number(sourceId)} returning id`;
  expect(done).toHaveLength(1);
}

/** A new entry in the simulator, approved, copied from `like` with another id (and project, when given). */
async function addApproved(like: string, project?: { id: number; name: string; code: string | null }) {
  const stamp = new Date(Math.floor(Date.now() / 1000) * 1000);
  const iso = stamp.toISOString().replace(/\.\d{3}Z$/, "Z");
  const [{ id }] = (await src.sql`
    select greatest((select max(id) from sim_harvest.time_entries), (select max(id) from sim_harvest.time_entry_tombstones), 0)::bigint + 1 as id`) as unknown as [{ id: string }];
  const patch: Record<string, unknown> = { id: Number(id), is_closed: true, is_locked: true, created_at: iso, updated_at: iso, hours: 2.5, hours_without_timer: 2.5, rounded_hours: 2.5 };
  if (project) patch.project = project;
  await src.sql`
    insert into sim_harvest.time_entries (id, spent_date, user_id, client_id, project_id, task_id, is_closed, is_billed, is_running, updated_at, body)
    select ${Number(id)}, spent_date, user_id, client_id, ${project ? project.id : src.sql`project_id`}, task_id, true, false, false, ${stamp},
           body || ${src.sql.json(patch as never)}
    from sim_harvest.time_entries where id = ${Number(like)}`;
  return String(id);
}

describe("approval differences with the source, from its current state", () => {
  let entity: { id: string; code: string };
  let withdrawn: Awaited<ReturnType<typeof entryOf>>;
  let deleted: Awaited<ReturnType<typeof entryOf>>;
  let approvedThere: Awaited<ReturnType<typeof entryOf>>;
  let newMapped: string;
  let newUnmapped: string;
  let baseline: Awaited<ReturnType<typeof reconcile>>;
  let after: Awaited<ReturnType<typeof reconcile>>;
  let lines: VarianceLine[];
  let inSource: number;

  beforeAll(async () => {
    // the entity with the most approved and submitted Harvest time in the period
    const [e] = await rows<{ id: string; code: string }>(sql`
      select le.id, le.code from time_entries te
      left join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
      join projects p on p.id = coalesce(te.project_id, m.target_id) join legal_entities le on le.id = p.legal_entity_id
      where te.source_system = 'harvest' and to_char(te.work_date, 'YYYY-MM') = ${PERIOD}
      group by le.id, le.code
      having count(*) filter (where te.state = 'submitted') > 0 and count(*) filter (where te.state in ('approved', 'posted', 'billed')) > 1
      order by count(*) desc limit 1`);
    entity = e!;
    [{ n: inSource }] = (await src.sql`select count(*)::int as n from sim_harvest.time_entries where to_char(spent_date, 'YYYY-MM') = ${PERIOD}`) as unknown as [{ n: number }];
    baseline = await reconcile(entity.code, harvest(), { sourcePerPage: 200 });

    withdrawn = await entryOf(entity.id, ["approved", "posted", "billed"]);
    deleted = await entryOf(entity.id, ["approved", "posted", "billed"], [withdrawn.source_id]);
    approvedThere = await entryOf(entity.id, ["submitted"]);
    await setClosed(withdrawn.source_id, false);
    const [gone] = await src.sql`delete from sim_harvest.time_entries where id = ${Number(deleted.source_id)} returning id`;
    expect(gone).toBeTruthy();
    await setClosed(approvedThere.source_id, true);
    newMapped = await addApproved(approvedThere.source_id);
    // a project of the source nobody mapped
    const mapped = (await rows<{ external_id: string }>(sql`select external_id from id_mappings where source_system = 'harvest' and kind = 'project'`)).map((m) => Number(m.external_id));
    const [unmapped] = await src.sql<{ id: string; body: { name: string; code: string | null } }[]>`
      select id, body from sim_harvest.projects where id <> all(${mapped}::bigint[]) order by id limit 1`;
    expect(unmapped, "the demo has a source project nobody mapped").toBeTruthy();
    newUnmapped = await addApproved(approvedThere.source_id, { id: Number(unmapped!.id), name: unmapped!.body.name, code: unmapped!.body.code });

    after = await reconcile(entity.code, harvest(), { sourcePerPage: 200 });
    lines = await allLines(after.runId);
  }, 120_000);

  it("finds no approval difference while Hourbridge and the source agree", async () => {
    expect(baseline.totals.sourceApprovals).toMatchObject({ checked: true });
    expect(baseline.totals.variances.approved_here_not_in_source).toEqual({ count: 0, hours: "0", value: "0", unexplained: 0 });
    expect(baseline.totals.variances.approved_in_source_not_here).toEqual({ count: 0, hours: "0", value: "0", unexplained: 0 });
    expect(inSource).toBeGreaterThan(200); // more than one page of 200
    expect(baseline.totals.sourceApprovals!.checked && baseline.totals.sourceApprovals!.sources).toEqual([{ name: "Harvest (simulator)", listed: inSource }]);
    expect(baseline.totals.sourceApprovals!.note).toMatch(new RegExp(`^Approvals compared with the source as it stands now: Harvest \\(simulator\\) listed [\\d,]+ entries dated ${PERIOD}-01 to ${PERIOD}-30`));
  });

  it("finds the withdrawn and the deleted entries approved here, and nothing else, without a pull", async () => {
    const here = approvalLines(lines, "approved_here_not_in_source");
    expect(here.map((l) => l.timeEntryId).sort()).toEqual([withdrawn.id, deleted.id].sort());
    const w = here.find((l) => l.timeEntryId === withdrawn.id)!;
    expect(w.sourceRef).toMatch(new RegExp(`^harvest ${withdrawn.source_id} v\\d+: ${withdrawn.state} here; submitted again at the source \\(approval withdrawn\\)$`));
    expect(w.hoursOurs).toBe(withdrawn.hours);
    const d = here.find((l) => l.timeEntryId === deleted.id)!;
    expect(d.sourceRef).toMatch(new RegExp(`^harvest ${deleted.source_id} v\\d+: ${deleted.state} here; no longer listed at the source`));
    // nothing is under way that will settle them: unexplained
    expect(here.map((l) => l.explanation)).toEqual([null, null]);
    // Hourbridge still holds them as it did: the run asked the source, it did not pull
    const states = await rows<{ state: string }>(sql`select state::text as state from time_entries where id in (${withdrawn.id}, ${deleted.id}) order by id`);
    expect(states.map((s) => s.state).sort()).toEqual([withdrawn.state, deleted.state].sort());
  });

  it("finds the entries approved at the source that Hourbridge holds as submitted or never received, and names the one with no legal entity", async () => {
    const there = approvalLines(lines, "approved_in_source_not_here");
    expect(there.map((l) => l.sourceRef!.split(/[ :]/)[1]).sort()).toEqual([approvedThere.source_id, newMapped].sort());
    const known = there.find((l) => l.timeEntryId === approvedThere.id)!;
    expect(known.sourceRef).toMatch(/: submitted here; approved at the source, [\d.]+ h$/);
    expect(known.hoursOurs).toBe(approvedThere.hours);
    const unknown = there.find((l) => l.timeEntryId === null)!;
    expect(unknown.sourceRef).toBe(`harvest ${newMapped}: never received here; approved at the source, 2.50 h`);
    expect(unknown.projectLabel).toBeTruthy();
    // both were approved after the pull began: the next pull brings them in
    for (const l of there) expect(l.explanation).toMatch(/^approved at the source after the last pull began \(.+ UTC\); the next pull brings it in$/);

    // the entry whose project maps to nothing belongs to no entity: counted and named in the note, in no line
    expect(lines.some((l) => l.sourceRef?.startsWith(`harvest ${newUnmapped}`))).toBe(false);
    const check = after.totals.sourceApprovals!;
    expect(check.checked).toBe(true);
    if (check.checked) expect(check.unattributed).toEqual({ count: 1, hours: "2.50", refs: [`harvest ${newUnmapped}`] });
    expect(check.note).toContain(`1 approval difference (2.50 h) belongs to no legal entity (the project maps to no ERP job), so it is in no entity's lines: harvest ${newUnmapped}.`);
  });

  it("counts the classes, and the lines the source adds, in the run's totals", () => {
    const t = after.totals;
    const here = approvalLines(lines, "approved_here_not_in_source");
    const there = approvalLines(lines, "approved_in_source_not_here");
    const sum = (xs: (string | null)[]) => xs.reduce((a, x) => a.plus(x ?? 0), new Big(0));
    expect(t.variances.approved_here_not_in_source).toMatchObject({ count: 2, unexplained: 2 });
    expect(new Big(t.variances.approved_here_not_in_source!.hours).eq(sum(here.map((l) => l.hoursOurs)))).toBe(true);
    expect(t.variances.approved_in_source_not_here).toMatchObject({ count: 2, unexplained: 0 });
    // the entry never received: the source's 2.50 h are at stake
    expect(new Big(t.variances.approved_in_source_not_here!.hours).eq(new Big(approvedThere.hours).plus("2.50"))).toBe(true);
    // the two approved at the source only are lines of their own; the two approved here were not matched anyway (nothing is in the ERP)
    expect(t.lines).toBe(baseline.totals.lines + 2);
    expect(t.matched).toBe(baseline.totals.matched);
    // the breakdown by project carries them
    expect(after.run.byProject.reduce((a, b) => a + b.variances, 0)).toBe(baseline.run.byProject.reduce((a, b) => a + b.variances, 0) + 4);
  });

  it("puts them in the close file with the run's note, and shows what changed against the earlier run", async () => {
    const { csv } = await reconciliationCsv({ ctx: serviceCtxFor(app.db, finance), runId: after.runId, scope: ALL });
    expect(csv).toContain(`"Variance: Approved here, not at the source",2,`);
    expect(csv).toContain(`"Variance: Approved at the source, not here",2,`);
    expect(csv.split("\r\n").filter((l) => l.startsWith(`"Approved here, not at the source",`))).toHaveLength(2);
    expect(csv.split("\r\n").filter((l) => l.startsWith(`"Approved at the source, not here",`))).toHaveLength(2);
    expect(csv).toContain(`harvest ${newUnmapped}`);
    const cmp = await compareRuns({ ctx: systemCtx(app.db), input: { runId: after.runId, otherRunId: baseline.runId }, scope: ALL });
    expect(cmp.classes.find((c) => c.varianceClass === "approved_here_not_in_source")).toEqual({ varianceClass: "approved_here_not_in_source", inRun: 2, inOther: 0, added: 2, gone: 0 });
  });

  it("sees them settle once Hourbridge pulls: the approval is taken in, the withdrawn one is no longer approved here", async () => {
    await pullTimeEntries({ ctx: { ...systemCtx(app.db, "sync"), db: app.db }, connector: src.connector(), connectorId, perPage: 500 });
    const again = await reconcile(entity.code, harvest());
    const l = await allLines(again.runId);
    // a pull does not find deletions (the full walk does): the deleted entry is still approved here
    expect(approvalLines(l, "approved_here_not_in_source").map((x) => x.timeEntryId)).toEqual([deleted.id]);
    expect(approvalLines(l, "approved_in_source_not_here")).toEqual([]);
  });
});

describe("when the source cannot be asked", () => {
  let entity: string;
  beforeAll(async () => {
    [{ code: entity }] = (await rows<{ code: string }>(sql`select code from legal_entities order by code limit 1`)) as [{ code: string }];
  });

  const expectNotChecked = (t: ReconciliationTotals, reason: RegExp) => {
    expect(t.variances.approved_here_not_in_source).toBeUndefined();
    expect(t.variances.approved_in_source_not_here).toBeUndefined();
    expect(t.sourceApprovals?.checked).toBe(false);
    expect(t.sourceApprovals!.note).toMatch(reason);
  };

  it("a source answering 500 leaves the run complete, the classes not checked, and says why", async () => {
    src.injector.set(faultConfig.parse({ serverErrorRate: 1 }));
    try {
      const { runId, totals } = await reconcile(entity, harvest({ maxAttempts: 2, backoff: { baseMs: 1, maxMs: 5 } }));
      expectNotChecked(totals, /^Approval differences with the source were not checked: Harvest \(simulator\) could not be read: Harvest answered 50[023] to GET \/time_entries/);
      expect((await allLines(runId)).filter((l) => l.varianceClass.startsWith("approved_"))).toEqual([]);
      expect(src.injector.counts.server_error).toBeGreaterThanOrEqual(2);
      // the close file, the comparison and the checklist say "not checked", never 0
      const { csv } = await reconciliationCsv({ ctx: serviceCtxFor(app.db, finance), runId, scope: ALL });
      expect(csv).toContain(`"Variance: Approved here, not at the source",not checked,not checked,not checked,,not checked`);
      expect(csv).toContain(`"Variance: Approved at the source, not here",not checked,not checked,not checked,,not checked`);
      expect(csv).toMatch(/Approval differences with the source were not checked: Harvest \(simulator\) could not be read/);
      const readiness = await closeReadiness({ ctx: systemCtx(app.db), input: { entity, period: PERIOD }, scope: ALL });
      const item = readiness.checklist.find((c) => c.key === "reconciled")!;
      expect(item.ok).toBe(false);
      expect(item.detail).toContain("Approval differences with the source were not checked");
    } finally {
      src.injector.set(NO_FAULTS);
    }
    // with the source back, the next run checks again
    const { totals } = await reconcile(entity, harvest());
    expect(totals.sourceApprovals?.checked).toBe(true);
    expect(totals.variances.approved_here_not_in_source).toBeDefined();
  });

  it("a source slower than the time allowed is not checked, and the run still completes", async () => {
    src.injector.set(faultConfig.parse({ latencyMs: 1500 }));
    try {
      const started = Date.now();
      const { totals } = await reconcile(entity, harvest(), { sourceTimeoutMs: 500 });
      expectNotChecked(totals, /^Approval differences with the source were not checked: Harvest \(simulator\) did not finish listing the period's entries within 0\.5 s\.$/);
      expect(Date.now() - started).toBeLessThan(20_000);
    } finally {
      src.injector.set(NO_FAULTS);
    }
  });

  it("no running source connector: not checked, naming the paused one", async () => {
    const { totals } = await reconcile(entity, { usable: [], notUsed: [{ name: "Harvest (simulator)", system: "harvest", reason: "paused: maintenance window" }] });
    expectNotChecked(totals, /^Approval differences with the source were not checked: no source connector is set up and running: Harvest \(simulator\) \(paused: maintenance window\)\.$/);
    const { totals: none } = await reconcile(entity, null);
    expectNotChecked(none, /^Approval differences with the source were not checked: no source connector is set up and running\.$/);
  });
});

describe("the worker's reconcile job", () => {
  const work = () => runOnce({ connectionString: app.url, taskList: taskList({ db: app.db, secretsKey, log: silentLog }), noHandleSignals: true });
  const runThroughWorker = async (entity: string) => {
    const req = await requestReconciliation({ ctx: serviceCtxFor(app.db, finance), input: { entity, period: PERIOD }, scope: ALL });
    await work();
    const [run] = await app.db.select().from(reconciliationRuns).where(eq(reconciliationRuns.id, req.runId));
    expect(run!.status).toBe("succeeded");
    return run!.totals!;
  };

  it("asks every running source connector, and names a paused one instead of asking it", async () => {
    const [{ code }] = (await rows<{ code: string }>(sql`select code from legal_entities order by code limit 1`)) as [{ code: string }];
    const running = await runThroughWorker(code);
    expect(running.sourceApprovals).toMatchObject({ checked: true, sources: [{ name: "Harvest (simulator)" }] });
    expect(running.variances.approved_in_source_not_here).toBeDefined();

    await app.db.update(connectors).set({ paused: true, pauseReason: "vendor maintenance" }).where(eq(connectors.id, connectorId));
    try {
      const paused = await runThroughWorker(code);
      expect(paused.variances.approved_in_source_not_here).toBeUndefined();
      expect(paused.sourceApprovals).toEqual({
        checked: false,
        note: "Approval differences with the source were not checked: no source connector is set up and running: Harvest (simulator) (paused: vendor maintenance).",
      });
    } finally {
      await app.db.update(connectors).set({ paused: false, pauseReason: null }).where(eq(connectors.id, connectorId));
    }
  });
});
