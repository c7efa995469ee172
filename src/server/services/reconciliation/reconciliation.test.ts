/**
 * Three-way reconciliation over real HTTP: the demo firm in Hourbridge, the NetSuite simulator
 * seeded from the same generator with the demo's ERP-side variances planted
 * (src/server/demo/erp-variances.ts), the ERP's side read back through the connector. Every
 * planted variance must be found, in its class, and nothing else in those classes; the sides'
 * totals are checked against SQL on the simulator's own tables and on ours.
 */
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRPCError } from "@trpc/server";
import { createCaller } from "@/server/api/root";
import { connectors } from "@/server/db/schema";
import { planErpVariances, type ErpVariancePlan } from "@/server/demo/erp-variances";
import { generateDemo } from "@/server/demo/generate";
import { seedDemoData } from "@/server/demo/load";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { ctxFor, makeUser, serviceCtxFor, systemCtx, type TestUser } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { validateEntries } from "../validation/validate-entries";
import { closeReadiness } from "./close-readiness";
import { reconciliationCsv } from "./export";
import { requestReconciliation, runReconciliation, type ErpSide } from "./run";
import { compareRuns, reconciliationRun, varianceLines, type VarianceLine } from "./view";

const OPTS = { seed: 23, consultants: 20, projects: 15, months: 2, endDate: "2026-11-20" };

let app: TestDatabase;
let erp: NetSuiteSimulator;
let connectorId: string;
let plan: ErpVariancePlan;
let finance: TestUser;
let exec: TestUser;

beforeAll(async () => {
  app = await createTestDatabase();
  await seedDemoData(app.db, OPTS);
  await validateEntries({ ctx: systemCtx(app.db, "validation") });
  erp = await startNetSuite({ ...OPTS, erpVariances: true }, { pool: 10 });
  const [c] = await app.db
    .insert(connectors)
    .values({ key: "netsuite-recon-test", role: "erp", system: "netsuite", name: "NetSuite (simulator)", baseUrl: erp.apiUrl, accountId: erp.accountId })
    .returning({ id: connectors.id });
  connectorId = c!.id;
  plan = planErpVariances(generateDemo(OPTS))!;
  finance = await makeUser(app.db, { roles: ["finance_ops"] });
  exec = await makeUser(app.db, { roles: ["executive"] });
}, 180_000);
afterAll(async () => {
  await erp?.stop();
  await app?.drop();
});

const erpSide = (): ErpSide => ({ connector: erp.connector({ timeoutMs: 10_000 }), connectorId, connectorName: "NetSuite (simulator)" });
const rows = async <T>(q: ReturnType<typeof sql>) => (await app.db.execute(q)) as unknown as T[];

/** Requests a run as the finance user (as the console does), then runs it as the worker would. */
async function reconcile(entity: string, period: string, side: ErpSide = erpSide()) {
  const req = await requestReconciliation({ ctx: serviceCtxFor(app.db, finance), input: { entity, period }, scope: { entities: [], regions: [] } });
  const done = await runReconciliation({ ctx: { ...systemCtx(app.db, "worker:reconcile"), db: app.db }, runId: req.runId, erp: side });
  return { runId: req.runId, done };
}

async function allLines(runId: string): Promise<VarianceLine[]> {
  const out: VarianceLine[] = [];
  let cursor: number | null = null;
  do {
    const page: { items: VarianceLine[]; nextCursor: number | null } = await varianceLines({ ctx: systemCtx(app.db), input: { runId, cursor, limit: 500 }, scope: { entities: [], regions: [] } });
    out.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return out;
}

describe("the demo's planted ERP variances", () => {
  let runId: string;
  let lines: VarianceLine[];
  let entity: { id: string; code: string };

  beforeAll(async () => {
    const [e] = await rows<{ id: string; code: string }>(sql`select id, code from legal_entities where id = ${plan.entityId}`);
    entity = e!;
    ({ runId } = await reconcile(entity.code, plan.period));
    lines = await allLines(runId);
  }, 120_000);

  it("plants one of each ERP-side class in an open period", () => {
    expect(plan.plants.map((p) => p.varianceClass).sort()).toEqual(["amount_mismatch", "duplicated_in_erp", "hours_mismatch", "missing_in_erp", "unknown_in_erp"]);
  });

  it("finds each of them, in its class, and nothing else in those classes", async () => {
    const of = (c: string) => lines.filter((l) => l.varianceClass === c);
    const entryOf = async (p: ErpVariancePlan["plants"][number]) =>
      (await rows<{ id: string; hours: string; bill_amount: string }>(sql`select id, hours::text, bill_amount::text from time_entries where source_system = ${p.entry!.sourceSystem} and source_id = ${p.entry!.sourceId}`))[0]!;
    const plant = (c: string) => plan.plants.find((p) => p.varianceClass === c)!;

    // amount: the ERP's rate was raised by 10.00, so its amount is ours + 10 × hours
    const amount = of("amount_mismatch");
    expect(amount.map((l) => l.erpId)).toEqual([plant("amount_mismatch").timeBillId]);
    const a = await entryOf(plant("amount_mismatch"));
    expect(amount[0]).toMatchObject({ timeEntryId: a.id, hoursOurs: a.hours, hoursErp: a.hours, amountOurs: a.bill_amount });
    expect(Number(amount[0]!.amountErp) - Number(a.bill_amount)).toBeCloseTo(10 * Number(a.hours), 2);

    // hours: one more in the ERP
    const hours = of("hours_mismatch");
    expect(hours.map((l) => l.erpId)).toEqual([plant("hours_mismatch").timeBillId]);
    const b = await entryOf(plant("hours_mismatch"));
    expect(Number(hours[0]!.hoursErp)).toBe(Number(b.hours) + 1);

    // duplicate: the second time bill naming the entry
    const dup = plant("duplicated_in_erp");
    const memo = `Harvest ${dup.entry!.sourceId} v${dup.entry!.version}`;
    const [copy] = await erp.sql<{ id: string }[]>`select id from sim_netsuite.timebill where memo = ${memo}`;
    expect(of("duplicated_in_erp").map((l) => [l.erpId, l.timeEntryId])).toEqual([[copy!.id, (await entryOf(dup)).id]]);

    // unknown: booked directly in the ERP
    const [manual] = await erp.sql<{ id: string; hours: string }[]>`select id, hours::text from sim_netsuite.timebill where memo = 'Manual adjustment booked in the ERP'`;
    expect(of("unknown_in_erp").map((l) => [l.erpId, l.timeEntryId, Number(l.hoursErp)])).toEqual([[manual!.id, null, 3]]);
    expect(of("unknown_in_erp")[0]!.explanation).toBeNull();

    // missing: the deleted time bill's entry, posted by us
    const missing = plant("missing_in_erp");
    expect(of("missing_in_erp").map((l) => l.timeEntryId)).toEqual([(await entryOf(missing)).id]);
    const [gone] = await erp.sql<{ n: number }[]>`select count(*)::int as n from sim_netsuite.timebill where id = ${missing.timeBillId}`;
    expect(gone!.n).toBe(0);
  });

  it("finds the billable time the ERP has not invoiced, exactly as the ERP's own tables say", async () => {
    // the ERP's side: billable time bills of the subsidiary and period on no invoice, whose entry is ours, posted, and
    // not one of the planted mismatches or duplicates (those are classed first)
    const planted = plan.plants.filter((p) => p.entry).map((p) => p.timeBillId);
    const uninvoiced = await erp.sql<{ id: string }[]>`
      select id from sim_netsuite.timebill where subsidiary = ${plan.subsidiaryId} and to_char(trandate, 'YYYY-MM') = ${plan.period}
        and isbillable and invoice is null and idempotencykey is not null and id <> all(${planted}::text[])`;
    const expected = (await rows<{ id: string }>(sql`select id from time_entries where erp_id = any(${`{${uninvoiced.map((u) => u.id).join(",")}}`}::text[]) and state = 'posted'`)).map((r) => r.id).sort();
    const found = lines.filter((l) => l.varianceClass === "posted_not_invoiced").map((l) => l.timeEntryId).sort();
    expect(found).toEqual(expected);
    for (const l of lines.filter((x) => x.varianceClass === "posted_not_invoiced")) expect(l.explanation).toBe("awaiting the ERP's next invoice run");
  });

  it("totals each side as the two systems' own tables count them", async () => {
    const run = await reconciliationRun({ ctx: systemCtx(app.db), input: { runId }, scope: { entities: [], regions: [] } });
    const t = run.totals!;
    const [ours] = await rows<{ n: number; h: string }>(sql`
      select count(*)::int as n, coalesce(sum(te.hours), 0)::text as h from time_entries te
      left join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
      join projects p on p.id = coalesce(te.project_id, m.target_id)
      where p.legal_entity_id = ${plan.entityId} and to_char(te.work_date, 'YYYY-MM') = ${plan.period} and te.state in ('approved', 'posted', 'billed')`);
    const [theirs] = await erp.sql<{ n: number; h: string; inv: number }[]>`
      select count(*)::int as n, sum(hours)::text as h, count(invoice)::int as inv from sim_netsuite.timebill
      where subsidiary = ${plan.subsidiaryId} and to_char(trandate, 'YYYY-MM') = ${plan.period}`;
    expect(t.sourceApproved.count).toBe(ours!.n);
    expect(Number(t.sourceApproved.hours)).toBe(Number(ours!.h));
    expect(t.erpPosted.count).toBe(theirs!.n);
    expect(Number(t.erpPosted.hours)).toBe(Number(theirs!.h));
    expect(t.invoiced.count).toBe(theirs!.inv);
    // every line is matched or a variance; the duplicate's extra record is a variance line, not an entry line
    const entryVariances = lines.filter((l) => l.varianceClass !== "unknown_in_erp" && l.varianceClass !== "duplicated_in_erp").length + 1;
    expect(t.matched + entryVariances + t.variances.unknown_in_erp.count).toBe(t.lines);
    expect(run.matchedLines).toBe(t.matched);
    // the breakdowns add up to the totals
    const sum = (k: "source" | "erp") => run.byProject.reduce((a, b) => a + b[k].count, 0);
    expect(sum("source")).toBe(t.sourceApproved.count);
    expect(sum("erp")).toBe(t.erpPosted.count);
    expect(run.erpSideNote).toMatch(/^Read from NetSuite \(simulator\)/);
  });

  it("exports the run as CSV with every variance line, and audits the export", async () => {
    const { csv, fileName } = await reconciliationCsv({ ctx: serviceCtxFor(app.db, finance), runId, scope: { entities: [], regions: [] } });
    expect(fileName).toBe(`reconciliation-${entity.code}-${plan.period}-${runId.slice(0, 8)}.csv`);
    const [, , , ...rest] = csv.split("\r\n");
    const detailHeader = rest.findIndex((l) => l.startsWith("variance,source_entry"));
    const detail = rest.slice(detailHeader + 1).filter((l) => l !== "");
    expect(detail).toHaveLength(lines.length);
    expect(csv).toContain("Variance: Hours mismatch,1,");
    const [audit] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_log where action = 'reconciliation.exported' and entity_id = ${runId}`);
    expect(audit!.n).toBe(1);
  });

  it("compares two runs: a fix in the ERP shows as a variance gone", async () => {
    const hoursPlant = plan.plants.find((p) => p.varianceClass === "hours_mismatch")!;
    await erp.sql`update sim_netsuite.timebill set hours = hours - 1, lastmodifieddate = now() where id = ${hoursPlant.timeBillId}`;
    const { runId: second } = await reconcile(entity.code, plan.period);
    const cmp = await compareRuns({ ctx: systemCtx(app.db), input: { runId: second, otherRunId: runId }, scope: { entities: [], regions: [] } });
    expect(cmp.classes.find((c) => c.varianceClass === "hours_mismatch")).toEqual({ varianceClass: "hours_mismatch", inRun: 0, inOther: 1, added: 0, gone: 1 });
    expect(cmp.classes.find((c) => c.varianceClass === "amount_mismatch")).toMatchObject({ inRun: 1, inOther: 1, added: 0, gone: 0 });
    await erp.sql`update sim_netsuite.timebill set hours = hours + 1, lastmodifieddate = now() where id = ${hoursPlant.timeBillId}`;
  });
});

describe("the current period: approved time not yet posted", () => {
  it("lists every approved entry of the entity and period as not posted, each with what explains it", async () => {
    const period = OPTS.endDate.slice(0, 7);
    const [e] = await rows<{ id: string; code: string }>(sql`select id, code from legal_entities order by code limit 1`);
    const { runId, done } = await reconcile(e!.code, period);
    expect(done?.status).toBe("succeeded");
    // independently: approved entries whose project (as enriched, else as its source project is mapped) is the entity's
    const expected = await rows<{ id: string }>(sql`
      select te.id from time_entries te
      left join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
      join projects p on p.id = coalesce(te.project_id, m.target_id)
      where te.state = 'approved' and p.legal_entity_id = ${e!.id} and to_char(te.work_date, 'YYYY-MM') = ${period}`);
    expect(expected.length).toBeGreaterThan(0);
    const lines = (await allLines(runId)).filter((l) => l.varianceClass === "not_posted");
    expect(lines.map((l) => l.timeEntryId).sort()).toEqual(expected.map((x) => x.id).sort());
    // nothing was posted in this test: each waits in the outbox or behind an open exception
    for (const l of lines) expect(l.explanation).toMatch(/^(queued in the outbox|open exception: [A-Z_, ]+)$/);
  });
});

describe("period close readiness", () => {
  it("lists what stands in the way, and its dry run writes nothing", async () => {
    const [e] = await rows<{ code: string }>(sql`select code from legal_entities order by code limit 1`);
    const counts = () =>
      rows(sql`select (select count(*) from erp_postings) as postings, (select count(*) from exceptions) as exceptions, (select count(*) from exception_entries) as links,
                      (select count(*) from audit_log) as audit, (select max(updated_at) from time_entries) as entries, (select count(*) from reconciliation_runs) as runs`);
    const before = await counts();
    const r = await closeReadiness({ ctx: systemCtx(app.db), input: { entity: e!.code, period: OPTS.endDate.slice(0, 7) }, scope: { entities: [], regions: [] } });
    expect(await counts()).toEqual(before);

    const [unposted] = await rows<{ n: number }>(sql`
      select count(*)::int as n from time_entries te
      left join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
      join projects p on p.id = coalesce(te.project_id, m.target_id)
      join legal_entities le on le.id = p.legal_entity_id
      where te.state = 'approved' and le.code = ${e!.code} and to_char(te.work_date, 'YYYY-MM') = ${OPTS.endDate.slice(0, 7)}`);
    expect(r.unposted.count).toBe(unposted!.n);
    expect(r.dryRun.considered).toBe(unposted!.n);
    // nothing changed since validation ran: the dry run decides as it did — the entries it queued would post,
    // the entries it blocked would fail with the codes of their open exceptions
    const [decided] = await rows<{ queued: number; blocked: number }>(sql`
      select count(*) filter (where exists (select 1 from erp_postings ep where ep.time_entry_id = te.id and ep.entry_version = te.version and ep.status = 'pending'))::int as queued,
             count(*) filter (where exists (select 1 from exception_entries ee join exceptions x on x.id = ee.exception_id where ee.time_entry_id = te.id and x.status = 'open'))::int as blocked
      from time_entries te
      left join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
      join projects p on p.id = coalesce(te.project_id, m.target_id)
      join legal_entities le on le.id = p.legal_entity_id
      where te.state = 'approved' and le.code = ${e!.code} and to_char(te.work_date, 'YYYY-MM') = ${OPTS.endDate.slice(0, 7)}`);
    expect(r.dryRun.wouldPost.count).toBe(decided!.queued);
    expect(r.dryRun.considered - r.dryRun.wouldPost.count).toBe(decided!.blocked);
    const codes = await rows<{ code: string }>(sql`
      select distinct x.code from exceptions x join exception_entries ee on ee.exception_id = x.id join time_entries te on te.id = ee.time_entry_id
      left join id_mappings m on m.source_system = te.source_system and m.kind = 'project' and m.external_id = te.source_project_id and m.active
      join projects p on p.id = coalesce(te.project_id, m.target_id) join legal_entities le on le.id = p.legal_entity_id
      where x.status = 'open' and te.state = 'approved' and le.code = ${e!.code} and to_char(te.work_date, 'YYYY-MM') = ${OPTS.endDate.slice(0, 7)}`);
    expect(r.dryRun.wouldFail.map((f) => f.code).sort()).toEqual(codes.map((c) => c.code).sort());
    expect(r.checklist.map((c) => c.key)).toEqual(["exceptions", "unposted", "reconciled"]);
    expect(r.checklist.find((c) => c.key === "unposted")!.ok).toBe(unposted!.n === 0);
    expect(r.ready).toBe(false);
  });
});

describe("failures and bad input", () => {
  it("fails a run with the reason when the ERP cannot be read", async () => {
    const [e] = await rows<{ code: string }>(sql`select code from legal_entities order by code limit 1`);
    const down: ErpSide = { connector: erp.connector({ baseUrl: "http://127.0.0.1:9/services/rest", timeoutMs: 500 }), connectorId, connectorName: "NetSuite" };
    const { runId, done } = await reconcile(e!.code, OPTS.endDate.slice(0, 7), down);
    expect(done).toMatchObject({ status: "failed" });
    const [run] = await rows<{ status: string; error: string }>(sql`select status, error from reconciliation_runs where id = ${runId}`);
    expect(run!.error).toMatch(/^The ERP's side could not be read: /);
  });

  it("answers a period the entity does not have, and an entity outside the scope, without leaking", async () => {
    const [mine, other] = await rows<{ code: string }>(sql`select code from legal_entities order by code`);
    const scoped = await makeUser(app.db, { roles: ["finance_ops"], scope: { entities: [mine!.code], regions: [] } });
    const call = async (user: TestUser, input: unknown) => {
      try {
        await createCaller(ctxFor(app.db, user)).reconciliation.request(input as never);
        return "ok";
      } catch (err) {
        if (err instanceof TRPCError) return `${err.code}: ${err.message}`;
        throw err;
      }
    };
    const runsBefore = await rows(sql`select id from reconciliation_runs`);
    expect(await call(scoped, { entity: mine!.code, period: "2031-01" })).toMatch(new RegExp(`^NOT_FOUND: ${mine!.code} has no accounting period 2031-01\\. Its periods run from \\d{4}-\\d{2} to \\d{4}-\\d{2}\\.$`));
    expect(await call(scoped, { entity: other!.code, period: OPTS.endDate.slice(0, 7) })).toBe(`FORBIDDEN: No legal entity "${other!.code}" is in your scope.`);
    expect(await call(scoped, { entity: "ZZ99", period: OPTS.endDate.slice(0, 7) })).toBe(`FORBIDDEN: No legal entity "ZZ99" is in your scope.`);
    // executives read, they do not run
    expect(await call(exec, { entity: mine!.code, period: OPTS.endDate.slice(0, 7) })).toMatch(/^FORBIDDEN: This needs one of the roles/);
    expect(await rows(sql`select id from reconciliation_runs`)).toEqual(runsBefore);
    // a run of another entity is not found for the scoped user
    const [foreign] = await rows<{ id: string }>(sql`select r.id from reconciliation_runs r join legal_entities e on e.id = r.legal_entity_id where e.code <> ${mine!.code} limit 1`);
    if (foreign) {
      await expect(createCaller(ctxFor(app.db, scoped)).reconciliation.run({ runId: foreign.id })).rejects.toThrow("No reconciliation run with that id is in your scope.");
    }
    await expect(createCaller(ctxFor(app.db, scoped)).reconciliation.run({ runId: randomUUID() })).rejects.toThrow("No reconciliation run with that id is in your scope.");
  });

  it("queues one run for a double click, with its audit entry and its job", async () => {
    const [e] = await rows<{ code: string }>(sql`select code from legal_entities order by code desc limit 1`);
    const input = { entity: e!.code, period: OPTS.endDate.slice(0, 7) };
    const a = await requestReconciliation({ ctx: serviceCtxFor(app.db, finance), input, scope: { entities: [], regions: [] } });
    const b = await requestReconciliation({ ctx: serviceCtxFor(app.db, finance), input, scope: { entities: [], regions: [] } });
    expect(b).toEqual({ runId: a.runId, status: "queued", alreadyQueued: true });
    const [audit] = await rows<{ n: number }>(sql`select count(*)::int as n from audit_log where action = 'reconciliation.requested' and entity_id = ${a.runId} and actor_label = ${finance.email}`);
    expect(audit!.n).toBe(1);
    const [job] = await rows<{ n: number }>(sql`select count(*)::int as n from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
                                                     where k.identifier = 'reconcile' and j.payload->>'runId' = ${a.runId}`);
    expect(job!.n).toBe(1);
  });
});
