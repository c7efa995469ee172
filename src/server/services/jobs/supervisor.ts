/**
 * Keeps one child process running: the launcher's worker (`npm run dev` / `npm start`). A child
 * that exits while the launcher is not stopping is started again after a backoff that starts at
 * `minDelayMs` and doubles up to `maxDelayMs`; a child that ran at least `resetAfterMs` before it
 * exited is restarted after `minDelayMs` again (a crash now and then is not a crash loop). Each
 * exit and restart is logged; `onChange` hears every change of state (the launcher shows it in
 * /api/health through its presence in PostgreSQL, see presence.ts).
 */

/** What the supervisor needs of a child process (a node ChildProcess has it). */
export interface ChildLike {
  readonly pid?: number;
  readonly exitCode: number | null;
  readonly signalCode: NodeJS.Signals | string | null;
  once(event: "exit", listener: (code: number | null, signal: NodeJS.Signals | null) => void): unknown;
  kill(signal?: NodeJS.Signals): boolean;
}

export type SupervisorStatus = {
  state: "starting" | "running" | "restarting" | "stopped";
  /** restarts so far (the first start is not one) */
  restarts: number;
  pid: number | null;
  /** how the last child ended: "code 1", "SIGKILL" */
  lastExit: string | null;
  /** when the next start is due, while restarting */
  nextStartAt: Date | null;
};

export type Timers = {
  now: () => number;
  setTimeout: (fn: () => void, ms: number) => unknown;
  clearTimeout: (handle: unknown) => void;
};

const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export type Supervisor = {
  status(): SupervisorStatus;
  /** stops restarting, sends `signal` to the child and waits for it to exit (or for `killAfterMs`, then SIGKILL) */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<void>;
};

export const BACKOFF = { minDelayMs: 1_000, maxDelayMs: 30_000, resetAfterMs: 60_000 } as const;

/** The delay before restart number `n` (1-based) of a child that keeps dying young. */
export function backoffDelay(n: number, { minDelayMs = BACKOFF.minDelayMs, maxDelayMs = BACKOFF.maxDelayMs }: { minDelayMs?: number; maxDelayMs?: number } = {}): number {
  return Math.min(maxDelayMs, minDelayMs * 2 ** Math.max(0, n - 1));
}

const describeExit = (code: number | null, signal: string | null) => (signal ? signal : `code ${code ?? "?"}`);

export function superviseProcess({
  name,
  start,
  log,
  onChange,
  minDelayMs = BACKOFF.minDelayMs,
  maxDelayMs = BACKOFF.maxDelayMs,
  resetAfterMs = BACKOFF.resetAfterMs,
  timers = realTimers,
}: {
  /** how the log names it ("the worker") */
  name: string;
  /** starts the child; `restarts` is how many restarts came before this start */
  start: (restarts: number) => ChildLike;
  log: (line: string) => void;
  onChange?: (status: SupervisorStatus) => void;
  minDelayMs?: number;
  maxDelayMs?: number;
  resetAfterMs?: number;
  timers?: Timers;
}): Supervisor {
  const status: SupervisorStatus = { state: "starting", restarts: 0, pid: null, lastExit: null, nextStartAt: null };
  let child: ChildLike | null = null;
  let startedAt = 0;
  /** restarts in the current streak of children dying young */
  let streak = 0;
  let pending: unknown = null;
  let stopping = false;
  let exited: Promise<void> = Promise.resolve();

  const changed = () => onChange?.({ ...status });

  const launch = () => {
    pending = null;
    if (stopping) return;
    let c: ChildLike;
    try {
      c = start(status.restarts);
    } catch (err) {
      // could not even be spawned: treated as a child that died at once
      log(`${name} could not be started: ${(err as Error).message}`);
      scheduleRestart("not started");
      return;
    }
    child = c;
    startedAt = timers.now();
    status.state = "running";
    status.pid = c.pid ?? null;
    status.nextStartAt = null;
    changed();
    exited = new Promise<void>((resolve) => {
      c.once("exit", (code, signal) => {
        resolve();
        if (child !== c) return;
        child = null;
        status.pid = null;
        status.lastExit = describeExit(code, signal);
        if (stopping) {
          status.state = "stopped";
          changed();
          return;
        }
        const ranMs = timers.now() - startedAt;
        if (ranMs >= resetAfterMs) streak = 0;
        scheduleRestart(`${status.lastExit} after ${Math.round(ranMs / 1000)} s`);
      });
    });
  };

  const scheduleRestart = (why: string) => {
    streak += 1;
    const delay = backoffDelay(streak, { minDelayMs, maxDelayMs });
    status.state = "restarting";
    status.restarts += 1;
    status.nextStartAt = new Date(timers.now() + delay);
    log(`${name} stopped (${why}); starting it again in ${delay / 1000} s (restart ${status.restarts})`);
    changed();
    pending = timers.setTimeout(launch, delay);
  };

  launch();

  return {
    status: () => ({ ...status }),
    stop: async (signal = "SIGTERM", killAfterMs = 15_000) => {
      stopping = true;
      if (pending !== null) {
        timers.clearTimeout(pending);
        pending = null;
      }
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) {
        status.state = "stopped";
        changed();
        return;
      }
      c.kill(signal);
      const force = timers.setTimeout(() => {
        if (c.exitCode === null && c.signalCode === null) {
          log(`${name} did not stop within ${killAfterMs / 1000} s; killing it`);
          c.kill("SIGKILL");
        }
      }, killAfterMs);
      await exited;
      timers.clearTimeout(force);
    },
  };
}
