import { createHash } from "node:crypto";
import Big from "big.js";
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

/** JSON with object keys sorted, so the same payload always serialises (and hashes) the same. */
export function stableJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  return `{${Object.keys(v as object)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
    .join(",")}}`;
}

/** Hash of a whole payload, as raw_records keys it: the same payload received again is stored once. */
export function payloadHash(body: unknown): string {
  return createHash("sha256").update(stableJson(body)).digest("hex");
}

/** The fields of a time entry whose change makes a new version (and, once posted, a correction). Notes are not among them. */
export function timeEntryMaterialHash(e: {
  workDate: string;
  hours: string;
  billable: boolean;
  sourceUserId: string;
  sourceProjectId: string;
  sourceTaskId: string;
}): string {
  return contentHash({
    workDate: e.workDate,
    hours: new Big(e.hours).toFixed(2),
    billable: e.billable,
    user: e.sourceUserId,
    project: e.sourceProjectId,
    task: e.sourceTaskId,
  });
}
