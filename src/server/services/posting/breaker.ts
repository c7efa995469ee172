import { eq, sql } from "drizzle-orm";
import type { Db } from "../../db/client";
import { circuitBreakers } from "../../db/schema";

export type BreakerPolicy = {
  /** transient failures in a row (network, timeouts, 5xx) that open the circuit */
  failureThreshold: number;
  /** how long an opened circuit waits before one probe; doubles each time it reopens */
  cooldownMs: number;
  maxCooldownMs: number;
};

export const DEFAULT_BREAKER_POLICY: BreakerPolicy = { failureThreshold: 5, cooldownMs: 30_000, maxCooldownMs: 10 * 60_000 };

/** How many postings may be sent now: all (closed), one probe (the cool-down is over), or none. */
export type Gate = { allow: "all" | "probe" | "none"; state: "closed" | "open" | "half_open" };

/**
 * Asks the shared breaker whether to send. When an open circuit's cool-down is over, exactly
 * one caller (a conditional update decides) gets to send one probe; a probe that never
 * reports back (its worker died) lets another probe go after a further cool-down.
 */
export async function breakerGate(db: Db, connectorId: string, policy: BreakerPolicy): Promise<Gate> {
  await db.insert(circuitBreakers).values({ connectorId }).onConflictDoNothing();
  const [b] = await db.select().from(circuitBreakers).where(eq(circuitBreakers.connectorId, connectorId));
  if (!b || b.state === "closed") return { allow: "all", state: "closed" };
  const [won] = await db
    .update(circuitBreakers)
    .set({ state: "half_open", probeAt: sql`now() + make_interval(secs => ${cooldownMs(b.openings, policy) / 1000})`, updatedAt: sql`now()` })
    .where(sql`${circuitBreakers.connectorId} = ${connectorId} and ${circuitBreakers.state} in ('open', 'half_open') and ${circuitBreakers.probeAt} <= now()`)
    .returning({ connectorId: circuitBreakers.connectorId });
  return won ? { allow: "probe", state: "half_open" } : { allow: "none", state: b.state };
}

/** Reports an answer: any meaningful one closes the circuit; a transient failure counts towards opening it. */
export async function breakerRecord(db: Db, connectorId: string, result: { ok: true } | { ok: false; error: string }, policy: BreakerPolicy) {
  if (result.ok) {
    await db
      .update(circuitBreakers)
      .set({ state: "closed", consecutiveFailures: 0, openings: 0, openedAt: null, probeAt: null, lastError: null, updatedAt: sql`now()` })
      .where(sql`${circuitBreakers.connectorId} = ${connectorId} and (${circuitBreakers.state} <> 'closed' or ${circuitBreakers.consecutiveFailures} > 0)`);
    return;
  }
  const [b] = await db
    .update(circuitBreakers)
    .set({ consecutiveFailures: sql`${circuitBreakers.consecutiveFailures} + 1`, lastError: result.error, updatedAt: sql`now()` })
    .where(eq(circuitBreakers.connectorId, connectorId))
    .returning();
  if (!b) return;
  if (b.state === "half_open" || (b.state === "closed" && b.consecutiveFailures >= policy.failureThreshold)) {
    await db
      .update(circuitBreakers)
      .set({
        state: "open",
        openings: sql`${circuitBreakers.openings} + 1`,
        openedAt: sql`now()`,
        probeAt: sql`now() + make_interval(secs => ${cooldownMs(b.openings, policy) / 1000})`,
        updatedAt: sql`now()`,
      })
      .where(eq(circuitBreakers.connectorId, connectorId));
  }
}

function cooldownMs(openings: number, policy: BreakerPolicy): number {
  return Math.min(policy.maxCooldownMs, policy.cooldownMs * 2 ** openings);
}
