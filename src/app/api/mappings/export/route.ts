import { MAPPING_KINDS, type MappingKind } from "@/server/domain/enums";
import { answer, csvDownload, routeUser } from "@/server/http/route-kit";
import { writeAudit } from "@/server/services/audit/write";
import { exportMappingsCsv } from "@/server/services/mappings/csv";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * The mappings of one kind the user may see, as a mapping file (?kind=project|task|user|
 * customer|cost_center), streamed page by page. Importing it again changes nothing.
 */
export async function GET(request: Request) {
  const who = await routeUser(request, "mappings", "Exporting mappings");
  if ("refused" in who) return who.refused;
  const { user, ctx } = who;
  const kind = new URL(request.url).searchParams.get("kind") ?? "";
  if (!(MAPPING_KINDS as readonly string[]).includes(kind)) return answer(400, { error: `kind must be one of ${MAPPING_KINDS.join(", ")}.` });
  await writeAudit(ctx, { action: "mappings.export", entityType: "mappings", entityId: null, after: { kind } });
  const lines = exportMappingsCsv({ ctx, input: { kind: kind as MappingKind }, scope: user.scope });
  return csvDownload(lines, `mappings-${kind}-${new Date().toISOString().slice(0, 10)}.csv`, ctx.correlationId);
}
