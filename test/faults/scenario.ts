/**
 * One fault scenario from start to verdict:
 *
 *   build     a firm (Hourbridge's master data, both simulators over HTTP, worker processes)
 *   baseline  the firm's first sync, without faults: the ERP holds every approved entry
 *   faults    rounds in which the people change the source, faults are on the wire, the ERP
 *             invoices on its own schedule and workers may be killed, while pulls, sends,
 *             full walks and read-backs are queued for the workers as an operator would
 *   settle    faults off; pull, walk, send and read back until the outbox is quiet and a whole
 *             round changes nothing
 *   check     the independent checker's verdict (checker.ts), with the figures written to
 *             test/faults/results/<scenario>.json
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createHash } from "node:crypto";
import type { FaultConfig } from "@/simulators/shared/faults";
import { generator } from "@/simulators/shared/faults";
import { check, describe, type CheckReport, type ViolationKind } from "./checker";
import { People, type OpKind, type Pick } from "./people";
import type { FirmOptions, Route } from "./wire";
import { sleep, World, type WorkerProc } from "./world";

export const FULL = process.env.FAULTS_FULL === "1";

type RouteFaults = Partial<Record<Route, Partial<FaultConfig>>>;

export type ScenarioSpec = {
  /** file-safe name, e.g. "s1-edits-lost-creates" */
  id: string;
  title: string;
  seed: number;
  /** worker processes running at once */
  workers: number;
  rounds: number;
  roundMs: number;
  /** operations per round, at least and at most */
  ops: [number, number];
  /** what the people do: an operation, on which entries, how often (weights) */
  steps: { op: OpKind; pick: Pick; weight: number }[];
  /** the ERP's wire: faults every round, bursts of other faults now and then, an outage window */
  erp: { base: RouteFaults; burst?: { every: number; length: number; faults: RouteFaults }; outage?: { round: number; rounds: number } };
  /** an operator pauses the ERP connector for a while (nothing is sent), then resumes it */
  pause?: { round: number; rounds: number };
  /** the source's wire */
  harvest: Partial<FaultConfig>;
  /** the ERP runs billing (POST /__sim/bill) with this chance per round, up to a random recent day */
  billing?: number;
  /** read-back every so many rounds (Hourbridge learns what was invoiced) */
  readBackEvery?: number;
  /** full walk every so many rounds (Hourbridge finds deletions) */
  fullWalkEvery?: number;
  /** SIGKILL a random worker with this chance per round, at a random moment; it is started again 1–2 rounds later */
  kills?: number;
};

export type ScenarioResult = {
  scenario: string;
  title: string;
  seed: number;
  mode: "ci" | "full";
  firm: FirmOptions;
  seconds: { build: number; baseline: number; faults: number; settle: number; check: number; total: number };
  baseline: { pulled: number; posted: number };
  operations: { total: number; byKind: Record<OpKind, number>; entriesTouched: number };
  /** requests = what each simulator answered (or failed to) during the fault phase */
  faults: { injected: number; erp: Record<string, unknown>; harvest: Record<string, unknown>; requests: { erp: number; harvest: number }; workersKilled: number; billingRuns: number; invoices: number };
  /** rounds of settling; parked = postings left pending by the sender (held for a person) */
  settle: { rounds: number; quiet: boolean; parked: number; parkedBy: Record<string, number> };
  hourbridge: { postings: Record<string, number>; openFinanceExceptions: Record<string, number>; reversalsRefused: number };
  checker: Omit<CheckReport, "violations"> & { violations: number };
  examples: Partial<Record<ViolationKind, string[]>>;
};

const RESULTS = path.resolve(import.meta.dirname, "results");

/** The firm every scenario runs on: the smallest demo firm that still plants every problem. */
export function firmFor(seed: number): FirmOptions {
  const endDate = new Date().toISOString().slice(0, 10);
  return FULL ? { seed, consultants: 40, projects: 20, months: 3, endDate } : { seed, consultants: 20, projects: 15, months: 2, endDate };
}

/** The bigger run scales the fault phase: more rounds and more operations per round. */
export function scaled(spec: ScenarioSpec): ScenarioSpec {
  if (!FULL) return spec;
  return { ...spec, rounds: spec.rounds * 3, ops: [spec.ops[0] * 2, spec.ops[1] * 2], workers: Math.max(spec.workers, spec.kills ? 3 : 2) };
}

export async function runScenario(
  input: ScenarioSpec,
  { log = console.log, onWorld }: { log?: (line: string) => void; onWorld?: (w: World) => void } = {},
): Promise<{ result: ScenarioResult; report: CheckReport; world: World; people: People }> {
  const spec = scaled(input);
  const t0 = Date.now();
  const rng = generator(spec.seed);
  const world = new World(firmFor(spec.seed));
  onWorld?.(world);
  const at = { build: 0, baseline: 0, faults: 0, settle: 0, check: 0 };
  try {
    await world.build();
    at.build = Date.now();
    for (let i = 0; i < spec.workers; i++) world.startWorker();
    const baseline = await world.baseline();
    at.baseline = Date.now();
    log(`[${spec.id}] firm ready: ${baseline.pulled} entries pulled, ${baseline.posted} posted; ${spec.workers} workers`);

    // ---- faults -----------------------------------------------------------------------------
    const people = new People(world.sims.sql, rng);
    const erpFaults = world.sims.netsuite.faults;
    const harvestFaults = world.sims.harvest.faults;
    harvestFaults.configure({ read: spec.harvest }, spec.seed + 1);
    const requestsBefore = { erp: erpFaults.requests(), harvest: harvestFaults.requests() };
    let billingRuns = 0;
    let invoices = 0;
    const restarts: number[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const pick = <T>(xs: T[]) => xs[Math.floor(rng() * xs.length)]!;
    const weights = spec.steps.reduce((a, s) => a + s.weight, 0);

    for (let round = 1; round <= spec.rounds; round++) {
      const outage = spec.erp.outage && round >= spec.erp.outage.round && round < spec.erp.outage.round + spec.erp.outage.rounds;
      const burst = spec.erp.burst && round % spec.erp.burst.every < spec.erp.burst.length;
      if (outage) {
        const until = new Date(Date.now() + spec.roundMs * 1.5).toISOString();
        erpFaults.configure(
          Object.fromEntries((["create", "reverse", "read"] as Route[]).map((r) => [r, { outage: { from: new Date(Date.now() - 1000).toISOString(), to: until } }])),
          spec.seed + round,
        );
      } else {
        // a route the settings leave out has no faults
        const none: RouteFaults = { create: {}, reverse: {}, read: {} };
        erpFaults.configure(burst ? { ...none, ...spec.erp.base, ...spec.erp.burst!.faults } : { ...none, ...spec.erp.base }, spec.seed + round);
      }

      if (spec.pause && round === spec.pause.round) await world.pauseErp(true);
      if (spec.pause && round === spec.pause.round + spec.pause.rounds) await world.pauseErp(false);

      // workers killed earlier come back
      for (let i = restarts.length - 1; i >= 0; i--) {
        if (restarts[i]! <= round) {
          world.startWorker();
          restarts.splice(i, 1);
        }
      }

      const n = spec.ops[0] + Math.floor(rng() * (spec.ops[1] - spec.ops[0] + 1));
      for (let i = 0; i < n; i++) {
        let roll = rng() * weights;
        const step = spec.steps.find((s) => (roll -= s.weight) < 0) ?? spec.steps[spec.steps.length - 1]!;
        await people.act(step.op, step.pick);
      }

      await world.queue("pull-time");
      await world.queue("send-postings");
      if (spec.fullWalkEvery && round % spec.fullWalkEvery === 0) await world.queue("full-walk");
      if (spec.readBackEvery && round % spec.readBackEvery === 0) await world.queue("read-back");
      if (spec.billing && rng() < spec.billing) {
        // the ERP bills what is dated up to a recent day of its choosing
        const asOf = new Date(Date.now() - Math.floor(rng() * 28) * 86_400_000).toISOString().slice(0, 10);
        const res = await fetch(`${world.sims.netsuite.base}/__sim/bill`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ asOf }) });
        const body = (await res.json()) as { invoices: unknown[] };
        billingRuns += 1;
        invoices += body.invoices.length;
      }
      if (spec.kills && rng() < spec.kills) {
        const delay = Math.floor(rng() * spec.roundMs);
        const back = round + 1 + Math.floor(rng() * 2);
        const t = setTimeout(() => {
          timers.delete(t);
          const alive = world.alive();
          if (!alive.length) return;
          const victim: WorkerProc = pick(alive);
          void world.kill(victim);
          restarts.push(back);
        }, delay);
        timers.add(t);
      }
      await sleep(spec.roundMs);
    }
    for (const t of timers) clearTimeout(t);
    at.faults = Date.now();
    const requests = { erp: erpFaults.requests() - requestsBefore.erp, harvest: harvestFaults.requests() - requestsBefore.harvest };
    if (process.env.FAULTS_DEBUG) {
      const outbox = await world.app.sql`select kind || ':' || status as k, count(*)::int as n from erp_postings where created_at > now() - interval '5 minutes' group by 1 order by 1`;
      const runs = await world.app.sql`select kind, status, count(*)::int as n, round(avg(extract(epoch from finished_at - started_at))::numeric, 2) as secs from sync_runs group by 1, 2 order by 1, 2`;
      log(`[${spec.id}] at the end of the faults: requests ${JSON.stringify(requests)}; outbox ${JSON.stringify(outbox)}; runs ${JSON.stringify(runs)}`);
    }
    log(`[${spec.id}] fault phase over: ${people.operations} operations, ${erpFaults.injected().total + harvestFaults.injected().total} faults, ${world.killed.length} workers killed, ${billingRuns} billing runs`);

    // ---- settle -----------------------------------------------------------------------------
    erpFaults.calm();
    harvestFaults.calm();
    await sleep(300);
    await world.pauseErp(false);
    await world.closeCircuit();
    while (world.alive().length < spec.workers) world.startWorker();
    const settled = await settle(world, spec.fullWalkEvery !== undefined || spec.steps.some((s) => s.op === "delete"), log, spec.id);
    at.settle = Date.now();

    // ---- check ------------------------------------------------------------------------------
    const report = await check({ sim: world.sims.sql, app: world.app.sql, history: people.history });
    at.check = Date.now();

    const parkedBy = await world.app.sql`
      select p.kind || ' behind ' || coalesce((select string_agg(distinct x.code, '+') from exceptions x join exception_entries l on l.exception_id = x.id
        where l.time_entry_id = p.time_entry_id and x.status = 'open'), 'no open exception') as k, count(*)::int as n
      from erp_postings p where p.time_entry_id is not null and p.status = 'pending' group by 1 order by 1`;
    const postings = await world.app.sql`select kind || ':' || status as k, count(*)::int as n from erp_postings where time_entry_id is not null group by 1 order by 1`;
    const finance = await world.app.sql`select code, count(*)::int as n from exceptions where status = 'open' and owner = 'finance' group by 1 order by 1`;
    const examples: ScenarioResult["examples"] = {};
    for (const v of report.violations) {
      const list = (examples[v.kind] ??= []);
      if (list.length < 3) list.push(describe(v));
    }
    const { violations, ...figures } = report;
    const erpInjected = erpFaults.injected();
    const harvestInjected = harvestFaults.injected();
    const result: ScenarioResult = {
      scenario: spec.id,
      title: spec.title,
      seed: spec.seed,
      mode: FULL ? "full" : "ci",
      firm: world.firm,
      seconds: {
        build: secs(t0, at.build),
        baseline: secs(at.build, at.baseline),
        faults: secs(at.baseline, at.faults),
        settle: secs(at.faults, at.settle),
        check: secs(at.settle, at.check),
        total: secs(t0, at.check),
      },
      baseline,
      operations: { total: people.operations, byKind: people.counts, entriesTouched: people.history.size },
      faults: {
        injected: erpInjected.total + harvestInjected.total,
        erp: erpInjected,
        harvest: harvestInjected,
        requests,
        workersKilled: world.killed.length,
        billingRuns,
        invoices,
      },
      settle: { ...settled, parkedBy: Object.fromEntries(parkedBy.map((r) => [r.k as string, r.n as number])) },
      hourbridge: {
        postings: Object.fromEntries(postings.map((r) => [r.k as string, r.n as number])),
        openFinanceExceptions: Object.fromEntries(finance.map((r) => [r.code as string, r.n as number])),
        reversalsRefused: postings.filter((r) => r.k === "reverse:rejected").reduce((a, r) => a + (r.n as number), 0),
      },
      checker: { ...figures, violations: violations.length },
      examples,
    };
    await mkdir(RESULTS, { recursive: true });
    await writeFile(path.join(RESULTS, `${spec.id}${FULL ? ".full" : ""}.json`), `${JSON.stringify(result, null, 2)}\n`);
    log(summary(result));
    for (const v of report.violations.slice(0, 12)) log(describe(v));
    if (report.violations.length > 12) log(`… and ${report.violations.length - 12} more violations (see test/faults/results/${spec.id}.json for examples of each kind)`);
    return { result, report, world, people };
  } catch (err) {
    log(`[${spec.id}] failed: ${(err as Error).message}\n${world.workerTail()}`);
    throw err;
  }
}

const secs = (from: number, to: number) => Math.round((to - from) / 100) / 10;

/**
 * Faults are off: pull, walk (when deletions are in play), send until nothing is left to
 * send, read back — again and again until a whole round leaves Hourbridge, its outbox and
 * the ERP exactly as they were (a last pull changed nothing) and no posting's outcome is
 * unknown. A posting the sender leaves pending round after round (a create held behind a
 * reversal the ERP refused, waiting for a person) is counted as parked.
 */
async function settle(world: World, walks: boolean, log: (line: string) => void, id: string): Promise<{ rounds: number; quiet: boolean; parked: number }> {
  const deadline = Date.now() + (FULL ? 600_000 : 150_000);
  let previous = "";
  for (let round = 1; Date.now() < deadline; round++) {
    for (const task of ["pull-time", ...(walks ? (["full-walk"] as const) : [])] as const) {
      const r = await world.waitJob(await world.queue(task), 90_000);
      if (r !== "done") log(`[${id}] settle round ${round}: ${task} ${r}`);
    }
    const swept = await world.waitJob(await world.sweepStragglers(), 90_000);
    if (swept !== "done") log(`[${id}] settle round ${round}: validate (stragglers) ${swept}`);
    const t = Date.now();
    const parked = await drain(world, Math.max(0, deadline - Date.now()));
    if (process.env.FAULTS_DEBUG) log(`[${id}] settle round ${round}: drained in ${Date.now() - t} ms, ${parked} parked`);
    // what the ERP invoiced meanwhile, read back before judging whether anything still moves
    const r = await world.waitJob(await world.queue("read-back"), 90_000);
    if (r !== "done") log(`[${id}] settle round ${round}: read-back ${r}`);
    const digest = await stateDigest(world);
    if (parked >= 0 && digest === previous) return { rounds: round, quiet: true, parked };
    previous = digest;
  }
  const stuck = await world.app.sql`
    select t.source_id, t.state, t.version, p.kind, p.entry_version, p.status, p.attempts, p.next_attempt_at, p.last_error
    from erp_postings p join time_entries t on t.id = p.time_entry_id
    where p.status in ('pending', 'sent') order by t.source_id, p.created_at limit 20`;
  log(
    `[${id}] did not settle: ${await world.outboxBacklog()} postings still pending or sent:\n${stuck
      .map((p) => `  entry ${p.source_id} (${p.state} v${p.version}): ${p.kind} v${p.entry_version} ${p.status}, ${p.attempts} attempts, next ${new Date(p.next_attempt_at as string).toISOString()}, ${p.last_error ?? "no error"}`)
      .join("\n")}\n${world.workerTail(8)}`,
  );
  return { rounds: -1, quiet: false, parked: -1 };
}

/**
 * Sends until no posting of a time entry has an unknown outcome and the pending ones are left
 * alone by several send passes in a row; answers how many stay pending (parked), or -1 when
 * the time ran out first.
 */
async function drain(world: World, budgetMs: number): Promise<number> {
  const until = Date.now() + Math.min(budgetMs, 120_000);
  let seen = "";
  let stableSince: number | null = null;
  while (Date.now() < until) {
    const [o] = await world.app.sql`
      select count(*) filter (where status = 'sent')::int as sent, count(*) filter (where status = 'pending')::int as pending,
             coalesce(string_agg(id::text || ':' || status || ':' || attempts, ',' order by id), '') as ids
      from erp_postings where time_entry_id is not null and status in ('pending', 'sent')`;
    if (o!.sent + o!.pending === 0) return 0;
    if (o!.sent === 0 && o!.ids === seen) {
      stableSince ??= Date.now();
      if (Date.now() - stableSince >= 1_600) return o!.pending as number;
    } else {
      seen = o!.ids as string;
      stableSince = null;
    }
    await world.queue("send-postings");
    await sleep(400);
  }
  return -1;
}

/** Everything a round of settling could change, as one hash. */
async function stateDigest(world: World): Promise<string> {
  const entries = await world.app.sql`select source_id, state, version, posted_version, hours::text, erp_id from time_entries order by source_id`;
  const postings = await world.app.sql`select idempotency_key, status from erp_postings order by idempotency_key`;
  const open = await world.app.sql`select code, subject_key, status from exceptions order by code, subject_key`;
  const [ledger] = await world.sims.sql`select coalesce(max(seq), 0)::int as seq from faults_watch.ledger`;
  return createHash("sha256").update(JSON.stringify([entries, postings, open, ledger])).digest("hex");
}

export function summary(r: ScenarioResult): string {
  const c = r.checker;
  return [
    `[${r.scenario}] ${r.title} — seed ${r.seed}, ${r.mode}, ${r.seconds.total} s (faults ${r.seconds.faults} s, settle ${r.seconds.settle} s in ${r.settle.rounds} rounds${r.settle.parked ? `, ${r.settle.parked} postings parked ${JSON.stringify(r.settle.parkedBy)}` : ""})`,
    `  entries checked ${c.entries} (approved ${c.approvedInSource}, withdrawn/submitted ${c.withdrawnOrSubmitted}, deleted ${c.deletedInSource}); live records ${c.liveRecords}`,
    `  operations ${r.operations.total} ${JSON.stringify(r.operations.byKind)}; faults injected ${r.faults.injected} in ${r.faults.requests.erp + r.faults.requests.harvest} requests (ERP ${JSON.stringify(r.faults.erp)}); workers killed ${r.faults.workersKilled}; billing runs ${r.faults.billingRuns} (${r.faults.invoices} invoices)`,
    `  corrections ${c.ledger.corrections}, reversals ${c.ledger.reversed}, refusals ${r.hourbridge.reversalsRefused}, duplicates ${c.counts.duplicate + c.counts.momentary_duplicate}, losses ${c.counts.loss}`,
    `  ok ${c.ok}, explained ${c.explained} ${JSON.stringify(c.explainedBy)}, VIOLATIONS ${c.violations} ${JSON.stringify(c.counts)}${c.notes.length ? `\n  notes: ${c.notes.join("; ")}` : ""}`,
  ].join("\n");
}
