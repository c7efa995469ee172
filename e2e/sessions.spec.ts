import { expect, test, type Cookie } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { DEMO, signIn, signInAs, signOut } from "./fixtures/auth";

/** The session cookie the browser holds now. */
async function sessionCookie(cookies: Cookie[]): Promise<Cookie> {
  const found = cookies.find((c) => /^(__Secure-)?authjs\.session-token$/.test(c.name));
  if (!found) throw new Error(`no session cookie among ${cookies.map((c) => c.name).join(", ")}`);
  return found;
}

/**
 * Replays a copied cookie over plain HTTP, with no cookie jar (nothing the server answers is
 * kept): a tRPC procedure, a CSV route and the session endpoint, each of which reads the session.
 */
async function replay(baseURL: string, cookie: Cookie) {
  const get = (path: string) => fetch(new URL(path, baseURL), { headers: { cookie: `${cookie.name}=${cookie.value}` }, redirect: "manual" });
  const me = await get("/api/trpc/me.get");
  const csv = await get("/api/exceptions/export");
  await csv.arrayBuffer();
  const session = (await (await get("/api/auth/session")).json()) as { user?: { email?: string } } | null;
  return { trpc: me.status, csv: csv.status, session: session?.user?.email ?? null };
}

test("a copied session cookie is refused everywhere once its owner signs out", async ({ page, browser, baseURL }) => {
  const since = new Date(Date.now() - 1000);
  const [before] = await e2eDb()<{ id: string; session_epoch: number }[]>`select id, session_epoch from users where email = ${DEMO.finance_ops.email}`;

  await signInAs(page, "finance_ops");
  const copied = await sessionCookie(await page.context().cookies());
  expect(await replay(baseURL!, copied)).toEqual({ trpc: 200, csv: 200, session: DEMO.finance_ops.email });

  await signOut(page);
  expect(await replay(baseURL!, copied)).toEqual({ trpc: 401, csv: 401, session: null });

  // and in another browser holding nothing but the copy: sent to sign-in
  const other = await browser.newContext();
  await other.addCookies([copied]);
  const thief = await other.newPage();
  await thief.goto("/exceptions");
  await expect(thief).toHaveURL(/\/signin/);
  await other.close();

  const [after] = await e2eDb()<{ session_epoch: number }[]>`select session_epoch from users where id = ${before!.id}`;
  expect(after!.session_epoch).toBe(before!.session_epoch + 1);
  const [out] = await e2eDb()<{ n: number }[]>`
    select count(*)::int as n from audit_log where entity_id = ${before!.id} and action = 'auth.sign_out' and at >= ${since}`;
  expect(out!.n).toBe(1);
});

test("an admin limited to one legal entity administers only that entity", async ({ page, browser }) => {
  const email = `ulla.${Date.now()}@hourbridge.test`;
  const escalation = `escalation.${Date.now()}@hourbridge.test`;

  await signInAs(page, "admin");
  await page.goto("/users");
  await page.getByRole("button", { name: "New user" }).click();
  const dialog = page.getByRole("dialog", { name: "New user" });
  await dialog.getByLabel("Name").fill("Ulla Berg");
  await dialog.getByLabel("E-mail").fill(email);
  await dialog.getByLabel("Password").fill("ulla-password-2026");
  await dialog.getByLabel("Admin").check();
  await dialog.getByLabel("Legal entities").fill("US01");
  await dialog.getByRole("button", { name: "Create user" }).click();
  await expect(page.getByTestId(`user-row-${email}`)).toContainText("Entities: US01");

  const ctx = await browser.newContext();
  const ulla = await ctx.newPage();
  await signIn(ulla, email, "ulla-password-2026");
  await expect(ulla.getByRole("navigation", { name: "Main" })).toBeVisible();
  await ulla.goto("/users");
  await expect(ulla.getByTestId(`user-row-${email}`)).toBeVisible();
  // the firm-wide admin is outside her scope: not listed
  await expect(ulla.getByTestId(`user-row-${DEMO.admin.email}`)).toHaveCount(0);

  await ulla.getByRole("button", { name: "New user" }).click();
  const create = ulla.getByRole("dialog", { name: "New user" });
  await create.getByLabel("Name").fill("Escalation Attempt");
  await create.getByLabel("E-mail").fill(escalation);
  await create.getByLabel("Password").fill("escalation-password-2026");
  await create.getByLabel("Admin").check();
  await create.getByRole("button", { name: "Create user" }).click();
  await expect(create.getByRole("alert")).toContainText("You administer legal entity US01 only");
  expect(await e2eDb()`select id from users where email = ${escalation}`).toHaveLength(0);

  // the audit log she reads holds nothing about the firm-wide admin
  const [admin] = await e2eDb()<{ id: string }[]>`select id from users where email = ${DEMO.admin.email}`;
  const input = encodeURIComponent(JSON.stringify({ json: { entityType: "user", entityId: admin!.id } }));
  const res = await ulla.request.get(`/api/trpc/audit.list?input=${input}`);
  expect(res.status()).toBe(200);
  const body = (await res.json()) as { result: { data: { json: { items: unknown[] } } } };
  expect(body.result.data.json.items).toEqual([]);
  await ctx.close();
});
