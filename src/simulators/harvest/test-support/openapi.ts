/**
 * Test support: the vendor's OpenAPI document (read from ../shared/specs, never copied
 * into the repo) and a small validator for the JSON-schema subset it uses: $ref, type
 * (with OpenAPI's `nullable` and the spec's `type: 'null'`), properties, required, items,
 * allOf / anyOf / oneOf, enum and the formats date, date-time, int32, int64.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { parse } from "yaml";

export type Schema = {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  allOf?: Schema[];
  anyOf?: Schema[];
  oneOf?: Schema[];
  enum?: unknown[];
  format?: string;
};
export type Parameter = { name: string; in: string; required?: boolean; schema?: Schema };
export type Operation = {
  operationId: string;
  parameters?: Parameter[];
  responses: Record<string, { content?: Record<string, { schema?: Schema }> }>;
  requestBody?: { content: Record<string, { schema: Schema }> };
};
export type Spec = { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

export const SPEC_PATH = path.resolve("../shared/specs/harvest-openapi.yaml");

let cached: Spec | undefined;
export function loadSpec(): Spec {
  cached ??= parse(readFileSync(SPEC_PATH, "utf8")) as Spec;
  return cached;
}

export function operation(spec: Spec, operationId: string): Operation & { path: string; method: string } {
  for (const [p, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      if (op && typeof op === "object" && op.operationId === operationId) return { ...op, path: p, method };
    }
  }
  throw new Error(`operation ${operationId} is not in the spec`);
}

export function responseSchema(op: Operation, status: string): Schema {
  const r = op.responses[status] ?? op.responses.default;
  const s = r?.content?.["application/json"]?.schema;
  if (!s) throw new Error(`${op.operationId} has no JSON schema for ${status}`);
  return s;
}

function resolve(spec: Spec, s: Schema): Schema {
  if (!s.$ref) return s;
  const name = s.$ref.replace("#/components/schemas/", "");
  const target = spec.components.schemas[name];
  if (!target) throw new Error(`unresolved ${s.$ref}`);
  return resolve(spec, target);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * Problems found in `value` against `schema`, as "path: what" strings (empty = valid).
 * `strict` also reports object keys the schema does not name (catches misspelt fields),
 * except paths ending in one of `extras` (fields the real API sends that the spec omits).
 */
export type ValidateOptions = { strict?: boolean; extras?: string[] };

export function validate(spec: Spec, schema: Schema, value: unknown, opts: ValidateOptions = {}, at = "$"): string[] {
  const s = resolve(spec, schema);
  if (s.allOf) return s.allOf.flatMap((x) => validate(spec, x, value, opts, at));
  if (s.anyOf || s.oneOf) {
    const alts = (s.anyOf ?? s.oneOf)!;
    if (value === null && s.nullable) return [];
    const results = alts.map((x) => validate(spec, x, value, opts, at));
    const ok = results.filter((r) => r.length === 0).length;
    if (s.oneOf ? ok === 1 : ok >= 1) return [];
    return [`${at}: matches ${ok} of the ${s.anyOf ? "anyOf" : "oneOf"} alternatives (${results.map((r) => r[0]).join(" | ")})`];
  }
  if (value === null) return s.nullable || s.type === "null" ? [] : [`${at}: null where ${s.type ?? "a value"} is required`];
  if (s.enum && !s.enum.includes(value)) return [`${at}: ${JSON.stringify(value)} not in enum`];
  const errs: string[] = [];
  switch (s.type) {
    case undefined:
      break;
    case "null":
      return [`${at}: expected null`];
    case "object": {
      if (typeof value !== "object" || Array.isArray(value)) return [`${at}: expected object`];
      const obj = value as Record<string, unknown>;
      for (const r of s.required ?? []) if (!(r in obj)) errs.push(`${at}.${r}: required`);
      for (const [k, v] of Object.entries(obj)) {
        const p = s.properties?.[k];
        if (p) errs.push(...validate(spec, p, v, opts, `${at}.${k}`));
        else if (opts.strict && s.properties && !opts.extras?.some((x) => `${at}.${k}`.endsWith(x))) errs.push(`${at}.${k}: not in the schema`);
      }
      break;
    }
    case "array":
      if (!Array.isArray(value)) return [`${at}: expected array`];
      if (s.items) value.forEach((v, i) => errs.push(...validate(spec, s.items!, v, opts, `${at}[${i}]`)));
      break;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) return [`${at}: expected integer, got ${JSON.stringify(value)}`];
      if (s.format === "int32" && (value < -(2 ** 31) || value > 2 ** 31 - 1)) errs.push(`${at}: ${value} outside int32`);
      if (s.format === "int64" && !Number.isSafeInteger(value)) errs.push(`${at}: ${value} outside int64 (safe)`);
      break;
    case "number":
      if (typeof value !== "number" || !Number.isFinite(value)) return [`${at}: expected number, got ${JSON.stringify(value)}`];
      break;
    case "boolean":
      if (typeof value !== "boolean") return [`${at}: expected boolean, got ${JSON.stringify(value)}`];
      break;
    case "string":
      if (typeof value !== "string") return [`${at}: expected string, got ${JSON.stringify(value)}`];
      if (s.format === "date" && !(DATE.test(value) && !Number.isNaN(Date.parse(value)))) errs.push(`${at}: not a date: ${value}`);
      if (s.format === "date-time" && !(DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)))) errs.push(`${at}: not a date-time: ${value}`);
      if (s.format === "url" && !URL.canParse(value)) errs.push(`${at}: not a URL: ${value}`);
      if (s.format === "email" && !/^[^@\s]+@[^@\s]+$/.test(value)) errs.push(`${at}: not an e-mail: ${value}`);
      break;
    default:
      errs.push(`${at}: schema type ${s.type} not supported by this validator`);
  }
  return errs;
}
