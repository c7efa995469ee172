/** Time as the client sees it: injectable so tests run on a fake clock without waiting. */
export type Clock = () => number;
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener("abort", onAbort, { once: true });
  });

/** At most `size` holders at once; waiters are served first come, first served. */
export class Semaphore {
  private active = 0;
  private readonly waiting: { grant: () => void }[] = [];

  constructor(readonly size: number) {}

  get inFlight(): number {
    return this.active;
  }

  async acquire(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < this.size) {
      this.active += 1;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(waiter);
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.grant(); // the slot passes straight to the next waiter
      else this.active -= 1;
    };
  }
}

/**
 * Harvest's limit, client-side: at most `max` requests in any `windowMs`.
 *
 * A bucket of `max` tokens in which each token comes back `windowMs` after the request
 * that spent it *finished* (a sliding-window log). A classic token bucket refilling at
 * max/window would let a full burst plus a window's refill through (≈2×max in one window)
 * and Harvest, which counts a sliding window, would answer 429. Returning the token when
 * the answer arrives (not when the request left) is conservative: Harvest saw the request
 * no later than that, so its window has expired by the time ours has.
 */
export class SlidingWindowLimiter {
  /** when each token spent in the window comes back; Infinity while its request runs */
  private readonly spent: number[] = [];
  private pausedUntil = 0;

  constructor(
    readonly max: number,
    readonly windowMs: number,
    private readonly now: Clock,
    private readonly sleep: Sleep,
  ) {}

  /** Waits for a token; call the returned function when the request has finished. */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      for (let i = this.spent.length - 1; i >= 0; i--) if (this.spent[i]! <= now) this.spent.splice(i, 1);
      if (this.pausedUntil > now) {
        await this.sleep(this.pausedUntil - now, signal);
        continue;
      }
      if (this.spent.length < this.max) {
        this.spent.push(Infinity);
        let done = false;
        return () => {
          if (done) return;
          done = true;
          // running tokens are interchangeable: stamp one of them with its return time
          const at = this.spent.indexOf(Infinity);
          if (at >= 0) this.spent[at] = this.now() + this.windowMs;
        };
      }
      const soonest = Math.min(...this.spent);
      // every token is held by a running request: wait a little and look again
      await this.sleep(Number.isFinite(soonest) ? soonest - now : Math.min(250, this.windowMs), signal);
    }
  }

  /** Harvest said 429: nobody sends before `untilMs` (the clock's time). */
  pauseUntil(untilMs: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, untilMs);
  }
}
