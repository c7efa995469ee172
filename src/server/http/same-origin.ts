/**
 * Is a state-changing request from Hourbridge's own pages? The session cookie goes with every
 * request a browser sends to Hourbridge, whichever site asks for it; a form or a script on
 * another site could otherwise make a signed-in person's browser change things here
 * (cross-site request forgery). So every cookie-authenticated request that changes something
 * (anything but GET, HEAD, OPTIONS) must come from Hourbridge's own origin:
 *
 * - `Sec-Fetch-Site` (sent by every current browser, and not settable by a page's script):
 *   `same-origin` passes, `none` passes (the person acted themselves, not a site); `same-site`
 *   and `cross-site` are refused — a sibling subdomain is another application.
 * - Without it (an older browser), `Origin`: its host must be the host the request was sent
 *   to (`Host`, or `X-Forwarded-Host` behind a proxy); `Origin: null` (a sandboxed or opaque
 *   origin) is refused.
 * - With neither, the request does not come from a browser (a script, curl): it passes, as
 *   such a client cannot be made to act by another site.
 *
 * No dependency beyond the Web platform: the proxy (tRPC, server actions) uses it as well
 * as the upload routes, which the proxy does not see.
 */

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export type OriginVerdict = { ok: true } | { ok: false; reason: string };

export const CROSS_SITE_MESSAGE =
  "This request came from another site, so it was refused: changes in Hourbridge can only be made from Hourbridge's own pages. Open Hourbridge and try again there.";

/** The host (host[:port], lower case) of an origin or URL; null when it is not one. */
function hostOf(origin: string): string | null {
  try {
    const u = new URL(origin);
    return u.protocol === "http:" || u.protocol === "https:" ? u.host.toLowerCase() : null;
  } catch {
    return null;
  }
}

/** Whether a request may change something on the strength of its cookies; the reason when not. */
export function judgeOrigin(method: string, headers: Headers): OriginVerdict {
  if (SAFE_METHODS.has(method.toUpperCase())) return { ok: true };
  const site = headers.get("sec-fetch-site")?.trim().toLowerCase();
  if (site) {
    if (site === "same-origin" || site === "none") return { ok: true };
    return { ok: false, reason: `Sec-Fetch-Site: ${site}` };
  }
  const origin = headers.get("origin")?.trim();
  if (origin === undefined || origin === "") return { ok: true };
  const from = hostOf(origin);
  if (!from) return { ok: false, reason: `Origin: ${origin.slice(0, 100)}` };
  const targets = [headers.get("host"), headers.get("x-forwarded-host")?.split(",")[0]]
    .map((h) => h?.trim().toLowerCase())
    .filter((h): h is string => Boolean(h));
  if (targets.includes(from)) return { ok: true };
  return { ok: false, reason: `Origin: ${origin.slice(0, 100)}` };
}

/** The 403 for a refused cross-site request: JSON with the sentence, never cached. */
export function crossSiteResponse(): Response {
  return Response.json({ error: CROSS_SITE_MESSAGE }, { status: 403, headers: { "Cache-Control": "no-store" } });
}
