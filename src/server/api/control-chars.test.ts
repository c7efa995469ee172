/**
 * Text that text columns cannot hold (U+0000 above all: PostgreSQL refuses it in text and
 * jsonb) is refused at the door of every procedure with a 400 naming the field, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eq } from "drizzle-orm";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z } from "zod";
import { appRouter, createCaller } from "./root";
import { createCallerFactory, publicProcedure, router, type Context } from "./trpc";
import { users } from "../db/schema";
import { ROLES } from "../auth/roles";
import { createTestDatabase, type TestDatabase } from "../../../test/db";
import { ctxFor, makeUser, uniqueEmail, type TestUser } from "../../../test/factories";

let t: TestDatabase;
let admin: TestUser;
let everyRole: TestUser;

beforeAll(async () => {
  t = await createTestDatabase();
  admin = await makeUser(t.db, { roles: ["admin"] });
  everyRole = await makeUser(t.db, { roles: [...ROLES] });
});
afterAll(async () => {
  await t?.drop();
});

type ErrorBody = { error: { json: { message: string; data: { code: string; httpStatus: number; fieldErrors?: Record<string, string[]> } } } };

async function over(method: "GET" | "POST", path: string, input: unknown, ctx: Context) {
  const encoded = JSON.stringify(superjson.serialize(input));
  const req =
    method === "GET"
      ? new Request(`http://localhost/api/trpc/${path}?${new URLSearchParams({ input: encoded })}`)
      : new Request(`http://localhost/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body: encoded });
  const res = await fetchRequestHandler({ endpoint: "/api/trpc", req, router: appRouter, createContext: () => ctx });
  return { status: res.status, body: (await res.json()) as ErrorBody };
}

describe("control characters in procedure input", () => {
  it("a NUL in a mutation's field is a 400 naming the field, and nothing is written", async () => {
    const email = uniqueEmail("nul");
    const res = await over("POST", "users.create", { email, name: "Ana\u0000Lopez", roles: ["pmo"] }, ctxFor(t.db, admin));
    expect(res.status).toBe(400);
    const err = res.body.error.json;
    expect(err.message).toBe("name: contains a control character (U+0000, NUL), which text cannot hold; remove it and try again");
    expect(err.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, fieldErrors: { name: [expect.stringContaining("U+0000")] } });
    expect(await t.db.select().from(users).where(eq(users.email, email))).toEqual([]);
  });

  it("a NUL in a query's search text is a 400, not a database error", async () => {
    const res = await over("GET", "users.list", { search: "ana\u0000" }, ctxFor(t.db, admin));
    expect(res.status).toBe(400);
    expect(res.body.error.json.message).toMatch(/^search: contains a control character \(U\+0000, NUL\)/);
  });

  it("names nested fields and keys by their path", async () => {
    const nested = await over("POST", "users.create", { email: uniqueEmail(), name: "N", roles: ["pmo"], scope: { entities: ["EMEA", "X\u001bY"], regions: [] } }, ctxFor(t.db, admin));
    expect(nested.status).toBe(400);
    expect(nested.body.error.json.message).toBe("scope.entities.1: contains a control character (U+001B, ESC), which text cannot hold; remove it and try again");
    const key = await over("POST", "users.create", { email: uniqueEmail(), name: "N", roles: ["pmo"], ["bad\u0000key"]: 1 }, ctxFor(t.db, admin));
    expect(key.status).toBe(400);
    expect(key.body.error.json.message).toMatch(/^bad\\u0000key: a field name contains a control character/);
  });

  it("every procedure of the router refuses it before its own schema reads the input", async () => {
    const caller = createCaller(ctxFor(t.db, everyRole)) as unknown as Record<string, unknown>;
    const paths = Object.keys(appRouter._def.procedures).sort();
    expect(paths.length).toBeGreaterThan(20);
    const outcomes: Record<string, string> = {};
    for (const path of paths) {
      const fn = path.split(".").reduce<unknown>((node, k) => (node as Record<string, unknown>)[k], caller) as (i: unknown) => Promise<unknown>;
      try {
        await fn({ probe: "x\u0000" });
        outcomes[path] = "ok";
      } catch (err) {
        outcomes[path] = err instanceof TRPCError ? `${err.code} ${err.message.split(":")[0]}` : String(err);
      }
    }
    expect(Object.entries(outcomes).filter(([, o]) => o !== "BAD_REQUEST probe")).toEqual([]);
  });
});

describe("what passes", () => {
  const echo = router({ echo: publicProcedure.input(z.object({ text: z.string(), tags: z.array(z.string()).default([]) })).mutation(({ input }) => input) });
  const call = (input: unknown) => createCallerFactory(echo)(ctxFor(t.db, null)).echo(input as { text: string });

  it("tabs, line breaks and any printable text, including characters outside the BMP", async () => {
    const text = "Line one\r\n\tline two — Ünïcödé 😀 中文";
    await expect(call({ text })).resolves.toEqual({ text, tags: [] });
  });

  it("refuses DEL, C1 controls and half of a surrogate pair, wherever they are", async () => {
    for (const [text, code] of [
      ["a\u007fb", "U+007F, DEL"],
      ["a\u0085b", "U+0085"],
      ["a\ud83d", "U+D83D"],
      ["\ude00b", "U+DE00"],
    ] as const) {
      const err = await call({ text: "fine", tags: ["ok", text] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TRPCError);
      expect((err as TRPCError).code).toBe("BAD_REQUEST");
      expect((err as TRPCError).message).toContain(`tags.1: contains`);
      expect((err as TRPCError).message).toContain(code);
    }
  });
});
