import Big from "big.js";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { env } from "@/env";
import { isUnrestricted, type Scope } from "../../auth/scope";
import type { MappingKind, SourceSystem } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { KINDS, kindInput } from "./kinds";
import { suggestTargets, suggestionsOf, type SourceItem, type Suggestion } from "./suggest";

export const unmappedInput = z.object({
  kind: kindInput,
  search: z.string().trim().max(200, { error: "search is at most 200 characters" }).default(""),
  limit: z.number().int().min(1).max(500).default(100),
});
export type UnmappedInput = z.input<typeof unmappedInput>;

export type UnmappedItem = {
  sourceSystem: SourceSystem;
  sourceKey: string;
  code: string | null;
  name: string;
  /** the open exception that blocks its entries, if any */
  exceptionId: string | null;
  entries: number;
  hours: string;
  /** value at stake in the reporting currency (null when no blocked entry could be valued) */
  value: string | null;
  oldestWorkDate: string | null;
  /** the source object already has mappings, for other dates: a new one must fit around them */
  hasOtherMappings: boolean;
  suggestions: Suggestion[];
};

export type Unmapped = {
  kind: MappingKind;
  reportingCurrency: string;
  totals: { items: number; blocking: number; entries: number; hours: string; value: string };
  items: UnmappedItem[];
  /** more matched than were listed */
  truncated: boolean;
};

type Row = {
  source_system: SourceSystem;
  source_key: string;
  code: string | null;
  name: string | null;
  attributes: Record<string, unknown> | null;
  exception_id: string | null;
  entries: number;
  hours: string;
  value: string | null;
  oldest: string | null;
  has_other: boolean;
};

/**
 * What is unmapped in one kind, ranked by what it blocks: first the source objects an open
 * exception names (entries, hours, value at stake in the reporting currency, oldest blocked
 * day), then those the source lists with no mapping at all, which block nothing yet. Each with
 * up to three suggested targets. Blocked ones are visible as the exception queue shows them
 * (legal entity and region of the exception); the never-used ones only to users who see the
 * whole firm, as nothing ties them to an entity yet.
 */
export async function listUnmapped({ ctx, input, scope }: { ctx: ServiceCtx; input: UnmappedInput; scope: Scope }): Promise<Unmapped> {
  const q = unmappedInput.parse(input);
  const info = KINDS[q.kind];
  const like = `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const scopeSql = isUnrestricted(scope)
    ? sql`true`
    : sql`(${scope.entities.length ? sql`le.code in (${sql.join(scope.entities.map((e) => sql`${e}`), sql`, `)})` : sql`true`}
          and ${scope.regions.length ? sql`x.region in (${sql.join(scope.regions.map((r) => sql`${r}`), sql`, `)})` : sql`true`})`;
  const mappingTable = info.store === "id" ? sql`id_mappings` : sql`value_mappings`;
  const mappingKey = info.store === "id" ? sql`external_id` : sql`source_value`;
  const showIdle = isUnrestricted(scope) || !info.scoped;

  const rows = (await ctx.db.execute(sql`
    with blocked as (
      select x.source_system, x.details->>'externalId' as source_key, x.id as exception_id, x.entries_count as entries,
             x.hours_at_stake as hours, x.value_reporting as value, x.oldest_work_date as oldest
      from exceptions x
      left join legal_entities le on le.id = x.legal_entity_id
      where ${info.code ? sql`x.code = ${info.code}` : sql`false`} and x.status = 'open' and x.details ? 'externalId' and ${scopeSql}
    ),
    idle as (
      select r.source_system, r.external_id as source_key, null::uuid as exception_id, 0 as entries, 0::numeric as hours, null::numeric as value, null::date as oldest
      from source_refs r
      where ${showIdle} and r.kind = ${q.kind} and r.active
        and not exists (select 1 from ${mappingTable} m where m.kind = ${q.kind} and m.source_system = r.source_system and m.${mappingKey} = r.external_id and m.active)
        and not exists (select 1 from blocked b where b.source_system = r.source_system and b.source_key = r.external_id)
    ),
    unmapped as (select * from blocked union all select * from idle)
    select u.source_system::text as source_system, u.source_key, r.code, r.name, r.attributes, u.exception_id::text as exception_id,
           u.entries::int as entries, u.hours::text as hours, u.value::text as value, u.oldest::text as oldest,
           exists (select 1 from ${mappingTable} m where m.kind = ${q.kind} and m.source_system = u.source_system and m.${mappingKey} = u.source_key and m.active) as has_other
    from unmapped u
    left join source_refs r on r.kind = ${q.kind} and r.source_system = u.source_system and r.external_id = u.source_key
    where ${q.search === ""} or u.source_key ilike ${like} or coalesce(r.code, '') ilike ${like} or coalesce(r.name, '') ilike ${like}
    order by u.value desc nulls last, u.hours desc, u.entries desc, u.oldest asc nulls last, u.source_key
  `)) as unknown as Row[];

  const totals = { items: rows.length, blocking: 0, entries: 0, hours: new Big(0), value: new Big(0) };
  for (const r of rows) {
    if (r.entries > 0) totals.blocking += 1;
    totals.entries += r.entries;
    totals.hours = totals.hours.plus(r.hours);
    if (r.value) totals.value = totals.value.plus(r.value);
  }
  const listed = rows.slice(0, q.limit);
  const sources: SourceItem[] = listed.map((r) => ({
    sourceSystem: r.source_system,
    sourceKey: r.source_key,
    code: r.code,
    name: r.name ?? r.source_key,
    attributes: r.attributes ?? {},
  }));
  const suggestions = await suggestTargets(ctx.db, q.kind, sources);
  return {
    kind: q.kind,
    reportingCurrency: env.REPORTING_CURRENCY,
    totals: { items: totals.items, blocking: totals.blocking, entries: totals.entries, hours: totals.hours.toFixed(2), value: totals.value.toFixed(2) },
    truncated: rows.length > listed.length,
    items: listed.map((r) => ({
      sourceSystem: r.source_system,
      sourceKey: r.source_key,
      code: r.code,
      name: r.name ?? `#${r.source_key}`,
      exceptionId: r.exception_id,
      entries: r.entries,
      hours: new Big(r.hours).toFixed(2),
      value: r.value === null ? null : new Big(r.value).toFixed(2),
      oldestWorkDate: r.oldest,
      hasOtherMappings: r.has_other,
      suggestions: suggestionsOf(suggestions, r.source_system, r.source_key),
    })),
  };
}

/** The source's description of objects (code, name, attributes), for suggestions outside the list. */
export async function sourceItems(ctx: ServiceCtx, kind: MappingKind, keys: { sourceSystem: SourceSystem; sourceKey: string }[]): Promise<SourceItem[]> {
  if (keys.length === 0) return [];
  const rows = (await ctx.db.execute(sql`
    with k(s, key) as (values ${sql.join(keys.map((k) => sql`(${k.sourceSystem}::source_system, ${k.sourceKey}::text)`), sql`, `)})
    select k.s::text as source_system, k.key as source_key, r.code, r.name, r.attributes
    from k left join source_refs r on r.kind = ${kind} and r.source_system = k.s and r.external_id = k.key`)) as unknown as Row[];
  return rows.map((r) => ({ sourceSystem: r.source_system, sourceKey: r.source_key, code: r.code, name: r.name ?? r.source_key, attributes: r.attributes ?? {} }));
}

export type KindOverview = { kind: MappingKind; label: string; blocking: number; entries: number; hours: string; value: string | null };

/**
 * For the tabs: per kind, how many source objects block approved time and what that time is
 * worth (reporting currency), as the exception queue counts them within the viewer's scope.
 */
export async function unmappedOverview({ ctx, scope }: { ctx: ServiceCtx; scope: Scope }): Promise<{ reportingCurrency: string; kinds: KindOverview[] }> {
  const scopeSql = isUnrestricted(scope)
    ? sql`true`
    : sql`(${scope.entities.length ? sql`le.code in (${sql.join(scope.entities.map((e) => sql`${e}`), sql`, `)})` : sql`true`}
          and ${scope.regions.length ? sql`x.region in (${sql.join(scope.regions.map((r) => sql`${r}`), sql`, `)})` : sql`true`})`;
  const rows = (await ctx.db.execute(sql`
    select x.code, count(*)::int as blocking, coalesce(sum(x.entries_count), 0)::int as entries,
           coalesce(sum(x.hours_at_stake), 0)::text as hours, sum(x.value_reporting)::text as value
    from exceptions x left join legal_entities le on le.id = x.legal_entity_id
    where x.status = 'open' and x.code in ('PROJECT_UNMAPPED', 'TASK_UNMAPPED', 'EMPLOYEE_UNMAPPED') and ${scopeSql}
    group by x.code`)) as unknown as { code: string; blocking: number; entries: number; hours: string; value: string | null }[];
  const byCode = new Map(rows.map((r) => [r.code, r]));
  return {
    reportingCurrency: env.REPORTING_CURRENCY,
    kinds: Object.values(KINDS).map((k) => {
      const r = k.code ? byCode.get(k.code) : undefined;
      return {
        kind: k.kind,
        label: k.label,
        blocking: r?.blocking ?? 0,
        entries: r?.entries ?? 0,
        hours: new Big(r?.hours ?? 0).toFixed(2),
        value: r?.value ? new Big(r.value).toFixed(2) : null,
      };
    }),
  };
}
