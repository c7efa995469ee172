import { z } from "zod";
import { DEFAULT_POSTING_POLICY, type PostingPolicy } from "../posting/send-due";

/**
 * How the ERP connector's outbox is sent, from its `settings` (all optional; defaults are the
 * engine's): requests in flight, attempts before dead-lettering, backoff, batch and lease.
 */
export const erpPostingSettings = z.object({
  concurrency: z.number().int().min(1, "concurrency must be at least 1").max(32, "concurrency cannot be more than 32").optional(),
  posting: z
    .object({
      maxAttempts: z.number().int().min(1).max(100).optional(),
      baseDelayMs: z.number().int().min(0).max(600_000).optional(),
      maxDelayMs: z.number().int().min(0).max(86_400_000).optional(),
      batchSize: z.number().int().min(1).max(1000).optional(),
      /** how long a sender's claim holds before another worker may take the posting over */
      leaseSeconds: z.number().int().min(1).max(3600).optional(),
      /** how long a request may still reach the ERP after it was sent (at least the connector's request timeout) */
      inFlightSeconds: z.number().int().min(0).max(3600).optional(),
    })
    .optional(),
});

/** The posting policy a connector's settings ask for; settings it cannot read fall back to the defaults, naming why. */
export function postingPolicyFrom(settings: unknown): { policy: PostingPolicy; problem: string | null } {
  const parsed = erpPostingSettings.safeParse(settings ?? {});
  if (!parsed.success) return { policy: DEFAULT_POSTING_POLICY, problem: parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ") };
  const p = parsed.data.posting ?? {};
  return {
    policy: {
      ...DEFAULT_POSTING_POLICY,
      ...(parsed.data.concurrency !== undefined && { concurrency: parsed.data.concurrency }),
      ...(p.maxAttempts !== undefined && { maxAttempts: p.maxAttempts }),
      ...(p.baseDelayMs !== undefined && { baseDelayMs: p.baseDelayMs }),
      ...(p.maxDelayMs !== undefined && { maxDelayMs: p.maxDelayMs }),
      ...(p.batchSize !== undefined && { batchSize: p.batchSize }),
      ...(p.leaseSeconds !== undefined && { leaseMs: p.leaseSeconds * 1000 }),
      ...(p.inFlightSeconds !== undefined && { inFlightMs: p.inFlightSeconds * 1000 }),
    },
    problem: null,
  };
}
