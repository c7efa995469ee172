import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { eq, sql } from "drizzle-orm";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson from "superjson";
import { appRouter } from "./root";
import type { Context } from "./trpc";
import { createDb } from "../db/client";
import { users } from "../db/schema";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { ctxFor, makeUser, uniqueEmail, type TestUser } from "../../../test/factories";

let t: TestDatabase;
let admin: TestUser;
let pmo: TestUser;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await makeUser(t.db, { roles: ["admin"] });
  pmo = await makeUser(t.db, { roles: ["pmo"] });
});
afterAll(async () => {
  await t?.drop();
});

type ErrorBody = {
  error: {
    json: {
      message: string;
      code: number;
      data: {
        code: string;
        httpStatus: number;
        path?: string;
        correlationId?: string;
        fieldErrors?: Record<string, string[]>;
        details?: Record<string, unknown>;
      };
    };
  };
};

/** A request through the same handler the Next.js route uses, with the given context. */
async function post(path: string, body: string, ctx: Context) {
  const req = new Request(`http://localhost/api/trpc/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body,
  });
  const res = await fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: () => ctx });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as unknown };
}

async function get(path: string, input: unknown, ctx: Context) {
  const query = new URLSearchParams({ input: JSON.stringify(superjson.serialize(input)) });
  const req = new Request(`http://localhost/api/trpc/${path}?${query}`);
  const res = await fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: () => ctx });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as unknown };
}

const postInput = (path: string, input: unknown, ctx: Context) => post(path, JSON.stringify(superjson.serialize(input)), ctx);

describe("tRPC over HTTP", () => {
  it("creates a user: 200 with the created row, superjson-encoded", async () => {
    const email = uniqueEmail("http");
    const res = await post(
      "users.create",
      JSON.stringify({ json: { email, name: "Over Http", roles: ["executive"] } }),
      ctxFor(t.db, admin),
    );
    expect(res.status).toBe(200);
    const data = superjson.deserialize((res.json as { result: { data: never } }).result.data) as {
      id: string;
      email: string;
      createdAt: Date;
    };
    expect(data.email).toBe(email);
    expect(data.createdAt).toBeInstanceOf(Date);
    expect(res.text).not.toContain("password_hash");
    const [row] = await t.db.select().from(users).where(eq(users.id, data.id));
    expect(row).toMatchObject({ email, name: "Over Http", roles: ["executive"] });
  });

  it("answers malformed input with 400 and a message naming each field", async () => {
    const ctx = ctxFor(t.db, admin);
    const countBefore = await t.db.$count(users);
    const res = await postInput("users.create", { email: "not-an-email", name: "Bad Input", roles: [] }, ctx);
    expect(res.status).toBe(400);
    const { json: err } = (res.json as ErrorBody).error;
    expect(err.message).toBe("email: enter a valid e-mail address; roles: a user needs at least one role");
    expect(err.data).toMatchObject({
      code: "BAD_REQUEST",
      httpStatus: 400,
      path: "users.create",
      correlationId: ctx.correlationId,
      fieldErrors: { email: ["enter a valid e-mail address"], roles: ["a user needs at least one role"] },
    });
    expect(await t.db.$count(users)).toBe(countBefore);
  });

  it("names nested fields by their path", async () => {
    const res = await postInput(
      "users.create",
      { email: uniqueEmail(), name: "Nested", roles: ["pmo"], scope: { entities: ["not a code!"], regions: [] } },
      ctxFor(t.db, admin),
    );
    expect(res.status).toBe(400);
    expect((res.json as ErrorBody).error.json.message).toBe("scope.entities.0: a code is 1–20 letters, digits, '-' or '_'");
  });

  it("answers a body that is not JSON with 400, never 500", async () => {
    for (const body of ["{not json", '{"json": ', "\u0000\u0001"]) {
      const res = await post("users.create", body, ctxFor(t.db, admin));
      expect(res.status).toBe(400);
      const { json: err } = (res.json as ErrorBody).error;
      expect(err.data.code).toBe("BAD_REQUEST");
      expect(err.data.httpStatus).toBe(400);
      expect(err.message).not.toBe("");
    }
  });

  it("answers a missing body and wrong types with 400", async () => {
    expect((await post("users.create", "", ctxFor(t.db, admin))).status).toBe(400);
    expect((await postInput("users.create", "just a string", ctxFor(t.db, admin))).status).toBe(400);
    const wrongTypes = await postInput("users.setDisabled", { id: 42, disabled: "yes" }, ctxFor(t.db, admin));
    expect(wrongTypes.status).toBe(400);
    expect((wrongTypes.json as ErrorBody).error.json.message).toMatch(/^id: .*; disabled: /);
  });

  it("answers a domain conflict with 409 and the service's message", async () => {
    const ctx = ctxFor(t.db, admin);
    const res = await postInput("users.create", { email: pmo.email.toUpperCase(), name: "Twin", roles: ["pmo"] }, ctx);
    expect(res.status).toBe(409);
    const { json: err } = (res.json as ErrorBody).error;
    expect(err.message).toBe(`A user with the e-mail ${pmo.email} already exists.`);
    expect(err.data).toMatchObject({ code: "CONFLICT", httpStatus: 409, correlationId: ctx.correlationId });
  });

  it("answers a stale edit with 409 and the current updatedAt in details", async () => {
    const user = await makeUser(t.db, { roles: ["pmo"] });
    await t.db.update(users).set({ updatedAt: sql`now() + interval '1 second'` }).where(eq(users.id, user.id));
    const res = await postInput(
      "users.update",
      { id: user.id, expectedUpdatedAt: user.updatedAt.toISOString(), name: "Late Edit" },
      ctxFor(t.db, admin),
    );
    expect(res.status).toBe(409);
    const details = (res.json as ErrorBody).error.json.data.details as { updatedAt: string };
    const [row] = await t.db.select().from(users).where(eq(users.id, user.id));
    expect(details.updatedAt).toBe(row!.updatedAt.toISOString());
    expect(row!.name).not.toBe("Late Edit");
  });

  it("answers a domain 'invalid' with 400 and a missing user with 404", async () => {
    const self = await postInput("users.setDisabled", { id: admin.id, disabled: true }, ctxFor(t.db, admin));
    expect(self.status).toBe(400);
    expect((self.json as ErrorBody).error.json.message).toBe("You cannot disable your own account.");

    const missing = await postInput(
      "users.setDisabled",
      { id: "00000000-0000-4000-8000-000000000000", disabled: true },
      ctxFor(t.db, admin),
    );
    expect(missing.status).toBe(404);
  });

  it("answers 401 when signed out and 403 for a role without access", async () => {
    const input = { email: uniqueEmail(), name: "Nobody", roles: ["admin"] };
    expect((await postInput("users.create", input, ctxFor(t.db, null))).status).toBe(401);
    const forbidden = await postInput("users.create", input, ctxFor(t.db, pmo));
    expect(forbidden.status).toBe(403);
    expect((forbidden.json as ErrorBody).error.json.message).toBe("This needs one of the roles: admin.");
  });

  it("answers an unknown procedure with 404 and a query sent as a mutation with 405", async () => {
    expect((await postInput("users.nope", {}, ctxFor(t.db, admin))).status).toBe(404);
    expect((await postInput("users.list", {}, ctxFor(t.db, admin))).status).toBe(405);
  });

  it("serves queries over GET, with malformed query input answered 400", async () => {
    const ok = await get("users.list", { search: pmo.email }, ctxFor(t.db, admin));
    expect(ok.status).toBe(200);
    const rows = superjson.deserialize((ok.json as { result: { data: never } }).result.data) as { id: string }[];
    expect(rows.map((r) => r.id)).toEqual([pmo.id]);

    const bad = await get("audit.list", { limit: 5000, from: "yesterday" }, ctxFor(t.db, admin));
    expect(bad.status).toBe(400);
    expect((bad.json as ErrorBody).error.json.message).toMatch(/^from: .*; limit: |^limit: .*; from: /);

    const garbled = new Request("http://localhost/api/trpc/users.list?input=%7Bnot-json");
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: garbled,
      router: appRouter,
      createContext: () => ctxFor(t.db, admin),
    });
    expect(res.status).toBe(400);
  });

  it("answers an unexpected failure with 500 and a reference, leaking nothing", async () => {
    const dead = createDb("postgres://postgres:secret-password@127.0.0.1:1/nowhere", { max: 1 });
    const lines: string[] = [];
    const logged = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      const ctx = ctxFor(dead.db, admin);
      const res = await get("users.list", {}, ctx);
      expect(res.status).toBe(500);
      const { json: err } = (res.json as ErrorBody).error;
      expect(err.message).toBe(
        `Something went wrong on our side. Quote reference ${ctx.correlationId} when you report it.`,
      );
      expect(res.text).not.toMatch(/ECONNREFUSED|secret-password|127\.0\.0\.1|stack/);
      // logged on the server as a JSON line, with the reference and the procedure
      const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.correlationId === ctx.correlationId);
      expect(line).toMatchObject({ level: "error", msg: "request failed", path: "users.list" });
      expect(JSON.stringify(line)).not.toContain("secret-password");
    } finally {
      logged.mockRestore();
      await dead.sql.end({ timeout: 1 });
    }
  });
});
