import { sql } from "drizzle-orm";
import type { DbOrTx } from "../../db/client";
import type { MappingKind, SourceSystem } from "../../domain/enums";
import { KINDS } from "./kinds";
import { dice, percent, sameCode } from "./similarity";
import { allTargets, type Target } from "./targets";

/** A source object or value with nothing mapped, as the source describes it. */
export type SourceItem = {
  sourceSystem: SourceSystem;
  sourceKey: string;
  code: string | null;
  name: string;
  attributes: Record<string, unknown>;
};

export type Suggestion = {
  targetKey: string;
  targetId: string | null;
  targetCode: string | null;
  targetName: string;
  entityCode: string | null;
  /** 0–100 */
  confidence: number;
  /** what the score is made of, in words, strongest first */
  why: string[];
};

/** Suggestions below this confidence are not shown: they would be guesses. */
export const MIN_CONFIDENCE = 25;
const SHOWN = 3;

const itemKey = (s: SourceSystem, key: string) => `${s}|${key}`;

type Scored = { t: Target; score: number; why: string[] };

/**
 * Suggests ERP targets for unmapped source objects, each with a confidence and the reasons
 * behind it (docs/mappings.md, "Suggestions"). Only active targets are suggested, as only
 * those may be mapped to. Candidates are scored in memory: the ERP's master data for one
 * kind is loaded once per call, whatever the number of items.
 */
export async function suggestTargets(db: DbOrTx, kind: MappingKind, items: SourceItem[]): Promise<Map<string, Suggestion[]>> {
  const out = new Map<string, Suggestion[]>();
  if (items.length === 0) return out;
  const targets = await allTargets(db, kind, { activeOnly: true });
  const claimed = await claimedTargets(db, kind);
  const context = await signals(db, kind, items);

  for (const item of items) {
    const scored: Scored[] = [];
    for (const t of targets) {
      const s = score(kind, item, t, context);
      if (!s) continue;
      const others = claimed.get(t.key) ?? 0;
      if (others > 0 && kind !== "task" && kind !== "cost_center") {
        // projects, people and customers are usually one-to-one: a target already taken is less likely
        s.score -= kind === "user" ? 0.2 : 0.1;
        s.why.push(`already the target of ${others} other ${KINDS[kind].sourceNoun}${others === 1 ? "" : "s"}`);
      }
      if (percent(s.score) >= MIN_CONFIDENCE) scored.push(s);
    }
    scored.sort((a, b) => b.score - a.score || a.t.name.localeCompare(b.t.name));
    out.set(
      itemKey(item.sourceSystem, item.sourceKey),
      scored.slice(0, SHOWN).map((s) => ({
        targetKey: s.t.key,
        targetId: s.t.id,
        targetCode: s.t.code,
        targetName: s.t.name,
        entityCode: s.t.entityCode,
        confidence: percent(s.score),
        why: s.why,
      })),
    );
  }
  return out;
}

export const suggestionsOf = (m: Map<string, Suggestion[]>, s: SourceSystem, key: string) => m.get(itemKey(s, key)) ?? [];

type Signals = {
  /** project: the ERP customer the source client is mapped to */
  customerOfClient: Map<string, string>;
  /** user: the legal entity of the projects the person's entries resolve to */
  entityOfUser: Map<string, string>;
  /** task: hours by labor category id of the people who logged the task, on their mapped tasks */
  usageOfTask: Map<string, { categoryId: string; hours: number; share: number; people: number }[]>;
};

function score(kind: MappingKind, item: SourceItem, t: Target, c: Signals): Scored | null {
  const why: string[] = [];
  let s = 0;
  const nameSim = dice(item.name, t.name);
  switch (kind) {
    case "project": {
      if (sameCode(item.code, t.code)) {
        s += 0.6;
        why.push(`code ${t.code} matches`);
      }
      s += 0.3 * nameSim;
      if (nameSim >= 0.5) why.push(nameSim === 1 ? "same name" : `name ${percent(nameSim)}% similar`);
      const clientId = item.attributes.client_id;
      const customer = clientId != null ? c.customerOfClient.get(`${item.sourceSystem}|${String(clientId)}`) : undefined;
      if (customer && customer === t.customerId) {
        s += 0.1;
        why.push("same customer");
      }
      break;
    }
    case "user": {
      const email = typeof item.attributes.email === "string" ? item.attributes.email.trim().toLowerCase() : null;
      if (email && t.email && email === t.email) {
        s += 0.6;
        why.push(`e-mail ${t.email} matches`);
      }
      s += 0.3 * nameSim;
      if (nameSim >= 0.5) why.push(nameSim === 1 ? "same name" : `name ${percent(nameSim)}% similar`);
      const entity = c.entityOfUser.get(itemKey(item.sourceSystem, item.sourceKey));
      if (entity && entity === t.entityCode) {
        s += 0.1;
        why.push(`works on ${entity} projects`);
      }
      break;
    }
    case "task": {
      const sim = Math.max(nameSim, dice(item.name, t.code ?? ""));
      s += 0.5 * sim;
      if (sim >= 0.5) why.push(sim === 1 ? "same name" : `name ${percent(sim)}% similar`);
      const usage = (c.usageOfTask.get(itemKey(item.sourceSystem, item.sourceKey)) ?? []).find((u) => u.categoryId === t.id);
      if (usage && usage.share > 0) {
        s += 0.5 * usage.share;
        why.push(`${percent(usage.share)}% of the mapped hours of the ${usage.people === 1 ? "person" : `${usage.people} people`} who logged it are ${t.name}`);
      }
      const billableByDefault = item.attributes.billable_by_default;
      if (typeof billableByDefault === "boolean" && t.billable !== null && billableByDefault !== t.billable) {
        s -= 0.2;
        why.push(billableByDefault ? "but the task is billable and the item is not" : "but the task is not billable and the item is");
      }
      break;
    }
    case "customer": {
      s += 0.9 * nameSim;
      if (nameSim >= 0.5) why.push(nameSim === 1 ? "same name" : `name ${percent(nameSim)}% similar`);
      if (typeof item.attributes.currency === "string" && item.attributes.currency === t.currency) {
        s += 0.1;
        why.push(`bills in ${t.currency}`);
      }
      break;
    }
    case "cost_center": {
      const sim = Math.max(dice(item.sourceKey, t.key), dice(item.name, t.name));
      s += sim;
      if (sim >= 0.5) why.push(sim === 1 ? "same code" : `${percent(sim)}% similar`);
      break;
    }
  }
  if (s <= 0 || why.length === 0) return null;
  return { t, score: Math.min(1, s), why };
}

/** How many active mappings already point at each target of the kind. */
async function claimedTargets(db: DbOrTx, kind: MappingKind): Promise<Map<string, number>> {
  const rows = (
    KINDS[kind].store === "id"
      ? await db.execute(sql`select target_erp_id as key, count(*)::int as n from id_mappings where kind = ${kind} and active group by target_erp_id`)
      : await db.execute(sql`select target_value as key, count(*)::int as n from value_mappings where kind = ${kind} and active group by target_value`)
  ) as unknown as { key: string; n: number }[];
  return new Map(rows.map((r) => [r.key, r.n]));
}

/** The facts beyond names that suggestions weigh, loaded for all items at once. */
async function signals(db: DbOrTx, kind: MappingKind, items: SourceItem[]): Promise<Signals> {
  const c: Signals = { customerOfClient: new Map(), entityOfUser: new Map(), usageOfTask: new Map() };
  const keys = items.map((i) => sql`(${i.sourceSystem}::source_system, ${i.sourceKey}::text)`);
  if (kind === "project") {
    const rows = (await db.execute(sql`
      select m.source_system::text as s, m.external_id as client, m.target_id::text as customer
      from id_mappings m where m.kind = 'customer' and m.active`)) as unknown as { s: string; client: string; customer: string }[];
    for (const r of rows) c.customerOfClient.set(`${r.s}|${r.client}`, r.customer);
  }
  if (kind === "user") {
    const rows = (await db.execute(sql`
      with k(s, u) as (values ${sql.join(keys, sql`, `)})
      select k.s::text as s, k.u as u, le.code as entity, count(*)::int as n
      from k
      join time_entries te on te.source_system = k.s and te.source_user_id = k.u and te.state in ('approved', 'posted', 'billed')
      join id_mappings m on m.kind = 'project' and m.active and m.source_system = te.source_system and m.external_id = te.source_project_id
      join projects p on p.id = m.target_id
      join legal_entities le on le.id = p.legal_entity_id
      group by k.s, k.u, le.code
      order by n desc`)) as unknown as { s: string; u: string; entity: string }[];
    for (const r of rows) if (!c.entityOfUser.has(`${r.s}|${r.u}`)) c.entityOfUser.set(`${r.s}|${r.u}`, r.entity);
  }
  if (kind === "task") {
    // the people who logged each task, and what their time on mapped tasks maps to (last 180 days of their work)
    const rows = (await db.execute(sql`
      with k(s, t) as (values ${sql.join(keys, sql`, `)}),
      people as (
        select distinct k.s, k.t, te.source_user_id as u
        from k join time_entries te on te.source_system = k.s and te.source_task_id = k.t
      ),
      usage as (
        select p.s, p.t, m.target_id as category_id, sum(te.hours) as hours, count(distinct p.u) as people
        from people p
        join time_entries te on te.source_system = p.s and te.source_user_id = p.u and te.source_task_id <> p.t
          and te.state in ('approved', 'posted', 'billed') and te.work_date > current_date - 180
        join id_mappings m on m.kind = 'task' and m.active and m.source_system = te.source_system and m.external_id = te.source_task_id
        group by p.s, p.t, m.target_id
      )
      select u.s::text as s, u.t, u.category_id::text as category_id, u.hours::float8 as hours, u.people::int as people,
             (select count(distinct x.u) from people x where x.s = u.s and x.t = u.t)::int as total_people,
             sum(u.hours) over (partition by u.s, u.t)::float8 as total
      from usage u`)) as unknown as { s: string; t: string; category_id: string; hours: number; people: number; total: number; total_people: number }[];
    for (const r of rows) {
      const k = `${r.s}|${r.t}`;
      const list = c.usageOfTask.get(k) ?? [];
      // a share of hours only ranks candidates; it is never money, so a float is fine here
      list.push({ categoryId: r.category_id, hours: r.hours, share: r.total > 0 ? r.hours / r.total : 0, people: r.total_people });
      c.usageOfTask.set(k, list);
    }
  }
  return c;
}
