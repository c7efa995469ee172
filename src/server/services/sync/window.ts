import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";

/**
 * The days a read-back or a full walk covers by default: from the start of the earliest
 * accounting period still open in any legal entity (what can still change in the books),
 * but at most `maxDays` back, to today (UTC). Without open periods: the last `maxDays` days.
 */
export async function openWindow(db: DbOrTx, opts: { today?: string; maxDays?: number } = {}): Promise<{ from: string; to: string }> {
  const to = opts.today ?? new Date().toISOString().slice(0, 10);
  const maxDays = opts.maxDays ?? 120;
  const floor = new Date(Date.parse(`${to}T00:00:00Z`) - maxDays * 86_400_000).toISOString().slice(0, 10);
  const rows = (await db.execute(sql`select min(starts_on)::text as d from accounting_periods where status = 'open' and starts_on <= ${to}::date`)) as unknown as { d: string | null }[];
  const earliest = rows[0]?.d ?? floor;
  return { from: earliest < floor ? floor : earliest, to };
}
