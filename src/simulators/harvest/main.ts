/**
 * The Harvest simulator's process: `tsx src/simulators/harvest/main.ts`.
 * Creates its schema, seeds it from the demo generator on first start, listens, and lets
 * time move on every HARVEST_SIM_TICK_SECONDS.
 */
import postgres from "postgres";
import { FaultInjector } from "../shared/faults";
import { tick } from "./clock";
import { parseEnv } from "./env";
import { createHarvestSimulator } from "./server";
import { seedIfEmpty } from "./store";

async function main() {
  const env = parseEnv(process.env);
  const sql = postgres(env.SIM_DATABASE_URL, { max: 5, onnotice: () => {} });
  const endDate = new Date().toISOString().slice(0, 10);
  const seeded = await seedIfEmpty(sql, {
    seed: env.DEMO_SEED,
    consultants: env.DEMO_CONSULTANTS,
    projects: env.DEMO_PROJECTS,
    months: env.DEMO_MONTHS,
    endDate,
  });
  const server = createHarvestSimulator({
    sql,
    accountId: env.HARVEST_SIM_ACCOUNT_ID,
    token: env.HARVEST_SIM_TOKEN,
    faults: new FaultInjector(env.faults),
    adminToken: env.SIM_ADMIN_TOKEN,
    seed: env.DEMO_SEED,
  });
  await new Promise<void>((resolve) => server.listen(env.HARVEST_SIM_PORT, resolve));
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : env.HARVEST_SIM_PORT;
  const seedNote = seeded.skipped ? "existing data" : `seeded ${seeded.counts.timeEntries} time entries in ${seeded.ms} ms`;
  console.log(`[harvest-sim] listening on http://localhost:${port}/v2 (account ${env.HARVEST_SIM_ACCOUNT_ID}; ${seedNote}; tick ${env.HARVEST_SIM_TICK_SECONDS || "off"})`);

  let timer: NodeJS.Timeout | undefined;
  if (env.HARVEST_SIM_TICK_SECONDS > 0) {
    let running = false;
    timer = setInterval(() => {
      if (running) return;
      running = true;
      tick(sql, { seed: env.DEMO_SEED })
        .catch((err) => console.error("[harvest-sim] tick failed:", err))
        .finally(() => (running = false));
    }, env.HARVEST_SIM_TICK_SECONDS * 1000);
  }
  const stop = () => {
    if (timer) clearInterval(timer);
    server.close();
    server.closeAllConnections();
    void sql.end({ timeout: 5 }).then(() => process.exit(0));
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err) => {
  console.error(`[harvest-sim] ${(err as Error).message}`);
  process.exit(1);
});
