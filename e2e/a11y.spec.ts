import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { signInAs } from "./fixtures/auth";

async function seriousViolations(page: Page) {
  const result = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}

test("the sign-in page has no serious accessibility violation", async ({ page }) => {
  await page.goto("/signin");
  await expect(page.getByRole("button", { name: "Sign in" })).toBeVisible();
  expect(await seriousViolations(page)).toEqual([]);
});

for (const [who, path] of [
  ["admin", "/users"],
  ["admin", "/audit"],
  ["admin", "/sync"],
  ["finance_ops", "/exceptions"],
  ["finance_ops", "/imports"],
  ["pmo", "/mappings"],
  ["executive", "/kpis"],
  ["executive", "/kpis/entries?metric=unbilled&blocker=exception"],
  ["finance_ops", "/reconciliation"],
] as const) {
  test(`the shell at ${path} (${who}) has no serious accessibility violation`, async ({ page }) => {
    await signInAs(page, who);
    await page.goto(path);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    expect(await seriousViolations(page)).toEqual([]);
  });
}
