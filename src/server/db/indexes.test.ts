import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDatabase, type TestDatabase } from "../../../test/db";

/** Every foreign key has an index that starts with its columns, so joins and deletes never scan. */
describe("the schema's indexes", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => t?.drop());

  it("cover every foreign key", async () => {
    const unindexed = await t.sql<{ fk: string }[]>`
      select c.conrelid::regclass::text || '(' || string_agg(a.attname, ', ' order by k.n) || ')' as fk
      from pg_constraint c
      cross join lateral unnest(c.conkey) with ordinality as k(attnum, n)
      join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum
      where c.contype = 'f' and c.connamespace = 'public'::regnamespace
        and not exists (
          select 1 from pg_index i
          where i.indrelid = c.conrelid
            and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] @> c.conkey
            and (i.indkey::int2[])[0:array_length(c.conkey, 1) - 1] <@ c.conkey
            and i.indpred is null)
      group by c.oid, c.conrelid
      order by 1`;
    expect(unindexed.map((r) => r.fk)).toEqual([]);
  });

  it("are there at all (the check above looks at real foreign keys)", async () => {
    const [row] = await t.sql<{ n: number }[]>`
      select count(*)::int as n from pg_constraint where contype = 'f' and connamespace = 'public'::regnamespace`;
    expect(row!.n).toBeGreaterThan(30);
  });
});
