/**
 * When to try a transient failure again: exponential backoff with full jitter (a random
 * delay between 0 and base × 2^(attempt−1), capped), never sooner than the ERP asked for.
 */
export type BackoffPolicy = { baseDelayMs: number; maxDelayMs: number };

export function nextDelayMs(
  attempt: number,
  policy: BackoffPolicy,
  retryAfterMs: number | null,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, retryAfterMs ?? 0);
}
