import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { isUnrestricted, type Scope } from "../../auth/scope";
import type { MappingKind, SourceSystem } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { cursorInput, decodeCursor, limitInput, pageOf } from "../sync/console/keyset";
import { KINDS, kindInput } from "./kinds";
import { targetsRelation } from "./targets";

export const MAPPING_STATUSES = ["all", "in_effect", "scheduled", "ended", "inactive"] as const;
export type MappingStatus = Exclude<(typeof MAPPING_STATUSES)[number], "all">;

export const listInput = z.object({
  kind: kindInput,
  search: z.string().trim().max(200, { error: "search is at most 200 characters" }).default(""),
  status: z.enum(MAPPING_STATUSES, { error: `status must be one of ${MAPPING_STATUSES.join(", ")}` }).default("all"),
  limit: limitInput(200, 50),
  cursor: cursorInput,
});
export type ListInput = z.input<typeof listInput>;

export type MappingListItem = {
  id: string;
  sourceSystem: SourceSystem;
  sourceKey: string;
  sourceCode: string | null;
  sourceName: string | null;
  targetKey: string;
  targetCode: string | null;
  targetName: string | null;
  targetEntity: string | null;
  /** the target as the ERP has it now: missing from master data, or no longer active */
  targetState: "active" | "inactive" | "missing";
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  /** in effect today, starting later, ended, or switched off */
  status: MappingStatus;
  reason: string | null;
  version: number;
  updatedBy: string;
  updatedAt: Date;
  createdBy: string;
  createdAt: Date;
};

export type MappingList = {
  kind: MappingKind;
  items: MappingListItem[];
  nextCursor: string | null;
  /** how many mappings of the kind the viewer sees, by status (ignoring the search) */
  counts: Record<MappingStatus, number>;
};

type Row = Omit<MappingListItem, "updatedAt" | "createdAt"> & { updatedAt: Date | string; createdAt: Date | string; t: string };

/** The kind's mappings (either table) with their source label and target, as one relation. */
export function mappingsRelation(kind: MappingKind, scope: Scope): SQL {
  const info = KINDS[kind];
  const m =
    info.store === "id"
      ? sql`select id, source_system, kind, external_id as source_key, target_erp_id as target_key, valid_from, valid_to, active, reason, created_by, created_at, updated_by, updated_at, version from id_mappings`
      : sql`select id, source_system, kind, source_value as source_key, target_value as target_key, valid_from, valid_to, active, reason, created_by, created_at, updated_by, updated_at, version from value_mappings`;
  const scoped =
    info.scoped && !isUnrestricted(scope)
      ? sql`and ${scope.entities.length ? sql`t.entity_code in (${sql.join(scope.entities.map((e) => sql`${e}`), sql`, `)})` : sql`true`}
            and ${scope.regions.length ? sql`t.region in (${sql.join(scope.regions.map((r) => sql`${r}`), sql`, `)})` : sql`true`}`
      : sql``;
  return sql`
    select m.id::text as id, m.source_system::text as "sourceSystem", m.source_key as "sourceKey", r.code as "sourceCode", r.name as "sourceName",
           m.target_key as "targetKey", t.code as "targetCode", t.name as "targetName", t.entity_code as "targetEntity",
           case when t.key is null then 'missing' when t.active then 'active' else 'inactive' end as "targetState",
           m.valid_from::text as "validFrom", m.valid_to::text as "validTo", m.active, m.reason, m.version,
           m.updated_by as "updatedBy", m.updated_at as "updatedAt", m.created_by as "createdBy", m.created_at as "createdAt",
           case when not m.active then 'inactive'
                when m.valid_from > current_date then 'scheduled'
                when m.valid_to < current_date then 'ended'
                else 'in_effect' end as status,
           to_char(m.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as t
    from (${m}) m
    left join source_refs r on r.kind = m.kind and r.source_system = m.source_system and r.external_id = m.source_key
    left join (${targetsRelation(kind)}) t on t.key = m.target_key
    where m.kind = ${kind} ${scoped}`;
}

/**
 * The mappings of one kind the viewer may see (for a scoped kind, those whose target is in
 * their scope), newest change first, keyset-paged, searchable by the source's id, code or
 * name and the target's key, code or name, and filterable by status.
 */
export async function listMappings({ ctx, input, scope }: { ctx: ServiceCtx; input: ListInput; scope: Scope }): Promise<MappingList> {
  const q = listInput.parse(input);
  const like = `%${q.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const after = q.cursor ? decodeCursor(q.cursor) : null;
  const rows = (await ctx.db.execute(sql`
    select * from (${mappingsRelation(q.kind, scope)}) x
    where (${q.status} = 'all' or x.status = ${q.status})
      and (${q.search === ""} or x."sourceKey" ilike ${like} or coalesce(x."sourceCode", '') ilike ${like} or coalesce(x."sourceName", '') ilike ${like}
           or x."targetKey" ilike ${like} or coalesce(x."targetCode", '') ilike ${like} or coalesce(x."targetName", '') ilike ${like})
      ${after ? sql`and (x."updatedAt", x.id::uuid) < (${after.t}::timestamptz, ${after.id}::uuid)` : sql``}
    order by x."updatedAt" desc, x.id desc
    limit ${q.limit + 1}`)) as unknown as Row[];
  const counted = (await ctx.db.execute(sql`select x.status, count(*)::int as n from (${mappingsRelation(q.kind, scope)}) x group by x.status`)) as unknown as {
    status: MappingStatus;
    n: number;
  }[];
  const counts: Record<MappingStatus, number> = { in_effect: 0, scheduled: 0, ended: 0, inactive: 0 };
  for (const c of counted) counts[c.status] = c.n;
  const page = pageOf(rows, q.limit, (r) => ({ t: r.t, id: r.id }));
  return {
    kind: q.kind,
    counts,
    nextCursor: page.nextCursor,
    items: page.items.map(({ t: _t, ...r }) => ({ ...r, updatedAt: new Date(r.updatedAt), createdAt: new Date(r.createdAt) })),
  };
}
