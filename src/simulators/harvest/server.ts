/**
 * A Harvest API v2 simulator: the list endpoints a time-tracking connector pulls
 * (time entries and the master data), one project update for reverse sync, Harvest's auth
 * headers, its rate limit and its error bodies; faults through the shared injector.
 * See docs/simulators/harvest.md for what is covered and where it deliberately differs.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type postgres from "postgres";
import { FaultInjector, withFaults } from "../shared/faults";
import { sendJson, simulatorServer, type Handler, type Route } from "../shared/http";
import { tick } from "./clock";

export type RateLimit = { max: number; windowMs: number };
/** Harvest: 100 requests per 15 seconds per access token */
export const HARVEST_RATE_LIMIT: RateLimit = { max: 100, windowMs: 15_000 };
export const MAX_PER_PAGE = 2000;

export type HarvestSimulatorOptions = {
  sql: postgres.Sql;
  accountId: string;
  token: string;
  faults?: FaultInjector;
  rateLimit?: RateLimit;
  /** protects /__sim/* when set */
  adminToken?: string;
  /** the demo seed; the clock's choices derive from it and the tick number */
  seed?: number;
};

/** An error answered in Harvest's shape. */
export class HarvestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * Harvest's error bodies: the OAuth layer answers 401 as `{ error, error_description }`;
 * everything else follows the spec's Error schema `{ code, message }`.
 */
export function harvestError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}) {
  if (status === 401) {
    sendJson(res, 401, { error: "invalid_token", error_description: message }, headers);
    return;
  }
  sendJson(res, status, { code: status, message }, headers);
}

// ---------------------------------------------------------------------------------------
// Query parameters: each operation's accepted parameters, with the spec's types

type ParamType = "integer" | "boolean" | "string";
type ParamSpec = Record<string, ParamType>;
const PAGING: ParamSpec = { page: "integer", per_page: "integer" };
/** What each operation reads from the query string (contract-tested against the spec). */
export const ACCEPTED_QUERY: Record<string, ParamSpec> = {
  listTimeEntries: {
    user_id: "integer",
    client_id: "integer",
    project_id: "integer",
    task_id: "integer",
    external_reference_id: "string",
    is_billed: "boolean",
    is_running: "boolean",
    updated_since: "string",
    from: "string",
    to: "string",
    ...PAGING,
  },
  listProjects: { is_active: "boolean", client_id: "integer", updated_since: "string", ...PAGING },
  listTasks: { is_active: "boolean", updated_since: "string", ...PAGING },
  listUsers: { is_active: "boolean", updated_since: "string", ...PAGING },
  listClients: { is_active: "boolean", updated_since: "string", ...PAGING },
  listTaskAssignments: { is_active: "boolean", updated_since: "string", ...PAGING },
};
/** Fields PATCH /v2/projects/{id} accepts (Harvest's update-project fields); only is_active is applied. */
export const PROJECT_PATCH_FIELDS = [
  "client_id",
  "name",
  "code",
  "is_active",
  "is_billable",
  "is_fixed_fee",
  "bill_by",
  "hourly_rate",
  "budget",
  "budget_by",
  "budget_is_monthly",
  "notify_when_over_budget",
  "over_budget_notification_percentage",
  "show_budget_to_all",
  "cost_budget",
  "cost_budget_include_expenses",
  "fee",
  "notes",
  "starts_on",
  "ends_on",
] as const;

const DAY_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
/** ISO 8601 date-time with a zone (Z or ±hh:mm), seconds and fraction optional */
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(:(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

export function isCalendarDay(s: string): boolean {
  const m = DAY_RE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  return d.toISOString().slice(0, 10) === s;
}

function parseDateTime(name: string, raw: string): Date {
  // an unencoded "+01:00" arrives as " 01:00"; read it as the offset it was meant to be
  const s = raw.replace(/ (\d{2}:\d{2})$/, "+$1");
  const m = DATETIME_RE.exec(s);
  if (!m || !isCalendarDay(`${m[1]}-${m[2]}-${m[3]}`) || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[7] ?? 0) > 59) {
    throw new HarvestError(422, `${name} must be an ISO 8601 date and time, e.g. 2026-05-11T09:14:00Z`);
  }
  return new Date(s);
}

type Parsed = Record<string, string | number | boolean | Date | undefined>;

/** Reads the operation's parameters; unknown ones are ignored, as Harvest ignores them. */
function parseQuery(url: URL, op: keyof typeof ACCEPTED_QUERY): Parsed {
  const out: Parsed = {};
  for (const [name, type] of Object.entries(ACCEPTED_QUERY[op]!)) {
    const raw = url.searchParams.get(name);
    if (raw === null) continue;
    if (type === "integer") {
      if (!/^\d{1,18}$/.test(raw)) throw new HarvestError(422, `${name} must be a positive integer`);
      out[name] = Number(raw);
    } else if (type === "boolean") {
      if (raw !== "true" && raw !== "false") throw new HarvestError(422, `${name} must be true or false`);
      out[name] = raw === "true";
    } else if (name === "updated_since") {
      out[name] = parseDateTime(name, raw);
    } else if (name === "from" || name === "to") {
      if (!isCalendarDay(raw)) throw new HarvestError(422, `${name} must be a date in the format YYYY-MM-DD`);
      out[name] = raw;
    } else {
      out[name] = raw;
    }
  }
  const page = (out.page as number | undefined) ?? 1;
  const perPage = (out.per_page as number | undefined) ?? MAX_PER_PAGE;
  if (page < 1) throw new HarvestError(422, "page must be 1 or greater");
  if (perPage < 1 || perPage > MAX_PER_PAGE) throw new HarvestError(422, `per_page must be between 1 and ${MAX_PER_PAGE}`);
  out.page = page;
  out.per_page = perPage;
  return out;
}

// ---------------------------------------------------------------------------------------
// Paging

function pageLink(url: URL, req: IncomingMessage, page: number, perPage: number): string {
  const u = new URL(url.pathname + url.search, `http://${req.headers.host ?? "localhost"}`);
  u.searchParams.set("page", String(page));
  u.searchParams.set("per_page", String(perPage));
  return u.toString();
}

export function pageEnvelope(key: string, items: unknown[], total: number, page: number, perPage: number, url: URL, req: IncomingMessage) {
  const totalPages = Math.ceil(total / perPage);
  const next = page < totalPages ? page + 1 : null;
  const previous = page > 1 ? Math.min(page - 1, Math.max(totalPages, 1)) : null;
  return {
    [key]: items,
    per_page: perPage,
    total_pages: totalPages,
    total_entries: total,
    next_page: next,
    previous_page: previous,
    page,
    links: {
      first: pageLink(url, req, 1, perPage),
      next: next === null ? null : pageLink(url, req, next, perPage),
      previous: previous === null ? null : pageLink(url, req, previous, perPage),
      last: pageLink(url, req, Math.max(totalPages, 1), perPage),
    },
  };
}

// ---------------------------------------------------------------------------------------
// The simulator

export function createHarvestSimulator(opts: HarvestSimulatorOptions): Server {
  const { sql } = opts;
  const injector = opts.faults ?? new FaultInjector();
  const limit = opts.rateLimit ?? HARVEST_RATE_LIMIT;
  const hits = new Map<string, number[]>();

  /** Bearer token, then account; then the token's rate limit (sliding window). */
  const guard = (req: IncomingMessage) => {
    const auth = req.headers.authorization ?? "";
    const m = /^Bearer\s+(.+)$/i.exec(auth);
    if (!m || m[1]!.trim() !== opts.token) {
      throw new HarvestError(401, "The access token provided is expired, revoked, malformed or invalid for other reasons.");
    }
    const account = req.headers["harvest-account-id"];
    if (account === undefined || account === "") {
      // Harvest's OAuth layer cannot resolve a token without its account: it answers 401
      throw new HarvestError(401, "The access token provided is expired, revoked, malformed or invalid for other reasons.");
    }
    if (account !== opts.accountId) {
      throw new HarvestError(403, `The token has no access to account ${String(account)}`);
    }
    const now = Date.now();
    const list = (hits.get(opts.token) ?? []).filter((t) => t > now - limit.windowMs);
    if (list.length >= limit.max) {
      hits.set(opts.token, list);
      const retry = Math.max(1, Math.ceil((list[0]! + limit.windowMs - now) / 1000));
      throw new HarvestError(429, `API rate limit exceeded: ${limit.max} requests per ${limit.windowMs / 1000} seconds. Retry after ${retry} seconds.`, {
        "Retry-After": String(retry),
      });
    }
    list.push(now);
    hits.set(opts.token, list);
  };

  const route = (method: string, pattern: string, handler: Handler): Route => ({
    method,
    pattern,
    handler: async (ctx) => {
      try {
        guard(ctx.req);
        await handler(ctx);
      } catch (err) {
        if (err instanceof HarvestError) {
          if (!ctx.res.headersSent) harvestError(ctx.res, err.status, err.message, err.headers);
          return;
        }
        throw err;
      }
    },
  });

  type Master = { table: string; key: string; op: keyof typeof ACCEPTED_QUERY };
  const masterList = (m: Master): Handler =>
    async ({ req, res, url }) => {
      const q = parseQuery(url, m.op);
      const conds: postgres.PendingQuery<postgres.Row[]>[] = [sql`true`];
      if (q.is_active !== undefined) conds.push(sql`is_active = ${q.is_active as boolean}`);
      if (q.updated_since !== undefined) conds.push(sql`updated_at >= ${q.updated_since as Date}`);
      if (q.client_id !== undefined) conds.push(sql`client_id = ${q.client_id as number}`);
      const where = conds.reduce((a, c) => sql`${a} and ${c}`);
      const table = sql(`sim_harvest.${m.table}`);
      const perPage = q.per_page as number;
      const page = q.page as number;
      const [{ n }] = (await sql`select count(*)::int as n from ${table} where ${where}`) as unknown as [{ n: number }];
      const rows = await sql`select body from ${table} where ${where} order by created_at desc, id desc limit ${perPage} offset ${(page - 1) * perPage}`;
      sendJson(res, 200, pageEnvelope(m.key, rows.map((r) => r.body), n, page, perPage, url, req));
    };

  const listTimeEntries: Handler = async ({ req, res, url }) => {
    const q = parseQuery(url, "listTimeEntries");
    const conds: postgres.PendingQuery<postgres.Row[]>[] = [sql`true`];
    for (const col of ["user_id", "client_id", "project_id", "task_id"] as const) {
      if (q[col] !== undefined) conds.push(sql`${sql(col)} = ${q[col] as number}`);
    }
    if (q.is_billed !== undefined) conds.push(sql`is_billed = ${q.is_billed as boolean}`);
    if (q.is_running !== undefined) conds.push(sql`is_running = ${q.is_running as boolean}`);
    if (q.updated_since !== undefined) conds.push(sql`updated_at >= ${q.updated_since as Date}`);
    if (q.from !== undefined) conds.push(sql`spent_date >= ${q.from as string}::date`);
    if (q.to !== undefined) conds.push(sql`spent_date <= ${q.to as string}::date`);
    // no entry of the simulator carries an external reference
    if (q.external_reference_id !== undefined) conds.push(sql`body->'external_reference'->>'id' = ${q.external_reference_id as string}`);
    const where = conds.reduce((a, c) => sql`${a} and ${c}`);
    const perPage = q.per_page as number;
    const page = q.page as number;
    const [{ n }] = (await sql`select count(*)::int as n from sim_harvest.time_entries where ${where}`) as unknown as [{ n: number }];
    const rows = await sql`
      select body from sim_harvest.time_entries where ${where}
      order by spent_date desc, id desc limit ${perPage} offset ${(page - 1) * perPage}`;
    sendJson(res, 200, pageEnvelope("time_entries", rows.map((r) => r.body), n, page, perPage, url, req));
  };

  const projectId = (raw: string) => {
    if (!/^\d{1,18}$/.test(raw)) throw new HarvestError(404, "Resource not found");
    return Number(raw);
  };

  const getProject: Handler = async ({ res, params }) => {
    const [row] = await sql`select body from sim_harvest.projects where id = ${projectId(params.id!)}`;
    if (!row) throw new HarvestError(404, "Resource not found");
    sendJson(res, 200, row.body);
  };

  const patchProject: Handler = async ({ res, params, body }) => {
    const id = projectId(params.id!);
    let input: unknown;
    try {
      input = await body();
    } catch (err) {
      throw new HarvestError((err as { status?: number }).status ?? 400, (err as Error).message);
    }
    if (input === undefined || input === null || typeof input !== "object" || Array.isArray(input)) {
      throw new HarvestError(422, "The request body must be a JSON object");
    }
    const fields = input as Record<string, unknown>;
    const unknown = Object.keys(fields).filter((k) => !(PROJECT_PATCH_FIELDS as readonly string[]).includes(k));
    if (unknown.length) throw new HarvestError(422, `Unknown parameter${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}`);
    if ("is_active" in fields && typeof fields.is_active !== "boolean") throw new HarvestError(422, "is_active must be true or false");
    const [existing] = await sql`select body, is_active from sim_harvest.projects where id = ${id}`;
    if (!existing) throw new HarvestError(404, "Resource not found");
    if (typeof fields.is_active !== "boolean" || fields.is_active === existing.is_active) {
      sendJson(res, 200, existing.body);
      return;
    }
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const stamp = now.toISOString().replace(/\.\d{3}Z$/, "Z");
    const [row] = await sql`
      update sim_harvest.projects
         set is_active = ${fields.is_active}, updated_at = ${now},
             body = body || ${sql.json({ is_active: fields.is_active, updated_at: stamp })}
       where id = ${id}
      returning body`;
    sendJson(res, 200, row!.body);
  };

  const routes: Route[] = [
    route("GET", "/v2/time_entries", listTimeEntries),
    route("GET", "/v2/projects", masterList({ table: "projects", key: "projects", op: "listProjects" })),
    route("GET", "/v2/projects/{id}", getProject),
    route("PATCH", "/v2/projects/{id}", patchProject),
    route("GET", "/v2/tasks", masterList({ table: "tasks", key: "tasks", op: "listTasks" })),
    route("GET", "/v2/users", masterList({ table: "users", key: "users", op: "listUsers" })),
    route("GET", "/v2/clients", masterList({ table: "clients", key: "clients", op: "listClients" })),
    route("GET", "/v2/task_assignments", masterList({ table: "task_assignments", key: "task_assignments", op: "listTaskAssignments" })),
  ];

  const adminRoutes: Route[] = [
    {
      method: "POST",
      pattern: "/__sim/tick",
      handler: async ({ res, body }) => {
        const input = (await body()) as { now?: unknown } | undefined;
        let now = new Date();
        if (input && typeof input === "object" && "now" in input) {
          now = new Date(String(input.now));
          if (Number.isNaN(now.getTime())) {
            sendJson(res, 400, { error: "now must be an ISO date-time" });
            return;
          }
        }
        sendJson(res, 200, await tick(sql, { now, seed: opts.seed ?? 42 }));
      },
    },
  ];

  return simulatorServer({
    name: "harvest",
    routes,
    injector,
    adminToken: opts.adminToken,
    vendorError: harvestError,
    runWithFaults: (inj, req, res, work) => withFaults(inj, req, res, work, harvestError),
    adminRoutes,
  });
}
