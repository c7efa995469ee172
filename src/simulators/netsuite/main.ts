/**
 * The NetSuite REST simulator as its own process:
 *   SIM_DATABASE_URL=postgres://… npx tsx src/simulators/netsuite/main.ts
 * Creates its schema, seeds it from the demo generator on first start, listens, and bills
 * posted time every NETSUITE_SIM_INVOICE_SECONDS.
 */
import postgres from "postgres";
import { FaultInjector } from "../shared/faults";
import { parseSimEnv } from "./env";
import { ensureSchema } from "./schema";
import { seedIfEmpty } from "./seed";
import { createNetSuiteSimulator } from "./server";

async function main() {
  const env = parseSimEnv(process.env);
  const sql = postgres(env.SIM_DATABASE_URL, { max: env.NETSUITE_SIM_CONCURRENCY + 5, onnotice: () => {}, connection: { application_name: "netsuite-sim" } });
  await ensureSchema(sql);
  const endDate = env.DEMO_END_DATE ?? new Date().toISOString().slice(0, 10);
  const seeded = await seedIfEmpty(sql, { seed: env.DEMO_SEED, consultants: env.DEMO_CONSULTANTS, projects: env.DEMO_PROJECTS, months: env.DEMO_MONTHS, endDate, erpVariances: env.DEMO_ERP_VARIANCES === "1" });
  const server = createNetSuiteSimulator({
    sql,
    accountId: env.NETSUITE_SIM_ACCOUNT_ID,
    token: env.NETSUITE_SIM_TOKEN,
    faults: new FaultInjector(env.faults),
    concurrencyLimit: env.NETSUITE_SIM_CONCURRENCY,
    invoiceEverySeconds: env.NETSUITE_SIM_INVOICE_SECONDS,
    adminToken: env.SIM_ADMIN_TOKEN || undefined,
  });
  server.listen(env.NETSUITE_SIM_PORT, () => {
    const addr = server.address();
    const port = typeof addr === "object" && addr ? addr.port : env.NETSUITE_SIM_PORT;
    console.log(
      `[netsuite] account ${env.NETSUITE_SIM_ACCOUNT_ID} on http://localhost:${port}/services/rest (concurrency ${env.NETSUITE_SIM_CONCURRENCY}, billing ${env.NETSUITE_SIM_INVOICE_SECONDS ? `every ${env.NETSUITE_SIM_INVOICE_SECONDS}s` : "off"}, ${seeded.seeded ? `seeded ${seeded.counts!.timebill} time bills` : "existing state"})`,
    );
  });
  const stop = () => server.close(() => void sql.end({ timeout: 5 }).then(() => process.exit(0)));
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`[netsuite] ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
