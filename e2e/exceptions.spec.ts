import { expect, test } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { signInAs } from "./fixtures/auth";
import { CODE_LABELS } from "../src/lib/exception-labels";

test("finance ops sees the seeded firm's open exceptions by code and owner, as the database holds them", async ({ page }) => {
  const rows = await e2eDb()<{ code: keyof typeof CODE_LABELS; n: number; entries: number }[]>`
    select code, count(*)::int as n, sum(entries_count)::int as entries
    from exceptions where status = 'open' group by code order by code`;
  // the demo generator plants at least these problems
  expect(rows.map((r) => r.code)).toEqual(
    expect.arrayContaining(["PROJECT_UNMAPPED", "TASK_UNMAPPED", "EMPLOYEE_UNMAPPED", "PROJECT_NOT_ACTIVE", "PERIOD_CLOSED", "BILLING_CAP_EXCEEDED", "DUPLICATE_SUSPECTED"]),
  );

  await signInAs(page, "finance_ops");
  await expect(page).toHaveURL(/\/exceptions$/);
  await expect(page.getByRole("heading", { name: "Exceptions", level: 1 })).toBeVisible();
  for (const r of rows) {
    const row = page.getByTestId(`code-row-${r.code}`);
    await expect(row.getByRole("cell").nth(0)).toHaveText(CODE_LABELS[r.code]);
    await expect(row.getByRole("cell").nth(2)).toHaveText(String(r.n));
    await expect(row.getByRole("cell").nth(3)).toHaveText(r.entries.toLocaleString("en-US"));
  }
  const total = rows.reduce((s, r) => s + r.n, 0);
  await expect(page.getByText("Open exceptions", { exact: true }).locator("..")).toContainText(String(total));
  await expect(page.getByRole("table", { name: "Largest open exceptions" }).locator("tbody tr").first()).toContainText("Fix:");
});

test("an executive cannot open the exception queue", async ({ page }) => {
  await signInAs(page, "executive");
  await page.goto("/exceptions");
  await expect(page.getByRole("heading", { name: "You do not have access to Exceptions" })).toBeVisible();
});
