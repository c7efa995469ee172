import { sql, type SQL } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { invalid } from "../../errors";

/**
 * Keyset paging for the console's lists, newest first on (a timestamp, id). The cursor is
 * opaque to the browser: the last row's timestamp at full database precision (microseconds,
 * which a JavaScript Date would lose) and its id, so the next page starts exactly after it —
 * no gaps and no repeats, however many rows share a timestamp, and no OFFSET scans.
 */
export type Keyset = { t: string; id: string };

const keysetShape = z.object({ t: z.iso.datetime({ offset: true }), id: z.string().min(1).max(64) });

export const cursorInput = z
  .string({ error: "cursor must be the nextCursor a previous page returned" })
  .max(500, { error: "cursor is too long to be one this list returned" })
  .nullish();

export const limitInput = (max: number, dflt: number) =>
  z
    .number({ error: "limit must be a number" })
    .int({ error: "limit must be a whole number" })
    .min(1, { error: "limit must be at least 1" })
    .max(max, { error: `limit can be at most ${max}` })
    .default(dflt);

export function encodeCursor(k: Keyset): string {
  return Buffer.from(JSON.stringify(k), "utf8").toString("base64url");
}

export function decodeCursor(cursor: string): Keyset {
  try {
    return keysetShape.parse(JSON.parse(Buffer.from(cursor, "base64url").toString("utf8")));
  } catch {
    throw invalid("The page cursor is not one this list gave out; reload the list from its first page.");
  }
}

/** A timestamp as ISO-8601 UTC text with microseconds: the cursor's precision. */
export const isoMicros = (col: AnyPgColumn | SQL): SQL<string> =>
  sql<string>`to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Rows strictly after the cursor in (t desc, id desc) order. */
export function afterKeyset(tCol: AnyPgColumn | SQL, idCol: AnyPgColumn | SQL, k: Keyset): SQL {
  return sql`(${tCol}, ${idCol}) < (${k.t}::timestamptz, ${k.id}::uuid)`;
}

/**
 * Takes `limit + 1` rows (the extra one only says whether there is a next page) and
 * returns the page with the cursor of its last row.
 */
export function pageOf<T>(rows: T[], limit: number, keyOf: (row: T) => Keyset): { items: T[]; nextCursor: string | null } {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(keyOf(last)) : null };
}
