/**
 * Sessions end on the server, through the real route handlers with real signed cookies: the
 * next-auth handlers sign in with a password, the console's sign-out (next-auth's signOut, as
 * the account menu's action calls it) ends the session, and a copy of the cookie is then
 * replayed against the tRPC route, a CSV route (the route kit) and the session endpoint.
 *
 * Outside a Next.js server two things are stood in for, and nothing else: `next/headers`
 * answers with the headers of the request being made (as Next.js does inside a request), and
 * next-auth's own imports of `next/server` and `next/navigation` are resolved to their files
 * (Next.js's bundler resolves them; Node's ESM loader does not without the extension).
 */
import { randomBytes } from "node:crypto";
import { register } from "node:module";
import { and, eq } from "drizzle-orm";
import { encode } from "next-auth/jwt";
import { NextRequest } from "next/server";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { auditLog, users } from "../db/schema";
import { setUserDisabled, updateUser } from "../services/users/update";
import { updateUserInput } from "../services/users/schemas";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { makeUser, serviceCtxFor, type TestUser } from "../../../test/factories";

vi.hoisted(() => {
  // the secret the app signs its session cookies with, set before the environment is read
  process.env.AUTH_SECRET = "sessions-test-secret-of-more-than-32-characters";
});
vi.mock("server-only", () => ({}));

/** The request being made: what `next/headers` answers with, and the cookies an action sets. */
const request = { headers: new Headers(), setCookies: new Map<string, string>() };
(globalThis as { __sessionsTestRequest?: typeof request }).__sessionsTestRequest = request;

const NEXT_HEADERS = `data:text/javascript,${encodeURIComponent(`
  const r = () => globalThis.__sessionsTestRequest;
  export async function headers() { return r().headers; }
  export async function cookies() {
    return { get: () => undefined, getAll: () => [], has: () => false, set: (name, value) => { r().setCookies.set(name, value); } };
  }
`)}`;
const LOADER = `data:text/javascript,${encodeURIComponent(`
  const files = { "next/server": "next/server.js", "next/navigation": "next/navigation.js" };
  export async function resolve(specifier, context, next) {
    if (context.parentURL?.includes("/node_modules/next-auth/")) {
      if (specifier === "next/headers") return { url: ${JSON.stringify(NEXT_HEADERS)}, shortCircuit: true };
      if (files[specifier]) return next(files[specifier], context);
    }
    return next(specifier, context);
  }
`)}`;

const BASE = "http://localhost:3000";
const COOKIE = "authjs.session-token";

let t: TestDatabase;
let admin: TestUser;
let app: {
  handlers: typeof import("./config").handlers;
  signOut: typeof import("./config").signOut;
  trpc: typeof import("@/app/api/trpc/[trpc]/route").GET;
  mappingsCsv: typeof import("@/app/api/mappings/export/route").GET;
};

beforeAll(async () => {
  register(LOADER, import.meta.url);
  t = await createTestDatabase();
  // the app's own database handle is made on first use, from here
  process.env.DATABASE_URL = t.url;
  const config = await import("./config");
  app = {
    handlers: config.handlers,
    signOut: config.signOut,
    trpc: (await import("@/app/api/trpc/[trpc]/route")).GET,
    mappingsCsv: (await import("@/app/api/mappings/export/route")).GET,
  };
  admin = await makeUser(t.db, { roles: ["admin"], password: "admin passphrase 2026" });
});
afterAll(async () => {
  await (globalThis as { __hourbridgeDb?: { sql: { end: (o: object) => Promise<void> } } }).__hourbridgeDb?.sql.end({ timeout: 5 });
  await t?.drop();
});

/** name=value pairs of a response's Set-Cookie headers, as a browser would keep them. */
function setCookies(res: Response): Map<string, string> {
  return new Map(res.headers.getSetCookie().map((c) => c.split(";")[0]!.split(/=(.*)/s).slice(0, 2) as [string, string]));
}

/** Signs in through the credentials form's endpoint; returns the session cookie it sets. */
async function signIn(email: string, password: string): Promise<string> {
  const csrf = await app.handlers.GET(new NextRequest(`${BASE}/api/auth/csrf`));
  const { csrfToken } = (await csrf.json()) as { csrfToken: string };
  const csrfCookie = [...setCookies(csrf)].map(([k, v]) => `${k}=${v}`).join("; ");
  const res = await app.handlers.POST(
    new NextRequest(`${BASE}/api/auth/callback/credentials`, {
      method: "POST",
      headers: { cookie: csrfCookie, "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ email, password, csrfToken, callbackUrl: BASE }),
    }),
  );
  const token = setCookies(res).get(COOKIE);
  if (!token) throw new Error(`sign-in set no session cookie (status ${res.status}, location ${res.headers.get("location")})`);
  return `${COOKIE}=${token}`;
}

/** A request as the browser sends it with this cookie; next/headers answers with its headers. */
function as(cookie: string, path: string): NextRequest {
  request.headers = new Headers({ cookie, host: "localhost:3000", "x-forwarded-proto": "http" });
  return new NextRequest(`${BASE}${path}`, { headers: request.headers });
}

/** What the server makes of a cookie on each kind of route that reads the session. */
async function replay(cookie: string) {
  const trpc = await app.trpc(as(cookie, "/api/trpc/me.get"));
  const me = trpc.ok ? ((await trpc.json()) as { result: { data: { json: { id: string } } } }).result.data.json.id : null;
  const csv = await app.mappingsCsv(as(cookie, "/api/mappings/export?kind=project"));
  await csv.text();
  const session = await app.handlers.GET(as(cookie, "/api/auth/session"));
  const body = (await session.json()) as { user?: { id: string } } | null;
  return { trpc: trpc.status, me, csv: csv.status, session: body?.user?.id ?? null };
}

const signedIn = (id: string) => ({ trpc: 200, me: id, csv: 200, session: id });
const refused = { trpc: 401, me: null, csv: 401, session: null };

async function signOut(cookie: string) {
  request.setCookies.clear();
  as(cookie, "/");
  await app.signOut({ redirect: false });
  return request.setCookies;
}

describe("signing out", () => {
  it("ends the session on the server: a copy of the cookie is refused by every route, and so is the user's other session", async () => {
    const laptop = await signIn(admin.email, "admin passphrase 2026");
    const phone = await signIn(admin.email, "admin passphrase 2026");
    expect(await replay(laptop)).toEqual(signedIn(admin.id));
    expect(await replay(phone)).toEqual(signedIn(admin.id));
    const copied = laptop;

    const cleared = await signOut(laptop);
    expect(cleared.get(COOKIE)).toBe("");

    expect(await replay(copied)).toEqual(refused);
    expect(await replay(phone)).toEqual(refused);
    const outs = await t.db.select().from(auditLog).where(and(eq(auditLog.entityId, admin.id), eq(auditLog.action, "auth.sign_out")));
    expect(outs).toHaveLength(1);
  });

  it("a cookie already refused cannot sign the person out of the session they have now", async () => {
    const old = await signIn(admin.email, "admin passphrase 2026");
    await signOut(old);
    const current = await signIn(admin.email, "admin passphrase 2026");
    await signOut(old);
    expect(await replay(current)).toEqual(signedIn(admin.id));
  });
});

describe("changes that end every session of a user", () => {
  async function person(): Promise<{ user: TestUser; cookie: string }> {
    const password = `pw-${randomBytes(6).toString("hex")}`;
    const user = await makeUser(t.db, { roles: ["admin", "pmo"], password });
    const cookie = await signIn(user.email, password);
    expect(await replay(cookie)).toEqual(signedIn(user.id));
    return { user, cookie };
  }
  const change = async (user: TestUser, input: Record<string, unknown>) => {
    const [row] = await t.db.select().from(users).where(eq(users.id, user.id));
    await updateUser({ ctx: serviceCtxFor(t.db, admin), input: updateUserInput.parse({ id: user.id, expectedUpdatedAt: row!.updatedAt.toISOString(), ...input }) });
  };

  it("a new password", async () => {
    const { user, cookie } = await person();
    await change(user, { password: "an entirely new passphrase" });
    expect(await replay(cookie)).toEqual(refused);
    // and the new password signs in
    expect(await replay(await signIn(user.email, "an entirely new passphrase"))).toEqual(signedIn(user.id));
  });

  it("a change of roles", async () => {
    const { user, cookie } = await person();
    await change(user, { roles: ["admin"] });
    expect(await replay(cookie)).toEqual(refused);
  });

  it("a change of scope", async () => {
    const { user, cookie } = await person();
    await change(user, { scope: { entities: ["US01"], regions: [] } });
    expect(await replay(cookie)).toEqual(refused);
  });

  it("being disabled, for good even once enabled again", async () => {
    const { user, cookie } = await person();
    await setUserDisabled({ ctx: serviceCtxFor(t.db, admin), input: { id: user.id, disabled: true } });
    expect(await replay(cookie)).toEqual(refused);
    await setUserDisabled({ ctx: serviceCtxFor(t.db, admin), input: { id: user.id, disabled: false } });
    expect(await replay(cookie)).toEqual(refused);
  });

  it("but not a new name", async () => {
    const { user, cookie } = await person();
    await change(user, { name: "Someone Renamed" });
    expect(await replay(cookie)).toEqual(signedIn(user.id));
  });
});

describe("the session limits still hold", () => {
  /** A cookie signed with the app's secret, carrying what its sign-in would. */
  const mint = async (claims: Record<string, unknown>) =>
    `${COOKIE}=${await encode({ token: { sub: admin.id, ...claims }, secret: process.env.AUTH_SECRET!, salt: COOKIE, maxAge: 1800 })}`;

  it("a token past the absolute limit is refused though its signature and epoch are right", async () => {
    const [row] = await t.db.select({ sv: users.sessionEpoch }).from(users).where(eq(users.id, admin.id));
    const now = Math.floor(Date.now() / 1000);
    expect(await replay(await mint({ uid: admin.id, sv: row!.sv, authTime: now - 60 }))).toEqual(signedIn(admin.id));
    expect(await replay(await mint({ uid: admin.id, sv: row!.sv, authTime: now - 12 * 3600 - 60 }))).toEqual(refused);
    // one from before sessions carried an epoch
    expect(await replay(await mint({ uid: admin.id, authTime: now - 60 }))).toEqual(refused);
  });
});
