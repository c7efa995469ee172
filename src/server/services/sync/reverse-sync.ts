import { and, eq, sql } from "drizzle-orm";
import type { SourceConnector } from "@/sync/connectors/types";
import type { Db } from "../../db/client";
import { idMappings, projects, sourceRefs } from "../../db/schema";
import { writeAudit } from "../audit/write";
import type { ServiceCtx } from "../context";

export type ReverseSyncSummary = { deactivated: string[]; reactivated: string[]; failed: { externalId: string; reason: string }[] };

/**
 * Brings the source's projects in line with the ERP: a source project mapped to an ERP job
 * that is on hold or closed is made inactive in the source (so nobody logs time to it), and
 * made active again when the job is. Only differences are sent; each change is audited and
 * remembered on the source reference, so a repeated run sends nothing.
 */
export async function reverseSyncProjects({ ctx, connector }: { ctx: ServiceCtx & { db: Db }; connector: SourceConnector }): Promise<ReverseSyncSummary> {
  const rows = await ctx.db
    .select({ externalId: sourceRefs.externalId, name: sourceRefs.name, sourceActive: sourceRefs.active, status: projects.status, code: projects.code })
    .from(sourceRefs)
    .innerJoin(
      idMappings,
      and(eq(idMappings.sourceSystem, sourceRefs.sourceSystem), eq(idMappings.kind, "project"), eq(idMappings.externalId, sourceRefs.externalId), eq(idMappings.active, true)),
    )
    .innerJoin(projects, eq(projects.id, idMappings.targetId))
    .where(and(eq(sourceRefs.sourceSystem, connector.system), eq(sourceRefs.kind, "project"), sql`${sourceRefs.active} <> (${projects.status} = 'active')`));

  const summary: ReverseSyncSummary = { deactivated: [], reactivated: [], failed: [] };
  for (const r of rows) {
    const active = r.status === "active";
    try {
      await connector.setProjectActive(r.externalId, active);
    } catch (err) {
      summary.failed.push({ externalId: r.externalId, reason: (err as Error).message });
      continue;
    }
    await ctx.db
      .update(sourceRefs)
      .set({ active, lastSeenAt: sql`now()` })
      .where(and(eq(sourceRefs.sourceSystem, connector.system), eq(sourceRefs.kind, "project"), eq(sourceRefs.externalId, r.externalId)));
    await writeAudit(ctx, {
      action: active ? "source.project_reactivated" : "source.project_deactivated",
      entityType: "source_project",
      entityId: `${connector.system}:${r.externalId}`,
      before: { active: !active },
      after: { active, because: `ERP project ${r.code} is ${r.status.replace("_", " ")}` },
    });
    (active ? summary.reactivated : summary.deactivated).push(r.externalId);
  }
  return summary;
}
