/**
 * The CSV upload routes over HTTP (the route handlers themselves, with the session and the
 * database of this test): another site's request is refused before anything is read, a body
 * over the limit is refused from its length or its first bytes past the limit before any of
 * it is parsed, and text a database cannot hold never turns into a 500.
 */
import { desc, eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import type { SessionUser } from "@/server/api/trpc";
import { auditLog, syncRuns } from "@/server/db/schema";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { makeUser, sessionUser } from "../../../test/factories";
import { buildWorld } from "../../../test/world";

const state = vi.hoisted(() => ({ db: null as unknown, user: null as SessionUser | null }));
vi.mock("server-only", () => ({}));
vi.mock("@/server/auth/session", () => ({ getSession: async () => (state.user ? { user: state.user, expires: "" } : null) }));
vi.mock("@/server/auth/config", () => ({ clientIp: () => "127.0.0.1" }));
vi.mock("@/server/db/client", async (importOriginal) => ({ ...(await importOriginal<object>()), getDb: () => state.db }));
vi.mock("@/server/services/imports/csv-time", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/server/services/imports/csv-time")>();
  return { ...real, importTimeCsv: vi.fn(real.importTimeCsv) };
});
vi.mock("@/server/services/mappings/csv", async (importOriginal) => {
  const real = await importOriginal<typeof import("@/server/services/mappings/csv")>();
  return { ...real, importMappingsCsv: vi.fn(real.importMappingsCsv) };
});

const { POST: importTime } = await import("@/app/api/imports/time/route");
const { POST: importMappings } = await import("@/app/api/mappings/import/route");
const { importTimeCsv, DEFAULT_LIMITS } = await import("@/server/services/imports/csv-time");
const { importMappingsCsv } = await import("@/server/services/mappings/csv");

let t: TestDatabase;
const HEADER = "entry_id,person,project,task,work_date,hours,billable,notes";

beforeAll(async () => {
  t = await createTestDatabase();
  state.db = t.db;
  await buildWorld(t.db);
  state.user = sessionUser(await makeUser(t.db, { roles: ["finance_ops", "pmo"] }));
});
afterAll(async () => t?.drop());
beforeEach(() => {
  vi.mocked(importTimeCsv).mockClear();
  vi.mocked(importMappingsCsv).mockClear();
});

const SAME_ORIGIN = { "sec-fetch-site": "same-origin", origin: "http://hourbridge.test", host: "hourbridge.test" };

function post(path: string, body: BodyInit | null, headers: Record<string, string>) {
  return new Request(`http://hourbridge.test${path}`, { method: "POST", headers, body, duplex: "half" } as RequestInit);
}

/** A body of `total` bytes sent in 1 MiB pieces of CSV rows, counting what the server pulled. */
function rowsBody(total: number) {
  const counter = { pulled: 0 };
  const row = "E-1,u,p,t,2026-05-01,1,yes,a note that makes the row longer than it needs to be\n";
  const piece = new TextEncoder().encode(row.repeat(Math.ceil((1 << 20) / row.length)).slice(0, 1 << 20));
  let sent = 0;
  const stream = new ReadableStream<Uint8Array>({
    start(c) {
      c.enqueue(new TextEncoder().encode(`${HEADER}\n`));
    },
    pull(c) {
      if (sent >= total) return c.close();
      counter.pulled += 1;
      sent += piece.byteLength;
      c.enqueue(piece);
    },
  }, { highWaterMark: 0 });
  return { stream, counter };
}

const auditCount = () => t.db.$count(auditLog);

describe("requests from another site", () => {
  it("a cross-site text/plain POST (what a form on another site sends) is refused with 403 and a sentence, unread", async () => {
    const before = await auditCount();
    for (const headers of <Record<string, string>[]>[
      { "content-type": "text/plain", "sec-fetch-site": "cross-site", origin: "https://attacker.example" },
      { "content-type": "text/plain", "sec-fetch-site": "same-site", origin: "https://other.hourbridge.test" },
      // an older browser: no Sec-Fetch-Site, an Origin that is not this host
      { "content-type": "text/csv", origin: "https://attacker.example", host: "hourbridge.test" },
      { "content-type": "text/csv", origin: "null", host: "hourbridge.test" },
    ]) {
      for (const [route, path] of [[importTime, "/api/imports/time?dryRun=0"], [importMappings, "/api/mappings/import?kind=project&dryRun=0"]] as const) {
        const res = await route(post(path, `${HEADER}\nX-1,u,p,t,2026-05-01,1,yes,\n`, headers));
        expect(res.status, `${path} ${JSON.stringify(headers)}`).toBe(403);
        expect(((await res.json()) as { error: string }).error).toBe(
          "This request came from another site, so it was refused: changes in Hourbridge can only be made from Hourbridge's own pages. Open Hourbridge and try again there.",
        );
      }
    }
    expect(importTimeCsv).not.toHaveBeenCalled();
    expect(importMappingsCsv).not.toHaveBeenCalled();
    expect(await auditCount()).toBe(before);
  });

  it("the same upload from Hourbridge's own page goes through, and so does one from a client that is not a browser", async () => {
    for (const headers of <Record<string, string>[]>[{ "content-type": "text/csv", ...SAME_ORIGIN }, { "content-type": "text/csv", origin: "http://hourbridge.test", host: "hourbridge.test" }, { "content-type": "text/csv" }]) {
      const res = await importTime(post("/api/imports/time?dryRun=1", `${HEADER}\nX-1,u,p,t,2026-05-01,1,yes,\n`, headers));
      expect(res.status, JSON.stringify(headers)).toBe(200);
    }
  });
});

describe("uploads over the size limit", () => {
  const tooLarge = "The file is larger than the 50 MB limit; split it into smaller files and import each.";

  it("are refused from their Content-Length, without reading the body", async () => {
    const { stream, counter } = rowsBody(60 << 20);
    const res = await importTime(post("/api/imports/time?dryRun=1", stream, { "content-type": "text/csv", "content-length": String(60 << 20), ...SAME_ORIGIN }));
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: tooLarge });
    expect(counter.pulled).toBe(0);
    expect(importTimeCsv).not.toHaveBeenCalled();
  });

  it("sent without a length, are refused at the first bytes past the limit, before any of it is parsed", async () => {
    for (const [route, path] of [[importTime, "/api/imports/time?dryRun=1"], [importMappings, "/api/mappings/import?kind=project&dryRun=1"]] as const) {
      const { stream, counter } = rowsBody(60 << 20);
      const started = Date.now();
      const res = await route(post(path, stream, { "content-type": "text/csv", ...SAME_ORIGIN }));
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: string }).error).toBe(tooLarge);
      // the header line and 49 pieces fit in 50 MiB: the 50th passes the limit, and nothing after it is read
      expect(counter.pulled).toBe(Math.floor((DEFAULT_LIMITS.maxBytes - `${HEADER}\n`.length) / (1 << 20)) + 1);
      expect(Date.now() - started).toBeLessThan(15_000);
    }
    expect(importTimeCsv).not.toHaveBeenCalled();
    expect(importMappingsCsv).not.toHaveBeenCalled();
  });
});

describe("text a database cannot hold, over HTTP", () => {
  it("a NUL in the file name is a 400 naming the parameter", async () => {
    const res = await importTime(post(`/api/imports/time?dryRun=0&fileName=${encodeURIComponent("may\u0000.csv")}`, `${HEADER}\n`, { "content-type": "text/csv", ...SAME_ORIGIN }));
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ error: "fileName contains a control character (U+0000, NUL), which a one-line value cannot hold." });
  });

  it("a file with a NUL in a row: the check reports the row, the import keeps it and ends its run", async () => {
    const file = `${HEADER}\nZ-1,u,p,t,2026-05-01,1,yes,ok\nZ-2,u,p,t,2026-05-02,1,yes,"bad\u0000note"\n`;
    const check = await importTime(post("/api/imports/time?dryRun=1&fileName=z.csv", file, { "content-type": "text/csv", ...SAME_ORIGIN }));
    expect(check.status).toBe(200);
    const checked = (await check.json()) as { errors: { line: number; message: string }[] };
    expect(checked.errors).toEqual([{ line: 3, entryId: "Z-2", message: "notes contains a control character (U+0000, NUL), which text cannot hold (at character 4)." }]);

    const applied = await importTime(post("/api/imports/time?dryRun=0&fileName=z.csv", file, { "content-type": "text/csv", ...SAME_ORIGIN }));
    expect(applied.status).toBe(200);
    const report = (await applied.json()) as { errors: unknown[]; run: { id: string; refused: number } };
    expect(report.errors).toEqual(checked.errors);
    expect(report.run.refused).toBe(1);
    const [run] = await t.db.select().from(syncRuns).where(eq(syncRuns.id, report.run.id));
    expect(run!.status).toBe("succeeded");
    expect(await t.db.$count(syncRuns, sql`${syncRuns.status} = 'running'`)).toBe(0);
    const [audit] = await t.db.select().from(auditLog).where(eq(auditLog.action, "imports.time_csv")).orderBy(desc(auditLog.id)).limit(1);
    expect(audit!.after).toMatchObject({ fileName: "z.csv", refused: 1 });
  });
});
