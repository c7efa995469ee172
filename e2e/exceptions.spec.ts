import AxeBuilder from "@axe-core/playwright";
import { expect, test, type Page } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { DEMO, signIn, signInAs } from "./fixtures/auth";

/** The queue row of an exception, by its subject. */
const row = (page: Page, subject: string) => page.getByRole("table", { name: "Exception queue" }).getByRole("row").filter({ hasText: subject });

test("a finance user filters to a blocked project, follows the fix, retries, and the entries post to the ERP", async ({ page }) => {
  test.setTimeout(360_000);
  const db = e2eDb();
  // the demo's closed period: time worked in a closed month of a legal entity
  const [x] = await db<{ id: string; subject: string; projectId: string; projectLabel: string; subsidiary: string; period: string; entries: number }[]>`
    select e.id, e.subject_label as subject, e.project_id as "projectId", p.code || ' ' || p.name as "projectLabel",
           le.erp_subsidiary_id as subsidiary, e.details->>'period' as period, e.entries_count as entries
    from exceptions e join projects p on p.id = e.project_id join legal_entities le on le.id = e.legal_entity_id
    where e.code = 'PERIOD_CLOSED' and e.status = 'open' order by e.entries_count desc limit 1`;
  expect(x, "the demo plants a closed period").toBeTruthy();
  const entryIds = (await db<{ id: string }[]>`select time_entry_id as id from exception_entries where exception_id = ${x!.id}`).map((r) => r.id);

  await signInAs(page, "finance_ops");
  await expect(page).toHaveURL(/\/exceptions/);
  await expect(page.getByRole("heading", { name: "Exceptions", level: 1 })).toBeVisible();

  // filter to the project
  await page.getByRole("button", { name: /^Project:/ }).click();
  await page.getByRole("checkbox", { name: x!.projectLabel }).check();
  await page.keyboard.press("Escape");
  await expect(page).toHaveURL(new RegExp(`project=${x!.projectId}`));
  await expect(row(page, x!.subject)).toBeVisible();

  // the drawer: the fix says where it is made
  await row(page, x!.subject).getByRole("button", { name: x!.subject }).click();
  const drawer = page.getByRole("dialog", { name: x!.subject });
  await expect(drawer).toBeVisible();
  await expect(drawer.getByRole("region", { name: "Suggested fix" })).toContainText(`reopen ${x!.period}`);
  await expect(drawer.getByRole("table", { name: "Blocked entries" }).locator("tbody tr")).toHaveCount(x!.entries);

  // follow it: the controller reopens the period in the ERP
  await db`update sim_netsuite.accountingperiod set closed = false
           where subsidiary = ${x!.subsidiary} and to_char(startdate, 'YYYY-MM') = ${x!.period}`;

  await drawer.getByRole("button", { name: "Retry now" }).click();
  await expect(drawer.getByRole("status")).toContainText("Master data refreshed from the ERP.");
  await expect(drawer.getByRole("status")).toContainText(`${x!.entries} passed`);
  await expect(drawer.getByRole("status")).toContainText("The exception is resolved.");
  await expect(drawer.getByText("Resolved", { exact: true }).first()).toBeVisible();
  await drawer.getByRole("button", { name: "Close the exception" }).click();
  await expect(row(page, x!.subject)).toHaveCount(0);

  // the worker posts them, after whatever the outbox already held (at start-up, the demo's
  // thousands of postings): each entry once in the ERP, accepted
  await expect
    .poll(
      async () => {
        const [r] = await db<{ n: number }[]>`
          select count(*)::int as n from erp_postings p join sim_netsuite.timebill tb on tb.idempotencykey = p.idempotency_key
          where p.time_entry_id in ${db(entryIds)} and p.kind = 'create' and p.status = 'accepted'`;
        return r!.n;
      },
      { timeout: 240_000, intervals: [1_000, 2_000, 5_000], message: "every entry of the reopened period is accepted by the ERP" },
    )
    .toBe(entryIds.length);
  const states = await db<{ state: string }[]>`select distinct state from time_entries where id in ${db(entryIds)}`;
  expect(states.map((s) => s.state)).toEqual(["posted"]);
});

test("a bulk resolve of 200 exceptions runs as one job with progress, each audited", async ({ page }) => {
  test.setTimeout(120_000);
  const db = e2eDb();
  const [us] = await db<{ id: string }[]>`select id from legal_entities where region = 'NA' order by code limit 1`;
  const tag = `Bulk probe ${Date.now()}`;
  await db`insert into exceptions (code, owner, severity, subject_type, subject_key, subject_label, message, suggested_fix, legal_entity_id, region)
    select 'CHANGED_AFTER_INVOICE', 'finance', 'critical', 'entry', ${tag} || ':' || g, ${tag} || ' #' || g,
           'The source changed an entry after it was invoiced.', 'Credit or adjust the invoice in the ERP.', ${us!.id}, 'NA'
    from generate_series(1, 200) g`;

  await signInAs(page, "finance_ops");
  await page.goto(`/exceptions?q=${encodeURIComponent(tag)}`);
  await expect(page.getByRole("region", { name: "Figures for this filter" })).toContainText("200");
  await page.getByRole("checkbox", { name: "Select every row on this page you can act on" }).check();
  await page.getByRole("button", { name: "Select all 200 matching" }).click();
  const bar = page.getByRole("region", { name: "Bulk actions" });
  await expect(bar).toContainText("200 selected");
  await bar.getByRole("button", { name: "Resolve" }).click();

  const dialog = page.getByRole("dialog", { name: "Resolve 200 exceptions" });
  // a reason is required
  await dialog.getByRole("button", { name: "Resolve 200" }).click();
  await expect(dialog.getByRole("alert")).toHaveText("A reason is required to resolve (at least 3 characters).");
  await dialog.getByLabel("Reason").fill("Credit notes issued for the October invoices");
  await dialog.getByRole("button", { name: "Resolve 200" }).click();

  const progress = page.getByRole("dialog", { name: "Resolve: 200 exceptions" });
  await expect(progress.getByTestId("bulk-summary")).toHaveText("200 done · 0 skipped because someone changed them · 0 refused", { timeout: 60_000 });
  await progress.getByRole("button", { name: "Done" }).click();
  await expect(page.getByRole("table", { name: "Exception queue" })).toContainText("No exception matches these filters.");
  await expect(page.getByRole("region", { name: "Figures for this filter" })).toContainText("Resolved today");

  const [done] = await db<{ n: number }[]>`select count(*)::int as n from exceptions
    where subject_key like ${tag + ":%"} and status = 'resolved' and resolution_note = 'Credit notes issued for the October invoices' and resolved_by = ${DEMO.finance_ops.email}`;
  expect(done!.n).toBe(200);
  const [audited] = await db<{ n: number }[]>`select count(*)::int as n from audit_log a join exceptions e on e.id::text = a.entity_id
    where e.subject_key like ${tag + ":%"} and a.action = 'exception.resolve' and a.actor_label = ${DEMO.finance_ops.email}`;
  expect(audited!.n).toBe(200);
});

test("two people on the same exception: the second is told what changed and sees the latest", async ({ browser }) => {
  const db = e2eDb();
  const [x] = await db<{ id: string; subject: string }[]>`
    select id, subject_label as subject from exceptions where status = 'open' and owner = 'finance' and code = 'DUPLICATE_SUSPECTED' order by subject_label limit 1`;
  const a = await (await browser.newContext()).newPage();
  const b = await (await browser.newContext()).newPage();
  await signInAs(a, "finance_ops");
  await signIn(b, DEMO.admin.email, DEMO.admin.password);
  await expect(b.getByRole("navigation", { name: "Main" })).toBeVisible();
  for (const p of [a, b]) await p.goto(`/exceptions?open=${x!.id}`);
  const drawerA = a.getByRole("dialog", { name: x!.subject });
  const drawerB = b.getByRole("dialog", { name: x!.subject });
  await expect(drawerA.getByRole("button", { name: "Resolve" })).toBeVisible();
  await expect(drawerB.getByRole("button", { name: "Resolve" })).toBeVisible();

  // B resolves first
  await drawerB.getByRole("button", { name: "Resolve" }).click();
  await b.getByRole("dialog", { name: "Resolve this exception" }).getByLabel("Reason").fill("Confirmed with the consultant: two separate workshops");
  await b.getByRole("dialog", { name: "Resolve this exception" }).getByRole("button", { name: "Resolve" }).click();
  await expect(drawerB.getByRole("status")).toContainText("Resolved");

  // A, still looking at the old version, tries to ignore it
  await drawerA.getByRole("button", { name: "Ignore" }).click();
  await a.getByRole("dialog", { name: "Ignore this exception" }).getByLabel("Reason").fill("Looks like a real duplicate to me");
  await a.getByRole("dialog", { name: "Ignore this exception" }).getByRole("button", { name: "Ignore" }).click();
  await expect(drawerA.getByRole("status")).toContainText("This exception changed since you opened it (now resolved");
  await expect(drawerA.getByRole("status")).toContainText(DEMO.admin.email);
  await drawerA.getByRole("button", { name: "Show the latest" }).click();
  await expect(drawerA.getByText("Resolved", { exact: true }).first()).toBeVisible();
  const [after] = await db<{ status: string; resolution_note: string }[]>`select status, resolution_note from exceptions where id = ${x!.id}`;
  expect(after).toEqual({ status: "resolved", resolution_note: "Confirmed with the consultant: two separate workshops" });
});

test("an unknown filter in a link is named, not silently ignored; the queue and its drawer pass axe", async ({ page }) => {
  await signInAs(page, "finance_ops");
  await page.goto("/exceptions?owner=accounting&age=d3_7");
  await expect(page.getByRole("alert").filter({ hasText: "cannot be applied" })).toContainText('owner: "accounting" is not one of pmo, finance, hr, integration');
  await page.getByRole("button", { name: "Clear the filter" }).click();
  await expect(page).toHaveURL(/\/exceptions$/);
  await expect(page.getByRole("table", { name: "Exception queue" }).locator("tbody tr").first()).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  await page.getByRole("table", { name: "Exception queue" }).locator("tbody tr").first().getByRole("button").first().click();
  await expect(page.getByRole("tab", { name: /Blocked entries/ })).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  // the lineage, its life cycle first, passes too
  await page.getByRole("tab", { name: "Lineage" }).click();
  const lineage = page.getByRole("tabpanel", { name: "Lineage" });
  await expect(lineage.getByRole("region", { name: /^Life cycle/ }).or(lineage.getByText("No entry to trace."))).toBeVisible();
  expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
});

test("an executive cannot open the exception queue", async ({ page }) => {
  await signInAs(page, "executive");
  await page.goto("/exceptions");
  await expect(page.getByRole("heading", { name: "You do not have access to Exceptions" })).toBeVisible();
});
