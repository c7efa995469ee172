import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { faultConfig, FaultInjector } from "./faults";

export type Handler = (ctx: {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
  body: () => Promise<unknown>;
}) => Promise<void>;

export type Route = { method: string; pattern: string; handler: Handler };

/** "/v2/projects/{id}" → a matcher that extracts { id } */
function compile(pattern: string) {
  const names: string[] = [];
  const re = new RegExp(
    "^" +
      pattern.replace(/\{(\w+)\}/g, (_, n: string) => {
        names.push(n);
        return "([^/]+)";
      }) +
      "/?$",
  );
  return (path: string) => {
    const m = re.exec(path);
    if (!m) return null;
    return Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
  };
}

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw Object.assign(new Error("request body too large"), { status: 413 });
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = body === undefined ? "" : JSON.stringify(body);
  res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

/**
 * A small HTTP server for a simulator: routes, faults, and the admin endpoints every
 * simulator shares (GET/PUT /__sim/faults, protected by SIM_ADMIN_TOKEN when set).
 */
export function simulatorServer(opts: {
  name: string;
  routes: Route[];
  injector: FaultInjector;
  adminToken?: string;
  vendorError: (res: ServerResponse, status: number, message: string, headers?: Record<string, string>) => void;
  runWithFaults: (injector: FaultInjector, req: IncomingMessage, res: ServerResponse, work: () => Promise<void>) => Promise<void>;
  adminRoutes?: Route[];
}): Server {
  const routes = opts.routes.map((r) => ({ ...r, match: compile(r.pattern) }));
  const admin = ([
    ...(opts.adminRoutes ?? []),
    {
      method: "GET",
      pattern: "/__sim/faults",
      handler: async ({ res }) => sendJson(res, 200, { config: opts.injector.current, counts: opts.injector.counts }),
    },
    {
      method: "PUT",
      pattern: "/__sim/faults",
      handler: async ({ res, body }) => {
        const parsed = faultConfig.safeParse(await body());
        if (!parsed.success) {
          sendJson(res, 400, { error: parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ") });
          return;
        }
        opts.injector.set(parsed.data);
        sendJson(res, 200, { config: opts.injector.current });
      },
    },
    { method: "GET", pattern: "/__sim/health", handler: async ({ res }) => sendJson(res, 200, { simulator: opts.name, ok: true }) },
  ] satisfies Route[]).map((r) => ({ ...r, match: compile(r.pattern) }));

  return createServer(async (req, res) => {
    const url = new URL(req.url ?? "/", "http://simulator.local");
    let cachedBody: Promise<unknown> | undefined;
    const body = () =>
      (cachedBody ??= readBody(req).then((text) => {
        if (!text) return undefined;
        try {
          return JSON.parse(text);
        } catch {
          throw Object.assign(new Error("request body is not valid JSON"), { status: 400 });
        }
      }));
    const run = async (route: (typeof routes)[number], params: Record<string, string>) => {
      try {
        await route.handler({ req, res, url, params, body });
      } catch (err) {
        const status = (err as { status?: number }).status ?? 500;
        // a failure of the simulator itself is logged here, never described to the client
        const message = status >= 500 ? "Internal server error" : (err as Error).message;
        if (!res.headersSent) opts.vendorError(res, status, message);
        if (status >= 500) console.error(`[${opts.name}]`, err);
      }
    };

    if (url.pathname.startsWith("/__sim/")) {
      if (opts.adminToken && req.headers.authorization !== `Bearer ${opts.adminToken}`) {
        sendJson(res, 401, { error: "admin token required" });
        return;
      }
      for (const r of admin) {
        const params = r.method === req.method ? r.match(url.pathname) : null;
        if (params) return run(r, params);
      }
      sendJson(res, 404, { error: "unknown admin endpoint" });
      return;
    }

    for (const r of routes) {
      const params = r.match(url.pathname);
      if (!params) continue;
      if (r.method !== req.method) continue;
      await opts.runWithFaults(opts.injector, req, res, () => run(r, params));
      return;
    }
    const known = routes.some((r) => r.match(url.pathname));
    opts.vendorError(res, known ? 405 : 404, known ? `Method ${req.method} not allowed` : `No resource at ${url.pathname}`);
  });
}
