import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * Unit and integration tests. Integration tests run against one real PostgreSQL started
 * by test/global-setup.ts; each test file clones its own database from a migrated
 * template (test/db.ts), so files run in parallel without seeing each other's rows.
 */
export default defineConfig({
  resolve: {
    alias: { "@": path.resolve(import.meta.dirname, "src") },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["e2e/**", "node_modules/**", ".next/**", ".data/**"],
    globalSetup: ["./test/global-setup.ts"],
    pool: "forks",
    // the simulators and test receivers listen on loopback: the only internal addresses the
    // tests may send to (src/server/net/outbound.ts refuses every other one)
    env: { OUTBOUND_ALLOW_HOSTS: "127.0.0.1,::1" },
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
