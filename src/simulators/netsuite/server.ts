import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type postgres from "postgres";
import { FaultInjector, withFaults } from "../shared/faults";
import { sendJson, simulatorServer, type Handler, type Route } from "../shared/http";
import { BillingChangeError, creditInvoice, removeTimeBillFromInvoice, runBilling, voidInvoice } from "./billing";
import { badRequest, NetSuiteError, sendNetSuiteError, vendorError } from "./errors";
import { createTimeBill, deleteTimeBill, getRecord, isIsoDay, parseTimeBill, patchJob, RECORD_TYPES, recordUrl, type RecordType } from "./records";
import { MAX_PAGE, MAX_RESULTS, parseSuiteQL, runSuiteQL } from "./suiteql";

export type NetSuiteSimulatorOptions = {
  sql: postgres.Sql;
  accountId: string;
  /** the OAuth 2.0 access token clients must send as `Authorization: Bearer <token>` */
  token: string;
  faults?: FaultInjector;
  /** requests in flight at once before the next is refused with 429 (NetSuite: 5 on a developer account) */
  concurrencyLimit?: number;
  /** run billing every so many seconds while listening; 0 or undefined = off */
  invoiceEverySeconds?: number;
  /** protects /__sim/* when set */
  adminToken?: string;
};

export const MAX_BATCH = 100;
const REST = "/services/rest";

const baseUrl = (req: IncomingMessage) => `http://${req.headers.host ?? "localhost"}`;

/** Handler errors raised as NetSuiteError are answered in NetSuite's format with their own code. */
const wrap =
  (h: Handler): Handler =>
  async (ctx) => {
    try {
      await h(ctx);
    } catch (err) {
      if (err instanceof NetSuiteError) {
        if (!ctx.res.headersSent) sendNetSuiteError(ctx.res, err.status, err.code, err.message);
        return;
      }
      throw err;
    }
  };

/** A malformed admin request (400). */
class AdminBadRequest extends Error {}

/** Admin changes to billing answer `{ error }` with 400, 404 (unknown record) or 409 (a state that refuses the change). */
const billingChange =
  (h: Handler): Handler =>
  async (ctx) => {
    try {
      await h(ctx);
    } catch (err) {
      if (err instanceof BillingChangeError) return sendJson(ctx.res, err.status, { error: err.message });
      if (err instanceof AdminBadRequest) return sendJson(ctx.res, 400, { error: err.message });
      throw err;
    }
  };

const recordType = (raw: string): RecordType | null => RECORD_TYPES.find((t) => t.toLowerCase() === raw.toLowerCase()) ?? null;

function idempotencyKeyOf(req: IncomingMessage): string | null {
  const raw = req.headers["x-netsuite-idempotency-key"];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0]! : raw;
  if (!/^[\x21-\x7e]{1,128}$/.test(key)) throw badRequest("INVALID_HEADER", "X-NetSuite-Idempotency-Key must be 1 to 128 visible ASCII characters (a UUID is recommended).");
  return key;
}

const wantsAsync = (req: IncomingMessage) => /(^|[,;\s])respond-async($|[,;\s])/i.test(String(req.headers.prefer ?? ""));

export function createNetSuiteSimulator(opts: NetSuiteSimulatorOptions): Server {
  const { sql } = opts;
  const injector = opts.faults ?? new FaultInjector();
  const limit = opts.concurrencyLimit ?? 5;
  let inFlight = 0;

  // ---- async jobs -----------------------------------------------------------------------
  const processJob = async (jobId: string, jobKey: string | null, base: string) => {
    const tasks = await sql`select id, request from sim_netsuite.asynctask where job = ${jobId} and status = 'pending' order by id`;
    for (const t of tasks) {
      let result: Record<string, unknown>;
      try {
        const input = parseTimeBill(t.request);
        const { id } = await createTimeBill(sql, input, jobKey ? `${jobKey}:${t.id}` : null);
        result = { status: 204, location: recordUrl(base, "timeBill", id), id };
      } catch (err) {
        result = err instanceof NetSuiteError ? { status: err.status, body: err.body } : { status: 500, body: new NetSuiteError(500, "UNEXPECTED_ERROR", "An unexpected error occurred.").body };
        if (!(err instanceof NetSuiteError)) console.error("[netsuite] async task failed", err);
      }
      await sql`update sim_netsuite.asynctask set status = 'complete', result = ${sql.json(result as postgres.JSONValue)} where job = ${jobId} and id = ${t.id as number}`;
    }
    await sql`update sim_netsuite.asyncjob set status = 'complete', completed = now() where id = ${jobId}`;
  };

  const createAsync = async (req: IncomingMessage, res: ServerResponse, body: unknown, key: string | null) => {
    const base = baseUrl(req);
    let records: unknown[];
    if (body && typeof body === "object" && !Array.isArray(body) && "items" in body) {
      const extra = Object.keys(body).filter((k) => k !== "items");
      if (extra.length) throw badRequest("INVALID_FIELD_NAME", `Invalid field name: '${extra[0]}'. A batch is { "items": [ <timeBill>, … ] }.`);
      const items = (body as { items: unknown }).items;
      if (!Array.isArray(items) || items.length === 0 || items.length > MAX_BATCH) throw badRequest("INVALID_CONTENT", `A batch must hold 1 to ${MAX_BATCH} records in "items".`);
      records = items;
    } else if (body && typeof body === "object" && !Array.isArray(body)) {
      records = [body];
    } else {
      throw badRequest("INVALID_CONTENT", "The request body must be a timeBill record or { \"items\": [ … ] }.");
    }
    const job = await sql.begin(async (tx) => {
      const [j] = await tx`
        insert into sim_netsuite.asyncjob (id, idempotencykey, recordtype)
        values (nextval('sim_netsuite.asyncjob_seq')::text, ${key}, 'timeBill')
        on conflict (idempotencykey) do nothing returning id`;
      if (!j) return null;
      await tx`insert into sim_netsuite.asynctask ${tx(records.map((r, i) => ({ job: j.id as string, id: i + 1, request: r as postgres.JSONValue })))}`;
      return j.id as string;
    });
    if (!job) {
      const [orig] = await sql`select id from sim_netsuite.asyncjob where idempotencykey = ${key}`;
      const location = `${base}${REST}/async/v1/job/${orig!.id as string}`;
      sendNetSuiteError(res, 400, "IDEMPOTENCY_ERROR", `A request with this idempotency key was already accepted; see the original job at ${location}.`, { Location: location });
      return;
    }
    res.writeHead(202, { Location: `${base}${REST}/async/v1/job/${job}`, "Content-Length": 0 });
    res.end();
    setImmediate(() => void processJob(job, key, base).catch((err) => console.error("[netsuite] async job failed", err)));
  };

  const jobBody = async (base: string, id: string) => {
    const [j] = await sql`select j.*, (select count(*)::int from sim_netsuite.asynctask t where t.job = j.id) as tasks from sim_netsuite.asyncjob j where j.id = ${id}`;
    if (!j) throw new NetSuiteError(404, "NONEXISTENT_ID", `The asynchronous job ${id} does not exist.`);
    const done = j.status === "complete";
    return {
      links: [{ rel: "self", href: `${base}${REST}/async/v1/job/${id}` }],
      id,
      status: done ? "complete" : "pending",
      completed: done,
      progress: done ? "succeeded" : "pending",
      taskCount: j.tasks as number,
      createdDate: (j.created as Date).toISOString(),
      ...(j.completed ? { completedDate: (j.completed as Date).toISOString() } : {}),
    };
  };

  const taskRow = async (jobId: string, taskId: string) => {
    const n = /^\d{1,4}$/.test(taskId) ? Number(taskId) : -1;
    const [t] = await sql`select id, status, result from sim_netsuite.asynctask where job = ${jobId} and id = ${n}`;
    if (!t) throw new NetSuiteError(404, "NONEXISTENT_ID", `Task ${taskId} of asynchronous job ${jobId} does not exist.`);
    return t;
  };

  // ---- routes -----------------------------------------------------------------------------
  const routes: Route[] = [
    {
      method: "POST",
      pattern: `${REST}/record/v1/{type}`,
      handler: wrap(async ({ req, res, params, body }) => {
        if (recordType(params.type!) !== "timeBill") throw new NetSuiteError(405, "INVALID_URL", `The simulator creates timeBill records only, not ${params.type}.`);
        const key = idempotencyKeyOf(req);
        const payload = await body();
        if (wantsAsync(req)) return createAsync(req, res, payload, key);
        const input = parseTimeBill(payload);
        const { id } = await createTimeBill(sql, input, key);
        res.writeHead(204, { Location: recordUrl(baseUrl(req), "timeBill", id) });
        res.end();
      }),
    },
    {
      method: "GET",
      pattern: `${REST}/record/v1/{type}/{id}`,
      handler: wrap(async ({ req, res, params }) => {
        const type = recordType(params.type!);
        if (!type) throw new NetSuiteError(404, "INVALID_URL", `Record type ${params.type} is not available (supported: ${RECORD_TYPES.join(", ")}).`);
        const rec = await getRecord(sql, type, params.id!, baseUrl(req));
        if (!rec) throw new NetSuiteError(404, "NONEXISTENT_ID", `The record instance does not exist. Provide a valid record instance ID (${type} ${params.id}).`);
        sendJson(res, 200, rec);
      }),
    },
    {
      method: "PATCH",
      pattern: `${REST}/record/v1/{type}/{id}`,
      handler: wrap(async ({ res, params, body }) => {
        if (recordType(params.type!) !== "job") throw new NetSuiteError(405, "INVALID_URL", `The simulator updates job records only, not ${params.type}.`);
        await patchJob(sql, params.id!, await body());
        res.writeHead(204);
        res.end();
      }),
    },
    {
      method: "DELETE",
      pattern: `${REST}/record/v1/{type}/{id}`,
      handler: wrap(async ({ res, params }) => {
        if (recordType(params.type!) !== "timeBill") throw new NetSuiteError(405, "INVALID_URL", `The simulator deletes timeBill records only, not ${params.type}.`);
        await deleteTimeBill(sql, params.id!);
        res.writeHead(204);
        res.end();
      }),
    },
    {
      method: "GET",
      pattern: `${REST}/async/v1/job/{id}`,
      handler: wrap(async ({ req, res, params }) => sendJson(res, 200, await jobBody(baseUrl(req), params.id!))),
    },
    {
      method: "GET",
      pattern: `${REST}/async/v1/job/{id}/task`,
      handler: wrap(async ({ req, res, params }) => {
        const job = await jobBody(baseUrl(req), params.id!);
        const tasks = await sql`select id, status from sim_netsuite.asynctask where job = ${params.id!} order by id`;
        sendJson(res, 200, {
          links: job.links,
          count: tasks.length,
          items: tasks.map((t) => ({ links: [{ rel: "self", href: `${job.links[0]!.href}/task/${t.id as number}` }], id: String(t.id) })),
        });
      }),
    },
    {
      method: "GET",
      pattern: `${REST}/async/v1/job/{id}/task/{taskId}`,
      handler: wrap(async ({ req, res, params }) => {
        const t = await taskRow(params.id!, params.taskId!);
        const done = t.status === "complete";
        const self = `${baseUrl(req)}${REST}/async/v1/job/${params.id}/task/${params.taskId}`;
        sendJson(res, 200, { links: [{ rel: "self", href: self }], id: String(t.id), status: done ? "complete" : "pending", completed: done, progress: done ? ((t.result as { status: number }).status < 300 ? "succeeded" : "failed") : "pending" });
      }),
    },
    {
      method: "GET",
      pattern: `${REST}/async/v1/job/{id}/task/{taskId}/result`,
      handler: wrap(async ({ res, params }) => {
        const t = await taskRow(params.id!, params.taskId!);
        if (t.status !== "complete") throw new NetSuiteError(404, "NONEXISTENT_ID", `Task ${params.taskId} of job ${params.id} has not completed; no result yet.`);
        const r = t.result as { status: number; location?: string; body?: unknown };
        if (r.location) {
          res.writeHead(r.status, { Location: r.location });
          res.end();
        } else sendJson(res, r.status, r.body);
      }),
    },
    {
      method: "POST",
      pattern: `${REST}/query/v1/suiteql`,
      handler: wrap(async ({ req, res, url, body }) => {
        const b = await body();
        if (!b || typeof b !== "object" || Array.isArray(b) || typeof (b as { q?: unknown }).q !== "string") throw badRequest("INVALID_CONTENT", 'The request body must be { "q": "SELECT …" }.');
        const extra = Object.keys(b).filter((k) => k !== "q");
        if (extra.length) throw badRequest("INVALID_FIELD_NAME", `Invalid field name: '${extra[0]}'. The body is { "q": "SELECT …" }.`);
        const int = (name: string, dflt: number, min: number, max: number) => {
          const raw = url.searchParams.get(name);
          if (raw === null) return dflt;
          if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw badRequest("INVALID_PARAMETER", `Invalid value for the ${name} parameter: ${raw}. Expected an integer from ${min} to ${max}.`);
          return Number(raw);
        };
        const limit = int("limit", MAX_PAGE, 1, MAX_PAGE);
        const offset = int("offset", 0, 0, MAX_RESULTS - 1);
        const page = await runSuiteQL(sql, parseSuiteQL((b as { q: string }).q), limit, offset);
        const self = `${baseUrl(req)}${REST}/query/v1/suiteql`;
        const at = (o: number) => `${self}?limit=${limit}&offset=${o}`;
        const lastOffset = Math.max(0, Math.floor((page.totalResults - 1) / limit) * limit);
        const links = [
          ...(offset > 0 ? [{ rel: "previous", href: at(Math.max(0, offset - limit)) }] : []),
          { rel: "first", href: at(0) },
          ...(page.hasMore ? [{ rel: "next", href: at(offset + limit) }] : []),
          { rel: "last", href: at(lastOffset) },
          { rel: "self", href: at(offset) },
        ];
        sendJson(res, 200, { links, count: page.count, hasMore: page.hasMore, items: page.items, offset: page.offset, totalResults: page.totalResults });
      }),
    },
  ];

  const adminRoutes: Route[] = [
    {
      method: "POST",
      pattern: "/__sim/bill",
      handler: async ({ res, body }) => {
        const b = (await body()) as { asOf?: unknown } | undefined;
        const asOf = typeof b?.asOf === "string" ? b.asOf : new Date();
        if (typeof asOf === "string" && Number.isNaN(new Date(asOf).getTime())) {
          sendJson(res, 400, { error: "asOf must be an ISO date" });
          return;
        }
        sendJson(res, 200, await runBilling(sql, { asOf }));
      },
    },
    {
      method: "POST",
      pattern: "/__sim/timeBill/{id}/unbill",
      handler: billingChange(async ({ res, params }) => sendJson(res, 200, await removeTimeBillFromInvoice(sql, params.id!))),
    },
    {
      method: "POST",
      pattern: "/__sim/invoice/{id}/void",
      handler: billingChange(async ({ res, params }) => sendJson(res, 200, await voidInvoice(sql, params.id!))),
    },
    {
      method: "POST",
      pattern: "/__sim/invoice/{id}/credit",
      handler: billingChange(async ({ res, params, body }) => {
        const b = await body();
        if (b !== undefined && (!b || typeof b !== "object" || Array.isArray(b))) throw new AdminBadRequest('The body is optional; when given it is { "date": "YYYY-MM-DD" }.');
        const extra = Object.keys((b ?? {}) as object).filter((k) => k !== "date");
        if (extra.length) throw new AdminBadRequest(`Unknown field '${extra[0]}'; the body is { "date": "YYYY-MM-DD" }.`);
        const date = (b as { date?: unknown } | undefined)?.date;
        if (date !== undefined && !isIsoDay(date)) throw new AdminBadRequest("date must be a day as YYYY-MM-DD.");
        sendJson(res, 200, await creditInvoice(sql, params.id!, { date: (date as string | undefined) ?? new Date() }));
      }),
    },
    {
      method: "GET",
      pattern: "/__sim/state",
      handler: async ({ res }) => {
        const [c] = await sql`
          select (select count(*)::int from sim_netsuite.timebill) as "timeBills",
                 (select count(*)::int from sim_netsuite.timebill where invoice is null and isbillable) as "unbilledTimeBills",
                 (select count(*)::int from sim_netsuite."transaction" where type = 'CustInvc') as invoices,
                 (select count(*)::int from sim_netsuite."transaction" where type = 'CustCred') as "creditMemos",
                 (select count(*)::int from sim_netsuite.asyncjob) as "asyncJobs"`;
        sendJson(res, 200, { accountId: opts.accountId, concurrencyLimit: limit, inFlight, ...c });
      },
    },
  ];

  const server = simulatorServer({
    name: "netsuite",
    routes,
    adminRoutes,
    injector,
    adminToken: opts.adminToken,
    vendorError,
    runWithFaults: async (inj, req, res, work) => {
      if (req.headers.authorization !== `Bearer ${opts.token}`) {
        sendNetSuiteError(res, 401, "INVALID_LOGIN", "Invalid login attempt. Send a valid OAuth 2.0 access token as Authorization: Bearer <token>.");
        return;
      }
      if (inFlight >= limit) {
        sendNetSuiteError(res, 429, "CONCURRENCY_LIMIT_EXCEEDED", `Concurrent request limit exceeded: account ${opts.accountId} allows ${limit} requests at once. Request blocked.`);
        return;
      }
      inFlight++;
      let released = false;
      const release = () => {
        if (!released) {
          released = true;
          inFlight--;
        }
      };
      res.once("close", release);
      try {
        await withFaults(inj, req, res, work, vendorError);
      } finally {
        // a held (timeout) request stays in flight until its connection closes
        if (res.writableEnded || res.destroyed) release();
      }
    },
  });

  if (opts.invoiceEverySeconds && opts.invoiceEverySeconds > 0) {
    let timer: NodeJS.Timeout | undefined;
    let running = false;
    server.on("listening", () => {
      timer = setInterval(() => {
        if (running) return;
        running = true;
        runBilling(sql, { asOf: new Date() })
          .then((r) => r.invoices.length && console.log(`[netsuite] billing: ${r.invoices.length} invoices`))
          .catch((err) => console.error("[netsuite] billing failed", err))
          .finally(() => (running = false));
      }, opts.invoiceEverySeconds! * 1000);
      timer.unref();
    });
    server.on("close", () => clearInterval(timer));
  }
  return server;
}
