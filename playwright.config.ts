import { defineConfig, devices } from "@playwright/test";

const port = Number(process.env.E2E_PORT ?? 3100);
const ci = Boolean(process.env.CI);

/**
 * End-to-end specs in Debian's Chromium against a production build served by the
 * launcher's e2e mode: a fresh embedded PostgreSQL under .data/e2e with the demo users.
 */
export default defineConfig({
  testDir: "e2e",
  // one worker: the specs share one database and this machine has two cores
  workers: 1,
  fullyParallel: false,
  forbidOnly: ci,
  retries: ci ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: ci ? [["list"], ["html", { open: "never" }]] : [["list"]],
  use: {
    baseURL: `http://localhost:${port}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    ...devices["Desktop Chrome"],
    viewport: { width: 1400, height: 900 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  webServer: {
    command: "npx tsx scripts/run.ts e2e",
    url: `http://localhost:${port}/api/health`,
    timeout: 600_000,
    reuseExistingServer: !ci,
    stdout: "pipe",
    stderr: "pipe",
    // the simulators listen on loopback: the only internal addresses the app may call in e2e
    env: { E2E_PORT: String(port), OUTBOUND_ALLOW_HOSTS: "127.0.0.1,::1" },
  },
});
