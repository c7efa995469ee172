import { desc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../../auth/scope";
import { mappingVersions, type MappingSnapshot } from "../../db/schema";
import type { ServiceCtx } from "../context";
import { notFound } from "../errors";
import { mappingsRelation, type MappingListItem } from "./list";
import { getMapping, snapshot } from "./store";

export const historyInput = z.object({ mappingId: z.uuid({ error: "mappingId must be a UUID" }) });

export type MappingVersion = {
  version: number;
  action: string;
  before: MappingSnapshot | null;
  after: MappingSnapshot;
  reason: string | null;
  actorLabel: string;
  at: Date;
  /** the version the mapping is at now (the others may be restored) */
  current: boolean;
  /** recorded when the change was made (false: the mapping's state from before history was kept) */
  recorded: boolean;
};

/**
 * A mapping and all its versions, newest first: who, when, what it said before and after,
 * and why. A mapping never changed since history was kept shows its one version, from the row.
 */
export async function mappingHistory({ ctx, input, scope }: { ctx: ServiceCtx; input: z.input<typeof historyInput>; scope: Scope }): Promise<{ mapping: MappingListItem; versions: MappingVersion[] }> {
  const { mappingId } = historyInput.parse(input);
  const m = await getMapping(ctx.db, mappingId);
  const [visible] = m
    ? ((await ctx.db.execute(sql`select * from (${mappingsRelation(m.kind, scope)}) x where x.id = ${mappingId}`)) as unknown as (MappingListItem & { t: string })[])
    : [];
  if (!m || !visible) throw notFound("That mapping does not exist, or it is outside your scope.");
  const rows = await ctx.db.select().from(mappingVersions).where(eq(mappingVersions.mappingId, mappingId)).orderBy(desc(mappingVersions.version));
  const versions: MappingVersion[] = rows.map((r) => ({
    version: r.version,
    action: r.action,
    before: r.before,
    after: r.after,
    reason: r.reason,
    actorLabel: r.actorLabel,
    at: r.at,
    current: r.version === m.version,
    recorded: true,
  }));
  if (versions.length === 0) {
    versions.push({ version: m.version, action: "baseline", before: null, after: snapshot(m), reason: m.reason, actorLabel: m.updatedBy, at: m.updatedAt, current: true, recorded: false });
  }
  const { t: _t, ...item } = visible;
  return { mapping: { ...item, updatedAt: new Date(item.updatedAt), createdAt: new Date(item.createdAt) }, versions };
}
