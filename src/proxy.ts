import { NextResponse, type NextRequest } from "next/server";
import { env } from "@/env";
import { log } from "@/server/log";
import { crossSiteResponse, judgeOrigin } from "@/server/http/same-origin";
import { contentSecurityPolicy, newNonce } from "@/server/http/security-headers";

const formTargets = env.AUTH_OIDC_ISSUER ? [new URL(env.AUTH_OIDC_ISSUER).origin] : [];

/**
 * In front of every page and of tRPC:
 *
 * 1. A request that changes something (tRPC mutations, server actions: anything but GET, HEAD,
 *    OPTIONS) from another site is refused (403 and a sentence; see same-origin.ts). The CSV
 *    upload routes check the same in their handlers: the proxy does not see them, as it would
 *    buffer their bodies.
 * 2. Pages get a Content Security Policy with a fresh nonce; Next.js reads it from the request
 *    and puts it on its scripts (pages render per request, so each gets its own).
 * 3. A cheap first gate: a visitor with no session cookie is sent to sign-in, keeping the page
 *    they asked for. It only reads cookies; the console layout and every tRPC procedure check
 *    the session for real (signature, expiry, user still active, roles).
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;

  const origin = judgeOrigin(request.method, request.headers);
  if (!origin.ok) {
    log.warn("cross-site request refused", { path: pathname, method: request.method, why: origin.reason });
    return crossSiteResponse();
  }
  if (pathname.startsWith("/api/")) return NextResponse.next();

  const isSignIn = pathname === "/signin" || pathname.startsWith("/signin/");
  const hasSession = request.cookies.getAll().some((c) => /^(__Secure-)?authjs\.session-token(\.\d+)?$/.test(c.name));
  if (!isSignIn && !hasSession) {
    const url = request.nextUrl.clone();
    url.pathname = "/signin";
    url.search = pathname === "/" ? "" : `?callbackUrl=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(url);
  }

  const https = request.nextUrl.protocol === "https:" || (request.headers.get("x-forwarded-proto") ?? "").split(",")[0]!.trim() === "https";
  const csp = contentSecurityPolicy({ nonce: newNonce(), dev: process.env.NODE_ENV === "development", https, formTargets });
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", csp);
  headers.set("x-pathname", pathname + search);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("Content-Security-Policy", csp);
  return response;
}

export const config = {
  matcher: [
    // pages (sign-in included), not the APIs (they answer 401 themselves) nor static files
    "/((?!api/|_next/|favicon.ico|icon.svg|logo.svg|robots.txt).*)",
    // tRPC: its mutations are checked for their origin
    "/api/trpc/:path*",
  ],
};
