import Big from "big.js";
import { z } from "zod";

const decimal = (what: string, max: number) =>
  z
    .string({ error: `${what} is missing` })
    .regex(/^-?\d+(\.\d+)?$/, `${what} must be a decimal number`)
    .refine((v) => !v.startsWith("-"), `${what} cannot be negative`)
    .refine((v) => !/^-?\d+(\.\d+)?$/.test(v) || new Big(v).lte(max), `${what} cannot be more than ${max}`)
    .refine((v) => !/\.\d{3,}$/.test(v), `${what} has more than 2 decimals`);

/**
 * A time entry as a source connector hands it over: the source's ids and facts, in the
 * canonical shape (vendor field names stay in the connector). What fails this schema is
 * refused and recorded as PAYLOAD_INVALID; what passes may still fail a business rule.
 */
export const canonicalTimeEntry = z.object({
  sourceId: z.string({ error: "source id is missing" }).min(1, "source id is empty").max(100),
  sourceUserId: z.string({ error: "user id is missing" }).min(1, "user id is empty").max(100),
  sourceProjectId: z.string({ error: "project id is missing" }).min(1, "project id is empty").max(100),
  sourceTaskId: z.string({ error: "task id is missing" }).min(1, "task id is empty").max(100),
  workDate: z.iso.date({ error: "work date must be a date (YYYY-MM-DD)" }),
  hours: decimal("hours", 9999),
  billable: z.boolean({ error: "billable must be true or false" }),
  notes: z.string().max(10_000).nullable().default(null),
  /** the source's approval state */
  status: z.enum(["submitted", "approved", "rejected"], { error: "status must be submitted, approved or rejected" }),
  submittedAt: z.iso.datetime({ offset: true }).nullable().default(null),
  approvedAt: z.iso.datetime({ offset: true }).nullable().default(null),
  approvedBy: z.string().max(200).nullable().default(null),
  sourceBillRate: decimal("bill rate", 1_000_000).nullable().default(null),
  sourceCurrency: z.string().regex(/^[A-Z]{3}$/, "currency must be a 3-letter code").nullable().default(null),
  /** the source deleted it */
  deleted: z.boolean().default(false),
});
export type CanonicalTimeEntry = z.infer<typeof canonicalTimeEntry>;

/** "hours: hours cannot be negative; workDate: work date must be a date (YYYY-MM-DD)" */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message)).join("; ");
}
