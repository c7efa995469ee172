import { describe, expect, it } from "vitest";
import { accountKey, ipKey, THROTTLE_POLICY, throttleDelaySeconds } from "./throttle";

describe("throttleDelaySeconds", () => {
  it("does not slow anyone down below the threshold", () => {
    for (let failures = 0; failures < 5; failures++) expect(throttleDelaySeconds(failures, 5)).toBe(0);
    expect(throttleDelaySeconds(19, 20)).toBe(0);
  });

  it("blocks for 30 s at the threshold and doubles with each failure after it", () => {
    expect(throttleDelaySeconds(5, 5)).toBe(30);
    expect(throttleDelaySeconds(6, 5)).toBe(60);
    expect(throttleDelaySeconds(7, 5)).toBe(120);
    expect(throttleDelaySeconds(8, 5)).toBe(240);
    expect(throttleDelaySeconds(9, 5)).toBe(480);
    expect(throttleDelaySeconds(20, 20)).toBe(30);
    expect(throttleDelaySeconds(21, 20)).toBe(60);
  });

  it("never blocks for longer than 15 minutes", () => {
    expect(throttleDelaySeconds(10, 5)).toBe(900);
    expect(throttleDelaySeconds(11, 5)).toBe(900);
    expect(throttleDelaySeconds(1000, 5)).toBe(900);
  });

  it("matches the documented policy", () => {
    expect(THROTTLE_POLICY).toEqual({
      windowSeconds: 900,
      accountThreshold: 5,
      ipThreshold: 20,
      firstDelaySeconds: 30,
      maxDelaySeconds: 900,
    });
  });
});

describe("throttle keys", () => {
  it("counts one account whatever the case and spacing of its e-mail", () => {
    expect(accountKey("  Dana@Example.COM ")).toBe("account:dana@example.com");
    expect(accountKey("dana@example.com")).toBe(accountKey("DANA@example.com"));
  });

  it("keeps addresses and accounts apart", () => {
    expect(ipKey("10.0.0.1")).toBe("ip:10.0.0.1");
    expect(ipKey("10.0.0.1")).not.toBe(accountKey("10.0.0.1"));
  });
});
