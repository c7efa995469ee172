import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Signatures of Hourbridge's outbound webhooks. Each call carries
 *   X-Hourbridge-Timestamp: <unix seconds>
 *   X-Hourbridge-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the rule's secret>
 * A receiver recomputes the HMAC over the raw body exactly as received (before any JSON
 * parsing), compares in constant time, and refuses timestamps too far from its clock, so a
 * captured call cannot be replayed later. This file has no other dependency than node:crypto,
 * so a receiver written in TypeScript can copy it as it is.
 */

export const SIGNATURE_HEADER = "X-Hourbridge-Signature";
export const TIMESTAMP_HEADER = "X-Hourbridge-Timestamp";
export const DELIVERY_HEADER = "X-Hourbridge-Delivery";

/** Five minutes either way: the default tolerance between the sender's and the receiver's clocks. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** "v1=<hex>" for a body sent at `timestamp` (unix seconds). */
export function signWebhook(secret: string, timestamp: number, rawBody: string): string {
  return `v1=${createHmac("sha256", secret).update(`${timestamp}.${rawBody}`, "utf8").digest("hex")}`;
}

/**
 * True when `signature` (the X-Hourbridge-Signature header; several comma-separated values are
 * accepted, as during a secret rotation) is a valid v1 signature of `rawBody` sent at
 * `timestamp` (the X-Hourbridge-Timestamp header), and that timestamp is within
 * `toleranceSeconds` of `now`.
 */
export function verifyWebhookSignature(input: {
  secret: string;
  rawBody: string;
  timestamp: string | null | undefined;
  signature: string | null | undefined;
  toleranceSeconds?: number;
  now?: Date;
}): boolean {
  const { secret, rawBody, timestamp, signature } = input;
  if (!timestamp || !signature || !/^\d{1,12}$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  const nowSeconds = Math.floor((input.now ?? new Date()).getTime() / 1000);
  if (Math.abs(nowSeconds - ts) > (input.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return false;
  const expected = Buffer.from(signWebhook(secret, ts, rawBody), "utf8");
  return signature
    .split(",")
    .map((s) => Buffer.from(s.trim(), "utf8"))
    .some((given) => given.length === expected.length && timingSafeEqual(given, expected));
}
