import { expect, test } from "@playwright/test";
import { auditActions, e2eDb } from "./fixtures/db";
import { DEMO, navLabels, signInAs } from "./fixtures/auth";

const HEADER = "entry_id,person,project,task,work_date,hours,billable,notes";

test("finance ops checks a regional CSV, sees the bad row with its line, imports it and sees the result", async ({ page }) => {
  const since = new Date(Date.now() - 1000);
  const tag = Date.now().toString(36);
  const fileName = `emea-${tag}.csv`;
  const csv = [
    HEADER,
    `E2E-${tag}-1,emea-u-1,emea-p-1,emea-t-1,2026-05-11,4,yes,Workshop`,
    `E2E-${tag}-2,emea-u-1,emea-p-1,emea-t-1,2026-05-12,3.5,no,"Two lines,\nof notes"`,
    `E2E-${tag}-3,emea-u-1,emea-p-1,emea-t-1,2026-05-13,four,yes,`,
  ].join("\r\n");

  await signInAs(page, "finance_ops");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Imports" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Imports" })).toBeVisible();

  await page.getByLabel("CSV file").setInputFiles({ name: fileName, mimeType: "text/csv", buffer: Buffer.from(csv) });
  await page.getByRole("button", { name: "Check file" }).click();

  const results = page.getByRole("table", { name: "Row results" });
  await expect(results.locator("tbody tr")).toHaveCount(3);
  // the bad row is the one on line 5: the note of line 3 spans two lines
  const bad = results.getByTestId("row-line-5");
  await expect(bad).toContainText(`E2E-${tag}-3`);
  await expect(bad).toContainText("Error");
  await expect(bad).toContainText('hours "four" is not valid');
  await expect(results.getByTestId("row-line-2")).toContainText("New");
  await expect(page.getByLabel("What the import would do")).toContainText("Errors1");
  await page.screenshot({ path: "test-results/imports-dry-run.png", fullPage: true });

  const db = e2eDb();
  const before = await db<{ n: number }[]>`select count(*)::int as n from time_entries where source_system = 'csv' and source_id like ${`E2E-${tag}-%`}`;
  expect(before[0]!.n).toBe(0);

  await page.getByRole("button", { name: "Import", exact: true }).click();
  const result = page.getByRole("region", { name: "Import result" });
  await expect(result.getByRole("status")).toContainText(`${fileName} imported.`);
  await expect(result.getByRole("status")).toContainText("2 new entries");
  await expect(result.getByRole("status")).toContainText("1 refused row");
  await expect(result.getByRole("table", { name: "Refused rows" }).getByTestId("row-line-5")).toBeVisible();
  await expect(result.getByRole("link", { name: "Open the exception queue" })).toHaveAttribute("href", "/exceptions");

  const entries = await db<{ source_id: string; state: string }[]>`
    select source_id, state from time_entries where source_system = 'csv' and source_id like ${`E2E-${tag}-%`} order by source_id`;
  expect(entries).toEqual([
    { source_id: `E2E-${tag}-1`, state: "approved" },
    { source_id: `E2E-${tag}-2`, state: "approved" },
  ]);
  const [run] = await db<{ kind: string; status: string; created: number; failed: number }[]>`
    select kind, status, created, failed from sync_runs where details->>'fileName' = ${fileName}`;
  expect(run).toEqual({ kind: "csv_import", status: "succeeded", created: 2, failed: 1 });
  const [refused] = await db<{ status: string }[]>`
    select status from exceptions where code = 'PAYLOAD_INVALID' and subject_key = ${`raw:csv:time_entry:E2E-${tag}-3`}`;
  expect(refused).toEqual({ status: "open" });
  const actions = await auditActions({ actorLike: DEMO.finance_ops.email, since });
  expect(actions).toContain("imports.time_csv.dry_run");
  expect(actions).toContain("imports.time_csv");
});

test("a refused file gets the sentence that names the problem", async ({ page }) => {
  await signInAs(page, "finance_ops");
  await page.goto("/imports");
  await page.getByLabel("CSV file").setInputFiles({ name: "wrong.csv", mimeType: "text/csv", buffer: Buffer.from("entry_id,person,client\n1,2,3\n") });
  await page.getByRole("button", { name: "Check file" }).click();
  await expect(page.getByRole("alert").filter({ hasText: "wrong.csv was refused." })).toContainText('this import does not know: "client"');
});

test("an executive can neither open the imports page nor upload", async ({ page, playwright }) => {
  await signInAs(page, "executive");
  expect(await navLabels(page)).not.toContain("Imports");
  await page.goto("/imports");
  await expect(page.getByRole("heading", { name: "You do not have access to Imports" })).toBeVisible();
  await expect(page.getByLabel("CSV file")).toHaveCount(0);

  const upload = await page.request.post("/api/imports/time?dryRun=1&fileName=x.csv", { headers: { "Content-Type": "text/csv" }, data: `${HEADER}\n` });
  expect(upload.status()).toBe(403);
  expect((await upload.json()).error).toMatch(/roles: admin, finance_ops/);

  const anonymous = await playwright.request.newContext({ baseURL: new URL(page.url()).origin });
  const signedOut = await anonymous.post("/api/imports/time?dryRun=1", { headers: { "Content-Type": "text/csv" }, data: `${HEADER}\n` });
  expect(signedOut.status()).toBe(401);
  await anonymous.dispose();
});
