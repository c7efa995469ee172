import { describe, expect, it } from "vitest";
import { nextDelayMs } from "./backoff";

const policy = { baseDelayMs: 1000, maxDelayMs: 60_000 };

describe("posting backoff", () => {
  it("grows exponentially with full jitter, up to the cap", () => {
    expect(nextDelayMs(1, policy, null, () => 0.999)).toBe(999);
    expect(nextDelayMs(3, policy, null, () => 0.999)).toBe(3996);
    expect(nextDelayMs(20, policy, null, () => 0.999)).toBe(59_940);
    expect(nextDelayMs(5, policy, null, () => 0)).toBe(0);
  });

  it("never retries sooner than the ERP's Retry-After", () => {
    expect(nextDelayMs(1, policy, 30_000, () => 0.5)).toBe(30_000);
    // attempt 8: the cap (60 s) with jitter 0.5 is 30 s, later than the 1 s asked for
    expect(nextDelayMs(8, policy, 1_000, () => 0.5)).toBe(30_000);
  });

  it("spreads retries of many postings instead of sending them together", () => {
    const delays = new Set(Array.from({ length: 200 }, () => nextDelayMs(4, policy, null)));
    expect(delays.size).toBeGreaterThan(150);
    for (const d of delays) expect(d).toBeLessThan(8000);
  });
});
