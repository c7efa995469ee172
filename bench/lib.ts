import { mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startEmbeddedPostgres } from "../src/server/db/embedded";
import { runMigrations } from "../src/server/db/migrate";

/** A fresh embedded PostgreSQL, migrated, for one benchmark run. */
export async function benchDatabase(name: string) {
  const pg = await startEmbeddedPostgres({
    dir: path.resolve(`.data/bench/${name}`),
    port: Number(process.env.BENCH_PG_PORT ?? 54470),
    database: "bench",
    fresh: true,
  });
  await runMigrations(pg.url);
  return pg;
}

/** Prints the figures and records them in bench/results/<name>.json with the machine they ran on. */
export async function record(name: string, figures: Record<string, unknown>) {
  const result = {
    benchmark: name,
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version },
    ...figures,
  };
  console.log(JSON.stringify(result, null, 2));
  await mkdir(path.resolve("bench/results"), { recursive: true });
  await writeFile(path.resolve(`bench/results/${name}.json`), JSON.stringify(result, null, 2) + "\n");
}

export const ms = (since: number) => Math.round(performance.now() - since);
