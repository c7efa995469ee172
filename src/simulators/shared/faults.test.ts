import type { Server } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { close, listen as listenOn } from "../../../test/http";
import { faultConfig, FaultInjector, faultsFromEnv, NO_FAULTS, withFaults } from "./faults";
import { sendJson, simulatorServer } from "./http";

/** A one-route simulator whose route counts the work it did, so lost responses can be proven. */
function tiny(injector: FaultInjector, adminToken?: string) {
  const state = { effects: 0 };
  const server = simulatorServer({
    name: "tiny",
    injector,
    adminToken,
    routes: [
      {
        method: "POST",
        pattern: "/things",
        handler: async ({ res }) => {
          state.effects += 1;
          sendJson(res, 201, { id: state.effects });
        },
      },
      { method: "GET", pattern: "/things/{id}", handler: async ({ res, params }) => sendJson(res, 200, { id: params.id }) },
    ],
    vendorError: (res, status, message, headers) => sendJson(res, status, { message }, headers),
    runWithFaults: (inj, req, res, work) =>
      withFaults(inj, req, res, work, (r, status, message, headers) => sendJson(r, status, { message }, headers)),
  });
  return { server, state };
}

const servers: Server[] = [];
function listen(server: Server): Promise<string> {
  servers.push(server);
  return listenOn(server);
}
afterEach(async () => {
  while (servers.length) await close(servers.pop()!);
});

const config = (c: Partial<ReturnType<typeof faultConfig.parse>>) => faultConfig.parse(c);

describe("fault injection", () => {
  it("does nothing by default", async () => {
    const { server } = tiny(new FaultInjector());
    const base = await listen(server);
    const res = await fetch(`${base}/things/7`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: "7" });
  });

  it("adds latency", async () => {
    const { server } = tiny(new FaultInjector(config({ latencyMs: 150 })));
    const base = await listen(server);
    const started = performance.now();
    await fetch(`${base}/things/1`);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it("answers a share of requests with 5xx, before doing the work", async () => {
    const { server, state } = tiny(new FaultInjector(config({ serverErrorRate: 1 })));
    const base = await listen(server);
    const res = await fetch(`${base}/things`, { method: "POST" });
    expect([500, 502, 503]).toContain(res.status);
    expect(state.effects).toBe(0);
  });

  it("answers 429 with Retry-After", async () => {
    const { server } = tiny(new FaultInjector(config({ rateLimitRate: 1, retryAfterSeconds: 7 })));
    const base = await listen(server);
    const res = await fetch(`${base}/things/1`);
    expect(res.status).toBe(429);
    expect(res.headers.get("retry-after")).toBe("7");
  });

  it("never answers a timed-out request (the client gives up)", async () => {
    const { server } = tiny(new FaultInjector(config({ timeoutRate: 1 })));
    const base = await listen(server);
    await expect(fetch(`${base}/things/1`, { signal: AbortSignal.timeout(300) })).rejects.toThrow(/abort|timeout/i);
  });

  it("resets the connection", async () => {
    const { server, state } = tiny(new FaultInjector(config({ resetRate: 1 })));
    const base = await listen(server);
    await expect(fetch(`${base}/things`, { method: "POST" })).rejects.toThrow();
    expect(state.effects).toBe(0);
  });

  it("answers 503 during an outage window, and normally after it", async () => {
    const injector = new FaultInjector(config({ outage: { from: new Date(Date.now() - 1000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() } }));
    const { server } = tiny(injector);
    const base = await listen(server);
    const res = await fetch(`${base}/things/1`);
    expect(res.status).toBe(503);
    injector.set(NO_FAULTS);
    expect((await fetch(`${base}/things/1`)).status).toBe(200);
  });

  it("processes a request whose response is then lost on the wire", async () => {
    const { server, state } = tiny(new FaultInjector(config({ lostResponseRate: 1 })));
    const base = await listen(server);
    await expect(fetch(`${base}/things`, { method: "POST" })).rejects.toThrow();
    expect(state.effects).toBe(1);
  });

  it("spreads faults by their shares, the same way for the same seed", () => {
    const run = () => {
      const inj = new FaultInjector(config({ serverErrorRate: 0.2, rateLimitRate: 0.1, seed: 9 }));
      return Array.from({ length: 2000 }, () => inj.decide().kind);
    };
    const kinds = run();
    expect(kinds).toEqual(run());
    const share = (k: string) => kinds.filter((x) => x === k).length / kinds.length;
    expect(share("server_error")).toBeGreaterThan(0.15);
    expect(share("server_error")).toBeLessThan(0.25);
    expect(share("rate_limit")).toBeGreaterThan(0.06);
    expect(share("rate_limit")).toBeLessThan(0.14);
  });

  it("is set at run time through the admin endpoint, which needs the admin token and refuses a bad config", async () => {
    const injector = new FaultInjector();
    const { server } = tiny(injector, "admin-secret");
    const base = await listen(server);
    expect((await fetch(`${base}/__sim/faults`)).status).toBe(401);
    const auth = { Authorization: "Bearer admin-secret", "Content-Type": "application/json" };
    const bad = await fetch(`${base}/__sim/faults`, { method: "PUT", headers: auth, body: JSON.stringify({ serverErrorRate: 2 }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toContain("serverErrorRate");
    const ok = await fetch(`${base}/__sim/faults`, { method: "PUT", headers: auth, body: JSON.stringify({ rateLimitRate: 1 }) });
    expect(ok.status).toBe(200);
    expect((await fetch(`${base}/things/1`)).status).toBe(429);
  });

  it("reads SIM_FAULTS from the environment, naming what is wrong", () => {
    expect(faultsFromEnv(undefined)).toEqual(NO_FAULTS);
    expect(faultsFromEnv('{"latencyMs":20}').latencyMs).toBe(20);
    expect(() => faultsFromEnv("{nope")).toThrow(/SIM_FAULTS must be a JSON object/);
    expect(() => faultsFromEnv('{"resetRate":-1}')).toThrow(/SIM_FAULTS is not valid: resetRate/);
    expect(() => faultsFromEnv('{"surprise":1}')).toThrow(/SIM_FAULTS is not valid/);
  });
});

describe("the simulator server", () => {
  it("answers 404 for an unknown path and 405 for a known path with another method, in the vendor's shape", async () => {
    const { server } = tiny(new FaultInjector());
    const base = await listen(server);
    const missing = await fetch(`${base}/nothing`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ message: "No resource at /nothing" });
    expect((await fetch(`${base}/things`, { method: "DELETE" })).status).toBe(405);
  });
});
