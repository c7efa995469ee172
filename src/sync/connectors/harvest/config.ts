import { z } from "zod";

/** Harvest's published limit: 100 requests per 15 seconds per access token. */
export const HARVEST_RATE_LIMIT = { max: 100, windowMs: 15_000 } as const;
export const HARVEST_MAX_PER_PAGE = 2000;

/**
 * A Harvest connector's settings, as the connectors table holds them (credentials already
 * decrypted). `baseUrl` is the API root including the version, as the spec's `servers`
 * entry gives it: `https://api.harvestapp.com/v2` (or a simulator's `http://host:port/v2`).
 */
export const harvestConfig = z.object({
  baseUrl: z
    .url({ error: "baseUrl must be an absolute http(s) URL, e.g. https://api.harvestapp.com/v2" })
    .refine((u) => /^https?:\/\//i.test(u), "baseUrl must use http or https")
    .transform((u) => u.replace(/\/+$/, "")),
  accountId: z
    .union([z.string(), z.number()], { error: "accountId is missing" })
    .transform((v) => String(v).trim())
    .refine((v) => /^\d{1,18}$/.test(v), "accountId must be Harvest's numeric account id"),
  token: z.string({ error: "token is missing" }).trim().min(1, "token is empty"),
  /** Harvest asks every client to name itself and a contact */
  userAgent: z.string().min(1, "userAgent is empty").default("Hourbridge sync (ops@hourbridge.app)"),
  perPage: z
    .number({ error: "perPage must be a number" })
    .int("perPage must be a whole number")
    .min(1, "perPage must be at least 1")
    .max(HARVEST_MAX_PER_PAGE, `perPage cannot be more than ${HARVEST_MAX_PER_PAGE} (Harvest's maximum)`)
    .default(HARVEST_MAX_PER_PAGE),
  /** requests in flight at once */
  concurrency: z.number().int("concurrency must be a whole number").min(1, "concurrency must be at least 1").max(32, "concurrency cannot be more than 32").default(4),
  /** per attempt, from sending the request to the last byte of the answer */
  timeoutMs: z.number().int("timeoutMs must be a whole number").min(1, "timeoutMs must be at least 1").max(600_000, "timeoutMs cannot be more than 600000").default(30_000),
  /** attempts per request for transient failures (and, separately, for 429 waits) */
  maxAttempts: z.number().int("maxAttempts must be a whole number").min(1, "maxAttempts must be at least 1").max(50, "maxAttempts cannot be more than 50").default(6),
  backoff: z
    .object({
      baseMs: z.number().int().min(0).default(500),
      maxMs: z.number().int().min(0).default(30_000),
    })
    .default({ baseMs: 500, maxMs: 30_000 }),
  /** the client-side limit; keep Harvest's unless the token's budget is shared */
  rateLimit: z
    .object({
      max: z.number().int().min(1, "rateLimit.max must be at least 1"),
      windowMs: z.number().int().min(1, "rateLimit.windowMs must be at least 1"),
    })
    .default({ ...HARVEST_RATE_LIMIT }),
  /** a Retry-After longer than this is not waited out: the request fails as retryable */
  maxRetryAfterMs: z.number().int().min(0).default(120_000),
});
export type HarvestConfigInput = z.input<typeof harvestConfig>;
export type HarvestConfig = z.output<typeof harvestConfig>;

/** Parses a connector's settings, or throws one sentence naming what is wrong (never the token). */
export function parseHarvestConfig(input: unknown): HarvestConfig {
  const parsed = harvestConfig.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => {
    const where = i.path.join(".");
    return i.message.startsWith(where) || !where ? i.message : `${where}: ${i.message}`;
  });
  throw new Error(`The Harvest connector's configuration is not valid: ${problems.join("; ")}.`);
}
