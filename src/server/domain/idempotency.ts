import { createHash } from "node:crypto";
import type { PostingKind, SourceSystem } from "./enums";

/**
 * The ERP idempotency key of one effect of one entry version: the same entry version
 * always yields the same key, so re-validating or re-sending can never post it twice.
 * Readable prefix for people, hash so it fits the ERP's header limits.
 */
export function idempotencyKey(input: {
  sourceSystem: SourceSystem;
  sourceId: string;
  version: number;
  kind: PostingKind;
}): string {
  const basis = `${input.sourceSystem}|${input.sourceId}|v${input.version}|${input.kind}`;
  const digest = createHash("sha256").update(basis).digest("hex").slice(0, 32);
  return `hb-${input.kind}-${digest}`;
}

/** Hash of an entry's material fields: a change here is a new version. */
export function contentHash(fields: Record<string, string | number | boolean | null>): string {
  const canonical = Object.keys(fields)
    .sort()
    .map((k) => `${k}=${fields[k] === null ? "" : String(fields[k])}`)
    .join("\n");
  return createHash("sha256").update(canonical).digest("hex");
}
