import { expect, test, type Page } from "@playwright/test";
import { auditActions, e2eDb } from "./fixtures/db";
import { DEMO, signInAs } from "./fixtures/auth";

// the simulators the e2e server starts beside the app (scripts/run.ts, mode e2e)
const SIMULATORS = { harvest: "http://127.0.0.1:4201", netsuite: "http://127.0.0.1:4202" };

/** No injected faults on either simulator: the connectors should be healthy. */
async function clearFaults() {
  const token = process.env.SIM_ADMIN_TOKEN;
  for (const base of Object.values(SIMULATORS)) {
    const res = await fetch(`${base}/__sim/faults`, {
      method: "PUT",
      headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
      body: "{}",
    });
    expect(res.status, `clearing the faults of ${base}`).toBe(200);
  }
}

async function connector(key: string) {
  const [row] = await e2eDb()<{ id: string; name: string }[]>`select id, name from connectors where key = ${key}`;
  expect(row, `the ${key} connector exists`).toBeTruthy();
  return row!;
}

function card(page: Page, key: string) {
  return page.getByTestId(`connector-${key}`);
}

test.beforeAll(async () => {
  await clearFaults();
  // a spec that stopped half-way must not leave the source paused for the next
  await e2eDb()`update connectors set paused = false, paused_at = null, paused_by = null, pause_reason = null where key = 'harvest' and paused`;
});

test("an admin sees both connectors healthy, pauses and resumes the source with a reason, and runs a pull now", async ({ page }) => {
  const harvest = await connector("harvest");
  const since = new Date(Date.now() - 1000);
  await signInAs(page, "admin");
  await page.goto("/sync");

  await expect(page.getByRole("heading", { level: 1, name: "Sync" })).toBeVisible();
  await expect(page.getByTestId("sync-health")).toContainText("All 2 connectors healthy");
  for (const key of ["harvest", "netsuite"]) await expect(card(page, key).getByText("Healthy", { exact: true })).toBeVisible();
  await expect(card(page, "harvest").getByRole("link", { name: `Runs of ${harvest.name}` })).toHaveAttribute("href", `/sync/runs?connector=${harvest.id}`);
  await expect(card(page, "harvest")).toContainText("set (never shown)");

  // pause: the reason is required
  await card(page, "harvest").getByRole("button", { name: `Pause ${harvest.name}` }).click();
  const dialog = page.getByRole("dialog", { name: `Pause ${harvest.name}?` });
  await dialog.getByRole("button", { name: "Pause connector" }).click();
  await expect(dialog.getByText("Say why you pause it.")).toBeVisible();
  await dialog.getByLabel("Reason").fill("Vendor maintenance window");
  await dialog.getByRole("button", { name: "Pause connector" }).click();
  await expect(dialog).toBeHidden();
  await expect(card(page, "harvest").getByText("Paused", { exact: true })).toBeVisible();
  await expect(page.getByTestId("sync-health")).toContainText(`${harvest.name} is paused by ${DEMO.admin.email}`);
  await expect(page.getByTestId("sync-health")).toContainText("Vendor maintenance window");
  // a paused connector offers no run
  await card(page, "harvest").getByRole("button", { name: `Run ${harvest.name} now` }).click();
  await expect(page.getByRole("menuitem", { name: /Pull time/ })).toBeDisabled();
  await page.keyboard.press("Escape");

  const [paused] = await e2eDb()<{ paused: boolean; pause_reason: string | null }[]>`select paused, pause_reason from connectors where id = ${harvest.id}`;
  expect(paused).toEqual({ paused: true, pause_reason: "Vendor maintenance window" });
  expect(await auditActions({ entityId: harvest.id, actorLike: DEMO.admin.email, since })).toContain("connector.pause");

  // resume
  await card(page, "harvest").getByRole("button", { name: `Resume ${harvest.name}` }).click();
  await expect(card(page, "harvest").getByText("Healthy", { exact: true })).toBeVisible();
  await expect(page.getByTestId("sync-health")).toContainText("All 2 connectors healthy");
  expect(await auditActions({ entityId: harvest.id, actorLike: DEMO.admin.email, since })).toEqual(expect.arrayContaining(["connector.pause", "connector.resume"]));

  // run a pull now: the worker starts it, the database has the run, the card shows it
  const ranFrom = new Date();
  await card(page, "harvest").getByRole("button", { name: `Run ${harvest.name} now` }).click();
  await page.getByRole("menuitem", { name: /Pull time/ }).click();
  await expect(card(page, "harvest").getByRole("status")).toContainText(`Pull time queued for ${harvest.name}`);
  await expect
    .poll(
      async () => {
        const runs = await e2eDb()<{ status: string }[]>`
          select status from sync_runs
          where connector_id = ${harvest.id} and kind = 'time_pull' and trigger = 'manual' and started_at >= ${ranFrom}`;
        return runs.map((r) => r.status);
      },
      { timeout: 30_000, message: "a manual time pull is recorded in sync_runs" },
    )
    .toEqual([expect.stringMatching(/running|succeeded/)]);
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect(card(page, "harvest").getByTestId("last-run")).toContainText("time pull, manual");
});

test("finance ops sees the connectors without any action", async ({ page }) => {
  await signInAs(page, "finance_ops");
  await page.goto("/sync");
  await expect(page.getByRole("heading", { level: 1, name: "Sync" })).toBeVisible();
  await expect(page.getByText("Read-only for your role")).toBeVisible();
  for (const key of ["harvest", "netsuite"]) {
    const c = card(page, key);
    await expect(c).toBeVisible();
    await expect(c.getByRole("link", { name: /^Runs of / })).toBeVisible();
    await expect(c.getByRole("button")).toHaveCount(0);
  }
  await expect(page.getByRole("button", { name: /Run .* now|Pause|Resume|Test connection|Settings/ })).toHaveCount(0);
});
