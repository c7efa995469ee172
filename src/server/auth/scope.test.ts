import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { and, asc, eq } from "drizzle-orm";
import { integer, pgTable, text } from "drizzle-orm/pg-core";
import { describeScope, isUnrestricted, scopeCondition, scopeWithin, UNRESTRICTED, type Scope } from "./scope";
import { createTestDatabase, type TestDatabase } from "../../../test/db";

// A throwaway table shaped like the scoped data later features will hold.
const entries = pgTable("scope_probe", {
  id: integer("id").notNull(),
  entity: text("entity").notNull(),
  region: text("region").notNull(),
});
// and one that knows only its legal entity
const entityOnly = pgTable("scope_probe_entity_only", {
  id: integer("id").notNull(),
  entity: text("entity").notNull(),
});

const ROWS = [
  { id: 1, entity: "US01", region: "AMER" },
  { id: 2, entity: "US02", region: "AMER" },
  { id: 3, entity: "UK01", region: "EMEA" },
  { id: 4, entity: "DE01", region: "EMEA" },
  { id: 5, entity: "SG01", region: "APAC" },
  { id: 6, entity: "US01", region: "EMEA" },
];

let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.sql.unsafe(`
    create table scope_probe (id int not null, entity text not null, region text not null);
    create table scope_probe_entity_only (id int not null, entity text not null);
  `);
  await t.db.insert(entries).values(ROWS);
  await t.db.insert(entityOnly).values(ROWS.map(({ id, entity }) => ({ id, entity })));
});
afterAll(async () => {
  await t?.drop();
});

async function visibleIds(scope: Scope): Promise<number[]> {
  const rows = await t.db
    .select({ id: entries.id })
    .from(entries)
    .where(scopeCondition(scope, { entity: entries.entity, region: entries.region }))
    .orderBy(asc(entries.id));
  return rows.map((r) => r.id);
}

describe("scopeCondition", () => {
  it("filters nothing for an unrestricted user", async () => {
    expect(isUnrestricted(UNRESTRICTED)).toBe(true);
    expect(scopeCondition(UNRESTRICTED, { entity: entries.entity, region: entries.region })).toBeUndefined();
    // nor does it need the columns: there is nothing to filter
    expect(scopeCondition(UNRESTRICTED, {})).toBeUndefined();
    expect(await visibleIds(UNRESTRICTED)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("keeps only the user's legal entities", async () => {
    expect(await visibleIds({ entities: ["US01"], regions: [] })).toEqual([1, 6]);
    expect(await visibleIds({ entities: ["UK01", "SG01"], regions: [] })).toEqual([3, 5]);
    expect(await visibleIds({ entities: ["XX99"], regions: [] })).toEqual([]);
  });

  it("keeps only the user's regions", async () => {
    expect(await visibleIds({ entities: [], regions: ["EMEA"] })).toEqual([3, 4, 6]);
    expect(await visibleIds({ entities: [], regions: ["AMER", "APAC"] })).toEqual([1, 2, 5]);
  });

  it("requires both when the user is limited by entity and region", async () => {
    expect(await visibleIds({ entities: ["US01"], regions: ["EMEA"] })).toEqual([6]);
    expect(await visibleIds({ entities: ["US01", "UK01"], regions: ["EMEA"] })).toEqual([3, 6]);
    expect(await visibleIds({ entities: ["SG01"], regions: ["EMEA"] })).toEqual([]);
  });

  it("combines with the query's own conditions", async () => {
    const rows = await t.db
      .select({ id: entries.id })
      .from(entries)
      .where(and(eq(entries.region, "EMEA"), scopeCondition({ entities: ["US01"], regions: [] }, { entity: entries.entity })))
      .orderBy(asc(entries.id));
    expect(rows.map((r) => r.id)).toEqual([6]);
  });

  it("an entity scope works on a table that has no region column", async () => {
    const rows = await t.db
      .select({ id: entityOnly.id })
      .from(entityOnly)
      .where(scopeCondition({ entities: ["DE01"], regions: [] }, { entity: entityOnly.entity }))
      .orderBy(asc(entityOnly.id));
    expect(rows.map((r) => r.id)).toEqual([4]);
  });

  it("refuses a region scope on a table without a region column, rather than showing everything", () => {
    expect(() => scopeCondition({ entities: [], regions: ["EMEA"] }, { entity: entityOnly.entity })).toThrow(
      /limited to regions but no region column/,
    );
    expect(() => scopeCondition({ entities: ["US01"], regions: ["EMEA"] }, { entity: entityOnly.entity })).toThrow(
      /region column/,
    );
  });

  it("refuses an entity scope without an entity column", () => {
    expect(() => scopeCondition({ entities: ["US01"], regions: [] }, { region: entries.region })).toThrow(
      /limited to legal entities but no entity column/,
    );
  });

  it("treats codes as data, never as SQL", async () => {
    expect(await visibleIds({ entities: ["US01' or '1'='1"], regions: [] })).toEqual([]);
  });
});

describe("scopeWithin", () => {
  const s = (entities: string[], regions: string[] = []): Scope => ({ entities, regions });

  it("anything is within the unrestricted scope", () => {
    for (const inner of [UNRESTRICTED, s(["US01"]), s([], ["EMEA"]), s(["UK01"], ["EMEA"])]) expect(scopeWithin(inner, UNRESTRICTED)).toBe(true);
  });

  it("within an entity scope: only entity scopes naming some of its entities, narrowed by region or not", () => {
    const us = s(["US01", "US02"]);
    expect(scopeWithin(s(["US01"]), us)).toBe(true);
    expect(scopeWithin(s(["US02", "US01"]), us)).toBe(true);
    expect(scopeWithin(s(["US01"], ["AMER"]), us)).toBe(true);
    expect(scopeWithin(UNRESTRICTED, us)).toBe(false);
    expect(scopeWithin(s(["US01", "UK01"]), us)).toBe(false);
    // a region alone spans every entity in it
    expect(scopeWithin(s([], ["AMER"]), us)).toBe(false);
  });

  it("within a region scope: only scopes that name some of its regions, whatever their entities", () => {
    const emea = s([], ["EMEA"]);
    expect(scopeWithin(s([], ["EMEA"]), emea)).toBe(true);
    expect(scopeWithin(s(["UK01"], ["EMEA"]), emea)).toBe(true);
    // UK01 lies in EMEA today, but the scope does not say so: judged by the codes, not the master data
    expect(scopeWithin(s(["UK01"]), emea)).toBe(false);
    expect(scopeWithin(s([], ["EMEA", "APAC"]), emea)).toBe(false);
  });

  it("within a scope limited both ways: limited both ways within it", () => {
    const both = s(["UK01", "DE01"], ["EMEA"]);
    expect(scopeWithin(s(["DE01"], ["EMEA"]), both)).toBe(true);
    expect(scopeWithin(s(["DE01"]), both)).toBe(false);
    expect(scopeWithin(s([], ["EMEA"]), both)).toBe(false);
  });

  it("describes a scope in words", () => {
    expect(describeScope(UNRESTRICTED)).toBe("all legal entities and regions");
    expect(describeScope(s(["US01"]))).toBe("legal entity US01");
    expect(describeScope(s(["UK01", "DE01"], ["EMEA"]))).toBe("legal entities UK01, DE01 and region EMEA");
    expect(describeScope(s([], ["EMEA", "APAC"]))).toBe("regions EMEA, APAC");
  });
});
