/**
 * The checker must fail on a broken ledger, or its zero means nothing. A firm is synced once
 * without faults (the checker finds nothing to say), then the source, the ERP and Hourbridge
 * are damaged behind the pipeline's back, one entry per kind of violation, and the checker must
 * name exactly those entries — and accept the one difference an open exception explains.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { check, type CheckReport, type ViolationKind } from "./checker";
import { firmFor } from "./scenario";
import { World } from "./world";

let world: World;
let before: CheckReport;

/** Approved entries that are live in the ERP exactly as the checker expects, in id order. */
async function postedEntries(n: number): Promise<{ sourceId: string; timeBill: string }[]> {
  const rows = await world.sims.sql`
    select (regexp_match(b.memo, '^Harvest (\\d+) v'))[1] as source_id, b.id
    from sim_netsuite.timebill b join sim_harvest.time_entries t on t.id = (regexp_match(b.memo, '^Harvest (\\d+) v'))[1]::bigint
    where t.is_closed order by t.id limit ${n}`;
  return rows.map((r) => ({ sourceId: r.source_id as string, timeBill: r.id as string }));
}

beforeAll(async () => {
  world = new World(firmFor(9));
  await world.build();
  await world.baseline();
  before = await check({ sim: world.sims.sql, app: world.app.sql });
}, 180_000);

afterAll(async () => {
  await world?.dispose();
});

describe("the independent checker", () => {
  it("finds nothing to say about a firm synced without faults", () => {
    expect(before.violations).toEqual([]);
    expect(before.ok).toBeGreaterThan(500);
    expect(before.liveRecords).toBeGreaterThan(500);
  });

  it("names every kind of violation planted behind the pipeline's back, and accepts what an open exception explains", async () => {
    const picked = await postedEntries(7);
    const [dup, lost, withdrawn, edited, explained, deleted, storeOnly] = picked;
    const sim = world.sims.sql;
    const stamp = new Date().toISOString();

    // a second record for one entry (the same memo): a duplicate, and a moment with two live
    await sim`
      insert into sim_netsuite.timebill (id, employee, customer, item, subsidiary, hours, rate, isbillable, trandate, memo, approvalstatus)
      select id || '-copy', employee, customer, item, subsidiary, hours, rate, isbillable, trandate, memo, approvalstatus from sim_netsuite.timebill where id = ${dup!.timeBill}`;
    // a record gone from the ERP although the entry is approved: a loss
    await sim`delete from sim_netsuite.timebill where id = ${lost!.timeBill}`;
    // approval withdrawn in the source, the record left live: unwanted
    await sim`update sim_harvest.time_entries set is_closed = false, body = body || '{"is_closed": false}'::jsonb where id = ${Number(withdrawn!.sourceId)}`;
    // hours changed in the source, the old record left live: stale
    await sim`update sim_harvest.time_entries set body = body || jsonb_build_object('hours', (body->>'hours')::numeric + 1) where id = ${Number(edited!.sourceId)}`;
    // the same change, but the reversal was refused and an open exception says so: explained
    await sim`update sim_harvest.time_entries set body = body || jsonb_build_object('hours', (body->>'hours')::numeric + 1) where id = ${Number(explained!.sourceId)}`;
    await world.app.sql`
      insert into exceptions (code, owner, severity, subject_type, subject_key, subject_label, message, suggested_fix)
      values ('ERP_REJECTED', 'finance', 'high', 'entry', ${`entry:harvest:${explained!.sourceId}`}, 'planted', 'The ERP refused the reversal (planted by the checker test).', 'none')`;
    // deleted in the source, the record left live: unwanted
    await sim`
      with gone as (delete from sim_harvest.time_entries where id = ${Number(deleted!.sourceId)} returning id, body)
      insert into sim_harvest.time_entry_tombstones (id, deleted_at, body) select id, ${stamp}, body from gone`;
    // a record nobody can trace to an entry
    await sim`
      insert into sim_netsuite.timebill (id, employee, customer, item, subsidiary, hours, rate, isbillable, trandate, memo, approvalstatus)
      select 'TB-MANUAL', employee, customer, item, subsidiary, 3, rate, isbillable, trandate, 'Manual adjustment booked in the ERP', approvalstatus from sim_netsuite.timebill where id = ${storeOnly!.timeBill}`;
    // Hourbridge calls an entry posted under an ERP id the ERP does not hold
    await world.app.sql`update time_entries set erp_id = 'TB-NOWHERE' where source_system = 'harvest' and source_id = ${storeOnly!.sourceId}`;

    const report = await check({ sim, app: world.app.sql });
    const found = report.violations.map((v) => `${v.kind} ${v.sourceId}`).sort();
    const expected: [ViolationKind, string][] = [
      ["duplicate", dup!.sourceId],
      ["momentary_duplicate", dup!.sourceId],
      ["loss", lost!.sourceId],
      ["unwanted", withdrawn!.sourceId],
      ["stale", edited!.sourceId],
      ["unwanted", deleted!.sourceId],
      ["untraceable", "?"],
      ["store", storeOnly!.sourceId],
    ];
    expect(found).toEqual(expected.map(([k, id]) => `${k} ${id}`).sort());
    expect(report.explainedBy.ERP_REJECTED).toBe(1);
    // six entries no longer as the source asks (the store-only one still is, as far as the ERP goes)
    expect(report.ok).toBe(before.ok - 6);
  });
});
