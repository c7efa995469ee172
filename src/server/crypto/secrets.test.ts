import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decryptSecret, encryptSecret, parseKey } from "./secrets";

const key = randomBytes(32);

describe("connector secrets at rest", () => {
  it("round-trips, and never stores the plain text", () => {
    const stored = encryptSecret('{"token":"s3cret-value"}', key);
    expect(stored).not.toContain("s3cret");
    expect(decryptSecret(stored, key)).toBe('{"token":"s3cret-value"}');
    expect(encryptSecret("same", key)).not.toBe(encryptSecret("same", key));
  });

  it("refuses a tampered value or another key, saying why", () => {
    const stored = encryptSecret("token", key);
    const parts = stored.split(".");
    parts[3] = Buffer.from("other").toString("base64");
    expect(() => decryptSecret(parts.join("."), key)).toThrow(/cannot be decrypted/);
    expect(() => decryptSecret(stored, randomBytes(32))).toThrow(/cannot be decrypted/);
    expect(() => decryptSecret("plain-text", key)).toThrow(/unknown format/);
  });

  it("wants a 32-byte key", () => {
    expect(() => parseKey(Buffer.from("short").toString("base64"))).toThrow(/32 bytes/);
    expect(parseKey(key.toString("base64"))).toHaveLength(32);
  });
});
