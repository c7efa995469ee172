import { inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client";
import { signInThrottle } from "../db/schema";

/**
 * Failed sign-ins are slowed down per account and per address. Within a 15-minute
 * window, the 5th failure for one account (or the 20th from one address) blocks further
 * attempts for 30 s, and each failure after that doubles the wait, up to 15 minutes.
 */
export const THROTTLE_POLICY = {
  windowSeconds: 15 * 60,
  accountThreshold: 5,
  ipThreshold: 20,
  firstDelaySeconds: 30,
  maxDelaySeconds: 15 * 60,
} as const;

export const accountKey = (email: string) => `account:${email.trim().toLowerCase()}`;
export const ipKey = (ip: string) => `ip:${ip}`;

/** Seconds to block after `failures` failures in the window, for a key with `threshold`. */
export function throttleDelaySeconds(failures: number, threshold: number): number {
  if (failures < threshold) return 0;
  const delay = THROTTLE_POLICY.firstDelaySeconds * 2 ** (failures - threshold);
  return Math.min(THROTTLE_POLICY.maxDelaySeconds, delay);
}

/** Seconds until any of the keys may try again; 0 when none is blocked. */
export async function blockedFor(db: DbOrTx, keys: string[]): Promise<number> {
  const rows = await db
    .select({
      wait: sql<number>`ceil(extract(epoch from (${signInThrottle.blockedUntil} - now())))::int`,
    })
    .from(signInThrottle)
    .where(sql`${inArray(signInThrottle.key, keys)} and ${signInThrottle.blockedUntil} > now()`);
  return rows.reduce((m, r) => Math.max(m, r.wait), 0);
}

/** Counts a failure against each key; returns the longest block it caused (seconds). */
export async function recordFailure(
  db: DbOrTx,
  keys: { key: string; threshold: number }[],
): Promise<number> {
  let longest = 0;
  for (const { key, threshold } of keys) {
    const window = sql.raw(`interval '${THROTTLE_POLICY.windowSeconds} seconds'`);
    const [row] = await db
      .insert(signInThrottle)
      .values({ key, failures: 1 })
      .onConflictDoUpdate({
        target: signInThrottle.key,
        set: {
          failures: sql`case when ${signInThrottle.windowStartedAt} < now() - ${window} then 1 else ${signInThrottle.failures} + 1 end`,
          windowStartedAt: sql`case when ${signInThrottle.windowStartedAt} < now() - ${window} then now() else ${signInThrottle.windowStartedAt} end`,
        },
      })
      .returning({ failures: signInThrottle.failures });
    const delay = throttleDelaySeconds(row?.failures ?? 1, threshold);
    if (delay > 0) {
      await db
        .update(signInThrottle)
        .set({ blockedUntil: sql`now() + make_interval(secs => ${delay})` })
        .where(sql`${signInThrottle.key} = ${key}`);
      longest = Math.max(longest, delay);
    }
  }
  return longest;
}

/** A successful sign-in clears the account's counter (not the address's). */
export async function clearFailures(db: DbOrTx, key: string): Promise<void> {
  await db.delete(signInThrottle).where(sql`${signInThrottle.key} = ${key}`);
}
