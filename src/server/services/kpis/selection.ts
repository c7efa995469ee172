import { sql } from "drizzle-orm";
import { z } from "zod";
import { REGIONS } from "../../domain/enums";
import type { Scope } from "../../auth/scope";
import type { DbOrTx } from "../../db/client";
import { forbidden, invalid, notFound } from "../errors";
import type { Slice, Window } from "./definitions";

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const text = (name: string, max: number) => z.string().trim().min(1, `${name} must not be empty`).max(max, `${name} can be at most ${max} characters`);

/** What the dashboard, its breakdowns, its trends and its drill-down are filtered by (all in the URL). */
export const selectionInput = z.object({
  entity: text("entity", 20).regex(/^[A-Za-z0-9_-]+$/, "entity must be a legal entity code such as US01").optional(),
  region: z.enum(REGIONS, { error: `region must be one of ${REGIONS.join(", ")}` }).optional(),
  businessUnit: text("businessUnit", 80).optional(),
  practice: text("practice", 80).optional(),
  /** an accounting period, YYYY-MM; without one, the last 30 days */
  period: z.string().regex(PERIOD, "period must be an accounting period as YYYY-MM, e.g. 2026-05").optional(),
});
export type SelectionInput = z.infer<typeof selectionInput>;

export type Selection = {
  slice: Slice;
  window: Window & { label: string; period: string | null };
  /** the legal entity chosen, when one is */
  entity: { id: string; code: string; name: string; functionalCurrency: string } | null;
};

const isoDay = (d: Date) => d.toISOString().slice(0, 10);

/**
 * Checks a selection against the database and the user's scope: a legal entity the user may not
 * see and one that does not exist get the same answer (nothing leaks); a region outside the
 * scope is refused; a period no legal entity in the scope has is "not found", naming the range
 * that exists.
 */
export async function resolveSelection(db: DbOrTx, scope: Scope, input: SelectionInput, now: Date): Promise<Selection> {
  let entity: Selection["entity"] = null;
  if (input.entity) {
    const code = input.entity.toUpperCase();
    const [row] = (await db.execute(sql`select id, code, name, region, functional_currency from legal_entities where upper(code) = ${code}`)) as unknown as {
      id: string; code: string; name: string; region: string; functional_currency: string;
    }[];
    const visible = row && (scope.entities.length === 0 || scope.entities.includes(row.code)) && (scope.regions.length === 0 || scope.regions.includes(row.region));
    if (!visible) throw forbidden(`No legal entity "${input.entity}" is in your scope.`);
    entity = { id: row.id, code: row.code, name: row.name, functionalCurrency: row.functional_currency };
  }
  if (input.region && scope.regions.length > 0 && !scope.regions.includes(input.region)) {
    throw forbidden(`The region ${input.region} is outside your scope (${scope.regions.join(", ")}).`);
  }

  const today = isoDay(now);
  let window: Selection["window"];
  if (input.period) {
    const visibleEntities = entity ? sql`e.id = ${entity.id}` : scopeOnEntities(scope);
    const rows = (await db.execute(sql`
      select min(ap.starts_on)::text as starts_on, max(ap.ends_on)::text as ends_on,
             (select min(period) from accounting_periods a join legal_entities e on e.id = a.legal_entity_id where ${visibleEntities}) as first,
             (select max(period) from accounting_periods a join legal_entities e on e.id = a.legal_entity_id where ${visibleEntities}) as last
      from accounting_periods ap join legal_entities e on e.id = ap.legal_entity_id
      where ap.period = ${input.period} and ${visibleEntities}`)) as unknown as { starts_on: string | null; ends_on: string | null; first: string | null; last: string | null }[];
    const r = rows[0];
    if (!r?.starts_on || !r.ends_on) {
      const range = r?.first ? ` Periods run from ${r.first} to ${r.last}.` : "";
      throw notFound(`There is no accounting period ${input.period}${entity ? ` for ${entity.code}` : ""}.${range}`);
    }
    const to = r.ends_on < today ? r.ends_on : today;
    if (r.starts_on > today) throw invalid(`The period ${input.period} has not started yet: there is nothing to show for it.`);
    window = { from: r.starts_on, to, label: to === r.ends_on ? `period ${input.period}` : `period ${input.period} to date`, period: input.period };
  } else {
    window = { from: isoDay(new Date(now.getTime() - 29 * 86_400_000)), to: today, label: "last 30 days", period: null };
  }

  return {
    slice: { entity: entity?.code, region: input.region, businessUnit: input.businessUnit, practice: input.practice },
    window,
    entity,
  };
}

/** The legal entities a scope allows, as a condition on `legal_entities e`. */
export function scopeOnEntities(scope: Scope) {
  const parts = [sql`true`];
  if (scope.entities.length) parts.push(sql`e.code in (${sql.join(scope.entities.map((c) => sql`${c}`), sql`, `)})`);
  if (scope.regions.length) parts.push(sql`e.region in (${sql.join(scope.regions.map((c) => sql`${c}`), sql`, `)})`);
  return sql.join(parts, sql` and `);
}
