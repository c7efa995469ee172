import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/** `(values ($1::t1, $2::t2), …)`: a batch of keys as a relation, each value cast to its column's type. */
function valuesList(columns: AnyPgColumn[], rows: readonly (readonly unknown[])[]): SQL {
  const types = columns.map((c) => sql.raw(c.getSQLType()));
  return sql.join(
    rows.map((r) => sql`(${sql.join(r.map((v, i) => sql`${v}::${types[i]!}`), sql`, `)})`),
    sql`, `,
  );
}

/**
 * `(a, b, c) in (select * from (values …))` for a batch of keys. A semi-join against a
 * VALUES relation: the planner hashes it or walks an index, where a long `in ((…), (…))`
 * list would be checked row by row. `false` for no keys, so an empty batch matches nothing.
 */
export function tuplesIn(columns: AnyPgColumn[], rows: readonly (readonly unknown[])[]): SQL {
  if (rows.length === 0) return sql`false`;
  const cols = sql.join(columns.map((c) => sql`${c}`), sql`, `);
  return sql`(${cols}) in (select * from (values ${valuesList(columns, rows)}) as keys)`;
}

/** `column not in (select … from (values …))`: excludes a batch of ids with a hashed lookup. */
export function notInValues(column: AnyPgColumn, values: readonly unknown[]): SQL {
  if (values.length === 0) return sql`true`;
  return sql`${column} not in (select * from (values ${valuesList([column], values.map((v) => [v]))}) as keys)`;
}

/** Distinct tuples (by their JSON form), so IN lists stay as short as the batch allows. */
export function distinctTuples<T extends readonly unknown[]>(rows: T[]): T[] {
  const seen = new Map<string, T>();
  for (const r of rows) seen.set(JSON.stringify(r), r);
  return [...seen.values()];
}
