import AxeBuilder from "@axe-core/playwright";
import { expect, test } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { signInAs } from "./fixtures/auth";

/**
 * An admin sets an alert on finance's blocked value below what the demo firm blocks, runs
 * the evaluation, sees the notification and follows it to the queue filtered to finance.
 */
test("an alert rule on finance's blocked value notifies once and links to the filtered queue", async ({ page }) => {
  const db = e2eDb();
  const since = new Date();
  const [blocked] = await db<{ value: string }[]>`
    select coalesce(sum(value_reporting), 0)::text as value from exceptions where owner = 'finance' and status = 'open'`;
  const whole = BigInt(blocked!.value.split(".")[0]!);
  expect(whole, "the demo firm blocks some finance value").toBeGreaterThan(1n);
  const threshold = (whole / 2n).toString();
  const name = `Finance blocked ${Date.now().toString(36)}`;

  await signInAs(page, "admin");
  await page.goto("/exceptions/alerts");
  await expect(page.getByRole("heading", { name: "Alerts", level: 1 })).toBeVisible();

  await page.getByRole("button", { name: "New rule" }).click();
  const dialog = page.getByRole("dialog", { name: "New alert rule" });
  await dialog.getByLabel("Team").selectOption({ label: "Finance" });
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Condition").selectOption({ label: "Value blocked over" });
  // a missing threshold is explained beside the field, and nothing is saved
  await dialog.getByRole("button", { name: "Create rule" }).click();
  await expect(dialog.getByText("Give an amount in USD, e.g. 50000.")).toBeVisible();
  await dialog.getByLabel("Threshold (USD)").fill(threshold);
  await dialog.getByRole("button", { name: "Create rule" }).click();
  await expect(dialog).toBeHidden();

  const row = page.getByTestId("alert-rule").filter({ hasText: name });
  await expect(row).toContainText("Finance");
  await expect(row).toContainText("Value blocked over");

  await page.getByRole("button", { name: "Evaluate now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "evaluated" })).toBeVisible();
  await expect(row).toContainText("Firing");

  const notification = page.getByTestId("notification").filter({ hasText: `Rule "${name}"` });
  await expect(notification).toHaveCount(1);
  await expect(notification).toContainText(/Finance: USD [\d,]+ blocked, over the [\d,]+ threshold/);
  await expect(notification).toContainText("(unread)");

  const axe = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  expect(axe.violations.filter((v) => v.impact === "serious" || v.impact === "critical").map((v) => v.id)).toEqual([]);

  // evaluating again while it still fires says nothing new
  await page.getByRole("button", { name: "Evaluate now" }).click();
  await expect(page.getByRole("status").filter({ hasText: "0 started firing" })).toBeVisible();
  await expect(notification).toHaveCount(1);

  await notification.getByRole("link", { name: "Show in the queue" }).click();
  await expect(page).toHaveURL(/\/exceptions\?owner=finance(&|$)/);
  await expect(page.getByRole("heading", { name: "Exceptions", level: 1 })).toBeVisible();

  const [rule] = await db<{ id: string; firing: boolean; episode: number }[]>`select id, firing, episode from alert_rules where name = ${name}`;
  expect(rule).toMatchObject({ firing: true, episode: 1 });
  const sent = await db<{ dedupe_key: string; link: string }[]>`select dedupe_key, link from notifications where rule_id = ${rule!.id}`;
  expect(sent).toEqual([{ dedupe_key: `${rule!.id}:1`, link: "/exceptions?owner=finance" }]);
  // following the link marked it read (the request may still be landing as the queue renders)
  await expect
    .poll(async () =>
      (await db<{ action: string }[]>`
        select action from audit_log where at >= ${since} and (entity_id = ${rule!.id} or action in ('alert.evaluate_now', 'notification.read')) order by id`).map((a) => a.action),
    )
    .toEqual(expect.arrayContaining(["alert_rule.create", "alert.fired", "alert.evaluate_now", "notification.read"]));
});
