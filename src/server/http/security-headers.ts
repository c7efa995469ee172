/**
 * The security headers of Hourbridge's responses, in one place. Pages get a Content Security
 * Policy with a fresh nonce per request (built by the proxy, src/proxy.ts; Next.js puts the
 * nonce on its own scripts); every response gets the static headers (next.config.ts).
 * No dependency beyond the Web platform: the proxy and next.config.ts both read it.
 */

export type CspOptions = {
  nonce: string;
  /** development: React's dev tools evaluate code, and the dev server's scripts need it */
  dev: boolean;
  /** the page was requested over HTTPS (directly or behind a proxy): browsers upgrade any http:// subresource */
  https: boolean;
  /** origins a sign-in form may post to besides Hourbridge (the OIDC provider's) */
  formTargets?: string[];
};

/**
 * A page's policy: scripts only with this response's nonce (and what they load, 'strict-dynamic'),
 * never inline without it; styles from Hourbridge and inline (React renders style attributes,
 * and dialog and chart components add style elements without a nonce; a style cannot run
 * code); images, fonts and requests to Hourbridge only; no plugins, no <base>, no framing.
 */
export function contentSecurityPolicy(o: CspOptions): string {
  const directives = [
    "default-src 'self'",
    `script-src 'self' 'nonce-${o.nonce}' 'strict-dynamic'${o.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    `connect-src 'self'${o.dev ? " ws: wss:" : ""}`,
    "object-src 'none'",
    "base-uri 'self'",
    `form-action 'self'${o.formTargets?.length ? ` ${o.formTargets.join(" ")}` : ""}`,
    "frame-ancestors 'none'",
    "frame-src 'none'",
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    ...(o.https ? ["upgrade-insecure-requests"] : []),
  ];
  return directives.join("; ");
}

/** A policy for what is not a page (API answers, files): nothing may load, run or frame it. */
export const API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** A fresh nonce: 128 random bits, base64. */
export function newNonce(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return btoa(String.fromCharCode(...bytes));
}

/** HSTS: two years, subdomains included; sent in production only (browsers ignore it over plain HTTP). */
export const HSTS = "max-age=63072000; includeSubDomains";

/** The headers every response carries (next.config.ts). */
export function staticSecurityHeaders(production: boolean): { key: string; value: string }[] {
  return [
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "same-origin" },
    // for browsers without CSP frame-ancestors
    { key: "X-Frame-Options", value: "DENY" },
    { key: "Cross-Origin-Opener-Policy", value: "same-origin" },
    { key: "Cross-Origin-Resource-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
    ...(production ? [{ key: "Strict-Transport-Security", value: HSTS }] : []),
  ];
}
