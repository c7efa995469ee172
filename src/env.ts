import path from "node:path";
import { z } from "zod";

/**
 * The environment, parsed once. Every default here is the embedded mode's: a fresh
 * clone runs with no variables set. A malformed value stops the process at start with
 * a sentence naming the variable.
 */
const boolish = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const schema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: z
      .string()
      .regex(/^postgres(ql)?:\/\//, "must be a postgres:// or postgresql:// connection URL")
      .optional(),
    DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
    EMBEDDED_PG_DIR: z.string().default(".data/postgres"),
    EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).default(54329),
    PORT: z.coerce.number().int().min(1).max(65535).default(3000),
    AUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    AUTH_OIDC_ISSUER: z.url("must be the issuer URL of the OIDC provider").optional(),
    AUTH_OIDC_CLIENT_ID: z.string().min(1).optional(),
    AUTH_OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    AUTH_OIDC_NAME: z.string().min(1).default("Single sign-on"),
    SESSION_IDLE_MINUTES: z.coerce.number().int().min(5).max(24 * 60).default(30),
    SESSION_MAX_HOURS: z.coerce.number().int().min(1).max(24 * 7).default(12),
    SEED_DEMO: boolish.optional(),
    /** demo data size and seed (the generator is deterministic for a given seed and day) */
    DEMO_SEED: z.coerce.number().int().min(1).default(42),
    DEMO_CONSULTANTS: z.coerce.number().int().min(20).max(20_000).default(200),
    DEMO_PROJECTS: z.coerce.number().int().min(15).max(20_000).default(150),
    DEMO_MONTHS: z.coerce.number().int().min(2).max(36).default(6),
    REPORTING_CURRENCY: z
      .string()
      .regex(/^[A-Z]{3}$/, "must be a three-letter ISO currency code, e.g. USD")
      .default("USD"),
    LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
    /** the bearer token a Prometheus scraper sends to /api/metrics; unset, the endpoint answers 404 */
    METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    /** encrypts connector secrets at rest (AES-256-GCM); the launcher generates one in embedded mode */
    CONNECTOR_SECRETS_KEY: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9+/]{43}=$/, "must be 32 bytes in base64 (openssl rand -base64 32)")
      .optional(),
  })
  .superRefine((v, ctx) => {
    const oidc = [v.AUTH_OIDC_ISSUER, v.AUTH_OIDC_CLIENT_ID, v.AUTH_OIDC_CLIENT_SECRET];
    const set = oidc.filter((x) => x !== undefined).length;
    if (set !== 0 && set !== 3) {
      ctx.addIssue({
        code: "custom",
        path: ["AUTH_OIDC_ISSUER"],
        message:
          "AUTH_OIDC_ISSUER, AUTH_OIDC_CLIENT_ID and AUTH_OIDC_CLIENT_SECRET switch on single sign-on together: set all three or none",
      });
    }
  });

export type Env = z.infer<typeof schema> & { oidcEnabled: boolean; embeddedPgDir: string };

export function parseEnv(source: Record<string, string | undefined>): Env {
  // Empty strings (as left by a copied .env.example) mean "not set".
  const cleaned = Object.fromEntries(
    Object.entries(source).filter(([, v]) => v !== undefined && v !== ""),
  );
  const result = schema.safeParse(cleaned);
  if (!result.success) {
    const lines = result.error.issues.map((i) => {
      const name = i.path.join(".") || "environment";
      return `  ${name}: ${i.message}`;
    });
    throw new Error(`Hourbridge cannot start, the environment is not valid:\n${lines.join("\n")}`);
  }
  const v = result.data;
  return {
    ...v,
    oidcEnabled: Boolean(v.AUTH_OIDC_ISSUER),
    embeddedPgDir: path.resolve(process.cwd(), v.EMBEDDED_PG_DIR),
  };
}

export const env: Env = parseEnv(process.env);

/**
 * CONNECTOR_SECRETS_KEY (base64), for the code that reads or writes connector secrets; throws
 * a sentence when it is not set. Read when needed, as the launcher sets it for its children.
 */
export function connectorSecretsKeyFrom(source: Record<string, string | undefined> = process.env): string {
  const key = parseEnv(source).CONNECTOR_SECRETS_KEY;
  if (!key) {
    throw new Error(
      "CONNECTOR_SECRETS_KEY is not set. Start Hourbridge with `npm run dev` (it keeps one under .data/), or set it to 32 random bytes in base64 (openssl rand -base64 32).",
    );
  }
  return key;
}
