import { z } from "zod";
import { EXCEPTION_CODE_LIST, EXCEPTION_STATUSES, OWNER_TEAMS, REGIONS, SEVERITIES } from "../../domain/enums";

/**
 * The exception queue's filter and sort vocabulary, without database code, so the browser
 * checks a URL's filter with the very schema the server enforces.
 */

/** Age since the exception was first seen. */
export const AGE_BUCKETS = {
  d0_1: { label: "Under 1 day", from: 0, to: 1 },
  d1_3: { label: "1–3 days", from: 1, to: 3 },
  d3_7: { label: "3–7 days", from: 3, to: 7 },
  d7_30: { label: "7–30 days", from: 7, to: 30 },
  d30p: { label: "Over 30 days", from: 30, to: null },
} as const;
export type AgeBucket = keyof typeof AGE_BUCKETS;
export const AGE_BUCKET_LIST = Object.keys(AGE_BUCKETS) as AgeBucket[];

export const SORTS = ["value", "hours", "age", "lastSeen", "occurrences", "severity", "code"] as const;
export type Sort = (typeof SORTS)[number];

const list = <T extends readonly [string, ...string[]]>(values: T, name: string) =>
  z
    .array(z.enum(values, { error: (iss) => `${name}: "${String(iss.input)}" is not one of ${values.join(", ")}` }))
    .max(50, { error: `${name}: at most 50 values` })
    .optional();

const uuidList = (name: string) =>
  z.array(z.uuid({ error: `${name}: each value must be an id from this list` })).max(50, { error: `${name}: at most 50 values` }).optional();

const textList = (name: string) =>
  z
    .array(z.string().trim().min(1, { error: `${name}: a value cannot be empty` }).max(100, { error: `${name}: a value is too long` }))
    .max(50, { error: `${name}: at most 50 values` })
    .optional();

export const queueFilter = z
  .object({
    owner: list(OWNER_TEAMS, "owner"),
    code: list(EXCEPTION_CODE_LIST as unknown as [string, ...string[]], "code"),
    severity: list(SEVERITIES, "severity"),
    status: list(EXCEPTION_STATUSES, "status"),
    entity: textList("entity"),
    region: list(REGIONS, "region"),
    businessUnit: textList("businessUnit"),
    project: uuidList("project"),
    person: uuidList("person"),
    /** "me", "none", or a user id */
    assignee: z.union([z.literal("me"), z.literal("none"), z.uuid({ error: 'assignee must be "me", "none" or a user id' })]).optional(),
    age: list(AGE_BUCKET_LIST as unknown as [string, ...string[]], "age"),
    /** only exceptions blocking at least this value, in the reporting currency */
    minValue: z
      .string()
      .regex(/^\d{1,12}(\.\d{1,2})?$/, { error: "minValue must be an amount like 1000 or 1000.50" })
      .optional(),
    /** only exceptions blocking entries worked in this month (billing of that period) */
    period: z
      .string()
      .regex(/^\d{4}-(0[1-9]|1[0-2])$/, { error: "period must be a month like 2026-11" })
      .optional(),
    /** only exceptions older than their SLA */
    overSla: z.boolean().optional(),
    q: z.string().trim().max(200, { error: "search text can be at most 200 characters" }).optional(),
  })
  .strict();
export type QueueFilter = z.infer<typeof queueFilter>;

export const queueSort = z.object({
  sort: z.enum(SORTS, { error: (iss) => `sort: "${String(iss.input)}" is not one of ${SORTS.join(", ")}` }).default("value"),
  dir: z.enum(["asc", "desc"], { error: 'dir must be "asc" or "desc"' }).default("desc"),
});
export type QueueSort = z.infer<typeof queueSort>;

