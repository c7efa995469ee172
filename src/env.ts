import path from "node:path";
import ipaddr from "ipaddr.js";
import { z } from "zod";

/**
 * The environment, parsed once. Every default here is the embedded mode's: a fresh
 * clone runs with no variables set. A malformed value stops the process at start with
 * a sentence naming the variable.
 */
const boolish = z
  .enum(["true", "false", "1", "0", "yes", "no"])
  .transform((v) => v === "true" || v === "1" || v === "yes");

/**
 * One entry of OUTBOUND_ALLOW_HOSTS: an address or CIDR range (matched against the addresses a
 * host resolves to), or a host name (matched against the URL's host, exactly).
 */
export type OutboundAllowEntry =
  | { kind: "range"; text: string; range: [ipaddr.IPv4 | ipaddr.IPv6, number] }
  | { kind: "host"; text: string; host: string };

const HOST_NAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** One address in its strict form (four-part decimal IPv4, or IPv6 with or without brackets); null otherwise. */
function strictAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (bare.includes(":") && ipaddr.IPv6.isValid(bare) && !bare.includes("%")) return ipaddr.IPv6.parse(bare);
  return null;
}

/**
 * Parses OUTBOUND_ALLOW_HOSTS: entries separated by commas or spaces, each an address
 * (127.0.0.1, ::1), a CIDR range (10.20.0.0/16, fd00:1::/64) or a host name (erp-proxy.internal).
 * Answers the entries, or the sentences saying which entries are not understood.
 */
export function parseOutboundAllowList(text: string): { entries: OutboundAllowEntry[]; problems: string[] } {
  const entries: OutboundAllowEntry[] = [];
  const problems: string[] = [];
  for (const raw of text.split(/[\s,]+/).filter(Boolean)) {
    const slash = raw.indexOf("/");
    if (slash >= 0) {
      const address = strictAddress(raw.slice(0, slash));
      const bitsText = raw.slice(slash + 1);
      const max = address?.kind() === "ipv4" ? 32 : 128;
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : NaN;
      if (address && bits <= max) entries.push({ kind: "range", text: raw, range: [address, bits] });
      else problems.push(`"${raw}" is not a CIDR range (e.g. 10.20.0.0/16 or fd00:1::/64)`);
      continue;
    }
    const address = strictAddress(raw);
    if (address) {
      entries.push({ kind: "range", text: raw, range: [address, address.kind() === "ipv4" ? 32 : 128] });
      continue;
    }
    const host = raw.toLowerCase().replace(/\.$/, "");
    if (HOST_NAME.test(host) && !/^[\d.]+$/.test(host)) entries.push({ kind: "host", text: raw, host });
    else problems.push(`"${raw}" is not an address (e.g. 127.0.0.1), a CIDR range (e.g. 10.20.0.0/16) or a host name`);
  }
  return { entries, problems };
}

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
    /**
     * Internal addresses the server may still send to (alert webhooks, connector base URLs):
     * addresses, CIDR ranges or host names. Unset: none, every internal address is refused.
     * The launcher sets the simulators' loopback addresses in the embedded default.
     */
    OUTBOUND_ALLOW_HOSTS: z
      .string()
      .optional()
      .transform((v, ctx): readonly OutboundAllowEntry[] => {
        if (v === undefined) return [];
        const { entries, problems } = parseOutboundAllowList(v);
        for (const problem of problems) ctx.addIssue({ code: "custom", message: problem });
        return entries;
      }),
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
