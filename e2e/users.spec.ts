import { expect, test } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { DEMO, signInAs } from "./fixtures/auth";

test("admin creates a user, fixing what the form reports, then changes roles and scope; the audit log shows it", async ({ page }) => {
  const email = `omar.${Date.now()}@hourbridge.test`;
  await signInAs(page, "admin");
  await page.goto("/users");

  await page.getByRole("button", { name: "New user" }).click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Name").fill("Omar Haddad");
  await dialog.getByLabel("E-mail").fill("not-an-email");
  await dialog.getByLabel("Password").fill("short");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(dialog.getByText("enter a valid e-mail address").first()).toBeVisible();
  await expect(dialog.getByText("the password must be at least 12 characters").first()).toBeVisible();
  await expect(dialog.getByText("a user needs at least one role").first()).toBeVisible();

  await dialog.getByLabel("E-mail").fill(email);
  await dialog.getByLabel("Password").fill("omar-password-2026");
  await dialog.getByLabel("Finance ops").check();
  await dialog.getByLabel("Legal entities").fill("us01, uk01");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(dialog).toBeHidden();
  const row = page.getByTestId(`user-row-${email}`);
  await expect(row).toContainText("Finance ops");
  await expect(row).toContainText("Entities: UK01, US01");

  await row.getByRole("button", { name: "Edit Omar Haddad" }).click();
  const edit = page.getByRole("dialog", { name: "Edit Omar Haddad" });
  await edit.getByLabel("PMO").check();
  await edit.getByLabel("Legal entities").fill("");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toBeHidden();
  await expect(row).toContainText("PMO");
  await expect(row.getByRole("cell").nth(3)).toHaveText("All");

  const [user] = await e2eDb()<{ id: string; roles: string[]; scope_entities: string[] }[]>`
    select id, roles, scope_entities from users where email = ${email}`;
  expect(user!.roles).toEqual(["finance_ops", "pmo"]);
  expect(user!.scope_entities).toEqual([]);

  await page.getByRole("link", { name: "Audit log" }).click();
  await page.getByLabel("Entity id").fill(user!.id);
  await page.getByRole("button", { name: "Apply" }).click();
  await expect(page).toHaveURL(new RegExp(`entityId=${user!.id}`));
  const rows = page.getByRole("table", { name: "Audit log entries" }).locator("tbody tr");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toContainText("user.update");
  await expect(rows.nth(0)).toContainText(DEMO.admin.email);
  await expect(rows.nth(1)).toContainText("user.create");
});

test("the search and role filters live in the URL", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/users?role=executive");
  await expect(page.getByLabel("Role")).toHaveValue("executive");
  await expect(page.getByTestId(`user-row-${DEMO.executive.email}`)).toBeVisible();
  await expect(page.getByTestId(`user-row-${DEMO.admin.email}`)).toHaveCount(0);
  await page.getByLabel("Search users").fill("priya");
  await page.getByRole("button", { name: "Search" }).click();
  await expect(page).toHaveURL(/q=priya/);
  await expect(page.getByText("No user matches these filters.")).toBeVisible();
});
