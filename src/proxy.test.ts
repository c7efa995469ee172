/**
 * The proxy in front of pages and tRPC: another site's state-changing request is refused,
 * every page gets a Content Security Policy with a nonce of its own, and the sign-in gate.
 */
import { NextRequest } from "next/server";
import { describe, expect, it } from "vitest";
import { config, proxy } from "./proxy";
import { judgeOrigin } from "./server/http/same-origin";
import { contentSecurityPolicy } from "./server/http/security-headers";

const SESSION = "authjs.session-token=abc";
const request = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string } = {}) =>
  new NextRequest(`http://hourbridge.test${path}`, { method: init.method ?? "GET", headers: init.headers, body: init.body });

/** The policy's directives by name. */
const directives = (csp: string) => new Map(csp.split(";").map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));

describe("state-changing requests from another site", () => {
  it("a tRPC mutation from another site is refused with 403 and a sentence", async () => {
    for (const headers of <Record<string, string>[]>[
      { "sec-fetch-site": "cross-site", origin: "https://attacker.example", "content-type": "text/plain", cookie: SESSION },
      { "sec-fetch-site": "same-site", origin: "https://tools.hourbridge.test", cookie: SESSION },
      { origin: "https://attacker.example", host: "hourbridge.test", cookie: SESSION },
    ]) {
      const res = proxy(request("/api/trpc/users.create", { method: "POST", headers, body: '{"json":{}}' }));
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(((await res.json()) as { error: string }).error).toMatch(/^This request came from another site, so it was refused/);
    }
  });

  it("a server action posted to a page from another site is refused too", () => {
    const res = proxy(request("/exceptions", { method: "POST", headers: { "sec-fetch-site": "cross-site", "next-action": "abc", cookie: SESSION }, body: "[]" }));
    expect(res.status).toBe(403);
  });

  it("the same requests from Hourbridge's own pages pass, and reads from anywhere", () => {
    const own = proxy(request("/api/trpc/users.create", { method: "POST", headers: { "sec-fetch-site": "same-origin", origin: "http://hourbridge.test", cookie: SESSION }, body: "{}" }));
    expect(own.status).toBe(200);
    expect(own.headers.get("x-middleware-next")).toBe("1");
    const read = proxy(request("/api/trpc/users.list", { headers: { "sec-fetch-site": "cross-site", cookie: SESSION } }));
    expect(read.headers.get("x-middleware-next")).toBe("1");
  });

  it("judges Sec-Fetch-Site first, then Origin against the host, and lets non-browsers through", () => {
    const h = (o: Record<string, string>) => new Headers(o);
    expect(judgeOrigin("POST", h({ "sec-fetch-site": "same-origin", origin: "https://attacker.example" }))).toEqual({ ok: true });
    expect(judgeOrigin("POST", h({ "sec-fetch-site": "none" }))).toEqual({ ok: true });
    expect(judgeOrigin("DELETE", h({ "sec-fetch-site": "cross-site" }))).toEqual({ ok: false, reason: "Sec-Fetch-Site: cross-site" });
    expect(judgeOrigin("POST", h({ origin: "https://hourbridge.example", host: "10.0.0.5:3000", "x-forwarded-host": "hourbridge.example" }))).toEqual({ ok: true });
    expect(judgeOrigin("POST", h({ origin: "http://hourbridge.test:3001", host: "hourbridge.test:3000" })).ok).toBe(false);
    expect(judgeOrigin("POST", h({ origin: "null", host: "hourbridge.test" })).ok).toBe(false);
    expect(judgeOrigin("POST", h({}))).toEqual({ ok: true });
    expect(judgeOrigin("GET", h({ "sec-fetch-site": "cross-site" }))).toEqual({ ok: true });
  });
});

describe("the Content Security Policy of pages", () => {
  it("each page response carries a policy with a fresh nonce, also handed to Next.js on the request", () => {
    const seen = new Set<string>();
    for (const path of ["/", "/exceptions?status=open", "/signin"]) {
      const res = proxy(request(path, { headers: { cookie: SESSION } }));
      const csp = res.headers.get("content-security-policy")!;
      expect(csp, path).toBeTruthy();
      // Next.js reads the nonce from the request's policy header, which the proxy overrides
      expect(res.headers.get("x-middleware-request-content-security-policy")).toBe(csp);
      const script = directives(csp).get("script-src")!;
      const nonce = script.find((v) => v.startsWith("'nonce-"))!;
      expect(nonce).toMatch(/^'nonce-[A-Za-z0-9+/]{22}==?'$/);
      expect(script).not.toContain("'unsafe-inline'");
      expect(script).toContain("'strict-dynamic'");
      seen.add(nonce);
    }
    expect(seen.size).toBe(3);
  });

  it("forbids framing, plugins and <base>, and only upgrades requests over HTTPS", () => {
    const d = directives(contentSecurityPolicy({ nonce: "n", dev: false, https: false }));
    expect(d.get("frame-ancestors")).toEqual(["'none'"]);
    expect(d.get("object-src")).toEqual(["'none'"]);
    expect(d.get("base-uri")).toEqual(["'self'"]);
    expect(d.get("default-src")).toEqual(["'self'"]);
    expect(d.get("script-src")).not.toContain("'unsafe-eval'");
    expect(d.has("upgrade-insecure-requests")).toBe(false);
    expect(directives(contentSecurityPolicy({ nonce: "n", dev: false, https: true })).has("upgrade-insecure-requests")).toBe(true);
    const proxied = proxy(request("/", { headers: { cookie: SESSION, "x-forwarded-proto": "https" } }));
    expect(directives(proxied.headers.get("content-security-policy")!).has("upgrade-insecure-requests")).toBe(true);
  });

  it("runs on pages and tRPC, never on the upload routes (it would buffer their bodies) nor static files", () => {
    const [pages, trpc] = config.matcher;
    const page = new RegExp(`^${pages!}$`);
    for (const p of ["/", "/signin", "/exceptions", "/sync/runs/1"]) expect(page.test(p), p).toBe(true);
    for (const p of ["/api/imports/time", "/api/mappings/import", "/_next/static/x.js", "/icon.svg"]) expect(page.test(p), p).toBe(false);
    expect(trpc).toBe("/api/trpc/:path*");
  });
});

describe("the sign-in gate", () => {
  it("sends a visitor without a session to sign-in, keeping the page, but not on the sign-in page itself", () => {
    const res = proxy(request("/exceptions?status=open"));
    expect(res.status).toBe(307);
    expect(res.headers.get("location")).toBe("http://hourbridge.test/signin?callbackUrl=%2Fexceptions%3Fstatus%3Dopen");
    const signIn = proxy(request("/signin?callbackUrl=%2F"));
    expect(signIn.headers.get("x-middleware-next")).toBe("1");
    expect(signIn.headers.get("content-security-policy")).toMatch(/script-src 'self' 'nonce-/);
  });
});
