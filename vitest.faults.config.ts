import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * The fault suite (`npm run test:faults`): seeded scenarios over the whole pipeline with real
 * worker processes, both simulators over HTTP and faults on the wire, judged by an independent
 * checker (test/faults/checker.ts). Only `*.fault.ts` files, so `vitest run` never picks them
 * up. Scenarios run one after the other: each starts worker processes of its own and needs
 * the machine's cores. `FAULTS_FULL=1` runs the bigger variant (see docs/reliability.md).
 */
const full = process.env.FAULTS_FULL === "1";

export default defineConfig({
  resolve: {
    alias: { "@": path.resolve(import.meta.dirname, "src") },
  },
  test: {
    environment: "node",
    include: ["test/faults/**/*.fault.ts"],
    exclude: ["e2e/**", "node_modules/**", ".next/**", ".data/**"],
    globalSetup: ["./test/global-setup.ts"],
    pool: "forks",
    fileParallelism: false,
    // the simulators listen on loopback: the only internal addresses the suite may send to
    env: { OUTBOUND_ALLOW_HOSTS: "127.0.0.1,::1" },
    testTimeout: full ? 1_800_000 : 300_000,
    hookTimeout: 180_000,
  },
});
