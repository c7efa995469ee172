import { expect, test, type Page } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { signInAs } from "./fixtures/auth";

/**
 * The ERP goes down while approved time arrives: the console shows the ERP connector down and
 * its backlog growing; when the ERP is back, the backlog drains, the connector turns healthy,
 * and every posting is in the ERP exactly once. Real worker, real simulators, real clock
 * (the breaker's cool-down and the scheduler's minute), so this takes a few minutes.
 */
const NETSUITE = "http://127.0.0.1:4202";

async function setErpFaults(body: unknown) {
  const res = await fetch(`${NETSUITE}/__sim/faults`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  expect(res.status, "setting the ERP simulator's faults").toBe(200);
}

/**
 * CSV codes mapped onto a person, project and labor category the demo already posts for, on a
 * day of an open period, so the imported rows pass validation and queue postings.
 */
async function mapCsvCodes(tag: string) {
  const db = e2eDb();
  const [t] = await db<{ work_date: string; project_id: string; project_erp: string; employee_id: string; employee_erp: string; labor_category_id: string; item_erp: string }[]>`
    select t.work_date::text, p.id as project_id, p.erp_id as project_erp, e.id as employee_id, e.erp_id as employee_erp, l.id as labor_category_id, l.erp_item_id as item_erp
    from time_entries t
    join projects p on p.id = t.project_id and p.status = 'active' and p.contract_type = 'time_and_materials'
    join employees e on e.id = t.employee_id
    join labor_categories l on l.id = t.labor_category_id and l.billable
    where t.source_system = 'harvest' and t.state in ('posted', 'billed') and t.billable
      and exists (select 1 from accounting_periods ap where ap.legal_entity_id = t.legal_entity_id and t.work_date between ap.starts_on and ap.ends_on and ap.status = 'open')
    order by t.work_date desc limit 1`;
  expect(t, "a posted entry to model the CSV rows on").toBeTruthy();
  const codes = { user: `e2e-${tag}-person`, project: `e2e-${tag}-project`, task: `e2e-${tag}-task` };
  for (const [kind, externalId, targetId, targetErpId] of [
    ["user", codes.user, t!.employee_id, t!.employee_erp],
    ["project", codes.project, t!.project_id, t!.project_erp],
    ["task", codes.task, t!.labor_category_id, t!.item_erp],
  ] as const) {
    await db`insert into id_mappings (source_system, kind, external_id, target_id, target_erp_id, reason, created_by, updated_by)
             values ('csv', ${kind}, ${externalId}, ${targetId}, ${targetErpId}, 'e2e: outage test', 'e2e', 'e2e')`;
  }
  return { ...codes, day: t!.work_date };
}

async function importRows(page: Page, tag: string, codes: Awaited<ReturnType<typeof mapCsvCodes>>, from: number, count: number) {
  const rows = Array.from({ length: count }, (_, i) => {
    const n = from + i;
    // small, distinct hours: no duplicate look-alikes, and the person's day stays short
    return `E2E-${tag}-${n},${codes.user},${codes.project},${codes.task},${codes.day},${(0.1 + n / 100).toFixed(2)},yes,Outage test ${n}`;
  });
  const csv = ["entry_id,person,project,task,work_date,hours,billable,notes", ...rows].join("\n");
  const res = await page.request.post(`/api/imports/time?dryRun=0&fileName=outage-${tag}.csv`, { data: csv, headers: { "Content-Type": "text/csv" } });
  expect(res.status(), await res.text()).toBe(200);
  const report = (await res.json()) as { run: { postingsCreated: number } };
  expect(report.run.postingsCreated).toBe(count);
}

const ours = (tag: string) =>
  e2eDb()<{ id: string; status: string; key: string }[]>`
    select p.id, p.status::text, p.idempotency_key as key from erp_postings p join time_entries t on t.id = p.time_entry_id
    where t.source_system = 'csv' and t.source_id like ${`E2E-${tag}-%`} and p.kind = 'create'`;

test.afterAll(async () => {
  await setErpFaults({});
});

test("the ERP goes down: the console shows it down and the backlog growing; once back, the backlog drains exactly once and it turns healthy", async ({ page }) => {
  test.setTimeout(330_000);
  const tag = Date.now().toString(36);
  const codes = await mapCsvCodes(tag);
  await signInAs(page, "admin");

  // the ERP answers nothing but 503 for the next ten minutes
  const now = Date.now();
  await setErpFaults({ outage: { from: new Date(now - 1000).toISOString(), to: new Date(now + 10 * 60_000).toISOString() } });
  await importRows(page, tag, codes, 1, 10);

  await page.goto("/sync");
  const erp = page.getByTestId("connector-netsuite");
  // the scheduler sends within a minute; the failures open the circuit breaker
  await expect(erp.getByText("Down", { exact: true })).toBeVisible({ timeout: 120_000 });
  await expect(erp.getByTestId("status-reason")).toContainText("The ERP stopped answering");
  await expect(page.getByTestId("sync-health")).toContainText("is down");
  const waiting = erp.getByText("Waiting to post").locator("xpath=following-sibling::*[1]");
  const waitingNow = async () => Number((await waiting.innerText()).replace(/[^\d]/g, ""));
  const before = await waitingNow();
  expect(before).toBeGreaterThanOrEqual(10);

  // more approved time arrives while the ERP is down: the backlog grows
  await importRows(page, tag, codes, 11, 5);
  await page.getByRole("button", { name: "Refresh" }).click();
  await expect.poll(waitingNow, { timeout: 20_000 }).toBeGreaterThanOrEqual(before + 5);
  expect((await ours(tag)).every((p) => p.status === "pending" || p.status === "sent")).toBe(true);

  // the ERP is back: after the breaker's cool-down a probe gets through, the rest follows
  await setErpFaults({});
  await expect(erp.getByText("Healthy", { exact: true })).toBeVisible({ timeout: 180_000 });
  await expect.poll(async () => (await ours(tag)).filter((p) => p.status === "accepted").length, { timeout: 60_000 }).toBe(15);

  // exactly once in the ERP
  const keys = (await ours(tag)).map((p) => p.key);
  const inErp = await e2eDb()<{ k: string; n: number }[]>`
    select idempotencykey as k, count(*)::int as n from sim_netsuite.timebill where idempotencykey = any(${keys}) group by 1`;
  expect(inErp).toHaveLength(15);
  expect(inErp.every((r) => r.n === 1)).toBe(true);
});
