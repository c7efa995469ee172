import { expect, test } from "@playwright/test";
import { auditActions, e2eDb } from "./fixtures/db";
import { DEMO, navLabels, signIn, signInAs, signInError, signOut } from "./fixtures/auth";

const EXPECTED_NAV = {
  admin: { landing: "/sync", nav: ["KPIs", "Exceptions", "Mappings", "Reconciliation", "Imports", "Sync", "Audit log", "Users"], role: "Admin" },
  finance_ops: { landing: "/exceptions", nav: ["KPIs", "Exceptions", "Reconciliation", "Imports", "Sync"], role: "Finance ops" },
  pmo: { landing: "/mappings", nav: ["KPIs", "Exceptions", "Mappings"], role: "PMO" },
  executive: { landing: "/kpis", nav: ["KPIs", "Reconciliation"], role: "Executive" },
} as const;

for (const who of Object.keys(EXPECTED_NAV) as (keyof typeof EXPECTED_NAV)[]) {
  test(`${who} signs in, sees exactly its areas, and signs out`, async ({ page }) => {
    const since = new Date(Date.now() - 1000);
    const expected = EXPECTED_NAV[who];
    await signInAs(page, who);
    await expect(page).toHaveURL(new RegExp(`${expected.landing}$`));
    expect(await navLabels(page)).toEqual(expected.nav);
    await expect(page.getByTestId("user-roles")).toHaveText(expected.role);
    await expect(page.getByRole("button", { name: `Account menu for ${DEMO[who].name}` })).toBeVisible();

    await signOut(page);
    await page.goto(expected.landing);
    await expect(page).toHaveURL(/\/signin/);

    const [user] = await e2eDb()`select id from users where email = ${DEMO[who].email}`;
    expect(await auditActions({ entityId: user!.id, since })).toEqual(["auth.sign_in", "auth.sign_out"]);
  });
}

test("a signed-out visitor is sent to sign-in and comes back to the page asked for", async ({ page }) => {
  await page.goto("/audit?action=auth.sign_in");
  await expect(page).toHaveURL(/\/signin\?callbackUrl=%2Faudit%3Faction%3Dauth.sign_in/);
  await signIn(page, DEMO.admin.email, DEMO.admin.password);
  await expect(page).toHaveURL(/\/audit\?action=auth.sign_in$/);
  await expect(page.getByRole("heading", { name: "Audit log" })).toBeVisible();
});

test("a wrong password and an unknown account get the same clear message", async ({ page }) => {
  const since = new Date(Date.now() - 1000);
  await signIn(page, DEMO.pmo.email, "not-the-password");
  const alert = signInError(page);
  await expect(alert).toHaveAttribute("role", "alert");
  await expect(alert).toHaveText("That e-mail and password do not match an active account.");
  await expect(page).toHaveURL(/\/signin/);
  await expect(page.getByLabel("Work e-mail")).toHaveValue(DEMO.pmo.email);

  await signIn(page, "nobody@hourbridge.test", "whatever-password");
  await expect(signInError(page)).toHaveText("That e-mail and password do not match an active account.");

  // the message is the same both times, so wait for the second refusal to be recorded
  await expect
    .poll(async () => {
      const failed = await e2eDb()<{ why: string }[]>`
        select after->>'why' as why from audit_log
        where action = 'auth.sign_in_failed' and at >= ${since} order by id`;
      return failed.map((r) => r.why);
    })
    .toEqual(["wrong_password", "unknown_account"]);
});

test("a role that may not open an area is told so, and the API refuses it too", async ({ page }) => {
  await signInAs(page, "finance_ops");
  await page.goto("/users");
  await expect(page.getByRole("heading", { name: "You do not have access to Users" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Go to your start page" })).toHaveAttribute("href", "/exceptions");
  const res = await page.request.get("/api/trpc/users.list?input=" + encodeURIComponent(JSON.stringify({ json: {} })));
  expect(res.status()).toBe(403);
});

test("a disabled user loses access on their next request", async ({ browser }) => {
  const admin = await browser.newPage();
  const email = `lena.${Date.now()}@hourbridge.test`;

  await signInAs(admin, "admin");
  await admin.goto("/users");
  await admin.getByRole("button", { name: "New user" }).click();
  const dialog = admin.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Name").fill("Lena Fischer");
  await dialog.getByLabel("E-mail").fill(email);
  await dialog.getByLabel("Password").fill("lena-password-2026");
  await dialog.getByLabel("PMO").check();
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(admin.getByTestId(`user-row-${email}`)).toBeVisible();

  // a separate browser context: the person's own session
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await signIn(page, email, "lena-password-2026");
  await expect(page).toHaveURL(/\/mappings$/);

  await admin.getByTestId(`user-row-${email}`).getByRole("button", { name: "Disable Lena Fischer" }).click();
  await admin.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
  await expect(admin.getByTestId(`user-row-${email}`).getByText("Disabled")).toBeVisible();

  await page.goto("/kpis");
  await expect(page).toHaveURL(/\/signin/);
  await signIn(page, email, "lena-password-2026");
  await expect(signInError(page)).toHaveText("That e-mail and password do not match an active account.");

  const [row] = await e2eDb()`select id, disabled_at from users where email = ${email}`;
  expect(row!.disabled_at).not.toBeNull();
  const [audit] = await e2eDb()`select actor_label from audit_log where entity_id = ${row!.id} and action = 'user.disable'`;
  expect(audit!.actor_label).toBe(DEMO.admin.email);
  await ctx.close();
  await admin.close();
});
