import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";

/**
 * `(a, b, c) in ((1, 2, 3), (4, 5, 6))` for a batch of keys; `false` for none, so a batch
 * with no keys of a kind matches nothing rather than everything.
 */
export function tuplesIn(columns: AnyPgColumn[], rows: readonly (readonly unknown[])[]): SQL {
  if (rows.length === 0) return sql`false`;
  const cols = sql.join(columns.map((c) => sql`${c}`), sql`, `);
  const values = sql.join(
    rows.map((r) => sql`(${sql.join(r.map((v) => sql`${v}`), sql`, `)})`),
    sql`, `,
  );
  return sql`(${cols}) in (${values})`;
}

/** Distinct tuples (by their JSON form), so IN lists stay as short as the batch allows. */
export function distinctTuples<T extends readonly unknown[]>(rows: T[]): T[] {
  const seen = new Map<string, T>();
  for (const r of rows) seen.set(JSON.stringify(r), r);
  return [...seen.values()];
}
