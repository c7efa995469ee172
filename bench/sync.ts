// npm run bench:sync [-- --entries 100000 | 1000000] [--stage-minutes N] [--no-capacity]
//
// How fast the sync engine moves time, stage by stage, over real HTTP:
//   fresh embedded PostgreSQL → demo firm sized to about N time entries → app loaded with
//   master data only (by a short child process) → Harvest and NetSuite simulators started as
//   child processes, each seeding itself into its own empty database → pull (Harvest → raw
//   records → entries → validation → outbox) → post (outbox → NetSuite) → read back → what
//   each simulator can take on its own.
// This process holds only the engine: it never generates or keeps the data set, so its peak
// memory per stage is the engine's.
// Figures go to stdout as a table and to bench/results/sync-<size>.json.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { createDb, type Db } from "../src/server/db/client";
import { ensureDatabase } from "../src/server/db/embedded";
import { connectors } from "../src/server/db/schema";
import { systemActor, type ServiceCtx } from "../src/server/services/context";
import { DEFAULT_BREAKER_POLICY } from "../src/server/services/posting/breaker";
import { DEFAULT_POSTING_POLICY, sendDuePostings, type SendSummary } from "../src/server/services/posting/send-due";
import { pullTimeEntries, type PullSummary } from "../src/server/services/sync/pull-time";
import { HARVEST_RATE_LIMIT } from "../src/sync/connectors/harvest/config";
import { createHarvestConnector } from "../src/sync/connectors/harvest/connector";
import { createNetSuiteConnector } from "../src/sync/connectors/netsuite/connector";
import type { SourceConnector } from "../src/sync/connectors/types";
import { benchDatabase, record } from "./lib";

const { values: args } = parseArgs({
  options: {
    entries: { type: "string", default: "100000" },
    consultants: { type: "string" },
    months: { type: "string" },
    "per-page": { type: "string", default: "2000" },
    /** cap the pull, the posting and the read-back at this many minutes each and record how far they got */
    "stage-minutes": { type: "string" },
    "no-capacity": { type: "boolean", default: false },
  },
});

// ---------------------------------------------------------------------------------------
// Size

const target = Number(args.entries);
if (!Number.isInteger(target) || target < 1000) throw new Error(`--entries must be a whole number of at least 1000, not ${args.entries}.`);
// The demo logs about 39 entries per consultant and month (46.6k for 200 × 6); longer
// histories for big firms keep the consultant count (and the master data) realistic.
const months = Number(args.months ?? (target >= 500_000 ? 12 : 6));
const consultants = Number(args.consultants ?? Math.min(20_000, Math.max(20, Math.round(target / (months * 39)))));
const projects = Math.min(20_000, Math.max(15, Math.round(consultants * 0.75)));
// The Harvest simulator seeds itself with "today" (UTC) as the demo's end; everything else
// (the NetSuite simulator, the app's master data) is pinned to the same day.
const END_DATE = new Date().toISOString().slice(0, 10);
const OPTS = { seed: 42, consultants, projects, months, endDate: END_DATE };
const perPage = Number(args["per-page"]);
const sizeLabel = target >= 1_000_000 && target % 1_000_000 === 0 ? `${target / 1_000_000}m` : target % 1000 === 0 ? `${target / 1000}k` : String(target);
const NAME = `sync-${sizeLabel}`;
const stageMinutes = args["stage-minutes"] ? Number(args["stage-minutes"]) : null;
if (stageMinutes !== null && !(stageMinutes > 0)) throw new Error(`--stage-minutes must be a positive number, not ${args["stage-minutes"]}.`);
const stageCapMs = stageMinutes === null ? Infinity : stageMinutes * 60_000;
const CAPPED = `the stage's ${stageMinutes} min cap was reached`;

// a port of its own, so a seed benchmark running at the same time does not collide
process.env.BENCH_PG_PORT ??= "54481";

// ---------------------------------------------------------------------------------------
// What is recorded; written after every stage, so a run that stops keeps what it reached

type StageFigures = Record<string, unknown> & { ms?: number };
const figures = {
  completed: false,
  stoppedAt: null as string | null,
  options: { ...OPTS, targetEntries: target, perPage, stageMinutes },
  rows: {} as Record<string, unknown>,
  stages: {} as Record<string, StageFigures>,
  capacity: {} as Record<string, unknown>,
  memory: {} as Record<string, unknown>,
  memoryComparison: undefined as Record<string, unknown> | undefined,
  databaseBytes: {} as Record<string, number>,
  notes: [] as string[],
};

async function checkpoint() {
  const result = {
    benchmark: NAME,
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    ...figures,
    memory: memoryFigures(),
    loadAverage1mPeakPerStage: loadPeaks,
  };
  await mkdir(path.resolve("bench/results"), { recursive: true });
  await writeFile(path.resolve(`bench/results/${NAME}.json`), JSON.stringify(result, null, 2) + "\n");
}

const log = (line: string) => console.log(`[bench:sync ${new Date().toISOString().slice(11, 19)}] ${line}`);
const perSecond = (n: number, ms: number) => (ms > 0 ? Math.round((n / ms) * 1000) : null);
const since = (t: number) => Math.round(performance.now() - t);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A full garbage collection, without having to start node with --expose-gc. */
function collectGarbage() {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

// ---------------------------------------------------------------------------------------
// Memory: this process (the engine) sampled every 250 ms, the child processes from /proc

type Peak = { rssMiB: number; heapUsedMiB: number; harvestSimRssMiB?: number; netsuiteSimRssMiB?: number; masterDataLoaderRssMiB?: number };
const RSS_KEY = { harvest: "harvestSimRssMiB", netsuite: "netsuiteSimRssMiB", "master data loader": "masterDataLoaderRssMiB" } as const;
let stage = "setup";
const peaks: Record<string, Peak> = {};
const children: { name: keyof typeof RSS_KEY; proc: ChildProcess }[] = [];
const MiB = (b: number) => Math.round(b / 2 ** 20);

function childRssMiB(pid: number | undefined, field = "VmRSS"): number | undefined {
  if (!pid) return undefined;
  try {
    const m = readFileSync(`/proc/${pid}/status`, "utf8").match(new RegExp(`${field}:\\s+(\\d+) kB`));
    return m ? Math.round(Number(m[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's 1-minute load average, highest per stage: others' work on the same cores lowers every rate. */
const loadPeaks: Record<string, number> = {};
const sampler = setInterval(() => {
  loadPeaks[stage] = Math.max(loadPeaks[stage] ?? 0, Math.round(os.loadavg()[0]! * 10) / 10);
  const m = process.memoryUsage();
  const p = (peaks[stage] ??= { rssMiB: 0, heapUsedMiB: 0 });
  p.rssMiB = Math.max(p.rssMiB, MiB(m.rss));
  p.heapUsedMiB = Math.max(p.heapUsedMiB, MiB(m.heapUsed));
  for (const c of children) {
    if (c.proc.exitCode !== null) continue;
    const rss = childRssMiB(c.proc.pid);
    if (rss === undefined) continue;
    const key = RSS_KEY[c.name];
    p[key] = Math.max(p[key] ?? 0, rss);
  }
}, 250);
sampler.unref();

function memoryFigures() {
  const sims = Object.fromEntries(children.filter((c) => c.name !== "master data loader").map((c) => [c.name, { peakRssMiB: (c.proc.exitCode === null ? childRssMiB(c.proc.pid, "VmHWM") : undefined) ?? lastSimHwm[c.name] ?? null }]));
  for (const [k, v] of Object.entries(sims)) if (v.peakRssMiB !== null) lastSimHwm[k] = v.peakRssMiB;
  return {
    sampledEveryMs: 250,
    peakPerStage: peaks,
    engineProcessPeakRssMiB: childRssMiB(process.pid, "VmHWM") ?? null,
    simulatorProcesses: sims,
    masterDataLoaderPeakRssMiB: masterLoaderPeakMiB,
    note: "rssMiB and heapUsedMiB are the engine's process (this one: it runs the engine and holds none of the data set); *SimRssMiB are the simulators' own processes, which generate and seed the data set themselves; the master data loader is a short child process of the setup.",
  };
}

// ---------------------------------------------------------------------------------------
// Child processes and clean-up

let pg: Awaited<ReturnType<typeof benchDatabase>> | undefined;
const clients: { end: (o?: { timeout?: number }) => Promise<void> }[] = [];
let cleaning: Promise<void> | undefined;
// once stopping, queries cut off in flight are expected: they must not crash the clean-up
process.on("uncaughtException", (err) => {
  if (cleaning) return;
  console.error(`[bench:sync] ${err.stack ?? err}`);
  process.exit(1);
});

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    clearInterval(sampler);
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGTERM");
    await Promise.all(children.map((c) => (c.proc.exitCode === null ? Promise.race([new Promise((r) => c.proc.once("exit", r)), sleep(5000)]) : null)));
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
    await Promise.all(clients.map((c) => c.end({ timeout: 5 }).catch(() => {})));
    await pg?.stop().catch(() => {});
  })();
  return cleaning;
}

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    log(`${signal}: recording how far the run got, then stopping the simulators and PostgreSQL`);
    figures.stoppedAt ??= `${stage} (${signal})`;
    void checkpoint()
      .catch(() => {})
      .then(cleanup)
      .finally(() => process.exit(130));
  });
}
// a crash or an early exit never leaves a simulator behind
process.on("exit", () => {
  for (const c of children) if (c.proc.exitCode === null) c.proc.kill("SIGKILL");
});

const lastSimHwm: Record<string, number> = {};
let masterLoaderPeakMiB: number | null = null;

/**
 * Starts a simulator's own process (`src/simulators/<name>/main.ts`) on an empty database and
 * waits for its listening line, which it prints once it has seeded itself.
 */
async function startSimulator(name: "harvest" | "netsuite", env: Record<string, string>): Promise<{ port: number; startMs: number; line: string }> {
  const t = performance.now();
  const proc = spawn(process.execPath, ["--import", "tsx", `src/simulators/${name}/main.ts`], {
    cwd: process.cwd(),
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push({ name, proc });
  let output = "";
  return new Promise((resolve, reject) => {
    // seeding a million entries takes minutes on a busy machine
    const timer = setTimeout(() => reject(new Error(`The ${name} simulator did not start within 60 min. It said:\n${output}`)), 3_600_000);
    const onData = (d: Buffer) => {
      output += d.toString();
      const m = output.match(/http:\/\/localhost:(\d+)/);
      if (m) {
        clearTimeout(timer);
        const line = output.trim().split("\n").pop()!;
        log(line);
        proc.stdout!.off("data", onData);
        proc.stdout!.resume();
        resolve({ port: Number(m[1]), startMs: since(t), line });
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", (d: Buffer) => {
      output += d.toString();
      if (stage !== "setup" && stage !== "seed") process.stderr.write(`[${name}-sim] ${d}`);
    });
    proc.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`The ${name} simulator exited with code ${code}. It said:\n${output}`));
    });
  });
}

/** A fetch that counts answers by status (the connectors take it as a dependency). */
function countingFetch(counts: Record<string, number>): typeof fetch {
  return async (input, init) => {
    try {
      const res = await fetch(input, init);
      counts[res.status] = (counts[res.status] ?? 0) + 1;
      return res;
    } catch (err) {
      counts.network = (counts.network ?? 0) + 1;
      throw err;
    }
  };
}

// ---------------------------------------------------------------------------------------
// The run

/** Loads the app's master data in a short child process (bench/load-master-data.ts) and returns what it printed. */
async function loadMasterData(appUrl: string): Promise<MasterData> {
  const proc = spawn(process.execPath, ["--import", "tsx", "bench/load-master-data.ts"], {
    cwd: process.cwd(),
    env: { ...process.env, BENCH_APP_URL: appUrl, BENCH_DEMO_OPTIONS: JSON.stringify(OPTS) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push({ name: "master data loader", proc });
  let out = "";
  let err = "";
  proc.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => proc.once("exit", r));
  if (code !== 0) throw new Error(`Loading the app's master data failed (exit code ${code}):\n${err || out}`);
  const result = JSON.parse(out.trim().split("\n").pop()!) as MasterData;
  masterLoaderPeakMiB = result.peakRssMiB;
  return result;
}
type MasterData = {
  generatedTimeEntries: number;
  byState: Record<string, number>;
  employees: number;
  projects: number;
  startDate: string;
  generateMs: number;
  loadMasterDataMs: number;
  peakRssMiB: number;
};

async function main() {
  log(`target ${target.toLocaleString("en")} entries: ${consultants} consultants, ${projects} projects, ${months} months to ${END_DATE}${stageMinutes ? `; each engine stage capped at ${stageMinutes} min` : ""}`);
  const setupStarted = performance.now();
  pg = await benchDatabase(NAME);
  const simUrl = (db: string) => pg!.url.replace(/\/[^/]+$/, `/${db}`);
  await ensureDatabase(pg.adminUrl, "sim_harvest");
  await ensureDatabase(pg.adminUrl, "sim_netsuite");
  const app = createDb(pg.url, { max: 8 });
  clients.push(app.sql);
  const db: Db = app.db;
  const ctx: ServiceCtx & { db: Db } = { db, actor: systemActor("bench"), correlationId: crypto.randomUUID(), ip: null };
  figures.stages.setup = { ms: since(setupStarted), note: "database start and migrations" };

  // ---- stage 1 (not the engine): three child processes at once, each generating the demo
  // firm from the same options — the app's master data (the state before its first sync), and
  // the two simulators, each seeding its own empty database on first start. Time stands still
  // in both simulators (no ticks, no billing runs).
  stage = "seed";
  const seedStarted = performance.now();
  const demoEnv = { DEMO_SEED: String(OPTS.seed), DEMO_CONSULTANTS: String(consultants), DEMO_PROJECTS: String(projects), DEMO_MONTHS: String(months), DEMO_END_DATE: END_DATE };
  const [master, hs, ns] = await Promise.all([
    loadMasterData(pg.url).then((m) => {
      log(`app master data loaded by its own process: demo of ${m.generatedTimeEntries.toLocaleString("en")} time entries generated in ${m.generateMs} ms, master data loaded in ${m.loadMasterDataMs} ms (peak RSS ${m.peakRssMiB} MiB)`);
      return m;
    }),
    startSimulator("harvest", { ...demoEnv, SIM_DATABASE_URL: simUrl("sim_harvest"), HARVEST_SIM_PORT: "0", HARVEST_SIM_TICK_SECONDS: "0", SIM_FAULTS: "" }),
    startSimulator("netsuite", { ...demoEnv, SIM_DATABASE_URL: simUrl("sim_netsuite"), NETSUITE_SIM_PORT: "0", NETSUITE_SIM_INVOICE_SECONDS: "0", NETSUITE_SIM_CONCURRENCY: "5", SIM_FAULTS: "" }),
  ]);
  const startDate = master.startDate;
  const harvestSql = postgres(simUrl("sim_harvest"), { max: 2, onnotice: () => {} });
  const netsuiteSql = postgres(simUrl("sim_netsuite"), { max: 2, onnotice: () => {} });
  clients.push(harvestSql, netsuiteSql);
  const [hCount] = await harvestSql<{ n: number }[]>`select count(*)::int as n from sim_harvest.time_entries`;
  const harvestEntries = hCount?.n ?? 0;
  const nsTables = ["subsidiary", "customer", "job", "employee", "item", "accountingperiod", "timebill", "transaction", "transactionline"];
  const nsCounts: Record<string, number> = {};
  for (const t of nsTables) {
    const [r] = await netsuiteSql<{ n: number }[]>`select count(*)::int as n from ${netsuiteSql("sim_netsuite." + t)}`;
    nsCounts[t] = r?.n ?? 0;
  }
  const harvestSeedMs = Number(hs.line.match(/in (\d+) ms/)?.[1] ?? NaN);
  figures.rows = { generatedTimeEntries: master.generatedTimeEntries, byState: master.byState, employees: master.employees, projects: master.projects, harvestTimeEntries: harvestEntries };
  figures.stages.seed = {
    ms: since(seedStarted),
    appMasterData: { generateMs: master.generateMs, loadMasterDataMs: master.loadMasterDataMs, peakRssMiB: master.peakRssMiB },
    harvest: { startMs: hs.startMs, seedMs: Number.isFinite(harvestSeedMs) ? harvestSeedMs : null, timeEntries: harvestEntries },
    netsuite: { startMs: ns.startMs, counts: nsCounts },
    note: "three child processes at once, each generating the demo firm: the app's master data, and each simulator seeding its own database (not the engine); startMs is from spawn to listening",
  };
  if (harvestEntries !== master.generatedTimeEntries) throw new Error(`The Harvest simulator holds ${harvestEntries} time entries, the demo generated ${master.generatedTimeEntries}: they were not seeded from the same data.`);
  await checkpoint();

  const harvestBase = `http://127.0.0.1:${hs.port}/v2`;
  const netsuiteBase = `http://127.0.0.1:${ns.port}/services/rest`;
  figures.notes.push(
    `The Harvest simulator enforces Harvest's own limit (${HARVEST_RATE_LIMIT.max} requests per ${HARVEST_RATE_LIMIT.windowMs / 1000} s per token); its environment offers no setting to raise it, so the pull is measured under the real limit, which the connector also keeps on its side. At per_page ${perPage} that ceiling is ${Math.round((HARVEST_RATE_LIMIT.max * perPage) / (HARVEST_RATE_LIMIT.windowMs / 1000)).toLocaleString("en")} entries/s after the first ${HARVEST_RATE_LIMIT.max} pages.`,
    "NetSuite simulator: concurrency limit 5 (a developer account's), billing runs off; Harvest simulator: clock stopped. No faults injected.",
  );

  const [harvestRow, netsuiteRow] = await db
    .insert(connectors)
    .values([
      { key: "bench-harvest", role: "source", system: "harvest", name: "Harvest (simulator)", baseUrl: harvestBase, accountId: "100001" },
      { key: "bench-netsuite", role: "erp", system: "netsuite", name: "NetSuite (simulator)", baseUrl: netsuiteBase, accountId: "TSTDRV100001" },
    ])
    .returning({ id: connectors.id });

  // ---- stage 2: pull (after a full collection, so each stage starts from what the engine keeps)
  collectGarbage();
  stage = "pull";
  const harvestStatus: Record<string, number> = {};
  const harvestEvents = { retries: 0, rateLimited: 0, waitedMs: 0 };
  const harvest = createHarvestConnector(
    { baseUrl: harvestBase, accountId: "100001", token: "harvest-sim-token", perPage },
    {
      fetch: countingFetch(harvestStatus),
      onEvent: (e) => {
        if (e.kind === "rate_limited") harvestEvents.rateLimited += 1;
        else harvestEvents.retries += 1;
        harvestEvents.waitedMs += e.waitMs;
      },
    },
  );
  const pullProgress = { pages: 0, items: 0, ms: 0 };
  const pullStarted = performance.now();
  let lastLog = 0;
  // the engine's own connector, watched: progress lines, and the stage's cap ends the walk
  const watched: SourceConnector = {
    system: harvest.system,
    setProjectActive: harvest.setProjectActive,
    async *timeEntries(opts) {
      for await (const page of harvest.timeEntries(opts)) {
        if (performance.now() - pullStarted > stageCapMs) throw new Error(CAPPED);
        yield page;
        pullProgress.pages += 1;
        pullProgress.items += page.items.length;
        pullProgress.ms = since(pullStarted);
        if (performance.now() - lastLog > 15_000) {
          lastLog = performance.now();
          log(`pull: ${pullProgress.pages} pages, ${pullProgress.items.toLocaleString("en")} entries, ${perSecond(pullProgress.items, pullProgress.ms)}/s`);
          figures.stages.pull = { inProgress: true, ...pullProgress };
          void checkpoint();
        }
      }
    },
  };
  let pull: PullSummary | undefined;
  let pullError: string | null = null;
  try {
    pull = await pullTimeEntries({ ctx, connector: watched, connectorId: harvestRow!.id, perPage });
  } catch (err) {
    pullError = (err as Error).message;
  }
  const pullMs = since(pullStarted);
  const pullCapped = pullError === CAPPED;
  const [queued] = await db.execute<{ n: number }>(sql`select count(*)::int as n from erp_postings`);
  const [openEx] = await db.execute<{ n: number }>(sql`select count(*)::int as n from exceptions where status = 'open'`);
  const [inApp] = await db.execute<{ n: number }>(sql`select count(*)::int as n from time_entries`);
  const pulled = pull?.fetched ?? pullProgress.items;
  figures.stages.pull = {
    ms: pullMs,
    completed: pull !== undefined,
    ...(pullCapped && { capped: true, cappedAfterMinutes: stageMinutes }),
    ...(pullError && !pullCapped && { error: pullError }),
    pages: pull?.pages ?? pullProgress.pages,
    fetched: pulled,
    ofHarvestEntries: harvestEntries,
    fractionCovered: Math.round((pulled / Math.max(1, harvestEntries)) * 1000) / 1000,
    created: pull?.created ?? (pull ? undefined : inApp?.n),
    updated: pull?.updated,
    unchanged: pull?.unchanged,
    refused: pull?.refused,
    validated: pull?.validated,
    postingsQueued: queued?.n ?? 0,
    openExceptions: openEx?.n ?? 0,
    entriesPerSecond: perSecond(pull?.fetched ?? pullProgress.items, pullMs),
    pagesPerSecond: Math.round(((pull?.pages ?? pullProgress.pages) / Math.max(1, pullMs)) * 100_000) / 100,
    harvestAnswers: { ...harvestStatus },
    harvestClient: { ...harvestEvents },
  };
  log(`pull: ${pullError ? `stopped (${pullError})` : "done"} in ${pullMs} ms — ${(pull?.fetched ?? pullProgress.items).toLocaleString("en")} entries, ${queued?.n} postings queued`);
  await checkpoint();
  if (pullError && !pullCapped) throw new Error(`The pull failed: ${pullError}`);

  // ---- stage 3: post, until nothing is due (or the stage's cap)
  collectGarbage();
  stage = "post";
  const netsuiteStatus: Record<string, number> = {};
  const netsuite = createNetSuiteConnector(
    { baseUrl: netsuiteBase, accountId: "TSTDRV100001", token: "netsuite-sim-token", concurrency: 5 },
    { fetch: countingFetch(netsuiteStatus) },
  );
  const total: Omit<SendSummary, "circuit"> & { rounds: number; waits: number; waitedMs: number } = { claimed: 0, accepted: 0, rejected: 0, retrying: 0, dead: 0, foundAlready: 0, superseded: 0, stale: 0, rounds: 0, waits: 0, waitedMs: 0 };
  const postStarted = performance.now();
  let postStopped: string | null = null;
  lastLog = 0;
  for (;;) {
    if (performance.now() - postStarted > stageCapMs) {
      postStopped = CAPPED;
      break;
    }
    const s = await sendDuePostings({ ctx, connector: netsuite, policy: { ...DEFAULT_POSTING_POLICY, concurrency: 5 }, breaker: { connectorId: netsuiteRow!.id, policy: DEFAULT_BREAKER_POLICY } });
    total.rounds += 1;
    for (const k of ["claimed", "accepted", "rejected", "retrying", "dead", "foundAlready"] as const) total[k] += s[k];
    if (performance.now() - lastLog > 15_000) {
      lastLog = performance.now();
      const ms = since(postStarted);
      log(`post: ${(total.accepted + total.rejected).toLocaleString("en")} done (${total.accepted} accepted, ${total.rejected} rejected, ${total.retrying} retries), ${perSecond(total.accepted + total.rejected, ms)}/s`);
      figures.stages.post = { inProgress: true, ms, ...total };
      void checkpoint();
    }
    if (s.claimed > 0) continue;
    // nothing due now: done, or wait for the postings that back off
    const [w] = await db.execute<{ waiting: number; wait_ms: number | null }>(
      sql`select count(*)::int as waiting, (extract(epoch from min(next_attempt_at) - now()) * 1000)::int as wait_ms from erp_postings where status in ('pending', 'sent')`,
    );
    if (!w || w.waiting === 0) break;
    const waitMs = Math.min(5_000, Math.max(50, w.wait_ms ?? 0));
    total.waits += 1;
    total.waitedMs += waitMs;
    await sleep(waitMs);
  }
  const postMs = since(postStarted);
  const byStatus = await db.execute<{ status: string; n: number }>(sql`select status::text, count(*)::int as n from erp_postings group by 1 order by 1`);
  const done = total.accepted + total.rejected;
  const queuedPostings = queued?.n ?? 0;
  figures.stages.post = {
    ms: postMs,
    completed: postStopped === null,
    ...(postStopped && { capped: true, cappedAfterMinutes: stageMinutes }),
    ...total,
    ofQueued: queuedPostings,
    fractionCovered: Math.round((done / Math.max(1, queuedPostings)) * 1000) / 1000,
    postingsPerSecond: perSecond(done, postMs),
    acceptedPerSecond: perSecond(total.accepted, postMs),
    postingsByStatus: Object.fromEntries(byStatus.map((r) => [r.status, r.n])),
    netsuiteAnswers: { ...netsuiteStatus },
    concurrency: 5,
    batchSize: DEFAULT_POSTING_POLICY.batchSize,
  };
  log(`post: ${postStopped ? `stopped (${postStopped})` : "done"} in ${postMs} ms — ${total.accepted} accepted, ${total.rejected} rejected, ${perSecond(done, postMs)}/s`);
  await checkpoint();

  // ---- stage 4: read back the whole range, or one month when the stages are capped
  collectGarbage();
  stage = "readBack";
  const readBackFile = path.resolve("src/server/services/sync/read-back.ts");
  if (!existsSync(readBackFile)) {
    figures.stages.readBack = { measured: false, note: "not measured: the read-back service (src/server/services/sync/read-back.ts) is not part of the engine yet." };
    figures.notes.push("Read-back is not measured in this run: the service did not exist when it ran.");
  } else {
    const readStatus: Record<string, number> = {};
    const reader = createNetSuiteConnector({ baseUrl: netsuiteBase, accountId: "TSTDRV100001", token: "netsuite-sim-token", concurrency: 5 }, { fetch: countingFetch(readStatus) });
    figures.stages.readBack = { ...(await measureReadBack(readBackFile, ctx, reader, netsuiteRow!.id, startDate)), netsuiteAnswers: readStatus };
  }
  log(`read-back: ${JSON.stringify(figures.stages.readBack)}`);
  await checkpoint();

  // ---- what the simulators can take on their own
  stage = "capacity";
  if (!args["no-capacity"]) {
    figures.capacity = {
      netsuite: await netsuiteCapacity(netsuiteBase, netsuiteSql),
      harvest: await harvestCapacity(harvestBase),
    };
    log(`capacity: ${JSON.stringify(figures.capacity)}`);
  }

  // ---- sizes
  stage = "end";
  const sizes = await db.execute<{ datname: string; bytes: string }>(
    sql`select datname, pg_database_size(datname)::text as bytes from pg_database where datname in ('bench', 'sim_harvest', 'sim_netsuite')`,
  );
  figures.databaseBytes = Object.fromEntries(sizes.map((r) => [r.datname === "bench" ? "app" : r.datname, Number(r.bytes)]));
  const [counts] = await db.execute<Record<string, number>>(
    sql`select (select count(*)::int from time_entries) as time_entries, (select count(*)::int from raw_records) as raw_records, (select count(*)::int from erp_postings) as erp_postings, (select count(*)::int from exceptions) as exceptions`,
  );
  figures.rows.app = counts;
  const capped = Object.entries(figures.stages).filter(([, v]) => v.capped).map(([k]) => k);
  figures.completed = capped.length === 0;
  if (capped.length) {
    const pct = (k: string) => `${Math.round(Number(figures.stages[k]?.fractionCovered ?? 0) * 1000) / 10}%`;
    figures.notes.push(
      `Capped at ${stageMinutes} min per stage: ${capped.map((k) => (k === "readBack" ? "read-back" : `${k} (covered ${pct(k)})`)).join(", ")}. Their rates are over the part they reached; the run itself ran to the end (completed: false says some stage did not cover everything).`,
    );
  }
  figures.memoryComparison = await compareMemory();
  printTable();
  figures.notes.push(
    `The machine (${os.cpus().length} cores) was shared with other test runs throughout (1-minute load average up to ${Math.max(...Object.values(loadPeaks))}; per stage in loadAverage1mPeakPerStage), so every rate here is lower than on an idle machine.`,
  );
  await record(NAME, { ...figures, memory: memoryFigures(), loadAverage1mPeakPerStage: loadPeaks });
}

// ---------------------------------------------------------------------------------------
// Read-back, when the service exists

async function measureReadBack(file: string, ctx: ServiceCtx & { db: Db }, connector: ReturnType<typeof createNetSuiteConnector>, connectorId: string, startDate: string): Promise<StageFigures> {
  const mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  const readBack = mod.readBack as ((a: Record<string, unknown>) => Promise<Record<string, unknown>>) | undefined;
  if (typeof readBack !== "function") return { measured: false, note: "not measured: read-back.ts exports no readBack function." };
  // SuiteQL reaches at most 100,000 results per query: the whole range is read a month at a time
  const ranges: [string, string][] = [];
  for (let d = new Date(`${startDate.slice(0, 7)}-01T00:00:00Z`); d.toISOString().slice(0, 10) <= END_DATE; d = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1))) {
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).toISOString().slice(0, 10);
    ranges.push([d.toISOString().slice(0, 10), last < END_DATE ? last : END_DATE]);
  }
  // capped runs read one month: the last whole one
  if (stageMinutes !== null && ranges.length > 1) ranges.splice(0, ranges.length, ranges[ranges.length - 2]!);
  const sums: Record<string, number> = {};
  const failures: string[] = [];
  const t = performance.now();
  let read = 0;
  for (const [from, to] of ranges) {
    if (performance.now() - t > stageCapMs) break;
    read += 1;
    try {
      const r = await readBack({ ctx, connector, connectorId, from, to });
      for (const [k, v] of Object.entries(r)) if (typeof v === "number") sums[k] = (sums[k] ?? 0) + v;
      if (r.status !== "succeeded") failures.push(`${from}…${to}: ${String(r.error)}`);
    } catch (err) {
      failures.push(`${from}…${to}: ${(err as Error).message}`);
    }
    log(`read-back ${from}…${to}: ${sums.fetched ?? 0} time records so far, ${since(t)} ms`);
  }
  const ms = since(t);
  return {
    measured: true,
    ms,
    ...(read < ranges.length && { capped: true, cappedAfterMinutes: stageMinutes, fractionCovered: Math.round((read / ranges.length) * 1000) / 1000 }),
    ...(stageMinutes !== null && { scope: "one month (the last whole one), as the stages are capped" }),
    ranges: read,
    from: ranges[0]?.[0],
    to: ranges[read - 1]?.[1] ?? ranges[0]?.[1],
    ...sums,
    timeRecordsPerSecond: perSecond(sums.fetched ?? 0, ms),
    ...(failures.length && { failures }),
  };
}

// ---------------------------------------------------------------------------------------
// Simulator capacity, measured directly (no engine in the way)

async function netsuiteCapacity(base: string, simSql: postgres.Sql) {
  const headers = { Authorization: "Bearer netsuite-sim-token", "Content-Type": "application/json" };
  // valid references: a time bill on an active job, as the ERP holds it now
  const candidates = await simSql`
    select t.employee, t.customer, t.item, t.subsidiary, to_char(t.trandate, 'YYYY-MM-DD') as trandate
    from sim_netsuite.timebill t join sim_netsuite.job j on j.id = t.customer
    where j.entitystatus = '2' and not j.isinactive
    order by t.datecreated desc, t.trandate desc limit 50`;
  const run = crypto.randomUUID().slice(0, 8);
  const post = (body: object, key: string) => fetch(`${base}/record/v1/timeBill`, { method: "POST", headers: { ...headers, "X-NetSuite-Idempotency-Key": key }, body: JSON.stringify(body) });
  let body: object | undefined;
  for (const c of candidates) {
    const b = { employee: { id: c.employee }, customer: { id: c.customer }, item: { id: c.item }, subsidiary: { id: c.subsidiary }, hours: 1, tranDate: c.trandate, memo: "capacity probe" };
    const res = await post(b, `bench-${run}-probe-${c.customer}`);
    await res.text();
    if (res.status === 204) {
      body = b;
      break;
    }
  }
  const out: Record<string, unknown> = {};
  if (!body) out.timeBillPosts = { measured: false, note: "no time bill with valid references to copy" };
  else {
    const N = 2000;
    const statuses: Record<string, number> = {};
    let next = 0;
    let retried429 = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: 5 }, async () => {
        while (next < N) {
          const i = next++;
          for (;;) {
            const res = await post(body!, `bench-${run}-${i}`);
            await res.text();
            statuses[res.status] = (statuses[res.status] ?? 0) + 1;
            if (res.status !== 429) break;
            retried429 += 1;
          }
        }
      }),
    );
    const ms = since(t);
    out.timeBillPosts = { requests: N, concurrency: 5, ms, perSecond: perSecond(N, ms), answers: statuses, retriedAfter429: retried429 };
  }
  // SuiteQL: sequential pages of 1000 time bills
  const pages = 20;
  let rows = 0;
  const t = performance.now();
  for (let i = 0; i < pages; i++) {
    const res = await fetch(`${base}/query/v1/suiteql?limit=1000&offset=${i * 1000}`, { method: "POST", headers: { ...headers, Prefer: "transient" }, body: JSON.stringify({ q: "SELECT * FROM timebill ORDER BY id" }) });
    const json = (await res.json()) as { items?: unknown[] };
    rows += json.items?.length ?? 0;
  }
  const ms = since(t);
  out.suiteql = { pages, pageSize: 1000, rows, ms, pagesPerSecond: perSecond(pages, ms), rowsPerSecond: perSecond(rows, ms) };
  return out;
}

async function harvestCapacity(base: string) {
  const headers = { Authorization: "Bearer harvest-sim-token", "Harvest-Account-Id": "100001", "User-Agent": "Hourbridge bench" };
  const get = async (page: number) => {
    const res = await fetch(`${base}/time_entries?per_page=${perPage}&page=${page}`, { headers });
    const json = (await res.json()) as { time_entries?: unknown[]; total_pages?: number };
    return { status: res.status, n: json.time_entries?.length ?? 0, totalPages: json.total_pages ?? 1 };
  };
  const first = await get(1);
  const totalPages = Math.max(1, first.totalPages);
  // 40 requests in all (sequential, then 4 at a time), well inside 100 per 15 s
  const measure = async (count: number, concurrency: number) => {
    const statuses: Record<string, number> = {};
    let rows = 0;
    let next = 0;
    const t = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < count) {
          const r = await get((next++ % totalPages) + 1);
          statuses[r.status] = (statuses[r.status] ?? 0) + 1;
          rows += r.n;
        }
      }),
    );
    const ms = since(t);
    return { pages: count, perPage, concurrency, ms, pagesPerSecond: perSecond(count, ms), entriesPerSecond: perSecond(rows, ms), answers: statuses };
  };
  return { sequential: await measure(20, 1), parallel: await measure(20, 4), rateLimit: `${HARVEST_RATE_LIMIT.max} requests per ${HARVEST_RATE_LIMIT.windowMs / 1000} s` };
}

// ---------------------------------------------------------------------------------------
// Memory against the 100k run: the engine streams, so its peaks must not grow with the data

async function compareMemory(): Promise<Record<string, unknown> | undefined> {
  if (NAME === "sync-100k") return undefined;
  const file = path.resolve("bench/results/sync-100k.json");
  if (!existsSync(file)) return undefined;
  const base = JSON.parse(await readFile(file, "utf8")) as { at?: string; memory?: { peakPerStage?: Record<string, Peak> }; rows?: { harvestTimeEntries?: number } };
  const basePeaks = base.memory?.peakPerStage ?? {};
  const label = sizeLabel.toUpperCase();
  const lines: string[] = [];
  const ratios: Record<string, { rss: number; heap: number }> = {};
  for (const k of ["pull", "post", "readBack"]) {
    const a = basePeaks[k];
    const b = peaks[k];
    if (!a || !b) continue;
    const name = k === "readBack" ? "read-back" : k;
    lines.push(`${name} peak RSS 100k: ${a.rssMiB} MiB, ${label}: ${b.rssMiB} MiB (heap used ${a.heapUsedMiB} → ${b.heapUsedMiB} MiB)`);
    ratios[k] = { rss: Math.round((b.rssMiB / a.rssMiB) * 100) / 100, heap: Math.round((b.heapUsedMiB / a.heapUsedMiB) * 100) / 100 };
  }
  return {
    against: `bench/results/sync-100k.json (${base.at ?? "?"}, ${base.rows?.harvestTimeEntries?.toLocaleString("en") ?? "?"} entries)`,
    entriesRatio: base.rows?.harvestTimeEntries ? Math.round((Number(figures.rows.harvestTimeEntries) / base.rows.harvestTimeEntries) * 10) / 10 : null,
    lines,
    peakRatio: ratios,
  };
}

// ---------------------------------------------------------------------------------------
// The table

function printTable() {
  const f = (v: unknown) => (typeof v === "number" ? v.toLocaleString("en") : v === undefined || v === null ? "—" : String(v));
  const s = figures.stages;
  const lines: [string, string, string, string][] = [["stage", "time", "rows", "rate"]];
  const capNote = (st: StageFigures | undefined) => (st?.capped ? ` (capped, ${Math.round(Number(st.fractionCovered ?? 0) * 1000) / 10}%)` : "");
  const seed = s.seed as Record<string, Record<string, unknown>> | undefined;
  lines.push(["seed Harvest sim (not engine)", `${f(seed?.harvest?.startMs)} ms`, f(figures.rows.harvestTimeEntries), ""]);
  lines.push(["seed NetSuite sim (not engine)", `${f(seed?.netsuite?.startMs)} ms`, `${f((seed?.netsuite?.counts as Record<string, number> | undefined)?.timebill)} time bills`, ""]);
  lines.push([`pull (fetch+ingest+validate)${capNote(s.pull)}`, `${f(s.pull?.ms)} ms`, `${f(s.pull?.fetched)} fetched, ${f(s.pull?.created)} created, ${f(s.pull?.pages)} pages`, `${f(s.pull?.entriesPerSecond)} entries/s`]);
  lines.push(["  queued postings", "", f(s.pull?.postingsQueued), ""]);
  lines.push([`post (outbox → NetSuite)${capNote(s.post)}`, `${f(s.post?.ms)} ms`, `${f(s.post?.accepted)} accepted, ${f(s.post?.rejected)} rejected`, `${f(s.post?.postingsPerSecond)} postings/s`]);
  lines.push(
    s.readBack?.measured
      ? ["read back (month by month)", `${f(s.readBack.ms)} ms`, `${f(s.readBack.fetched)} time records, ${f(s.readBack.invoicesFetched)} invoices, ${f(s.readBack.billed)} billed`, `${f(s.readBack.timeRecordsPerSecond)} records/s`]
      : ["read back", "not measured", "", ""],
  );
  const cap = figures.capacity as Record<string, Record<string, Record<string, unknown>>>;
  if (cap.netsuite) {
    lines.push(["NetSuite sim: timeBill POST", `${f(cap.netsuite.timeBillPosts?.ms)} ms`, f(cap.netsuite.timeBillPosts?.requests), `${f(cap.netsuite.timeBillPosts?.perSecond)} /s (c=5)`]);
    lines.push(["NetSuite sim: SuiteQL pages", `${f(cap.netsuite.suiteql?.ms)} ms`, f(cap.netsuite.suiteql?.rows), `${f(cap.netsuite.suiteql?.pagesPerSecond)} pages/s`]);
  }
  if (cap.harvest) {
    lines.push(["Harvest sim: pages (c=1)", `${f(cap.harvest.sequential?.ms)} ms`, f(cap.harvest.sequential?.pages), `${f(cap.harvest.sequential?.pagesPerSecond)} pages/s`]);
    lines.push(["Harvest sim: pages (c=4)", `${f(cap.harvest.parallel?.ms)} ms`, f(cap.harvest.parallel?.pages), `${f(cap.harvest.parallel?.pagesPerSecond)} pages/s`]);
  }
  const w = [0, 1, 2, 3].map((i) => Math.max(...lines.map((l) => l[i]!.length)));
  console.log("");
  for (const l of lines) console.log(l.map((c, i) => c.padEnd(w[i]!)).join("  "));
  console.log("\npeak memory per stage (MiB):");
  for (const [k, p] of Object.entries(peaks)) console.log(`  ${k.padEnd(10)} engine rss ${p.rssMiB}, heap ${p.heapUsedMiB}; harvest sim rss ${p.harvestSimRssMiB ?? "—"}; netsuite sim rss ${p.netsuiteSimRssMiB ?? "—"}${p.masterDataLoaderRssMiB ? `; master data loader rss ${p.masterDataLoaderRssMiB}` : ""}`);
  for (const l of (figures.memoryComparison?.lines as string[] | undefined) ?? []) console.log(`  ${l}`);
  console.log(`database sizes (MiB): ${Object.entries(figures.databaseBytes).map(([k, v]) => `${k} ${MiB(v)}`).join(", ")}`);
  for (const n of figures.notes) console.log(`note: ${n}`);
  console.log("");
}

main()
  .catch(async (err) => {
    console.error(`[bench:sync] ${(err as Error).stack ?? err}`);
    figures.stoppedAt ??= `${stage} (error: ${(err as Error).message})`;
    await checkpoint().catch(() => {});
    process.exitCode = 1;
  })
  .finally(async () => {
    await cleanup();
    process.exit(process.exitCode ?? 0);
  });
