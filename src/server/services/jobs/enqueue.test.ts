/**
 * Typed jobs: every job is queued with a payload its task accepts. The type check refuses a
 * payload the task would refuse (the `@ts-expect-error` lines below fail `tsc` the day they
 * compile); at run time `enqueueJob` parses with the task's own schema before queueing. A table
 * of every enqueue site's payload is parsed by the task's schema; the console's run-now queues
 * each kind; and an exception's "Retry now" queues a send that the worker's task list runs.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { parseCrontab, runOnce } from "graphile-worker";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectors, erpPostingAttempts, erpPostings, exceptions, idMappings, syncRuns, timeEntries } from "@/server/db/schema";
import { silentLog } from "@/server/log";
import { ensureSimulatorConnectors } from "@/server/services/connectors/ensure-simulators";
import { actOnException } from "@/server/services/exceptions/act";
import { RUN_KINDS, runNow } from "@/server/services/sync/run-now";
import { validateEntries } from "@/server/services/validation/validate-entries";
import { SCHEDULED_JOBS } from "@/sync/schedules";
import { CRONTAB, taskList } from "@/sync/tasks";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { makeUser, serviceCtxFor, systemCtx } from "../../../../test/factories";
import { startNetSuite, type NetSuiteSimulator } from "../../../../test/simulators";
import { buildWorld, type World } from "../../../../test/world";
import { enqueueJob, JobPayloadRefused } from "./enqueue";
import { JOB_PAYLOADS, TRIGGERS, type TaskName } from "./payloads";

const key = randomBytes(32);
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

const queued = async () =>
  (await t.sql`select k.identifier as task, j.payload, j.key from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id order by j.id`) as unknown as {
    task: TaskName;
    payload: unknown;
    key: string | null;
  }[];
const clearQueue = () => t.sql`delete from graphile_worker._private_jobs`;

describe("job payloads", () => {
  it("every task the worker runs has its schema, and nothing else has one", () => {
    const tasks = taskList({ db: t.db, secretsKey: key, log: silentLog });
    expect(Object.keys(tasks).sort()).toEqual(Object.keys(JOB_PAYLOADS).sort());
  });

  it("the payload every enqueue site produces passes its task's schema", () => {
    const id = randomUUID();
    /** [where it is queued, task, payload as the site writes it] */
    const sites: [string, TaskName, unknown][] = [
      ["exceptions/act.ts: Retry now", "send-postings", { trigger: "manual" }],
      ["posting/replay.ts: replay", "send-postings", { trigger: "replay" }],
      ["reconciliation/run.ts: a run requested", "reconcile", { runId: id }],
      ["exceptions/bulk.ts: a bulk action", "exceptions-bulk", { bulkId: id }],
      ["alerts/evaluate.ts: a webhook to deliver", "deliver-webhook", { deliveryId: id }],
      ["mappings/recovery.ts: a mapping recovery", "mapping-recovery", { recoveryId: id }],
      ["tasks/validate.ts, tasks/mapping-recovery.ts: postings created", "send-postings", { trigger: "schedule" }],
      ["e2e/kpis.spec.ts: a snapshot queued by hand", "kpi-snapshot", {}],
      // a pull or a full walk wakes the sender with its own trigger
      ...TRIGGERS.map((tr): [string, TaskName, unknown] => [`tasks/pull-time.ts, tasks/full-walk.ts (${tr})`, "send-postings", { trigger: tr }]),
      // the console's run-now, for each kind of run
      ...Object.entries(RUN_KINDS).map(([kind, spec]): [string, TaskName, unknown] => [`sync/run-now.ts (${kind})`, spec.job, { connectorId: id, trigger: "manual" }]),
      // the scheduler, for each job a connector's schedule fires
      ...Object.values(SCHEDULED_JOBS)
        .flat()
        .map((s): [string, TaskName, unknown] => [`tasks/schedule.ts (${s.name})`, s.job, s.job === "send-postings" ? { trigger: "schedule" } : { connectorId: id, trigger: "schedule" }]),
      // the crontab, with the `_cron` field graphile-worker adds to what it queues
      ...parseCrontab(CRONTAB).map((c): [string, TaskName, unknown] => [`crontab (${c.identifier})`, c.task as TaskName, { _cron: { ts: new Date().toISOString(), backfilled: false }, ...c.payload }]),
    ];
    expect(sites.length).toBeGreaterThan(25);
    const refused = sites.filter(([, task, payload]) => !JOB_PAYLOADS[task]?.safeParse(payload).success).map(([where, task, payload]) => `${where}: ${task} ${JSON.stringify(payload)}`);
    expect(refused).toEqual([]);
    // what "Retry now" used to queue: refused by the sender, so the immediate send never happened
    expect(JOB_PAYLOADS["send-postings"].safeParse({ trigger: "retry" }).success).toBe(false);
  });

  it("a payload its task would refuse does not compile, and fails at once if it gets past the type check", async () => {
    const check = async () => {
      // @ts-expect-error "retry" is not a trigger the sender knows
      await enqueueJob(t.db, "send-postings", { trigger: "retry" });
    };
    const missing = async () => {
      // @ts-expect-error a pull names its connector
      await enqueueJob(t.db, "pull-time", { trigger: "manual" });
    };
    const wrongTask = async () => {
      // @ts-expect-error a table of run kinds that may name any of several tasks needs a payload each accepts
      await enqueueJob(t.db, "send-postings" as "send-postings" | "exceptions-bulk", { trigger: "manual" });
    };
    await expect(check()).rejects.toBeInstanceOf(JobPayloadRefused);
    await expect(missing()).rejects.toThrow(/The pull-time job's payload is refused by its task: .*connectorId/);
    await expect(wrongTask()).resolves.toBeUndefined(); // this one is right at run time; only the type check knows it might not be
    await clearQueue();
    // and nothing was queued by the refused ones
    await expect(check()).rejects.toThrow();
    expect(await queued()).toEqual([]);
  });

  it("the console's run-now queues, for each kind of run, a payload its task accepts", async () => {
    await ensureSimulatorConnectors(t.db, {
      key,
      harvest: { baseUrl: "http://127.0.0.1:9/v2", accountId: "1", token: "h" },
      netsuite: { baseUrl: "http://127.0.0.1:9/services/rest", accountId: "2", token: "n" },
    });
    const rows = await t.db.select().from(connectors);
    for (const [kind, spec] of Object.entries(RUN_KINDS)) {
      const c = rows.find((r) => r.role === spec.role)!;
      await runNow({ ctx: systemCtx(t.db), input: { connectorId: c.id, kind: kind as keyof typeof RUN_KINDS } });
    }
    const jobs = await queued();
    expect(jobs.map((j) => j.task).sort()).toEqual(Object.values(RUN_KINDS).map((s) => s.job).sort());
    for (const j of jobs) expect(JOB_PAYLOADS[j.task].safeParse(j.payload).success, `${j.task} ${JSON.stringify(j.payload)}`).toBe(true);
    await clearQueue();
    await t.db.delete(connectors);
  });
});

describe("an exception's Retry now", () => {
  let w: World;
  let netsuite: NetSuiteSimulator;

  beforeAll(async () => {
    w = await buildWorld(t.db);
    netsuite = await startNetSuite({ seed: 5, consultants: 20, projects: 15, months: 2, endDate: "2026-05-31" }, { token: "nt" });
    await ensureSimulatorConnectors(t.db, {
      key,
      harvest: { baseUrl: "http://127.0.0.1:9/v2", accountId: "1", token: "h" },
      netsuite: { baseUrl: netsuite.apiUrl, accountId: netsuite.accountId, token: netsuite.token },
    });
  }, 120_000);
  afterAll(async () => {
    await netsuite?.stop();
  });

  const work = () => runOnce({ connectionString: t.url, taskList: taskList({ db: t.db, secretsKey: key, log: silentLog }), noHandleSignals: true });

  it("queues an immediate send that the worker's task runs: the entries it unblocked are sent to the ERP at once", async () => {
    await clearQueue();
    // three entries on a project with no ERP job: blocked by PROJECT_UNMAPPED
    for (const h of ["2.00", "3.50", "1.25"]) await w.entry({ sourceProjectId: w.ext.unmapped, hours: h });
    await validateEntries({ ctx: systemCtx(t.db, "validation") });
    const [exc] = await t.db.select().from(exceptions).where(and(eq(exceptions.code, "PROJECT_UNMAPPED"), eq(exceptions.status, "open")));
    expect(exc).toBeDefined();
    // the fix, then Retry now
    await t.db.insert(idMappings).values({ sourceSystem: "harvest", kind: "project", externalId: w.ext.unmapped, targetId: w.acme.id, targetErpId: w.acme.erpId, reason: "fix", createdBy: "t", updatedBy: "t" });
    const pmo = await makeUser(t.db, { roles: ["pmo"] });
    const r = await actOnException({ ctx: serviceCtxFor(t.db, pmo), viewer: { userId: pmo.id, roles: pmo.roles, scope: pmo.scope }, input: { id: exc!.id, expectedVersion: exc!.version, act: { action: "retry" } } });
    expect(r.message).toMatch(/3 passed and are queued for posting/);
    const jobs = await queued();
    expect(jobs.map((j) => [j.task, j.key])).toEqual([["send-postings", "send-postings"]]);

    await work();
    // the send ran: no job left (none failed), a posting run started by a person, each posting tried once
    expect(await t.sql`select task_identifier, last_error from graphile_worker.jobs`).toEqual([]);
    const [run] = await t.db.select().from(syncRuns).where(eq(syncRuns.kind, "posting"));
    expect(run).toMatchObject({ trigger: "manual", fetched: 3 });
    const entryIds = (await t.db.select({ id: timeEntries.id }).from(timeEntries).where(eq(timeEntries.sourceProjectId, w.ext.unmapped))).map((e) => e.id);
    const postings = await t.db.select().from(erpPostings).where(inArray(erpPostings.timeEntryId, entryIds));
    expect(postings).toHaveLength(3);
    expect(postings.every((p) => p.status !== "pending")).toBe(true);
    expect(await t.db.$count(erpPostingAttempts, inArray(erpPostingAttempts.postingId, postings.map((p) => p.id)))).toBe(3);
  });

  it("the payload it used to queue is refused by the sender when it runs, and nothing is sent", async () => {
    await clearQueue();
    const before = await t.db.$count(syncRuns, eq(syncRuns.kind, "posting"));
    await t.db.execute(sql`select graphile_worker.add_job('send-postings', '{"trigger":"retry"}'::json, job_key => 'send-postings', max_attempts => 1)`);
    await work();
    const [job] = await t.sql`select last_error from graphile_worker.jobs where task_identifier = 'send-postings'`;
    expect(String(job!.last_error)).toMatch(/trigger/);
    expect(await t.db.$count(syncRuns, eq(syncRuns.kind, "posting"))).toBe(before);
    await clearQueue();
  });
});
