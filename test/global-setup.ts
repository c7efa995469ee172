import net from "node:net";
import { rm } from "node:fs/promises";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedHandle } from "../src/server/db/embedded";
import { runMigrations } from "../src/server/db/migrate";

/** The database every test file clones (see test/db.ts). */
export const TEMPLATE_DATABASE = "hb_template";

declare module "vitest" {
  export interface ProvidedContext {
    /** URL of the embedded server's maintenance database, for CREATE/DROP DATABASE */
    pgAdminUrl: string;
    /** name of the migrated template database */
    pgTemplate: string;
  }
}

/** A port nobody listens on right now: bind port 0 and ask the kernel which it gave. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("could not find a free port"))));
    });
  });
}

/**
 * One real PostgreSQL for the whole run, started from the app's own embedded helper, with
 * a template database migrated once. Stopped when the run ends.
 */
export default async function setup(project: TestProject) {
  const port = await freePort();
  const dir = path.resolve(`.data/test/postgres-${process.pid}`);
  const lines: string[] = [];
  let pg: EmbeddedHandle;
  try {
    pg = await startEmbeddedPostgres({
      // a directory per run, so two runs in one work tree never wipe each other's server
      dir,
      port,
      database: TEMPLATE_DATABASE,
      fresh: true,
      log: (l) => {
        lines.push(l);
        if (lines.length > 60) lines.shift();
      },
    });
  } catch (err) {
    console.error(lines.join("").slice(-4000));
    throw err;
  }
  try {
    await runMigrations(pg.url);
  } catch (err) {
    await pg.stop();
    throw err;
  }
  project.provide("pgAdminUrl", pg.adminUrl);
  project.provide("pgTemplate", TEMPLATE_DATABASE);

  return async () => {
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  };
}
