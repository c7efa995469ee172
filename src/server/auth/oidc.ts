import type { OIDCConfig } from "next-auth/providers";
import type { Env } from "@/env";

/**
 * The single sign-on provider, when the environment switches it on (issuer, client id and
 * client secret all set; env.ts refuses a partial set). Its id "oidc" makes the redirect
 * URL to register with the provider <public URL>/api/auth/callback/oidc.
 */
export function oidcProvider(env: Env): OIDCConfig<Record<string, unknown>> | null {
  if (!env.oidcEnabled) return null;
  return {
    id: "oidc",
    name: env.AUTH_OIDC_NAME,
    type: "oidc",
    issuer: env.AUTH_OIDC_ISSUER,
    clientId: env.AUTH_OIDC_CLIENT_ID,
    clientSecret: env.AUTH_OIDC_CLIENT_SECRET,
    checks: ["pkce", "state", "nonce"],
  };
}
