import { describe, expect, it } from "vitest";
import { createLog } from "./log";

const capture = (level: "debug" | "info" | "warn" | "error" = "info") => {
  const lines: string[] = [];
  const log = createLog({ level, write: (l) => lines.push(l), now: () => new Date("2026-11-22T08:00:00Z") });
  return { log, lines, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
};

describe("structured logs", () => {
  it("writes one JSON object per line with time, level, message and the context's correlation id", () => {
    const { log, lines, parsed } = capture();
    log.child({ correlationId: "job-42", task: "pull-time" }).info("page 3 committed", { fetched: 500 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain("\n");
    expect(parsed()[0]).toEqual({ ts: "2026-11-22T08:00:00.000Z", level: "info", msg: "page 3 committed", correlationId: "job-42", task: "pull-time", fetched: 500 });
  });

  it("drops lines below the level and keeps the rest", () => {
    const { log, parsed } = capture("warn");
    log.debug("d");
    log.info("i");
    log.warn("w");
    log.error("e");
    expect(parsed().map((l) => l.level)).toEqual(["warn", "error"]);
  });

  it("turns errors into their name and message, and survives what JSON cannot hold", () => {
    const { log, parsed } = capture();
    log.error("send failed", { err: new TypeError("socket hang up"), big: 10n });
    expect(parsed()[0]).toMatchObject({ err: { name: "TypeError", message: "socket hang up" }, big: "10" });
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    log.info("odd", { circular });
    expect(parsed()[1]).toMatchObject({ msg: "odd", note: "fields could not be serialised" });
  });

  it("a child's fields add to its parent's and may override them", () => {
    const { log, parsed } = capture();
    log.child({ correlationId: "a", connector: "harvest" }).child({ correlationId: "b" }).info("x");
    expect(parsed()[0]).toMatchObject({ correlationId: "b", connector: "harvest" });
  });
});
