import { sql, type SQL } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import { isUnrestricted, type Scope } from "../../auth/scope";
import type { MappingKind } from "../../domain/enums";
import { z } from "zod";
import type { ServiceCtx } from "../context";
import { KINDS, kindInput } from "./kinds";

/**
 * An ERP record a mapping may point at, as pulled from the ERP's master data: a job (project),
 * a service item (labor category), an employee, a customer, or a cost center code.
 */
export type Target = {
  /** the canonical row (null for cost centers, which are codes) */
  id: string | null;
  /** the ERP's key: what the mapping stores and the CSV names */
  key: string;
  code: string | null;
  name: string;
  active: boolean;
  /** why it may not be mapped to, when it is not active */
  inactiveReason: string | null;
  entityCode: string | null;
  region: string | null;
  /** a few facts suggestions weigh (customer, e-mail, billable, currency) */
  customerId: string | null;
  email: string | null;
  billable: boolean | null;
  currency: string | null;
};

type Row = {
  id: string | null;
  key: string;
  code: string | null;
  name: string;
  status: string | null;
  active: boolean;
  entity_code: string | null;
  region: string | null;
  customer_id: string | null;
  email: string | null;
  billable: boolean | null;
  currency: string | null;
};

const STATUS_WORDS: Record<string, string> = { on_hold: "on hold", closed: "closed" };

/** The kind's targets as a relation (key, code, name, active, entity_code, region…), to join or filter. */
export function targetsRelation(kind: MappingKind): SQL {
  switch (kind) {
    case "project":
      return sql`select p.id::text as id, p.erp_id as key, p.code, p.name, p.status::text as status, p.status = 'active' as active,
                        le.code as entity_code, p.region, p.customer_id::text as customer_id, null::text as email, null::boolean as billable, p.currency::text as currency
                 from projects p join legal_entities le on le.id = p.legal_entity_id`;
    case "task":
      return sql`select c.id::text as id, c.erp_item_id as key, c.code, c.name, null::text as status, c.active,
                        null::text as entity_code, null::text as region, null::text as customer_id, null::text as email, c.billable, null::text as currency
                 from labor_categories c`;
    case "user":
      return sql`select e.id::text as id, e.erp_id as key, e.email as code, e.name, null::text as status, e.active,
                        le.code as entity_code, e.region, null::text as customer_id, lower(e.email) as email, null::boolean as billable, null::text as currency
                 from employees e join legal_entities le on le.id = e.legal_entity_id`;
    case "customer":
      return sql`select c.id::text as id, c.erp_id as key, c.erp_id as code, c.name, null::text as status, c.active,
                        le.code as entity_code, le.region, null::text as customer_id, null::text as email, null::boolean as billable, le.functional_currency::text as currency
                 from customers c join legal_entities le on le.id = c.legal_entity_id`;
    case "cost_center":
      // the cost centers the ERP's employee records carry; a code is active while an active employee holds it
      return sql`select null::text as id, e.cost_center as key, e.cost_center as code,
                        string_agg(distinct e.department, ', ' order by e.department) as name, null::text as status, bool_or(e.active) as active,
                        case when count(distinct le.code) = 1 then min(le.code) end as entity_code,
                        case when count(distinct e.region) = 1 then min(e.region) end as region,
                        null::text as customer_id, null::text as email, null::boolean as billable, null::text as currency
                 from employees e join legal_entities le on le.id = e.legal_entity_id
                 group by e.cost_center`;
  }
}

function toTarget(kind: MappingKind, r: Row): Target {
  const inactiveReason = r.active
    ? null
    : kind === "project"
      ? `is ${STATUS_WORDS[r.status ?? ""] ?? r.status} in the ERP`
      : kind === "cost_center"
        ? "is held by no active employee in the ERP"
        : "is inactive in the ERP";
  return {
    id: r.id,
    key: r.key,
    code: r.code,
    name: r.name,
    active: r.active,
    inactiveReason,
    entityCode: r.entity_code,
    region: r.region,
    customerId: r.customer_id,
    email: r.email,
    billable: r.billable,
    currency: r.currency,
  };
}

/** The targets with these ERP keys (those that exist), by key. */
export async function targetsByKey(db: DbOrTx, kind: MappingKind, keys: string[]): Promise<Map<string, Target>> {
  const wanted = [...new Set(keys)];
  if (wanted.length === 0) return new Map();
  const rows = (await db.execute(sql`select * from (${targetsRelation(kind)}) t where t.key in (${sql.join(wanted.map((k) => sql`${k}`), sql`, `)})`)) as unknown as Row[];
  return new Map(rows.map((r) => [r.key, toTarget(kind, r)]));
}

/** Every target of the kind (for suggestions); active ones only unless asked. */
export async function allTargets(db: DbOrTx, kind: MappingKind, opts: { activeOnly?: boolean } = {}): Promise<Target[]> {
  const rows = (await db.execute(sql`select * from (${targetsRelation(kind)}) t ${opts.activeOnly ? sql`where t.active` : sql``} order by t.name, t.key`)) as unknown as Row[];
  return rows.map((r) => toTarget(kind, r));
}

/** Targets whose code, name or key contains the search, active ones first (the editor's picker). */
export async function searchTargets(db: DbOrTx, kind: MappingKind, search: string, limit: number, scope: Scope): Promise<Target[]> {
  const like = `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const rows = (await db.execute(sql`
    select * from (${targetsRelation(kind)}) t
    where (${search === ""} or t.key ilike ${like} or t.name ilike ${like} or coalesce(t.code, '') ilike ${like})
    order by t.active desc, (t.key = ${search} or lower(coalesce(t.code, '')) = lower(${search})) desc, t.name, t.key
    limit ${limit * 4}`)) as unknown as Row[];
  return rows
    .map((r) => toTarget(kind, r))
    .filter((t) => targetVisible(kind, t, scope))
    .slice(0, limit);
}

/** May a user with this scope see (and map to) the target? Firm-wide kinds are visible to all. */
export function targetVisible(kind: MappingKind, t: Pick<Target, "entityCode" | "region">, scope: Scope): boolean {
  if (!KINDS[kind].scoped || isUnrestricted(scope)) return true;
  if (scope.entities.length && !(t.entityCode && scope.entities.includes(t.entityCode))) return false;
  if (scope.regions.length && !(t.region && scope.regions.includes(t.region))) return false;
  return true;
}

/**
 * Why this user may not change mappings of the kind, or null when they may: a firm-wide kind
 * (tasks → service items, cost centers) changes posting for every entity, so only someone
 * whose scope covers the whole firm changes it.
 */
export function cannotChangeKind(kind: MappingKind, scope: Scope): string | null {
  if (KINDS[kind].scoped || isUnrestricted(scope)) return null;
  return `${KINDS[kind].label} mappings apply to every legal entity; changing them needs a scope over the whole firm (yours is limited to ${[...scope.entities, ...scope.regions].join(", ")}).`;
}

/** "ERP job 5412 (HV-3516 'Changi Service desk transition')" */
export function targetText(kind: MappingKind, key: string, t?: Pick<Target, "code" | "name"> | null): string {
  const noun = KINDS[kind].targetNoun;
  if (!t) return `${noun} ${key}`;
  const label = t.code && t.code !== key && kind !== "user" ? `${t.code} '${t.name}'` : `'${t.name}'`;
  return `${noun} ${key} (${label})`;
}

export const targetOptionsInput = z.object({
  kind: kindInput,
  search: z.string().trim().max(200, { error: "search is at most 200 characters" }).default(""),
  limit: z.number().int().min(1).max(50).default(20),
});

/** The editor's target picker: ERP records of the kind matching the search, in the user's scope, active first. */
export async function targetOptions({ ctx, input, scope }: { ctx: ServiceCtx; input: z.input<typeof targetOptionsInput>; scope: Scope }): Promise<Target[]> {
  const q = targetOptionsInput.parse(input);
  return searchTargets(ctx.db, q.kind, q.search, q.limit, scope);
}
