import { existsSync } from "node:fs";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { parseEnv, type Env } from "../../src/env";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../../src/server/db/embedded";

/** Reads .env (if any) into process.env without overriding what is already set. */
export function loadDotEnv() {
  if (existsSync(".env")) process.loadEnvFile(".env");
}

export type Database = { url: string; embedded: EmbeddedHandle | null };

/**
 * DATABASE_URL set: use that server, start nothing. Unset: start the embedded
 * PostgreSQL with its data under dataDir and create the database.
 */
export async function openDatabase(
  env: Env,
  opts: { dataDir?: string; port?: number; fresh?: boolean } = {},
): Promise<Database> {
  if (env.DATABASE_URL) return { url: env.DATABASE_URL, embedded: null };
  const dir = opts.dataDir ?? env.embeddedPgDir;
  const port = opts.port ?? env.EMBEDDED_PG_PORT;
  log(`starting the embedded PostgreSQL (data in ${path.relative(process.cwd(), dir) || dir}, port ${port})`);
  const embedded = await startEmbeddedPostgres({
    dir,
    port,
    database: "hourbridge",
    fresh: opts.fresh,
    log: env.LOG_LEVEL === "debug" ? (l) => process.stderr.write(`[postgres] ${l}`) : undefined,
  });
  return { url: embedded.url, embedded };
}

/** AUTH_SECRET from the environment, or one generated once and kept under .data/. */
export async function ensureAuthSecret(env: Env, file = path.resolve(".data/auth-secret")): Promise<string> {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  if (env.NODE_ENV === "production" && env.DATABASE_URL) {
    throw new Error("AUTH_SECRET must be set when running against an external database in production (openssl rand -base64 48).");
  }
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const secret = randomBytes(48).toString("base64url");
  await writeFile(file, secret + "\n", { mode: 0o600 });
  await chmod(file, 0o600);
  return secret;
}

export function readEnv(): Env {
  loadDotEnv();
  try {
    return parseEnv(process.env);
  } catch (err) {
    console.error((err as Error).message);
    process.exit(1);
  }
}

export function log(line: string) {
  process.stdout.write(`[hourbridge] ${line}\n`);
}

/** The demo generator's options from the environment. */
export function demoOptions(env: Env) {
  return { seed: env.DEMO_SEED, consultants: env.DEMO_CONSULTANTS, projects: env.DEMO_PROJECTS, months: env.DEMO_MONTHS };
}

/** CONNECTOR_SECRETS_KEY from the environment, or one generated once and kept under .data/ (embedded mode). */
export async function ensureConnectorKey(env: Env, file = path.resolve(".data/connector-key")): Promise<string> {
  const given = process.env.CONNECTOR_SECRETS_KEY;
  if (given) return given;
  if (env.NODE_ENV === "production" && env.DATABASE_URL) {
    throw new Error("CONNECTOR_SECRETS_KEY must be set when running against an external database in production (openssl rand -base64 32).");
  }
  if (existsSync(file)) return (await readFile(file, "utf8")).trim();
  await mkdir(path.dirname(file), { recursive: true });
  const key = randomBytes(32).toString("base64");
  await writeFile(file, key + "\n", { mode: 0o600 });
  return key;
}

/** Resolves true once something accepts connections on 127.0.0.1:port, false after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs: number): Promise<boolean> {
  const { connect } = await import("node:net");
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port });
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}
