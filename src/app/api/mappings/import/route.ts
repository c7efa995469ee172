import { log } from "@/server/log";
import { MAPPING_KINDS, type MappingKind } from "@/server/domain/enums";
import { answer, dryRunOf, receiveUpload, routeUser, serverError } from "@/server/http/route-kit";
import { DomainError } from "@/server/services/errors";
import { tooLargeMessage } from "@/server/services/imports/csv-time";
import { importMappingsCsv, MAPPING_CSV_LIMITS } from "@/server/services/mappings/csv";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Imports a mapping file for one kind, sent as the raw request body (Content-Type: text/csv),
 * from Hourbridge's own pages only (another site's request is refused, 403).
 * Query: kind (project, task, user, customer, cost_center), dryRun=1 (check only, the
 * default) or 0 (apply), fileName. A body over the size limit is refused (413) from its
 * Content-Length, or at its first bytes past the limit, before any of it is parsed. A file
 * with a bad row applies nothing (422, with the report).
 */
export async function POST(request: Request) {
  const who = await routeUser(request, "mappings", "Importing mappings");
  if ("refused" in who) return who.refused;
  const { user, ctx } = who;
  const url = new URL(request.url);
  const kind = url.searchParams.get("kind") ?? "";
  if (!(MAPPING_KINDS as readonly string[]).includes(kind)) return answer(400, { error: `kind must be one of ${MAPPING_KINDS.join(", ")}.` });
  const dryRun = dryRunOf(url);
  if (dryRun instanceof Response) return dryRun;
  const fileName = (url.searchParams.get("fileName") ?? "").trim() || "mappings.csv";
  const received = await receiveUpload(request, MAPPING_CSV_LIMITS.maxBytes, tooLargeMessage(MAPPING_CSV_LIMITS));
  if ("refused" in received) return received.refused;
  const { upload } = received;
  try {
    const report = await importMappingsCsv({ ctx, input: { kind: kind as MappingKind, stream: upload.chunks(), fileName, dryRun }, scope: user.scope });
    return answer(200, report);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") {
      return answer(err.details?.report ? 422 : 400, { error: err.message, report: err.details?.report ?? null });
    }
    if (err instanceof DomainError && err.kind === "forbidden") return answer(403, { error: err.message });
    log.error("mapping CSV import failed", { correlationId: ctx.correlationId, err });
    return serverError(ctx.correlationId);
  } finally {
    await upload.dispose();
  }
}
