import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";

/**
 * Fault injection for the vendor simulators, set per run from the environment
 * (SIM_FAULTS, JSON) or at run time through the admin endpoint (PUT /__sim/faults).
 * Decisions come from a seeded generator, so a run with the same seed and the same
 * requests meets the same faults.
 */
export const faultConfig = z
  .object({
    /** added to every response */
    latencyMs: z.number().int().min(0).max(60_000).default(0),
    /** plus up to this much, at random */
    jitterMs: z.number().int().min(0).max(60_000).default(0),
    /** share of requests answered 500/502/503 before any work is done */
    serverErrorRate: z.number().min(0).max(1).default(0),
    /** share answered 429 with Retry-After */
    rateLimitRate: z.number().min(0).max(1).default(0),
    retryAfterSeconds: z.number().int().min(0).max(3600).default(2),
    /** share that never answer (the client's timeout decides) */
    timeoutRate: z.number().min(0).max(1).default(0),
    /** share whose connection is reset before any work is done */
    resetRate: z.number().min(0).max(1).default(0),
    /** share that are processed (the effect happens) but whose response is lost on the wire */
    lostResponseRate: z.number().min(0).max(1).default(0),
    /** while now is inside this window, every request gets 503 */
    outage: z.object({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) }).nullable().default(null),
    seed: z.number().int().default(1),
  })
  .strict();
export type FaultConfig = z.infer<typeof faultConfig>;

export const NO_FAULTS: FaultConfig = faultConfig.parse({});

/** What to do with one request, decided before the handler runs. */
export type FaultDecision =
  | { kind: "none"; delayMs: number }
  | { kind: "server_error"; status: 500 | 502 | 503; delayMs: number }
  | { kind: "rate_limit"; retryAfterSeconds: number; delayMs: number }
  | { kind: "timeout" }
  | { kind: "reset" }
  | { kind: "outage"; until: string }
  | { kind: "lose_response"; delayMs: number };

/** mulberry32: small, fast, good enough to spread faults and simulated activity evenly. */
export function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultInjector {
  private config: FaultConfig;
  private next: () => number;
  readonly counts: Record<FaultDecision["kind"], number> = {
    none: 0,
    server_error: 0,
    rate_limit: 0,
    timeout: 0,
    reset: 0,
    outage: 0,
    lose_response: 0,
  };

  constructor(config: FaultConfig = NO_FAULTS) {
    this.config = config;
    this.next = generator(config.seed);
  }

  get current(): FaultConfig {
    return this.config;
  }

  set(config: FaultConfig) {
    this.config = config;
    this.next = generator(config.seed);
    for (const k of Object.keys(this.counts) as FaultDecision["kind"][]) this.counts[k] = 0;
  }

  decide(now = new Date()): FaultDecision {
    const c = this.config;
    const d = this.pick(c, now);
    this.counts[d.kind] += 1;
    return d;
  }

  private pick(c: FaultConfig, now: Date): FaultDecision {
    if (c.outage && now >= new Date(c.outage.from) && now < new Date(c.outage.to)) return { kind: "outage", until: c.outage.to };
    const delayMs = c.latencyMs + (c.jitterMs ? Math.floor(this.next() * c.jitterMs) : 0);
    let roll = this.next();
    const take = (rate: number) => {
      if (roll < rate) return true;
      roll -= rate;
      return false;
    };
    if (take(c.timeoutRate)) return { kind: "timeout" };
    if (take(c.resetRate)) return { kind: "reset" };
    if (take(c.serverErrorRate)) {
      const codes = [500, 502, 503] as const;
      return { kind: "server_error", status: codes[Math.floor(this.next() * 3)]!, delayMs };
    }
    if (take(c.rateLimitRate)) return { kind: "rate_limit", retryAfterSeconds: c.retryAfterSeconds, delayMs };
    if (take(c.lostResponseRate)) return { kind: "lose_response", delayMs };
    return { kind: "none", delayMs };
  }
}

/** SIM_FAULTS='{"serverErrorRate":0.1}' → a config, or a sentence naming what is wrong. */
export function faultsFromEnv(raw: string | undefined): FaultConfig {
  if (!raw) return NO_FAULTS;
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error("SIM_FAULTS must be a JSON object, e.g. {\"serverErrorRate\":0.1}");
  }
  const parsed = faultConfig.safeParse(json);
  if (!parsed.success) {
    throw new Error(`SIM_FAULTS is not valid: ${parsed.error.issues.map((i) => `${i.path.join(".") || "value"}: ${i.message}`).join("; ")}`);
  }
  return parsed.data;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs a request through the injector: faults that happen before the work short-circuit
 * the handler; a lost response lets the handler do its work, then drops the connection.
 * `vendorError` writes an error body in the vendor's own shape.
 */
export async function withFaults(
  injector: FaultInjector,
  req: IncomingMessage,
  res: ServerResponse,
  handler: () => Promise<void>,
  vendorError: (res: ServerResponse, status: number, message: string, headers?: Record<string, string>) => void,
): Promise<void> {
  const d = injector.decide();
  switch (d.kind) {
    case "timeout":
      // hold the connection open and answer nothing; the client's timeout ends it
      req.socket.setTimeout(0);
      return;
    case "reset":
      req.socket.destroy();
      return;
    case "outage":
      vendorError(res, 503, `Service unavailable until ${d.until} (simulated outage)`, { "Retry-After": "30" });
      return;
    case "server_error":
      await sleep(d.delayMs);
      vendorError(res, d.status, "Internal server error (simulated)");
      return;
    case "rate_limit":
      await sleep(d.delayMs);
      vendorError(res, 429, "Too many requests (simulated)", { "Retry-After": String(d.retryAfterSeconds) });
      return;
    case "lose_response": {
      await sleep(d.delayMs);
      // the work happens; only its answer never arrives
      res.writeHead = (() => res) as unknown as typeof res.writeHead;
      res.setHeader = (() => res) as unknown as typeof res.setHeader;
      res.end = (() => res) as unknown as typeof res.end;
      await handler();
      req.socket.destroy();
      return;
    }
    case "none":
      if (d.delayMs) await sleep(d.delayMs);
      await handler();
  }
}
