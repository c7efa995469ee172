import { describe, expect, it } from "vitest";
import { CronError, cronMatches, parseCron } from "./cron";

const at = (iso: string) => new Date(iso);

describe("connector schedules (cron)", () => {
  it("matches steps, ranges and lists in UTC", () => {
    const every5 = parseCron("*/5 * * * *");
    expect(cronMatches(every5, at("2026-05-12T10:15:00Z"))).toBe(true);
    expect(cronMatches(every5, at("2026-05-12T10:16:00Z"))).toBe(false);
    const weekdays = parseCron("0 6-18/6 * * 1-5");
    expect(cronMatches(weekdays, at("2026-05-12T12:00:00Z"))).toBe(true); // Tuesday
    expect(cronMatches(weekdays, at("2026-05-16T12:00:00Z"))).toBe(false); // Saturday
    expect(cronMatches(weekdays, at("2026-05-12T13:00:00Z"))).toBe(false);
    expect(cronMatches(parseCron("30 2 1,15 * *"), at("2026-05-15T02:30:00Z"))).toBe(true);
  });

  it.each([
    ["* * * *", /has 4/],
    ["61 * * * *", /minute field "61" is outside 0–59/],
    ["* * * 13 *", /month field "13"/],
    ["*/0 * * * *", /step must be at least 1/],
    ["every five minutes please", /has 4|field/],
    ["a * * * *", /minute field "a" is not/],
  ])("refuses %s, saying why", (expr, why) => {
    expect(() => parseCron(expr)).toThrow(CronError);
    expect(() => parseCron(expr)).toThrow(why);
  });
});

describe("the next time a schedule fires", () => {
  it("is the next matching minute after the given instant, in UTC", async () => {
    const { nextFire } = await import("./cron");
    expect(nextFire(parseCron("*/5 * * * *"), at("2026-05-12T10:15:30Z"))?.toISOString()).toBe("2026-05-12T10:20:00.000Z");
    expect(nextFire(parseCron("* * * * *"), at("2026-05-12T10:15:00Z"))?.toISOString()).toBe("2026-05-12T10:16:00.000Z");
    expect(nextFire(parseCron("0 3 * * *"), at("2026-05-12T10:15:00Z"))?.toISOString()).toBe("2026-05-13T03:00:00.000Z");
    expect(nextFire(parseCron("30 2 1,15 * *"), at("2026-05-15T02:30:00Z"))?.toISOString()).toBe("2026-06-01T02:30:00.000Z");
    expect(nextFire(parseCron("0 12 * * 6"), at("2026-05-12T12:00:00Z"))?.toISOString()).toBe("2026-05-16T12:00:00.000Z"); // Saturday
    expect(nextFire(parseCron("0 0 31 2 *"), at("2026-05-12T12:00:00Z"))).toBeNull(); // 31 February never comes
  });
});
