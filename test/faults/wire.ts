/**
 * The wire between Hourbridge and the vendors, as the fault suite runs it: both simulators in
 * this process on loopback ports, sharing one database, each behind a fault injector that
 * decides per kind of request (a time bill created, a time bill deleted, anything read), so a
 * scenario can lose the answers of reversals without touching reads.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type postgres from "postgres";
import { createHarvestSimulator } from "@/simulators/harvest/server";
import { seedIfEmpty as seedHarvest } from "@/simulators/harvest/store";
import { ensureSchema as ensureNetSuiteSchema } from "@/simulators/netsuite/schema";
import { seedIfEmpty as seedNetSuite } from "@/simulators/netsuite/seed";
import { createNetSuiteSimulator } from "@/simulators/netsuite/server";
import { FaultInjector, faultConfig, NO_FAULTS, type FaultConfig, type FaultDecision } from "@/simulators/shared/faults";
import { close, freshSqlDatabase, listen } from "../http";
import { GENEROUS_RATE_LIMIT, HARVEST_ACCOUNT, NETSUITE_ACCOUNT } from "../simulators";

/** What a request does, as far as faults are concerned. */
export type Route = "create" | "reverse" | "read";
export const ROUTES: Route[] = ["create", "reverse", "read"];
export type FaultKind = FaultDecision["kind"];

const routeOf = new AsyncLocalStorage<Route>();

/**
 * A fault injector with one setting per route. The simulator asks `decide()` inside the
 * request's own async context, where the route of the request is known. Counts are kept per
 * route and kind across every change of settings (the plain injector forgets them on `set`).
 */
export class RoutedFaults extends FaultInjector {
  private readonly injectors = new Map<Route, FaultInjector>(ROUTES.map((r) => [r, new FaultInjector()]));
  readonly totals: Record<Route, Record<FaultKind, number>> = Object.fromEntries(
    ROUTES.map((r) => [r, { none: 0, server_error: 0, rate_limit: 0, timeout: 0, reset: 0, outage: 0, lose_response: 0 }]),
  ) as Record<Route, Record<FaultKind, number>>;

  /** New settings for some routes (a partial config over no faults); the others keep theirs. */
  configure(settings: Partial<Record<Route, Partial<FaultConfig>>>, seed: number) {
    for (const [i, r] of ROUTES.entries()) {
      const s = settings[r];
      if (s) this.injectors.get(r)!.set(faultConfig.parse({ ...s, seed: (seed * 31 + i * 7 + 1) >>> 0 }));
    }
  }

  /** No faults anywhere. */
  calm() {
    for (const inj of this.injectors.values()) inj.set(NO_FAULTS);
  }

  override decide(now = new Date()): FaultDecision {
    const route = routeOf.getStore() ?? "read";
    const d = this.injectors.get(route)!.decide(now);
    this.totals[route][d.kind] += 1;
    return d;
  }

  /** Faults met so far (every kind but "none"), per route. */
  injected(): Record<Route, Partial<Record<FaultKind, number>>> & { total: number } {
    let total = 0;
    const out = {} as Record<Route, Partial<Record<FaultKind, number>>>;
    for (const r of ROUTES) {
      out[r] = {};
      for (const [k, n] of Object.entries(this.totals[r]) as [FaultKind, number][]) {
        if (k === "none" || n === 0) continue;
        out[r][k] = n;
        total += n;
      }
    }
    return { ...out, total };
  }

  requests(): number {
    return ROUTES.reduce((a, r) => a + Object.values(this.totals[r]).reduce((x, y) => x + y, 0), 0);
  }
}

/** Runs every request of `server` inside its route's context. */
function routeRequests(server: Server, classify: (req: IncomingMessage) => Route) {
  const listeners = server.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
  server.removeAllListeners("request");
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    routeOf.run(classify(req), () => {
      for (const l of listeners) l(req, res);
    });
  });
}

const netsuiteRoute = (req: IncomingMessage): Route => {
  const path = (req.url ?? "").split("?")[0]!.toLowerCase();
  if (path.startsWith("/services/rest/record/v1/timebill")) {
    if (req.method === "POST") return "create";
    if (req.method === "DELETE") return "reverse";
  }
  return "read";
};

export type Simulators = {
  /** the simulators' database: sim_harvest (the source's state), sim_netsuite (the ERP's ledger) */
  sql: postgres.Sql;
  harvest: { base: string; apiUrl: string; accountId: string; token: string; faults: RoutedFaults };
  netsuite: { base: string; apiUrl: string; accountId: string; token: string; faults: RoutedFaults };
  stop: () => Promise<void>;
};

export type FirmOptions = { seed: number; consultants: number; projects: number; months: number; endDate: string };

/**
 * Both simulators seeded from the demo generator with `firm`, in one fresh database. The ERP
 * keeps the firm's master data but none of its time: every time bill in it comes from the
 * pipeline under test.
 */
export async function startSimulators(firm: FirmOptions): Promise<Simulators> {
  const db = await freshSqlDatabase(16);
  const servers: Server[] = [];
  try {
    await seedHarvest(db.sql, firm);
    await ensureNetSuiteSchema(db.sql);
    await seedNetSuite(db.sql, firm);
    await db.sql`truncate sim_netsuite.transactionline, sim_netsuite."transaction", sim_netsuite.timebill cascade`;

    const harvestFaults = new RoutedFaults();
    const harvestServer = createHarvestSimulator({ sql: db.sql, accountId: HARVEST_ACCOUNT, token: "ht", rateLimit: GENEROUS_RATE_LIMIT, seed: firm.seed, faults: harvestFaults });
    routeRequests(harvestServer, () => "read");
    servers.push(harvestServer);
    const harvestBase = await listen(harvestServer);

    const netsuiteFaults = new RoutedFaults();
    const netsuiteServer = createNetSuiteSimulator({ sql: db.sql, accountId: NETSUITE_ACCOUNT, token: "nt", faults: netsuiteFaults, concurrencyLimit: 8 });
    routeRequests(netsuiteServer, netsuiteRoute);
    servers.push(netsuiteServer);
    const netsuiteBase = await listen(netsuiteServer);

    return {
      sql: db.sql,
      harvest: { base: harvestBase, apiUrl: `${harvestBase}/v2`, accountId: HARVEST_ACCOUNT, token: "ht", faults: harvestFaults },
      netsuite: { base: netsuiteBase, apiUrl: `${netsuiteBase}/services/rest`, accountId: NETSUITE_ACCOUNT, token: "nt", faults: netsuiteFaults },
      stop: async () => {
        for (const s of servers) await close(s);
        await db.drop();
      },
    };
  } catch (err) {
    for (const s of servers) if (s.listening) await close(s);
    await db.drop();
    throw err;
  }
}
