import { readFile } from "node:fs/promises";
import { expect, test } from "@playwright/test";
import { auditActions, e2eDb } from "./fixtures/db";
import { DEMO, signInAs } from "./fixtures/auth";

test("finance ops runs a reconciliation of the period where the demo planted ERP variances, finds each, and exports it", async ({ page }) => {
  test.setTimeout(240_000);
  const since = new Date(Date.now() - 1000);
  const db = e2eDb();
  // where the demo planted them: the time bill booked directly in the ERP names the entity and the month
  const [planted] = await db<{ code: string; period: string; erp_id: string }[]>`
    select le.code, to_char(t.trandate, 'YYYY-MM') as period, t.id as erp_id from sim_netsuite.timebill t
    join legal_entities le on le.erp_subsidiary_id = t.subsidiary where t.memo = 'Manual adjustment booked in the ERP'`;
  expect(planted, "the demo plants ERP-side variances in the NetSuite simulator").toBeTruthy();

  await signInAs(page, "finance_ops");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Reconciliation" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Reconciliation" })).toBeVisible();
  await page.getByLabel("Legal entity", { exact: true }).selectOption(planted!.code);
  await expect(page).toHaveURL(new RegExp(`entity=${planted!.code}`));
  await expect(page.getByLabel("Period", { exact: true }).locator(`option[value="${planted!.period}"]`)).toHaveCount(1);
  await page.getByLabel("Period", { exact: true }).selectOption(planted!.period);
  await expect(page).toHaveURL(new RegExp(`entity=${planted!.code}&period=${planted!.period}`));

  await page.getByRole("button", { name: "Run reconciliation" }).click();
  // the worker reads the ERP back for the month and compares
  const detail = page.getByTestId("run-detail");
  await expect(detail).toBeVisible({ timeout: 150_000 });
  await expect(detail.getByRole("heading", { name: new RegExp(`Latest run: ${planted!.code} ${planted!.period}`) })).toBeVisible();

  for (const cls of ["unknown_in_erp", "amount_mismatch", "hours_mismatch", "duplicated_in_erp", "missing_in_erp"]) {
    await expect(page.getByTestId(`class-${cls}`).locator("td").nth(2), cls).toHaveText("1");
  }
  // one click to the lines behind a class
  await page.getByRole("button", { name: "In the ERP, unknown to us" }).click();
  await expect(page).toHaveURL(/class=unknown_in_erp/);
  const lines = page.getByTestId("variance-line");
  await expect(lines).toHaveCount(1);
  await expect(lines.first()).toContainText(planted!.erp_id);
  await expect(lines.first()).toContainText("Manual adjustment booked in the ERP");
  await expect(lines.first()).toContainText("Unexplained");
  await page.screenshot({ path: "test-results/reconciliation-run.png", fullPage: true });

  // the close file
  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV for the close file" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(new RegExp(`^reconciliation-${planted!.code}-${planted!.period}-[0-9a-f]{8}\\.csv$`));
  const csv = await readFile((await download.path())!, "utf8");
  expect(csv).toContain(`"Variance: In the ERP, unknown to us",1,`);
  expect(csv).toContain(planted!.erp_id);
  expect(csv.split("\r\n").filter((l) => l.startsWith("Amount mismatch,"))).toHaveLength(1);

  // the checklist of the period
  await expect(page.getByTestId("close-readiness")).toContainText("Reconciled with no unexplained variance");
  await expect(page.getByTestId("dry-run")).toContainText("entries would post");

  // who did it, in the audit log
  const [run] = await db<{ id: string; status: string }[]>`
    select r.id, r.status from reconciliation_runs r join legal_entities le on le.id = r.legal_entity_id
    where le.code = ${planted!.code} and r.period = ${planted!.period} order by r.requested_at desc limit 1`;
  expect(run!.status).toBe("succeeded");
  const actions = await auditActions({ entityId: run!.id, since });
  expect(actions).toEqual(expect.arrayContaining(["reconciliation.requested", "reconciliation.completed", "reconciliation.exported"]));
  const byFinance = await auditActions({ entityId: run!.id, since, actorLike: DEMO.finance_ops.email });
  expect(byFinance).toEqual(["reconciliation.requested", "reconciliation.exported"]);
});

test("an executive reads reconciliations but cannot run one", async ({ page }) => {
  await signInAs(page, "executive");
  await page.goto("/reconciliation");
  await expect(page.getByRole("heading", { level: 1, name: "Reconciliation" })).toBeVisible();
  await expect(page.getByText("Read-only: finance ops run reconciliations.")).toBeVisible();
  await expect(page.getByRole("button", { name: "Run reconciliation" })).toHaveCount(0);
});
