/**
 * The independent checker: does the ERP hold, for every source entry, exactly what the source
 * says it should — and is everything else explained by an open exception?
 *
 * It trusts as little of Hourbridge as it can. It imports none of the product's code and
 * decides from four things read with plain SQL:
 *   - the source's current state (sim_harvest.time_entries; deleted entries are in
 *     sim_harvest.time_entry_tombstones) — the truth about what was approved;
 *   - the ERP's ledger (sim_netsuite.timebill — what is live there) and the history of that
 *     ledger kept by a trigger (faults_watch.ledger — every record created, deleted, invoiced);
 *     a time bill is tied to its source entry by its memo, "Harvest <id> v<version>", which
 *     the connector writes on every time bill it creates;
 *   - the firm's reference data in Hourbridge (mappings, ERP ids of projects, people, service
 *     items and subsidiaries, bill rates), from which it works out on its own what the time bill
 *     of the source's current entry must look like;
 *   - Hourbridge's open exceptions and the entries they are linked to, which are the only
 *     thing that may explain a difference.
 *
 * Per source entry:
 *   - approved in the source now, and its ERP record can be worked out → the ERP must hold
 *     exactly one live record, equal to it (hours, job, service item, employee, subsidiary,
 *     date, billable, rate);
 *   - not approved, deleted, or no record can be worked out (unmapped…) → the ERP must hold none;
 *   - anything else must be explained by an OPEN exception linked to the entry
 *     (exception_entries.time_entry_id or subject `entry:harvest:<id>`): a missing record by
 *     any open exception, a record that should be gone or is out of date only by an exception
 *     about the ERP side (CHANGED_AFTER_INVOICE, ERP_REJECTED, POSTING_DEAD);
 *   - two live records for one entry — now, or at any moment in the ledger's history — are a
 *     violation whatever explains them.
 * And Hourbridge's own record of the entry must not contradict the source: an entry whose
 * approval was withdrawn or that was deleted does not stay approved or posted, and an entry
 * Hourbridge calls posted has its record live in the ERP (again unless an open exception
 * about the ERP side explains it).
 */
import { createHash } from "node:crypto";
import Big from "big.js";
import type postgres from "postgres";

type Sql = postgres.Sql;

/** Exceptions that may explain an ERP record that should be gone or is out of date. */
export const ERP_SIDE_CODES = ["CHANGED_AFTER_INVOICE", "ERP_REJECTED", "POSTING_DEAD"];

export type ViolationKind =
  /** two or more live records for one entry after settling */
  | "duplicate"
  /** two live records for one entry at some moment (from the ledger's history) */
  | "momentary_duplicate"
  /** approved, a record can be worked out, none is live, and no open exception says why */
  | "loss"
  /** approved, one record live but not equal to the current entry, unexplained */
  | "stale"
  /** a record live for an entry that is withdrawn, deleted or cannot be posted, unexplained */
  | "unwanted"
  /** a live record of ours whose memo names no source entry */
  | "untraceable"
  /** Hourbridge's record of the entry contradicts the source or the ERP */
  | "store";

export type LiveRecord = {
  id: string;
  memo: string | null;
  key: string | null;
  version: number | null;
  hours: string;
  job: string;
  item: string;
  employee: string;
  subsidiary: string;
  rate: string | null;
  isBillable: boolean;
  date: string;
  invoice: string | null;
};

export type Expected = {
  job: string;
  item: string;
  employee: string;
  subsidiary: string;
  hours: string;
  rate: string | null;
  isBillable: boolean;
  date: string;
};

export type SourceView = {
  state: "approved" | "submitted" | "deleted";
  hours: string;
  project: string;
  task: string;
  user: string;
  date: string;
  billable: boolean;
};

export type Violation = {
  kind: ViolationKind;
  sourceId: string;
  what: string;
  source: SourceView | null;
  expected: Expected | string | null;
  erp: LiveRecord[];
  hourbridge: { state: string; version: number; postedVersion: number | null; erpId: string | null } | null;
  openExceptions: string[];
  /** what the people did to the entry in the source, when the scenario says */
  history?: string[];
  /** Hourbridge's postings and lineage of the entry: shown to help fix it, never used to judge */
  postings?: string[];
  lineage?: string[];
  /** every exception ever about the entry, open or not (code:status) */
  everRaised?: string[];
};

export type CheckReport = {
  entries: number;
  approvedInSource: number;
  withdrawnOrSubmitted: number;
  deletedInSource: number;
  liveRecords: number;
  /** entries in the state the source asks for */
  ok: number;
  /** entries whose difference is explained by an open exception, by code */
  explained: number;
  explainedBy: Record<string, number>;
  ledger: { created: number; reversed: number; invoiced: number; corrections: number };
  violations: Violation[];
  counts: Record<ViolationKind, number>;
  /** facts worth knowing that are no violation */
  notes: string[];
};

const MEMO = /^Harvest (\d+) v(\d+)$/;

/** The key the connector sends for the create of one entry version, as the design defines it. */
export function createKeyOf(sourceId: string, version: number): string {
  return `hb-create-${createHash("sha256").update(`harvest|${sourceId}|v${version}|create`).digest("hex").slice(0, 32)}`;
}

const eqDec = (a: string | null, b: string | null) => (a === null || b === null ? a === b : new Big(a).eq(new Big(b)));
const hours2 = (v: unknown) => new Big(String(v)).round(2, Big.roundHalfUp).toFixed(2);

type Dated = { validFrom: string | null; validTo: string | null };
const within = (day: string, r: Dated) => (!r.validFrom || r.validFrom <= day) && (!r.validTo || day <= r.validTo);
/** the row in effect on `day`; the latest start wins */
const inEffect = <T extends Dated>(rows: T[] | undefined, day: string): T | null =>
  (rows ?? []).filter((r) => within(day, r)).sort((a, b) => ((a.validFrom ?? "") < (b.validFrom ?? "") ? 1 : -1))[0] ?? null;

/** Everything the checker reads, read once. */
async function read(sim: Sql, app: Sql) {
  const alive = await sim`select id::text, is_closed, body from sim_harvest.time_entries`;
  const tombs = await sim`select id::text, body->>'spent_date' as date from sim_harvest.time_entry_tombstones`;
  const bills = await sim`
    select id, memo, idempotencykey as key, hours::text, customer as job, item, employee, subsidiary, rate::text, isbillable, trandate::text as date, invoice
    from sim_netsuite.timebill order by id`;
  const ledger = await sim`select seq::int, op, id, memo from faults_watch.ledger order by seq`;

  const mappings = await app`
    select kind, external_id, target_id::text, valid_from::text, valid_to::text
    from id_mappings where active and source_system = 'harvest' and kind in ('project', 'task', 'user')`;
  const projects = await app`select p.id::text, p.erp_id, p.currency, e.erp_subsidiary_id from projects p join legal_entities e on e.id = p.legal_entity_id`;
  const categories = await app`select id::text, erp_item_id, billable from labor_categories`;
  const employees = await app`select id::text, erp_id from employees`;
  const rates = await app`select project_id::text, labor_category_id::text, rate::text, currency, valid_from::text, valid_to::text from bill_rates`;
  const entries = await app`select id::text, source_id, state, version, posted_version, erp_id from time_entries where source_system = 'harvest'`;
  const open = await app`
    select x.code, x.subject_key, t.source_id
    from exceptions x
    left join exception_entries l on l.exception_id = x.id and l.time_entry_id is not null
    left join time_entries t on t.id = l.time_entry_id and t.source_system = 'harvest'
    where x.status = 'open'`;
  const [window] = await app`select min(starts_on)::text as from from accounting_periods where status = 'open' and starts_on <= current_date`;
  return { alive, tombs, bills, ledger, mappings, projects, categories, employees, rates, entries, open, openFrom: (window?.from as string | null) ?? null };
}

export async function check({ sim, app, history }: { sim: Sql; app: Sql; history?: Map<number, string[]> }): Promise<CheckReport> {
  const d = await read(sim, app);

  // ---- the reference data, as lookups -------------------------------------------------------
  type Mapped = Dated & { targetId: string };
  const mapping = new Map<string, Mapped[]>();
  for (const m of d.mappings) {
    const k = `${m.kind}|${m.external_id}`;
    const list = mapping.get(k) ?? [];
    list.push({ targetId: m.target_id as string, validFrom: m.valid_from as string | null, validTo: m.valid_to as string | null });
    mapping.set(k, list);
  }
  const target = (kind: string, ext: string, day: string) => inEffect(mapping.get(`${kind}|${ext}`), day)?.targetId ?? null;
  const projects = new Map(d.projects.map((p) => [p.id as string, { erpId: p.erp_id as string, currency: (p.currency as string).trim(), subsidiary: p.erp_subsidiary_id as string }]));
  const categories = new Map(d.categories.map((c) => [c.id as string, { erpItemId: c.erp_item_id as string, billable: c.billable as boolean }]));
  const employees = new Map(d.employees.map((e) => [e.id as string, e.erp_id as string]));
  const rates = new Map<string, (Dated & { rate: string; currency: string })[]>();
  for (const r of d.rates) {
    const k = `${r.labor_category_id}|${r.project_id ?? "*"}`;
    const list = rates.get(k) ?? [];
    list.push({ rate: r.rate as string, currency: (r.currency as string).trim(), validFrom: r.valid_from as string, validTo: r.valid_to as string | null });
    rates.set(k, list);
  }
  const billRate = (projectId: string, categoryId: string, day: string, currency: string) => {
    const of = (k: string) => inEffect((rates.get(k) ?? []).filter((r) => r.currency === currency), day);
    return (of(`${categoryId}|${projectId}`) ?? of(`${categoryId}|*`))?.rate ?? null;
  };

  /** The time bill the source's entry must have in the ERP, or why there can be none. */
  const expectedOf = (s: SourceView): Expected | string => {
    const projectId = target("project", s.project, s.date);
    const categoryId = target("task", s.task, s.date);
    const employeeId = target("user", s.user, s.date);
    const project = projectId ? projects.get(projectId) : undefined;
    const category = categoryId ? categories.get(categoryId) : undefined;
    const employee = employeeId ? employees.get(employeeId) : undefined;
    if (!project) return `source project ${s.project} has no ERP job`;
    if (!category) return `source task ${s.task} has no ERP service item`;
    if (!employee) return `source user ${s.user} has no ERP employee`;
    const billable = s.billable && category.billable;
    const rate = billable ? billRate(projectId!, categoryId!, s.date, project.currency) : null;
    if (billable && rate === null) return `no bill rate for the entry's project and task on ${s.date}`;
    return { job: project.erpId, item: category.erpItemId, employee, subsidiary: project.subsidiary, hours: s.hours, rate, isBillable: billable, date: s.date };
  };

  const same = (r: LiveRecord, e: Expected) =>
    r.job === e.job && r.item === e.item && r.employee === e.employee && r.subsidiary === e.subsidiary && r.date === e.date && r.isBillable === e.isBillable && eqDec(r.hours, e.hours) && eqDec(r.rate, e.rate);

  // ---- the source ---------------------------------------------------------------------------
  const source = new Map<string, SourceView>();
  for (const t of d.tombs) source.set(t.id as string, { state: "deleted", hours: "0", project: "", task: "", user: "", date: t.date as string, billable: false });
  for (const row of d.alive) {
    const b = row.body as { hours: unknown; project: { id: unknown }; task: { id: unknown }; user: { id: unknown }; spent_date: string; billable: boolean };
    source.set(row.id as string, {
      state: row.is_closed ? "approved" : "submitted",
      hours: hours2(b.hours),
      project: String(b.project.id),
      task: String(b.task.id),
      user: String(b.user.id),
      date: b.spent_date,
      billable: b.billable === true,
    });
  }

  // ---- the ERP ------------------------------------------------------------------------------
  const notes: string[] = [];
  const live = new Map<string, LiveRecord[]>();
  const untraceable: LiveRecord[] = [];
  let keyMismatches = 0;
  for (const b of d.bills) {
    const m = MEMO.exec((b.memo as string | null) ?? "");
    const rec: LiveRecord = {
      id: b.id as string,
      memo: b.memo as string | null,
      key: b.key as string | null,
      version: m ? Number(m[2]) : null,
      hours: b.hours as string,
      job: b.job as string,
      item: b.item as string,
      employee: b.employee as string,
      subsidiary: b.subsidiary as string,
      rate: b.rate as string | null,
      isBillable: b.isbillable as boolean,
      date: b.date as string,
      invoice: b.invoice as string | null,
    };
    if (!m) {
      untraceable.push(rec);
      continue;
    }
    if (rec.key !== createKeyOf(m[1]!, Number(m[2]))) keyMismatches += 1;
    const list = live.get(m[1]!) ?? [];
    list.push(rec);
    live.set(m[1]!, list);
  }
  if (keyMismatches) notes.push(`${keyMismatches} live record(s) carry an idempotency key other than the one their memo's version implies`);

  // the ledger's history: any moment at which one entry had two live records
  const momentary = new Map<string, { ids: string[]; seq: number }>();
  const liveNow = new Map<string, Set<string>>();
  const everCreated = new Map<string, number>();
  let created = 0;
  let reversed = 0;
  let invoiced = 0;
  let corrections = 0;
  for (const l of d.ledger) {
    const m = MEMO.exec((l.memo as string | null) ?? "");
    if (l.op === "invoice") {
      invoiced += 1;
      continue;
    }
    if (!m) continue;
    const set = liveNow.get(m[1]!) ?? new Set<string>();
    if (l.op === "insert") {
      created += 1;
      if ((everCreated.get(m[1]!) ?? 0) > 0) corrections += 1;
      everCreated.set(m[1]!, (everCreated.get(m[1]!) ?? 0) + 1);
      set.add(l.id as string);
      if (set.size > 1 && !momentary.has(m[1]!)) momentary.set(m[1]!, { ids: [...set], seq: l.seq as number });
    } else if (l.op === "delete") {
      reversed += 1;
      set.delete(l.id as string);
    }
    liveNow.set(m[1]!, set);
  }
  const replayed = [...liveNow.values()].reduce((a, s) => a + s.size, 0);
  const actual = [...live.values()].reduce((a, l) => a + l.length, 0);
  if (replayed !== actual) notes.push(`the ledger's history replays to ${replayed} live records, the ERP holds ${actual}: the watch missed something`);

  // ---- Hourbridge ---------------------------------------------------------------------------
  const entries = new Map(d.entries.map((e) => [e.source_id as string, { state: e.state as string, version: e.version as number, postedVersion: e.posted_version as number | null, erpId: e.erp_id as string | null }]));
  const openBy = new Map<string, Set<string>>();
  for (const x of d.open) {
    const subject = /^entry:harvest:(.+)$/.exec(x.subject_key as string)?.[1];
    for (const id of [x.source_id as string | null, subject ?? null]) {
      if (!id) continue;
      const s = openBy.get(id) ?? new Set<string>();
      s.add(x.code as string);
      openBy.set(id, s);
    }
  }

  // ---- the verdicts -------------------------------------------------------------------------
  const violations: Violation[] = [];
  const explainedBy: Record<string, number> = {};
  let ok = 0;
  let explained = 0;
  const ids = new Set([...source.keys(), ...live.keys(), ...entries.keys()]);
  const sorted = [...ids].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b));
  for (const id of sorted) {
    const s = source.get(id) ?? null;
    const recs = live.get(id) ?? [];
    const hb = entries.get(id) ?? null;
    const codes = [...(openBy.get(id) ?? [])].sort();
    const erpSide = codes.filter((c) => ERP_SIDE_CODES.includes(c));
    const expected = s && s.state === "approved" ? expectedOf(s) : null;
    const violate = (kind: ViolationKind, what: string) =>
      violations.push({ kind, sourceId: id, what, source: s, expected, erp: recs, hourbridge: hb, openExceptions: codes, history: history?.get(Number(id)) });
    const explain = (by: string[]) => {
      explained += 1;
      for (const c of by) explainedBy[c] = (explainedBy[c] ?? 0) + 1;
    };

    const m = momentary.get(id);
    if (m) violate("momentary_duplicate", `two live records at once (${m.ids.join(", ")}) at ledger step ${m.seq}`);

    let erpOk = true;
    if (recs.length > 1) {
      violate("duplicate", `${recs.length} live records for one entry`);
      erpOk = false;
    } else if (expected && typeof expected === "object") {
      if (recs.length === 1 && same(recs[0]!, expected)) ok += 1;
      else if (recs.length === 1) {
        if (erpSide.length) explain(erpSide);
        else violate("stale", "the live record differs from the entry the source holds now");
        erpOk = false;
      } else if (codes.length) {
        explain(codes);
        erpOk = false;
      } else {
        violate("loss", "approved and postable, nothing live in the ERP, and no open exception");
        erpOk = false;
      }
    } else if (recs.length === 1) {
      const why = !s ? "the source never had this entry" : s.state === "deleted" ? "deleted in the source" : s.state === "submitted" ? "not approved in the source" : `cannot be posted (${expected})`;
      if (erpSide.length) explain(erpSide);
      else violate("unwanted", `a record is live although the entry is ${why}`);
      erpOk = false;
    } else ok += 1;

    // Hourbridge's own record against the source and the ERP
    if (hb && erpOk && recs.length <= 1 && !erpSide.length) {
      // deletions are found by full walks over the open periods only (closed periods do not change)
      const judgeDeletion = s?.state === "deleted" && d.openFrom !== null && s.date >= d.openFrom;
      if (s?.state === "submitted" && (hb.state === "approved" || hb.state === "posted")) violate("store", `Hourbridge still holds the entry as ${hb.state}; the source withdrew its approval`);
      else if (judgeDeletion && (hb.state === "approved" || hb.state === "posted")) violate("store", `Hourbridge still holds the entry as ${hb.state}; the source deleted it`);
      else if ((hb.state === "posted" || hb.state === "billed") && !(recs.length === 1 && recs[0]!.id === hb.erpId)) violate("store", `Hourbridge holds the entry as ${hb.state} with ERP id ${hb.erpId}, which the ERP does not hold live`);
    }
  }
  for (const r of untraceable) {
    violations.push({ kind: "untraceable", sourceId: "?", what: `time bill ${r.id} names no source entry (memo ${JSON.stringify(r.memo)})`, source: null, expected: null, erp: [r], hourbridge: null, openExceptions: [] });
  }

  await annotate(app, violations);

  const counts = { duplicate: 0, momentary_duplicate: 0, loss: 0, stale: 0, unwanted: 0, untraceable: 0, store: 0 } as Record<ViolationKind, number>;
  for (const v of violations) counts[v.kind] += 1;
  const states = [...source.values()];
  return {
    entries: ids.size,
    approvedInSource: states.filter((s) => s.state === "approved").length,
    withdrawnOrSubmitted: states.filter((s) => s.state === "submitted").length,
    deletedInSource: states.filter((s) => s.state === "deleted").length,
    liveRecords: actual + untraceable.length,
    ok,
    explained,
    explainedBy,
    ledger: { created, reversed, invoiced, corrections },
    violations,
    counts,
    notes,
  };
}

/** Adds Hourbridge's own story of each violating entry (its postings and lineage), for the reader. */
async function annotate(app: Sql, violations: Violation[]) {
  const ids = [...new Set(violations.map((v) => v.sourceId).filter((id) => id !== "?"))];
  if (!ids.length) return;
  const postings = await app`
    select t.source_id, p.kind, p.entry_version, p.status, p.attempts, p.erp_id, p.last_error
    from erp_postings p join time_entries t on t.id = p.time_entry_id
    where t.source_system = 'harvest' and t.source_id = any(${ids}) order by p.created_at, p.id`;
  const lineage = await app`
    select t.source_id, e.kind, e.version, e.from_state, e.to_state
    from time_entry_events e join time_entries t on t.id = e.time_entry_id
    where t.source_system = 'harvest' and t.source_id = any(${ids}) order by e.at, e.id`.catch(() => []);
  const raised = await app`
    select distinct t.source_id, x.code, x.status
    from exceptions x
    left join exception_entries l on l.exception_id = x.id
    join time_entries t on t.source_system = 'harvest' and (t.id = l.time_entry_id or x.subject_key = 'entry:harvest:' || t.source_id)
    where t.source_id = any(${ids})`;
  for (const v of violations) {
    v.everRaised = raised.filter((x) => x.source_id === v.sourceId).map((x) => `${x.code}:${x.status}`);
    v.postings = postings
      .filter((p) => p.source_id === v.sourceId)
      .map((p) => `${p.kind} v${p.entry_version} ${p.status}${p.attempts > 1 ? ` (${p.attempts} attempts)` : ""}${p.erp_id ? ` ${p.erp_id}` : ""}${p.last_error ? ` — ${String(p.last_error).slice(0, 120)}` : ""}`);
    v.lineage = lineage.filter((e) => e.source_id === v.sourceId).map((e) => `${e.kind} v${e.version ?? "-"}${e.to_state ? ` →${e.to_state}` : ""}`);
  }
}

/** A violation in a few lines: the entry, what the ERP held, what the source says. */
export function describe(v: Violation): string {
  const rec = (r: LiveRecord) => `${r.id} "${r.memo}" ${r.hours} h job ${r.job} item ${r.item} rate ${r.rate ?? "-"}${r.invoice ? ` invoiced on ${r.invoice}` : ""}`;
  const src = v.source ? (v.source.state === "deleted" ? "deleted" : `${v.source.state}, ${v.source.hours} h, project ${v.source.project}, task ${v.source.task}, ${v.source.date}`) : "unknown";
  const exp = v.expected === null ? "none" : typeof v.expected === "string" ? `none (${v.expected})` : `${v.expected.hours} h job ${v.expected.job} item ${v.expected.item} rate ${v.expected.rate ?? "-"}`;
  return [
    `[${v.kind}] entry ${v.sourceId}: ${v.what}`,
    `  ERP holds: ${v.erp.length ? v.erp.map(rec).join("; ") : "nothing"}`,
    `  source says: ${src}; expected in the ERP: ${exp}`,
    `  Hourbridge: ${v.hourbridge ? `${v.hourbridge.state} v${v.hourbridge.version} (posted v${v.hourbridge.postedVersion ?? "-"}, ERP id ${v.hourbridge.erpId ?? "-"})` : "no entry"}; open exceptions: ${v.openExceptions.join(", ") || "none"}`,
    ...(v.history?.length ? [`  what happened in the source: ${v.history.join(" → ")}`] : []),
    ...(v.postings?.length ? [`  Hourbridge's postings: ${v.postings.join("; ")}`] : []),
    ...(v.lineage?.length ? [`  Hourbridge's lineage: ${v.lineage.join(", ")}`] : []),
    ...(v.postings || v.lineage ? [`  exceptions ever raised about it: ${v.everRaised?.join(", ") || "none"}`] : []),
  ].join("\n");
}
