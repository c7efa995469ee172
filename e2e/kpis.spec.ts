import { expect, test } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { signInAs } from "./fixtures/auth";

/** The KPI history exists once the worker's snapshot job has run: queue it now and wait for it. */
async function snapshotsComputed() {
  const db = e2eDb();
  await db`select graphile_worker.add_job('kpi-snapshot', '{}'::json, job_key => 'kpi-snapshot')`;
  await expect
    // today's marker row is written once the backfill and today's figures are in
    .poll(async () => (await db<{ n: number }[]>`select count(*)::int as n from kpi_daily_snapshots where slice_key = '*' and day = (now() at time zone 'UTC')::date`)[0]!.n, {
      timeout: 120_000,
      intervals: [1_000],
    })
    .toBeGreaterThan(0);
}

test("an executive lands on the KPIs and drills from unbilled value to the entries an exception blocks", async ({ page }) => {
  test.setTimeout(180_000);
  await snapshotsComputed();
  const db = e2eDb();

  await signInAs(page, "executive");
  // the executive's landing page
  await expect(page).toHaveURL(/\/kpis$/);
  await expect(page.getByRole("heading", { level: 1, name: "KPIs" })).toBeVisible();
  const tile = page.getByTestId("tile-unbilled");
  await expect(tile).toContainText("Unbilled approved value (USD)");
  await expect(tile).toContainText(/USD [\d,]+/);

  // what an independent count says is blocked by open exceptions right now
  const [blocked] = await db<{ n: number }[]>`
    select count(distinct te.id)::int as n from time_entries te join exception_entries ee on ee.time_entry_id = te.id join exceptions x on x.id = ee.exception_id
    where te.billable and te.state = 'approved' and x.status = 'open'`;
  expect(blocked!.n).toBeGreaterThan(0);

  // the trends are drawn from the daily history
  await expect(page.getByTestId("chart-unbilled-value").locator("svg.recharts-surface").first()).toBeVisible();
  await expect(page.getByTestId("chart-unbilled-value")).toContainText("Latest (");
  await page.getByRole("heading", { name: "Trends, last 90 days" }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: "test-results/kpis-dashboard.png", fullPage: true });

  await tile.getByRole("link", { name: /^Blocked by an open exception: USD [\d,]+/ }).click();
  await expect(page).toHaveURL(/\/kpis\/entries\?metric=unbilled&blocker=exception/);
  await expect(page.getByRole("heading", { level: 1, name: "Unbilled approved time" })).toBeVisible();
  await expect(page.getByText("Filtered to:")).toBeVisible();
  const totals = page.getByTestId("drill-totals");
  await expect(totals).toContainText(`Entries${blocked!.n.toLocaleString("en-US")}`);
  const rows = page.getByTestId("drill-row");
  await expect(rows.first()).toBeVisible();
  expect(await rows.count()).toBe(Math.min(50, blocked!.n));
  await expect(rows.first()).toContainText("blocked by an open exception");
  await page.screenshot({ path: "test-results/kpis-drill-down.png", fullPage: true });

  // back to the dashboard, and a period that does not exist answers with a sentence
  await page.getByRole("link", { name: "Back to the KPIs" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "KPIs" })).toBeVisible();
  await page.goto("/kpis?period=2031-01");
  await expect(page.getByRole("alert").filter({ hasText: "These figures cannot be shown" })).toContainText("There is no accounting period 2031-01.");
});
