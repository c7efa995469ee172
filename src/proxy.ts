import { NextResponse, type NextRequest } from "next/server";

/**
 * A cheap first gate: a visitor with no session cookie is sent to sign-in, keeping the
 * page they asked for. It only reads cookies; the console layout and every tRPC
 * procedure check the session for real (signature, expiry, user still active, roles).
 */
export function proxy(request: NextRequest) {
  const { pathname, search } = request.nextUrl;
  const hasSession = request.cookies
    .getAll()
    .some((c) => /^(__Secure-)?authjs\.session-token(\.\d+)?$/.test(c.name));
  if (!hasSession) {
    const url = request.nextUrl.clone();
    url.pathname = "/signin";
    url.search = pathname === "/" ? "" : `?callbackUrl=${encodeURIComponent(pathname + search)}`;
    return NextResponse.redirect(url);
  }
  const headers = new Headers(request.headers);
  headers.set("x-pathname", pathname + search);
  return NextResponse.next({ request: { headers } });
}

export const config = {
  // everything except sign-in, the APIs (they answer 401 themselves), and static files
  matcher: ["/((?!signin|api/|_next/|favicon.ico|icon.svg|logo.svg|robots.txt).*)"],
};
