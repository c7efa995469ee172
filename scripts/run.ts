// The one launcher: database (embedded unless DATABASE_URL is set), migrations, demo data,
// then the web app. Modes:
//   dev    next dev on PORT (default 3000), data in .data/
//   start  next build (when needed) and next start
//   e2e    a fresh database under .data/e2e, a production build, next start on E2E_PORT (3100)
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import os from "node:os";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { createDb } from "../src/server/db/client";
import { runMigrations } from "../src/server/db/migrate";
import { seedDemo } from "../src/server/db/seed";
import { parseKey } from "../src/server/crypto/secrets";
import { ensureSimulatorConnectors } from "../src/server/services/connectors/ensure-simulators";
import { openPresence, SUPERVISOR_APPLICATION, type Presence } from "../src/server/services/jobs/presence";
import { superviseProcess, type Supervisor } from "../src/server/services/jobs/supervisor";
import { demoOptions, ensureAuthSecret, ensureConnectorKey, log, openDatabase, readEnv, waitForPort } from "./lib/boot";

const mode = process.argv[2] ?? "dev";
if (!["dev", "start", "e2e"].includes(mode)) {
  console.error(`usage: tsx scripts/run.ts dev|start|e2e (got "${mode}")`);
  process.exit(2);
}

const env = readEnv();
const e2e = mode === "e2e";
const port = e2e ? Number(process.env.E2E_PORT ?? 3100) : env.PORT;

const database = await openDatabase(
  e2e ? { ...env, DATABASE_URL: undefined } : env,
  e2e ? { dataDir: path.resolve(".data/e2e/postgres"), port: Number(process.env.E2E_PG_PORT ?? 54339), fresh: true } : {},
);

if (e2e) {
  // the end-to-end specs read the database they check from here
  await writeFile(path.resolve(".data/e2e/database-url"), database.url + "\n");
}

const connectorKey = await ensureConnectorKey(env, e2e ? path.resolve(".data/e2e/connector-key") : undefined);
const simPorts = e2e ? { harvest: 4201, netsuite: 4202 } : { harvest: 4101, netsuite: 4102 };
const SIM_TOKENS = { harvest: "harvest-sim-token", netsuite: "netsuite-sim-token" };

const children: ChildProcess[] = [];
let stopping = false;
/** the worker, restarted when it dies (see startWorker below) */
let worker: Supervisor | null = null;
/** the launcher's presence in PostgreSQL: the supervised worker's state, for /api/health */
let supervisorPresence: Presence | null = null;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await Promise.all([
    worker?.stop("SIGTERM"),
    ...children.map((c) => (c.exitCode === null ? new Promise((r) => c.once("exit", r)) : null)),
  ]);
  await supervisorPresence?.close();
  await database.embedded?.stop().catch(() => {});
  process.exit(code);
}
process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  const { applied, total } = await runMigrations(database.url);
  log(`migrations: ${applied} applied now, ${total} in all`);
  if (database.embedded || env.SEED_DEMO) {
    const { db, sql } = createDb(database.url, { max: 2 });
    await seedDemo(db, demoOptions(env), log);
    const created = await ensureSimulatorConnectors(db, {
      key: parseKey(connectorKey),
      harvest: { baseUrl: `http://127.0.0.1:${simPorts.harvest}/v2`, accountId: "100001", token: SIM_TOKENS.harvest },
      netsuite: { baseUrl: `http://127.0.0.1:${simPorts.netsuite}/services/rest`, accountId: "TSTDRV100001", token: SIM_TOKENS.netsuite },
    });
    if (created.length) log(`connectors to the simulators created: ${created.join(", ")}`);
    await sql.end({ timeout: 5 });
  }
} catch (err) {
  console.error(err);
  await shutdown(1);
}

const childEnv: NodeJS.ProcessEnv = {
  ...process.env,
  DATABASE_URL: database.url,
  AUTH_SECRET: await ensureAuthSecret(env, e2e ? path.resolve(".data/e2e/auth-secret") : undefined),
  AUTH_TRUST_HOST: "true",
  PORT: String(port),
  NEXT_TELEMETRY_DISABLED: "1",
  CONNECTOR_SECRETS_KEY: connectorKey,
  // the connectors point at the simulators on loopback when the launcher set them up (the
  // embedded default, or the demo seeded): the server and the worker may call loopback, and no
  // other internal address; an OUTBOUND_ALLOW_HOSTS set by the operator is kept as it is
  ...(!process.env.OUTBOUND_ALLOW_HOSTS?.trim() && (database.embedded || env.SEED_DEMO) && { OUTBOUND_ALLOW_HOSTS: "127.0.0.1,::1" }),
};

function run(cmd: string, args: string[], extra: Record<string, string> = {}): ChildProcess {
  const child = spawn(cmd, args, { stdio: "inherit", env: { ...childEnv, ...extra } });
  children.push(child);
  return child;
}

function waitFor(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => child.once("exit", (code) => resolve(code ?? 1)));
}

// the vendor simulators: each its own process, its own schema in the same database, seeded
// from the same generator as the demo firm so master data agree
const tsx = path.resolve("node_modules/.bin/tsx");
const simEnv = { SIM_DATABASE_URL: database.url, ...(e2e && { HARVEST_SIM_TICK_SECONDS: "0", NETSUITE_SIM_INVOICE_SECONDS: "0" }) };
for (const [name, port] of Object.entries(simPorts)) {
  const main = `src/simulators/${name}/main.ts`;
  const sim = run(tsx, [main], { ...simEnv, [`${name.toUpperCase()}_SIM_PORT`]: String(port) });
  sim.once("exit", (code) => {
    if (!stopping) log(`the ${name} simulator stopped (exit code ${code}); the app goes on without it`);
  });
}

// the worker starts once the simulators answer (they seed themselves on a first start), so its
// first runs meet a listening source and ERP rather than refused connections; the web app does
// not wait for them
void (async () => {
  for (const [name, simPort] of Object.entries(simPorts)) {
    if (!(await waitForPort(simPort, 120_000))) log(`the ${name} simulator is not listening on ${simPort} after 2 minutes; starting the worker anyway`);
  }
  if (stopping) return;
  startWorker();
})();

/**
 * The worker: sync jobs from the PostgreSQL-backed queue (pull on each connector's schedule, post
 * the outbox). Supervised: when it dies it is started again after 1 s, 2 s, 4 s … up to 30 s (back
 * to 1 s once it had run a minute), each time said in this log and, through the launcher's
 * presence in PostgreSQL, in /api/health. Run by node itself with tsx as a loader, so the process
 * watched is the worker (not a tsx launcher in front of it).
 */
function startWorker() {
  supervisorPresence = openPresence({
    url: database.url,
    kind: SUPERVISOR_APPLICATION,
    fields: { state: "starting", restarts: 0, host: os.hostname() },
    onError: (err) => {
      if (!stopping) log(`the launcher cannot reach PostgreSQL to show the worker's state (${err.message}); it keeps trying`);
    },
  });
  worker = superviseProcess({
    name: "the worker",
    log,
    start: (restarts) =>
      spawn(process.execPath, ["--import", "tsx", "src/sync/worker.ts"], {
        stdio: "inherit",
        env: { ...childEnv, WORKER_RESTARTS: String(restarts) },
      }),
    // most telling first: PostgreSQL keeps 63 bytes of the name
    onChange: (s) => void supervisorPresence?.rename({ state: s.state, restarts: s.restarts, pid: s.pid, exit: s.lastExit, host: os.hostname() }),
  });
}

const next = path.resolve("node_modules/.bin/next");
if (mode !== "dev" && (e2e || !existsSync(".next/BUILD_ID"))) {
  log("building the web app (next build)");
  const code = await waitFor(run(next, ["build"], { NODE_ENV: "production" }));
  if (code !== 0) await shutdown(code);
}

const web =
  mode === "dev"
    ? run(next, ["dev", "--port", String(port)])
    : run(next, ["start", "--port", String(port)], { NODE_ENV: "production" });
log(`web app on http://localhost:${port}`);
waitFor(web).then((code) => shutdown(code));
