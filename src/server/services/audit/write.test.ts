import { describe, expect, it } from "vitest";
import { redact } from "./write";

describe("redact", () => {
  it("replaces the values of password, secret, token, hash and credential keys", () => {
    expect(
      redact({
        email: "dana@example.com",
        password: "hunter2hunter2",
        passwordHash: "$argon2id$v=19$...",
        clientSecret: "abc",
        API_TOKEN: "t0k3n",
        refresh_token: "r",
        credentials: { user: "x" },
        name: "Dana",
      }),
    ).toEqual({
      email: "dana@example.com",
      password: "[redacted]",
      passwordHash: "[redacted]",
      clientSecret: "[redacted]",
      API_TOKEN: "[redacted]",
      refresh_token: "[redacted]",
      credentials: "[redacted]",
      name: "Dana",
    });
  });

  it("redacts nested objects and objects inside arrays", () => {
    expect(
      redact({
        connector: { name: "ERP", config: { url: "https://erp", secret: "s", oauth: { accessToken: "a" } } },
        users: [{ email: "a@x", password: "p" }, { email: "b@x" }],
      }),
    ).toEqual({
      connector: { name: "ERP", config: { url: "https://erp", secret: "[redacted]", oauth: { accessToken: "[redacted]" } } },
      users: [{ email: "a@x", password: "[redacted]" }, { email: "b@x" }],
    });
  });

  it("keeps null and undefined secrets as they are (absent is not a secret)", () => {
    expect(redact({ password: null, token: undefined })).toEqual({ password: null, token: undefined });
  });

  it("passes through scalars and turns dates into ISO text", () => {
    expect(redact(undefined)).toBeUndefined();
    expect(redact(null)).toBeNull();
    expect(redact("password")).toBe("password");
    expect(redact(42)).toBe(42);
    expect(redact(new Date("2026-01-02T03:04:05.000Z"))).toBe("2026-01-02T03:04:05.000Z");
    expect(redact({ at: new Date("2026-01-02T03:04:05.000Z") })).toEqual({ at: "2026-01-02T03:04:05.000Z" });
  });

  it("does not change the object it was given", () => {
    const input = { password: "p", nested: { token: "t" } };
    redact(input);
    expect(input).toEqual({ password: "p", nested: { token: "t" } });
  });
});
