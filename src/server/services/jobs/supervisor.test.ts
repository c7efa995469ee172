/**
 * The launcher's supervision of the worker, with fake child processes and a fake clock: a child
 * that dies is started again after 1 s, 2 s, 4 s … up to 30 s; back to 1 s once a child had run a
 * minute; nothing restarts once the launcher stops.
 */
import { EventEmitter } from "node:events";
import { describe, expect, it } from "vitest";
import { backoffDelay, superviseProcess, type ChildLike, type SupervisorStatus, type Timers } from "./supervisor";

class FakeChild extends EventEmitter implements ChildLike {
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed: string[] = [];
  constructor(readonly pid: number) {
    super();
  }
  /** the process ends (as a crash, a SIGKILL from outside, or after a kill() below) */
  exit(code: number | null, signal: NodeJS.Signals | null = null) {
    this.exitCode = code;
    this.signalCode = signal;
    this.emit("exit", code, signal);
  }
  kill(signal: NodeJS.Signals = "SIGTERM") {
    this.killed.push(signal);
    return true;
  }
}

/** a clock that only moves when told, and runs the timers that fall due */
function fakeTimers() {
  let now = 0;
  let seq = 0;
  const pending = new Map<number, { at: number; fn: () => void }>();
  const timers: Timers = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      pending.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (id) => void pending.delete(id as number),
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = [...pending.entries()].filter(([, t]) => t.at <= until).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].fn();
    }
    now = until;
  };
  return { timers, advance, pending: () => pending.size };
}

function setup(opts: { resetAfterMs?: number } = {}) {
  const clock = fakeTimers();
  const children: FakeChild[] = [];
  const starts: number[] = [];
  const lines: string[] = [];
  const states: SupervisorStatus[] = [];
  const sup = superviseProcess({
    name: "the worker",
    start: (restarts) => {
      starts.push(restarts);
      const c = new FakeChild(1000 + children.length);
      children.push(c);
      return c;
    },
    log: (l) => lines.push(l),
    onChange: (s) => states.push(s),
    timers: clock.timers,
    ...opts,
  });
  return { sup, clock, children, starts, lines, states, last: () => children[children.length - 1]! };
}

describe("the worker's supervision", () => {
  it("computes the backoff: 1 s doubling to 30 s", () => {
    expect([1, 2, 3, 4, 5, 6, 7, 12].map((n) => backoffDelay(n))).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });

  it("restarts a child that dies, with a doubling backoff, and says so each time", () => {
    const { sup, clock, children, starts, lines, last } = setup();
    expect(children).toHaveLength(1);
    expect(sup.status()).toMatchObject({ state: "running", restarts: 0, pid: 1000 });

    const delays: number[] = [];
    for (let i = 0; i < 7; i++) {
      clock.advance(500); // dies young
      last().exit(null, "SIGKILL");
      const s = sup.status();
      expect(s.state).toBe("restarting");
      expect(s.lastExit).toBe("SIGKILL");
      const delay = s.nextStartAt!.getTime() - clock.timers.now();
      delays.push(delay);
      clock.advance(delay - 1);
      expect(children).toHaveLength(i + 1); // not a moment early
      clock.advance(1);
      expect(children).toHaveLength(i + 2);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000]);
    // each start is told how many restarts came before it (the worker shows it in its presence)
    expect(starts).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(sup.status()).toMatchObject({ state: "running", restarts: 7, pid: 1007 });
    expect(lines[0]).toBe("the worker stopped (SIGKILL after 1 s); starting it again in 1 s (restart 1)");
    expect(lines[6]).toBe("the worker stopped (SIGKILL after 1 s); starting it again in 30 s (restart 7)");
  });

  it("goes back to 1 s once a child had run a while", () => {
    const { sup, clock, last } = setup({ resetAfterMs: 60_000 });
    for (let i = 0; i < 3; i++) {
      last().exit(1);
      clock.advance(sup.status().nextStartAt!.getTime() - clock.timers.now());
    }
    clock.advance(59_000);
    last().exit(1);
    expect(sup.status().nextStartAt!.getTime() - clock.timers.now()).toBe(8000); // 59 s is not a while
    clock.advance(8000);
    clock.advance(60_000);
    last().exit(2);
    expect(sup.status()).toMatchObject({ state: "restarting", restarts: 5, lastExit: "code 2" });
    expect(sup.status().nextStartAt!.getTime() - clock.timers.now()).toBe(1000);
  });

  it("reports every change of state", () => {
    const { clock, last, states } = setup();
    last().exit(1);
    clock.advance(1000);
    expect(states.map((s) => [s.state, s.restarts, s.pid, s.lastExit])).toEqual([
      ["running", 0, 1000, null],
      ["restarting", 1, null, "code 1"],
      ["running", 1, 1001, "code 1"],
    ]);
  });

  it("stops: the child is asked to stop, nothing is restarted, and a child that will not stop is killed", async () => {
    const { sup, clock, children, last } = setup();
    const child = last();
    const stopped = sup.stop("SIGTERM", 15_000);
    expect(child.killed).toEqual(["SIGTERM"]);
    clock.advance(15_000);
    expect(child.killed).toEqual(["SIGTERM", "SIGKILL"]);
    child.exit(null, "SIGKILL");
    await stopped;
    expect(sup.status().state).toBe("stopped");
    clock.advance(120_000);
    expect(children).toHaveLength(1);
  });

  it("a stop during the backoff cancels the restart", async () => {
    const { sup, clock, children, last } = setup();
    last().exit(1);
    await sup.stop();
    clock.advance(120_000);
    expect(children).toHaveLength(1);
    expect(sup.status().state).toBe("stopped");
    expect(clock.pending()).toBe(0);
  });

  it("a child that cannot even be spawned is tried again with the same backoff", () => {
    const clock = fakeTimers();
    const lines: string[] = [];
    let tries = 0;
    const sup = superviseProcess({
      name: "the worker",
      start: () => {
        tries += 1;
        if (tries < 3) throw new Error("spawn ENOENT");
        return new FakeChild(7);
      },
      log: (l) => lines.push(l),
      timers: clock.timers,
    });
    expect(sup.status().state).toBe("restarting");
    clock.advance(1000);
    clock.advance(2000);
    expect(tries).toBe(3);
    expect(sup.status()).toMatchObject({ state: "running", pid: 7, restarts: 2 });
    expect(lines[0]).toBe("the worker could not be started: spawn ENOENT");
  });
});
