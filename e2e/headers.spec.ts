import { expect, test, type Page } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { signInAs } from "./fixtures/auth";

const CROSS_SITE = "This request came from another site, so it was refused: changes in Hourbridge can only be made from Hourbridge's own pages. Open Hourbridge and try again there.";

/** What the browser refused under the policy while the page lives: violation events, and its own console messages about them. */
function watchViolations(page: Page) {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|CSP violation|Refused to (execute|load|apply|evaluate|connect|frame)/i.test(m.text())) violations.push(m.text());
  });
  return violations;
}

const directives = (csp: string) => new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

test("every main page runs under a nonce-based Content Security Policy, without a violation", async ({ page }) => {
  const violations = watchViolations(page);
  // the browser reports each blocked script, style or eval as a violation event
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`));
  });

  const signIn = await page.goto("/signin");
  const signInCsp = signIn!.headers()["content-security-policy"]!;
  expect(directives(signInCsp).get("script-src")).toEqual(expect.arrayContaining(["'self'", "'strict-dynamic'"]));
  await signInAs(page, "admin");

  const nonces = new Set<string>();
  for (const path of ["/kpis", "/exceptions", "/mappings", "/reconciliation", "/imports", "/sync", "/sync/runs", "/audit", "/users"]) {
    const res = await page.goto(path);
    expect(res!.status(), path).toBe(200);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    await page.waitForLoadState("load");
    const h = res!.headers();
    const csp = h["content-security-policy"]!;
    const script = directives(csp).get("script-src")!;
    expect(script, path).not.toContain("'unsafe-inline'");
    expect(script, path).not.toContain("'unsafe-eval'");
    const nonce = script.find((v) => v.startsWith("'nonce-"))!.slice(7, -1);
    nonces.add(nonce);
    expect(directives(csp).get("frame-ancestors")).toEqual(["'none'"]);
    expect(h["x-content-type-options"]).toBe("nosniff");
    expect(h["referrer-policy"]).toBe("same-origin");
    expect(h["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    // every script the page was served with carries this response's nonce (what those load is trusted through 'strict-dynamic')
    const tags = (await res!.text()).match(/<script\b[^>]*>/g) ?? [];
    expect(tags.length, path).toBeGreaterThan(0);
    expect(tags.filter((tag) => !tag.includes(`nonce="${nonce}"`)), path).toEqual([]);
  }
  expect(nonces.size).toBe(9);

  // the console works: a dialog opens and a mutation goes through
  await page.goto("/users");
  await page.getByRole("button", { name: /New user|Add user|Invite/ }).first().click();
  await expect(page.getByRole("dialog")).toBeVisible();
  await page.keyboard.press("Escape");

  expect(violations).toEqual([]);
});

test("API answers carry the static headers and a policy that lets nothing run", async ({ request }) => {
  const res = await request.get("/api/health");
  const h = res.headers();
  expect(h["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  expect(h["x-content-type-options"]).toBe("nosniff");
  expect(h["x-frame-options"]).toBe("DENY");
});

test("another site's requests that would change something are refused with 403 and a sentence", async ({ page }) => {
  await signInAs(page, "admin");
  const db = e2eDb();
  const email = `csrf-${Date.now().toString(36)}@hourbridge.test`;
  const crossSite = { "Sec-Fetch-Site": "cross-site", Origin: "https://attacker.example", "Sec-Fetch-Mode": "no-cors" };

  // a tRPC mutation with the admin's cookie
  const trpc = await page.request.post("/api/trpc/users.create", {
    headers: { ...crossSite, "Content-Type": "text/plain" },
    data: JSON.stringify({ json: { email, name: "Forged", roles: ["admin"] } }),
  });
  expect(trpc.status()).toBe(403);
  expect((await trpc.json()).error).toBe(CROSS_SITE);
  expect(await db`select 1 from users where email = ${email}`).toHaveLength(0);

  // a form on another site posting a CSV as text/plain
  const tag = Date.now().toString(36);
  const upload = await page.request.post(`/api/imports/time?dryRun=0&fileName=forged-${tag}.csv`, {
    headers: { ...crossSite, "Content-Type": "text/plain" },
    data: `entry_id,person,project,task,work_date,hours,billable\nF-${tag},u,p,t,2026-05-01,1,yes\n`,
  });
  expect(upload.status()).toBe(403);
  expect((await upload.json()).error).toBe(CROSS_SITE);
  expect(await db`select 1 from sync_runs where details->>'fileName' = ${`forged-${tag}.csv`}`).toHaveLength(0);

  // the same mutation from Hourbridge's own page passes the check (and is then judged on its input)
  const own = await page.evaluate(async () => {
    const res = await fetch("/api/trpc/users.create", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ json: { email: "x", name: "x", roles: [] } }) });
    return res.status;
  });
  expect(own).toBe(400);
});

test("an upload over the size limit is refused at once from its length", async ({ page }) => {
  await signInAs(page, "finance_ops");
  const started = Date.now();
  const res = await page.request.post("/api/imports/time?dryRun=1&fileName=huge.csv", {
    headers: { "Content-Type": "text/csv" },
    data: Buffer.alloc(60 * 1024 * 1024, "a,b,c,d,e,f,g\n"),
  });
  expect(res.status()).toBe(413);
  expect((await res.json()).error).toBe("The file is larger than the 50 MB limit; split it into smaller files and import each.");
  expect(Date.now() - started).toBeLessThan(20_000);
});
