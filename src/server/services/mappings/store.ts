import { and, asc, eq, sql } from "drizzle-orm";
import type { DbOrTx, Tx } from "../../db/client";
import { idMappings, mappingVersions, valueMappings, type MappingSnapshot } from "../../db/schema";
import type { MappingKind, SourceSystem } from "../../domain/enums";
import type { ServiceCtx } from "../context";
import { KINDS } from "./kinds";

/**
 * One shape for both mapping tables: an id mapping (source object → canonical row with its ERP
 * key) and a value mapping (source value → ERP value) read and written the same way.
 */
export type Mapping = {
  id: string;
  store: "id" | "value";
  kind: MappingKind;
  sourceSystem: SourceSystem;
  sourceKey: string;
  targetId: string | null;
  targetKey: string;
  validFrom: string | null;
  validTo: string | null;
  active: boolean;
  reason: string | null;
  createdBy: string;
  createdAt: Date;
  updatedBy: string;
  updatedAt: Date;
  version: number;
};

/** What a change sets: everything but the bookkeeping. */
export type MappingState = Omit<Mapping, "id" | "store" | "createdBy" | "createdAt" | "updatedBy" | "updatedAt" | "version">;

export const actorLabelOf = (ctx: Pick<ServiceCtx, "actor">) => (ctx.actor.kind === "user" ? ctx.actor.email : `system:${ctx.actor.label}`);

function fromId(r: typeof idMappings.$inferSelect): Mapping {
  return {
    id: r.id,
    store: "id",
    kind: r.kind as MappingKind,
    sourceSystem: r.sourceSystem,
    sourceKey: r.externalId,
    targetId: r.targetId,
    targetKey: r.targetErpId,
    ...governanceOf(r),
  };
}

/** The governance columns both mapping tables share, as the Mapping carries them. */
function governanceOf(r: typeof valueMappings.$inferSelect | typeof idMappings.$inferSelect) {
  const { validFrom, validTo, active, reason, createdBy, createdAt, updatedBy, updatedAt, version } = r;
  return { validFrom, validTo, active, reason, createdBy, createdAt, updatedBy, updatedAt, version };
}

function fromValue(r: typeof valueMappings.$inferSelect): Mapping {
  return {
    id: r.id,
    store: "value",
    kind: r.kind as MappingKind,
    sourceSystem: r.sourceSystem,
    sourceKey: r.sourceValue,
    targetId: null,
    targetKey: r.targetValue,
    ...governanceOf(r),
  };
}

export function snapshot(m: MappingState): MappingSnapshot {
  return {
    sourceSystem: m.sourceSystem,
    kind: m.kind,
    sourceKey: m.sourceKey,
    targetId: m.targetId,
    targetKey: m.targetKey,
    validFrom: m.validFrom,
    validTo: m.validTo,
    active: m.active,
    reason: m.reason,
  };
}

export async function getMapping(db: DbOrTx, id: string, lock = false): Promise<Mapping | null> {
  const idQ = db.select().from(idMappings).where(eq(idMappings.id, id));
  const [a] = lock ? await idQ.for("update") : await idQ;
  if (a) return fromId(a);
  const valueQ = db.select().from(valueMappings).where(eq(valueMappings.id, id));
  const [b] = lock ? await valueQ.for("update") : await valueQ;
  return b ? fromValue(b) : null;
}

/** Every mapping (active or not) of one source object or value, oldest start first. */
export async function mappingsOfKey(db: DbOrTx, kind: MappingKind, sourceSystem: SourceSystem, sourceKey: string): Promise<Mapping[]> {
  if (KINDS[kind].store === "id") {
    const rows = await db
      .select()
      .from(idMappings)
      .where(and(eq(idMappings.kind, kind), eq(idMappings.sourceSystem, sourceSystem), eq(idMappings.externalId, sourceKey)))
      .orderBy(asc(sql`coalesce(${idMappings.validFrom}, '-infinity'::date)`), asc(idMappings.createdAt));
    return rows.map(fromId);
  }
  const rows = await db
    .select()
    .from(valueMappings)
    .where(and(eq(valueMappings.kind, kind), eq(valueMappings.sourceSystem, sourceSystem), eq(valueMappings.sourceValue, sourceKey)))
    .orderBy(asc(sql`coalesce(${valueMappings.validFrom}, '-infinity'::date)`), asc(valueMappings.createdAt));
  return rows.map(fromValue);
}

/**
 * Serialises changes to one kind of mapping (single saves and imports alike) for the rest of
 * the transaction, so overlap checks and version checks see a settled table. Mapping changes
 * are rare and short; one lock per kind keeps imports of thousands of rows within the lock table.
 */
export async function lockKind(tx: Tx, kind: MappingKind): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`hourbridge:mappings:${kind}`}))`);
}

export async function insertMapping(tx: Tx, ctx: ServiceCtx, s: MappingState): Promise<Mapping> {
  const who = actorLabelOf(ctx);
  if (KINDS[s.kind].store === "id") {
    const [row] = await tx
      .insert(idMappings)
      .values({
        sourceSystem: s.sourceSystem,
        kind: s.kind,
        externalId: s.sourceKey,
        targetId: s.targetId!,
        targetErpId: s.targetKey,
        validFrom: s.validFrom,
        validTo: s.validTo,
        active: s.active,
        reason: s.reason,
        createdBy: who,
        updatedBy: who,
      })
      .returning();
    return fromId(row!);
  }
  const [row] = await tx
    .insert(valueMappings)
    .values({
      sourceSystem: s.sourceSystem,
      kind: s.kind,
      sourceValue: s.sourceKey,
      targetValue: s.targetKey,
      validFrom: s.validFrom,
      validTo: s.validTo,
      active: s.active,
      reason: s.reason,
      createdBy: who,
      updatedBy: who,
    })
    .returning();
  return fromValue(row!);
}

/**
 * Writes a new state over a mapping if it is still at the version the editor saw; null when
 * someone else changed it meanwhile (the caller says who and when).
 */
export async function updateMapping(tx: Tx, ctx: ServiceCtx, current: Mapping, expectedVersion: number, s: MappingState): Promise<Mapping | null> {
  const who = actorLabelOf(ctx);
  const set = { validFrom: s.validFrom, validTo: s.validTo, active: s.active, reason: s.reason, updatedBy: who, updatedAt: sql`now()`, version: sql`version + 1` };
  if (current.store === "id") {
    const [row] = await tx
      .update(idMappings)
      .set({ ...set, targetId: s.targetId!, targetErpId: s.targetKey })
      .where(and(eq(idMappings.id, current.id), eq(idMappings.version, expectedVersion)))
      .returning();
    return row ? fromId(row) : null;
  }
  const [row] = await tx
    .update(valueMappings)
    .set({ ...set, targetValue: s.targetKey })
    .where(and(eq(valueMappings.id, current.id), eq(valueMappings.version, expectedVersion)))
    .returning();
  return row ? fromValue(row) : null;
}

export type HistoryAction = "baseline" | "created" | "changed" | "end_dated" | "deactivated" | "reactivated" | "restored" | "imported";

/**
 * Records a version in the mapping's history. A mapping changed for the first time since
 * history was kept (a seeded or older mapping) first gets its previous state recorded as a
 * `baseline` version, so that state can be restored too.
 */
export async function recordVersion(
  tx: Tx,
  ctx: ServiceCtx,
  m: { before: Mapping | null; after: Mapping; action: HistoryAction; reason: string | null },
): Promise<void> {
  const actorId = ctx.actor.kind === "user" ? ctx.actor.userId : null;
  if (m.before) {
    const [has] = await tx.select({ id: mappingVersions.id }).from(mappingVersions).where(eq(mappingVersions.mappingId, m.before.id)).limit(1);
    if (!has) {
      await tx
        .insert(mappingVersions)
        .values({
          mappingId: m.before.id,
          store: m.before.store,
          kind: m.before.kind,
          version: m.before.version,
          action: "baseline",
          before: null,
          after: snapshot(m.before),
          reason: m.before.reason,
          actorLabel: m.before.updatedBy,
          at: m.before.updatedAt,
        })
        .onConflictDoNothing();
    }
  }
  await tx.insert(mappingVersions).values({
    mappingId: m.after.id,
    store: m.after.store,
    kind: m.after.kind,
    version: m.after.version,
    action: m.action,
    before: m.before ? snapshot(m.before) : null,
    after: snapshot(m.after),
    reason: m.reason,
    actorId,
    actorLabel: actorLabelOf(ctx),
    correlationId: ctx.correlationId,
  });
}
