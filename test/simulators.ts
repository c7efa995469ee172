import type { Server } from "node:http";
import type postgres from "postgres";
import { createHarvestConnector, type HarvestConnector } from "@/sync/connectors/harvest/connector";
import type { HarvestConfigInput } from "@/sync/connectors/harvest/config";
import { createNetSuiteConnector, type NetSuiteConfig, type NetSuiteConnector } from "@/sync/connectors/netsuite/connector";
import { createHarvestSimulator, type RateLimit } from "@/simulators/harvest/server";
import { seedIfEmpty as seedHarvest, type SeedOptions as HarvestSeedOptions } from "@/simulators/harvest/store";
import { ensureSchema } from "@/simulators/netsuite/schema";
import { seedIfEmpty as seedNetSuite, type SeedOptions as NetSuiteSeedOptions } from "@/simulators/netsuite/seed";
import { createNetSuiteSimulator } from "@/simulators/netsuite/server";
import { FaultInjector } from "@/simulators/shared/faults";
import { close, freshSqlDatabase, listen } from "./http";

/**
 * The vendor simulators as integration tests run them: a seeded simulator database, a fault
 * injector, the server listening on a free loopback port, and connectors pointed at it.
 * Call in beforeAll; call stop() in afterAll.
 */

export const NETSUITE_ACCOUNT = "TSTDRV100001";
export const HARVEST_ACCOUNT = "100001";
/** a rate limit no test reaches, for the Harvest simulator or a connector's own */
export const GENEROUS_RATE_LIMIT: RateLimit = { max: 100_000, windowMs: 15_000 };

/** A simulator started for a test. */
export type StartedSimulator<Connector, Config> = {
  /** the simulator's database; query its tables to check what the vendor holds */
  sql: postgres.Sql;
  server: Server;
  /** the server's root, e.g. http://127.0.0.1:40123 */
  base: string;
  /** the API root a connector is configured with (`…/services/rest`, `…/v2`) */
  apiUrl: string;
  accountId: string;
  token: string;
  /** faults on the wire; none until a test sets some */
  injector: FaultInjector;
  /** a connector for this simulator; `overrides` change its configuration */
  connector: (overrides?: Partial<Config>) => Connector;
  /** closes the server, and drops the database if this simulator created it */
  stop: () => Promise<void>;
};

export type NetSuiteSimulator = StartedSimulator<NetSuiteConnector, NetSuiteConfig>;
export type HarvestSimulator = StartedSimulator<HarvestConnector, HarvestConfigInput>;

type CommonOptions = {
  token?: string;
  /** a database to share (e.g. with the other simulator); left alone by stop() */
  sql?: postgres.Sql;
  /** connections the simulator's database client may open, when the database is created here */
  pool?: number;
};

/** A database from `given`, or a fresh one this call owns; `seed` runs on it, and a failure drops what was created. */
async function database(given: postgres.Sql | undefined, pool: number, seed: (sql: postgres.Sql) => Promise<void>) {
  const owned = given ? null : await freshSqlDatabase(pool);
  const sql = given ?? owned!.sql;
  try {
    await seed(sql);
  } catch (err) {
    await owned?.drop();
    throw err;
  }
  return { sql, drop: async () => owned?.drop() };
}

async function serve(server: Server, drop: () => Promise<void>): Promise<{ base: string; stop: () => Promise<void> }> {
  try {
    const base = await listen(server);
    return {
      base,
      stop: async () => {
        await close(server);
        await drop();
      },
    };
  } catch (err) {
    await drop();
    throw err;
  }
}

/**
 * The NetSuite simulator seeded from the demo generator with `opts`. Its connector uses the
 * simulator's concurrency limit as its own, unless overridden.
 */
export async function startNetSuite(
  opts: NetSuiteSeedOptions,
  { token = "t", concurrencyLimit = 5, sql: given, pool = 10 }: CommonOptions & { concurrencyLimit?: number } = {},
): Promise<NetSuiteSimulator> {
  const { sql, drop } = await database(given, pool, async (sql) => {
    await ensureSchema(sql);
    await seedNetSuite(sql, opts);
  });
  const injector = new FaultInjector();
  const server = createNetSuiteSimulator({ sql, accountId: NETSUITE_ACCOUNT, token, faults: injector, concurrencyLimit });
  const { base, stop } = await serve(server, drop);
  const apiUrl = `${base}/services/rest`;
  return {
    sql,
    server,
    base,
    apiUrl,
    accountId: NETSUITE_ACCOUNT,
    token,
    injector,
    connector: (overrides = {}) => createNetSuiteConnector({ baseUrl: apiUrl, accountId: NETSUITE_ACCOUNT, token, concurrency: concurrencyLimit, ...overrides }),
    stop,
  };
}

/**
 * The Harvest simulator seeded from the demo generator with `opts` (its clock follows
 * `opts.seed`). Its rate limit is one no test reaches unless `rateLimit` says otherwise; the
 * connector keeps its own defaults (Harvest's published limit among them) unless overridden.
 */
export async function startHarvest(
  opts: HarvestSeedOptions,
  { token = "t", rateLimit = GENEROUS_RATE_LIMIT, sql: given, pool = 4 }: CommonOptions & { rateLimit?: RateLimit } = {},
): Promise<HarvestSimulator> {
  const { sql, drop } = await database(given, pool, async (sql) => {
    await seedHarvest(sql, opts);
  });
  const injector = new FaultInjector();
  const server = createHarvestSimulator({ sql, accountId: HARVEST_ACCOUNT, token, rateLimit, seed: opts.seed, faults: injector });
  const { base, stop } = await serve(server, drop);
  const apiUrl = `${base}/v2`;
  return {
    sql,
    server,
    base,
    apiUrl,
    accountId: HARVEST_ACCOUNT,
    token,
    injector,
    connector: (overrides = {}) => createHarvestConnector({ baseUrl: apiUrl, accountId: HARVEST_ACCOUNT, token, ...overrides }),
    stop,
  };
}
