import { describe, expect, it } from "vitest";
import postgres from "postgres";
import { inject } from "vitest";
import { getTableName, is } from "drizzle-orm";
import { PgTable } from "drizzle-orm/pg-core";
import * as schema from "@/server/db/schema";
import { users } from "@/server/db/schema";
import { createTestDatabase } from "./db";
import { makeUser } from "./factories";

describe("test databases", () => {
  it("are migrated clones of the template, empty, and isolated from each other", async () => {
    const a = await createTestDatabase();
    const b = await createTestDatabase();
    try {
      expect(a.name).not.toBe(b.name);
      expect(a.name).toMatch(/^hb_t_[0-9a-f]{12}$/);
      const tables = await a.sql<{ t: string }[]>`
        select table_name as t from information_schema.tables where table_schema = 'public' order by 1`;
      // exactly the tables the Drizzle schema declares: migrations and schema agree
      const declared = Object.values(schema)
        .filter((v) => is(v, PgTable))
        .map((t) => getTableName(t as PgTable))
        .sort();
      expect(tables.map((r) => r.t)).toEqual(declared);
      expect(declared).toContain("time_entries");
      expect(await a.db.$count(users)).toBe(0);

      await makeUser(a.db, { roles: ["pmo"] });
      expect(await a.db.$count(users)).toBe(1);
      expect(await b.db.$count(users)).toBe(0);
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  it("are gone after drop", async () => {
    const c = await createTestDatabase();
    await makeUser(c.db, { roles: ["admin"] });
    await c.drop();
    // (never connect to the template here: CREATE DATABASE ... TEMPLATE refuses while anyone is)
    const admin = postgres(inject("pgAdminUrl"), { max: 1, onnotice: () => {} });
    try {
      const found = await admin`select datname from pg_database where datname = ${c.name}`;
      expect(found).toHaveLength(0);
    } finally {
      await admin.end({ timeout: 5 });
    }
    // a clone made after rows were written to another clone starts empty: the template is untouched
    const d = await createTestDatabase();
    try {
      expect(await d.db.$count(users)).toBe(0);
    } finally {
      await d.drop();
    }
  });
});
