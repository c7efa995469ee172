import { expect, test, type Page } from "@playwright/test";
import { e2eDb } from "./fixtures/db";
import { signInAs } from "./fixtures/auth";

// the ERP simulator the e2e server starts beside the app (scripts/run.ts, mode e2e)
const NETSUITE_SIM = "http://127.0.0.1:4202";
const GROUP_LABEL = "Attempts exhausted: No answer in time";

type Victim = { postingId: string; entryId: string; sourceId: string; key: string; erpId: string };

async function clearErpFaults() {
  const token = process.env.SIM_ADMIN_TOKEN;
  const res = await fetch(`${NETSUITE_SIM}/__sim/faults`, {
    method: "PUT",
    headers: { "Content-Type": "application/json", ...(token && { Authorization: `Bearer ${token}` }) },
    body: "{}",
  });
  expect(res.status, "clearing the ERP simulator's faults").toBe(200);
}

/**
 * Dead-letters `n` postings the way the riskiest real case leaves them: the ERP booked each
 * time bill, but its answers never arrived (timeouts) and the sender ran out of attempts. So
 * Hourbridge holds the posting as dead and the entry as approved-not-posted, while the ERP
 * already has the record under the posting's idempotency key. A replay that simply re-sent
 * would risk a second booking; the right one asks the ERP by key first. The setup writes
 * what the sender itself would have written (the posting, its last attempt, the entry) and
 * leaves the ERP simulator untouched, so what it holds afterwards is its own doing.
 */
async function deadLetter(n: number): Promise<Victim[]> {
  const db = e2eDb();
  const [erp] = await db<{ id: string }[]>`select id from connectors where role = 'erp' order by name limit 1`;
  const rows = await db<Victim[]>`
    select p.id as "postingId", te.id as "entryId", te.source_id as "sourceId", p.idempotency_key as key, p.erp_id as "erpId"
    from erp_postings p
    join time_entries te on te.id = p.time_entry_id
    where p.status = 'accepted' and p.kind = 'create' and te.state = 'posted' and te.version = p.entry_version
      and p.erp_id is not null
      and not exists (select 1 from erp_postings o where o.time_entry_id = te.id and o.id <> p.id)
    order by p.accepted_at desc, p.id
    limit ${n}`;
  expect(rows, `${n} posted entries to dead-letter`).toHaveLength(n);
  const ids = rows.map((r) => r.postingId);
  await db.begin(async (tx) => {
    await tx`
      update erp_postings set status = 'dead', attempts = 8, accepted_at = null,
        last_error = 'The ERP did not answer within 30 s (timeout)', updated_at = now()
      where id in ${tx(ids)}`;
    await tx`
      insert into erp_posting_attempts (posting_id, connector_id, attempt, started_at, duration_ms, outcome, http_status, error_class, error, correlation_id)
      select p.id, ${erp!.id}, coalesce((select max(x.attempt) from erp_posting_attempts x where x.posting_id = p.id), 0) + 1,
             now(), 30000, 'transient', null, 'timeout', 'The ERP did not answer within 30 s (timeout)', 'e2e-dead-letter-setup'
      from erp_postings p where p.id in ${tx(ids)}`;
    await tx`
      update time_entries set state = 'approved', posted_at = null, erp_id = null, posted_version = null, updated_at = now()
      where id in ${tx(rows.map((r) => r.entryId))}`;
  });
  return rows;
}

/** Each replayed posting ends accepted once, its entry posted under the same ERP record, and the ERP holds each key once. */
async function expectPostedExactlyOnce(victims: Victim[]) {
  const db = e2eDb();
  await expect
    .poll(
      async () => {
        const rows = await db<{ status: string }[]>`select status from erp_postings where id in ${db(victims.map((v) => v.postingId))}`;
        return rows.map((r) => r.status);
      },
      { timeout: 60_000, message: "the replayed postings are accepted by the ERP" },
    )
    .toEqual(victims.map(() => "accepted"));

  for (const v of victims) {
    const postings = await db<{ status: string; erp_id: string | null }[]>`
      select status, erp_id from erp_postings where time_entry_id = ${v.entryId} and kind = 'create'`;
    expect(postings, `entry ${v.sourceId} has exactly one create posting, accepted, with the ERP's original record`).toEqual([{ status: "accepted", erp_id: v.erpId }]);
    const [entry] = await db<{ state: string; erp_id: string | null }[]>`select state, erp_id from time_entries where id = ${v.entryId}`;
    expect(entry).toEqual({ state: "posted", erp_id: v.erpId });
    // the replay asked the ERP by key and found the record: nothing was sent a second time
    const [last] = await db<{ outcome: string }[]>`
      select outcome from erp_posting_attempts where posting_id = ${v.postingId} order by started_at desc limit 1`;
    expect(last!.outcome).toBe("found");
  }
  const inErp = await db<{ key: string; n: number }[]>`
    select idempotencykey as key, count(*)::int as n from sim_netsuite.timebill
    where idempotencykey in ${db(victims.map((v) => v.key))} group by idempotencykey`;
  expect(inErp.sort((a, b) => a.key.localeCompare(b.key))).toEqual(
    victims.map((v) => ({ key: v.key, n: 1 })).sort((a, b) => a.key.localeCompare(b.key)),
  );
}

async function openGroup(page: Page) {
  await page.goto("/sync/dead-letters");
  await expect(page.getByRole("heading", { level: 1, name: "Dead letters and replay" })).toBeVisible();
  const group = page.getByTestId("dead-letter-group").filter({ hasText: GROUP_LABEL });
  await group.getByRole("button", { expanded: false }).click();
  return group;
}

test.beforeAll(async () => {
  await clearErpFaults();
});

test("an admin replays a dead-lettered selection from its group: each posting reaches the ERP exactly once", async ({ page }) => {
  const victims = await deadLetter(3);
  await signInAs(page, "admin");
  const group = await openGroup(page);
  for (const v of victims) await group.getByRole("checkbox", { name: `Select ${v.sourceId}` }).check();
  await expect(group).toContainText("3 of");
  await group.getByRole("button", { name: "Replay…", exact: true }).click();

  const dialog = page.getByRole("dialog", { name: "Replay 3 postings?" });
  await expect(dialog.getByTestId("replay-preview")).toContainText("3 will be sent");
  await expect(dialog.getByTestId("replay-preview")).toContainText("0 skipped");
  for (const v of victims) await expect(dialog.getByRole("row").filter({ hasText: v.key.slice(0, 20) })).toContainText("Look up, then send");
  await dialog.getByRole("button", { name: "Replay 3 postings" }).click();
  await expect(dialog.getByTestId("replay-result")).toHaveText("3 requeued, none skipped.");
  await dialog.getByRole("button", { name: "Done" }).click();

  // (the ERP's total is no measure here: the server is still posting the demo's own backlog)
  await expectPostedExactlyOnce(victims);

  // once accepted, they leave the dead letters
  await page.getByRole("button", { name: "Refresh" }).click();
  for (const v of victims) await expect(page.getByRole("checkbox", { name: `Select ${v.sourceId}` })).toHaveCount(0);
});

test("finance ops sees the dead letters and replays one posting", async ({ page }) => {
  const [victim] = await deadLetter(1);
  await signInAs(page, "finance_ops");
  const group = await openGroup(page);
  await group.getByRole("button", { name: `Replay ${victim!.sourceId}…` }).click();
  const dialog = page.getByRole("dialog", { name: "Replay 1 posting?" });
  await expect(dialog.getByTestId("replay-preview")).toContainText("1 will be sent");
  await dialog.getByRole("button", { name: "Replay 1 posting" }).click();
  await expect(dialog.getByTestId("replay-result")).toHaveText("1 requeued, none skipped.");
  await expectPostedExactlyOnce([victim!]);
});

test("an executive cannot open the dead letters", async ({ page }) => {
  await signInAs(page, "executive");
  await page.goto("/sync/dead-letters");
  await expect(page.getByRole("heading", { name: "You do not have access to Sync" })).toBeVisible();
  await expect(page.getByRole("heading", { name: "Dead letters and replay" })).toHaveCount(0);
});

test("an admin opens a run from the run list and reads its timeline and log lines", async ({ page }) => {
  await signInAs(page, "admin");
  await page.goto("/sync/runs");
  await expect(page.getByRole("heading", { level: 1, name: "Sync runs" })).toBeVisible();
  await expect(page.getByRole("figure", { name: /Postings per/ })).toBeVisible();
  // the e2e server has posted the demo's approved entries since it started: there are posting runs
  await page.getByLabel("Kind").selectOption("posting");
  await expect(page).toHaveURL(/kind=posting/);
  const first = page.getByTestId("run-row").first();
  await expect(first).toContainText("Posting");
  await first.getByRole("link").click();
  await expect(page).toHaveURL(/\/sync\/runs\/[0-9a-f-]{36}/);
  await expect(page.getByRole("heading", { level: 1, name: /Posting run/ })).toBeVisible();
  await expect(page.getByRole("list", { name: "Timeline" }).getByRole("listitem").first()).toContainText("Started");
  await expect(page.getByRole("heading", { name: "Log lines" })).toBeVisible();
  await expect(page.getByTestId("log-line").first().or(page.getByText("This run wrote no log lines."))).toBeVisible();
  await page.getByRole("link", { name: "All runs" }).click();
  await expect(page).toHaveURL(/\/sync\/runs$/);

  await page.goto("/sync/runs/6f1d8c2e-0000-4000-8000-000000000000");
  await expect(page.getByText("No sync run has this id")).toBeVisible();
  await expect(page.getByRole("link", { name: "Back to all sync runs" })).toBeVisible();
});
