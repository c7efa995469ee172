/**
 * The metrics exposition against a database of hand-made rows: the text is parsed back and
 * every value, bucket included, is checked against what the test computes from its own rows.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../../test/db";
import { APPROVAL_BUCKETS, LATENCY_BUCKETS, escapeLabel, metricsAccess, metricsText } from "./metrics";

const NOW = new Date("2026-11-18T12:00:00Z");
const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
const S = 1000;
const H = 3600 * S;
const D = 24 * H;

/** a connector key that needs escaping in a label */
const ERP_KEY = 'ns "main"\\prod';

let app: TestDatabase;
let text: string;

type Line = { name: string; labels: Record<string, string>; value: number };

/** The exposition's sample lines, label values unescaped. */
function parse(body: string): Line[] {
  const lines: Line[] = [];
  for (const raw of body.split("\n")) {
    if (raw === "" || raw.startsWith("#")) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(raw);
    if (!m) throw new Error(`not a sample line: ${raw}`);
    const labels: Record<string, string> = {};
    const body = m[2] ?? "";
    let i = 0;
    while (i < body.length) {
      const eq = body.indexOf("=", i);
      const name = body.slice(i, eq);
      if (body[eq + 1] !== '"') throw new Error(`label ${name} not quoted: ${raw}`);
      let j = eq + 2;
      let value = "";
      while (body[j] !== '"') {
        if (body[j] === "\\") {
          const next = body[j + 1];
          value += next === "n" ? "\n" : next;
          j += 2;
        } else {
          value += body[j];
          j += 1;
        }
      }
      labels[name] = value;
      i = body[j + 1] === "," ? j + 2 : j + 1;
    }
    lines.push({ name: m[1]!, labels, value: m[3] === "+Inf" ? Infinity : Number(m[3]) });
  }
  return lines;
}

function value(lines: Line[], name: string, labels: Record<string, string> = {}): number | undefined {
  const hits = lines.filter((l) => l.name === name && Object.keys(labels).length === Object.keys(l.labels).length && Object.entries(labels).every(([k, v]) => l.labels[k] === v));
  if (hits.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} appears ${hits.length} times`);
  return hits[0]?.value;
}

/** what the test expects of a histogram: cumulative counts per bound, from its own values */
function expectHistogram(lines: Line[], name: string, bounds: readonly number[], values: number[]) {
  for (const b of bounds) expect(value(lines, `${name}_bucket`, { le: String(b) }), `${name} le=${b}`).toBe(values.filter((v) => v <= b).length);
  expect(value(lines, `${name}_bucket`, { le: "+Inf" })).toBe(values.length);
  expect(value(lines, `${name}_count`)).toBe(values.length);
  expect(value(lines, `${name}_sum`)).toBeCloseTo(values.reduce((a, v) => a + v, 0), 6);
}

// attempts in the last 24 h (ms), and one older that only the counter sees
const RECENT_MS = [10, 50, 120, 600, 1000, 3000, 20000];
const OLD_MS = 700;
// approval → acceptance (s) of postings accepted in the last 7 days; one accepted 10 days ago is outside
const WAITS_S = [30, 2 * 3600, 2 * 86400, 6.5 * 86400];

beforeAll(async () => {
  app = await createTestDatabase();
  const sql = app.sql;
  const [erp] = await sql`insert into connectors (key, role, system, name, base_url) values (${ERP_KEY}, 'erp', 'netsuite', 'ERP', 'http://erp.internal:9/api') returning id`;
  const [src] = await sql`insert into connectors (key, role, system, name, base_url) values ('harvest-a', 'source', 'harvest', 'Source', 'http://src.internal:9') returning id`;
  const erpId = erp!.id as string;
  const srcId = src!.id as string;

  // runs: three posting runs succeeded then the latest failed; two pulls; one still running; a file import
  for (const [connector, kind, status, startedMs] of [
    [erpId, "posting", "succeeded", 5 * H],
    [erpId, "posting", "succeeded", 4 * H],
    [erpId, "posting", "succeeded", 3 * H],
    [erpId, "posting", "failed", 1 * H],
    [srcId, "time_pull", "succeeded", 2 * H],
    [srcId, "time_pull", "succeeded", 1 * H],
    [srcId, "time_pull", "running", 0.1 * H],
    [null, "csv_import", "succeeded", 6 * H],
  ] as const) {
    await sql`insert into sync_runs (connector_id, kind, trigger, status, started_at, finished_at, correlation_id)
              values (${connector}, ${kind}, 'schedule', ${status}, ${ago(startedMs)}, ${status === "running" ? null : ago(startedMs - 60 * S)}, 'c')`;
  }

  // accepted postings, each from an approved entry
  const accepted = [...WAITS_S.map((w, i) => ({ w, acceptedMs: (i + 1) * H })), { w: 60, acceptedMs: 10 * D }];
  for (const [i, a] of accepted.entries()) {
    const acceptedAt = ago(a.acceptedMs);
    const approvedAt = ago(a.acceptedMs + a.w * S);
    const [e] = await sql`insert into time_entries (source_system, source_id, state, content_hash, source_user_id, source_project_id, source_task_id, work_date, hours, billable, approved_at)
                          values ('harvest', ${`e${i}`}, 'posted', 'h', 'u', 'p', 't', '2026-11-10', 8, true, ${approvedAt}) returning id`;
    await sql`insert into erp_postings (time_entry_id, kind, entry_version, idempotency_key, status, request, correlation_id, accepted_at, updated_at)
              values (${e!.id}, 'create', 1, ${`k-acc-${i}`}, 'accepted', '{}', 'c', ${acceptedAt}, ${acceptedAt})`;
  }
  // the outbox: 3 pending, 2 sent (one in flight, one waiting for a retry), 1 dead, 2 rejected
  const waiting: [string, string, number][] = [
    ["pending", "k-p1", 3 * H],
    ["pending", "k-p2", 2 * H],
    ["pending", "k-p3", 1 * H],
    ["sent", "k-s1", 30 * 60 * S],
    ["sent", "k-s2", 20 * 60 * S],
    ["dead", "k-d1", 5 * H],
    ["rejected", "k-r1", 5 * H],
    ["rejected", "k-r2", 5 * H],
  ];
  for (const [status, key, createdMs] of waiting) {
    await sql`insert into erp_postings (kind, entry_version, idempotency_key, status, request, correlation_id, created_at, next_attempt_at)
              values ('create', 1, ${key}, ${status}, '{}', 'c', ${ago(createdMs)}, ${status === "sent" ? new Date(NOW.getTime() + 60_000).toISOString() : ago(0)})`;
  }

  const [posting] = await sql`select id from erp_postings where idempotency_key = 'k-s1'`;
  const outcomes: [string, string | null][] = [
    ["accepted", null],
    ["accepted", null],
    ["found", null],
    ["transient", "5xx"],
    ["transient", "5xx"],
    ["transient", "429"],
    ["rejected", "rejected:PERIOD_CLOSED"],
  ];
  for (const [i, ms] of RECENT_MS.entries()) {
    const [outcome, cls] = outcomes[i]!;
    await sql`insert into erp_posting_attempts (posting_id, connector_id, attempt, started_at, duration_ms, outcome, error_class, correlation_id)
              values (${posting!.id}, ${erpId}, ${i + 1}, ${ago((i + 1) * H)}, ${ms}, ${outcome}, ${cls}, 'c')`;
  }
  await sql`insert into erp_posting_attempts (posting_id, connector_id, attempt, started_at, duration_ms, outcome, error_class, correlation_id)
            values (${posting!.id}, ${erpId}, 99, ${ago(2 * D)}, ${OLD_MS}, 'transient', 'timeout', 'c')`;

  await sql`insert into circuit_breakers (connector_id, state, consecutive_failures, opened_at, probe_at, last_error)
            values (${erpId}, 'open', 5, ${ago(60 * S)}, ${ago(-30 * S)}, 'connect ECONNREFUSED erp.internal:9')`;

  for (const [code, owner, status, subject] of [
    ["PROJECT_UNMAPPED", "pmo", "open", "p1"],
    ["PROJECT_UNMAPPED", "pmo", "open", "p2"],
    ["ERP_REJECTED", "finance", "open", "e1"],
    ["ERP_REJECTED", "finance", "resolved", "e2"],
  ]) {
    await sql`insert into exceptions (code, owner, severity, status, subject_type, subject_key, subject_label, message, suggested_fix)
              values (${code!}, ${owner!}, 'high', ${status!}, 'x', ${subject!}, 'x', 'm', 'f')`;
  }
  text = await metricsText({ db: app.db, now: NOW });
});
afterAll(async () => {
  await app?.drop();
});

describe("the metrics exposition", () => {
  it("declares each family once with HELP and TYPE, and every line parses", () => {
    for (const [name, type] of [
      ["hourbridge_sync_runs_total", "counter"],
      ["hourbridge_postings", "gauge"],
      ["hourbridge_posting_attempts_total", "counter"],
      ["hourbridge_posting_latency_seconds", "histogram"],
      ["hourbridge_approval_to_acceptance_seconds", "histogram"],
      ["hourbridge_queue_depth", "gauge"],
      ["hourbridge_connector_up", "gauge"],
      ["hourbridge_circuit_breaker_state", "gauge"],
      ["hourbridge_exceptions_open", "gauge"],
    ]) {
      expect(text.match(new RegExp(`^# TYPE ${name} ${type}$`, "gm"))).toHaveLength(1);
      expect(text.match(new RegExp(`^# HELP ${name} .+$`, "gm"))).toHaveLength(1);
    }
    expect(text).toMatch(/# HELP hourbridge_posting_latency_seconds .*last 24 hours/);
    expect(text.endsWith("\n")).toBe(true);
    expect(() => parse(text)).not.toThrow();
    // no URL or vendor error text leaks into the exposition
    expect(text).not.toContain("internal:9");
  });

  it("escapes label values", () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(text).toContain(`connector="ns \\"main\\"\\\\prod"`);
  });

  it("counts finished sync runs by connector, kind and status", () => {
    const lines = parse(text);
    expect(value(lines, "hourbridge_sync_runs_total", { connector: ERP_KEY, kind: "posting", status: "succeeded" })).toBe(3);
    expect(value(lines, "hourbridge_sync_runs_total", { connector: ERP_KEY, kind: "posting", status: "failed" })).toBe(1);
    expect(value(lines, "hourbridge_sync_runs_total", { connector: "harvest-a", kind: "time_pull", status: "succeeded" })).toBe(2);
    expect(value(lines, "hourbridge_sync_runs_total", { connector: "harvest-a", kind: "time_pull", status: "running" })).toBeUndefined();
    expect(value(lines, "hourbridge_sync_runs_total", { connector: "", kind: "csv_import", status: "succeeded" })).toBe(1);
  });

  it("gives the postings by status and the queue depth per ERP connector", () => {
    const lines = parse(text);
    expect(value(lines, "hourbridge_postings", { status: "accepted" })).toBe(5);
    expect(value(lines, "hourbridge_postings", { status: "pending" })).toBe(3);
    expect(value(lines, "hourbridge_postings", { status: "sent" })).toBe(2);
    expect(value(lines, "hourbridge_postings", { status: "dead" })).toBe(1);
    expect(value(lines, "hourbridge_postings", { status: "rejected" })).toBe(2);
    expect(value(lines, "hourbridge_queue_depth", { connector: ERP_KEY, state: "pending" })).toBe(3);
    expect(value(lines, "hourbridge_queue_depth", { connector: ERP_KEY, state: "retrying" })).toBe(2);
    expect(value(lines, "hourbridge_queue_depth", { connector: ERP_KEY, state: "dead" })).toBe(1);
    expect(value(lines, "hourbridge_queue_depth", { connector: ERP_KEY, state: "rejected" })).toBe(2);
    // a source connector has no outbox
    expect(lines.some((l) => l.name === "hourbridge_queue_depth" && l.labels.connector === "harvest-a")).toBe(false);
  });

  it("counts posting attempts by connector, outcome and error class, whatever their age", () => {
    const lines = parse(text);
    const n = (outcome: string, error_class: string) => value(lines, "hourbridge_posting_attempts_total", { connector: ERP_KEY, outcome, error_class });
    expect(n("accepted", "")).toBe(2);
    expect(n("found", "")).toBe(1);
    expect(n("transient", "5xx")).toBe(2);
    expect(n("transient", "429")).toBe(1);
    expect(n("transient", "timeout")).toBe(1);
    expect(n("rejected", "rejected:PERIOD_CLOSED")).toBe(1);
  });

  it("builds the posting latency histogram from the last 24 hours of attempts", () => {
    expectHistogram(parse(text), "hourbridge_posting_latency_seconds", LATENCY_BUCKETS, RECENT_MS.map((ms) => ms / 1000));
  });

  it("builds the approval → acceptance histogram from the postings accepted in the last 7 days", () => {
    expectHistogram(parse(text), "hourbridge_approval_to_acceptance_seconds", APPROVAL_BUCKETS, WAITS_S);
  });

  it("shows the breaker's state one-hot and the connectors that are up", () => {
    const lines = parse(text);
    expect(value(lines, "hourbridge_circuit_breaker_state", { connector: ERP_KEY, state: "open" })).toBe(1);
    expect(value(lines, "hourbridge_circuit_breaker_state", { connector: ERP_KEY, state: "closed" })).toBe(0);
    expect(value(lines, "hourbridge_circuit_breaker_state", { connector: ERP_KEY, state: "half_open" })).toBe(0);
    expect(value(lines, "hourbridge_connector_up", { connector: ERP_KEY })).toBe(0);
    expect(value(lines, "hourbridge_connector_up", { connector: "harvest-a" })).toBe(1);
  });

  it("a connector is down when paused, or when its latest run failed", async () => {
    await app.sql`update connectors set paused = true where key = 'harvest-a'`;
    await app.sql`update circuit_breakers set state = 'closed'`;
    try {
      const lines = parse(await metricsText({ db: app.db, now: NOW }));
      expect(value(lines, "hourbridge_connector_up", { connector: "harvest-a" })).toBe(0);
      // breaker closed, but the latest posting run failed
      expect(value(lines, "hourbridge_connector_up", { connector: ERP_KEY })).toBe(0);
      expect(value(lines, "hourbridge_circuit_breaker_state", { connector: ERP_KEY, state: "closed" })).toBe(1);
    } finally {
      await app.sql`update connectors set paused = false where key = 'harvest-a'`;
      await app.sql`update circuit_breakers set state = 'open'`;
    }
  });

  it("counts open exceptions by code and owner", () => {
    const lines = parse(text);
    expect(value(lines, "hourbridge_exceptions_open", { code: "PROJECT_UNMAPPED", owner: "pmo" })).toBe(2);
    expect(value(lines, "hourbridge_exceptions_open", { code: "ERP_REJECTED", owner: "finance" })).toBe(1);
  });
});

describe("who may read the metrics", () => {
  const token = "a-long-enough-metrics-token";
  it("nobody while no token is configured (404)", () => {
    expect(metricsAccess(undefined, `Bearer ${token}`)).toEqual({ ok: false, status: 404, message: "metrics are not enabled" });
  });
  it("a missing or wrong token is refused (401); the right one is let in", () => {
    expect(metricsAccess(token, null)).toMatchObject({ ok: false, status: 401 });
    expect(metricsAccess(token, "Bearer nope")).toMatchObject({ ok: false, status: 401 });
    expect(metricsAccess(token, token)).toMatchObject({ ok: false, status: 401 });
    expect(metricsAccess(token, `Basic ${token}`)).toMatchObject({ ok: false, status: 401 });
    expect(metricsAccess(token, `Bearer ${token}`)).toEqual({ ok: true });
    expect(metricsAccess(token, `bearer  ${token} `)).toEqual({ ok: true });
  });
});
