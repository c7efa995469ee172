import { log } from "@/server/log";
import { answer, dryRunOf, receiveUpload, routeUser, serverError } from "@/server/http/route-kit";
import { DomainError } from "@/server/services/errors";
import { DEFAULT_LIMITS, importTimeCsv, tooLargeMessage } from "@/server/services/imports/csv-time";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Imports a CSV of approved time sent as the raw request body (Content-Type: text/csv), from
 * Hourbridge's own pages only (another site's request is refused, 403).
 * Query: dryRun=1 (check only, the default) or 0 (import), fileName (shown in the run).
 * A body over the size limit is refused (413) from its Content-Length, or at its first
 * bytes past the limit, before any of it is parsed.
 */
export async function POST(request: Request) {
  const who = await routeUser(request, "imports", "Importing time");
  if ("refused" in who) return who.refused;
  const { ctx } = who;
  const url = new URL(request.url);
  const dryRun = dryRunOf(url);
  if (dryRun instanceof Response) return dryRun;
  const fileName = (url.searchParams.get("fileName") ?? "").trim() || "upload.csv";
  const received = await receiveUpload(request, DEFAULT_LIMITS.maxBytes, tooLargeMessage(DEFAULT_LIMITS));
  if ("refused" in received) return received.refused;
  const { upload } = received;
  try {
    const report = await importTimeCsv({ ctx, input: { stream: upload.chunks(), fileName, dryRun } });
    return answer(200, report);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") return answer(400, { error: err.message });
    log.error("time CSV import failed", { correlationId: ctx.correlationId, err });
    return serverError(ctx.correlationId);
  } finally {
    await upload.dispose();
  }
}
