import { log } from "@/server/log";
import { answer, dryRunOf, refuseUpload, routeUser, serverError } from "@/server/http/route-kit";
import { DomainError } from "@/server/services/errors";
import { DEFAULT_LIMITS, importTimeCsv, tooLargeMessage } from "@/server/services/imports/csv-time";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Imports a CSV of approved time sent as the raw request body (Content-Type: text/csv).
 * Query: dryRun=1 (check only, the default) or 0 (import), fileName (shown in the run).
 * The body is read as a stream and refused as soon as it passes the size limit.
 */
export async function POST(request: Request) {
  const who = await routeUser(request, "imports", "Importing time");
  if ("refused" in who) return who.refused;
  const { ctx } = who;
  const url = new URL(request.url);
  const dryRun = dryRunOf(url);
  if (dryRun instanceof Response) return dryRun;
  const fileName = (url.searchParams.get("fileName") ?? "").trim() || "upload.csv";
  const refused = refuseUpload(request, DEFAULT_LIMITS.maxBytes, tooLargeMessage(DEFAULT_LIMITS));
  if (refused) return refused;
  try {
    const report = await importTimeCsv({ ctx, input: { stream: chunksOf(request.body!), fileName, dryRun } });
    return answer(200, report);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") return answer(400, { error: err.message });
    log.error("time CSV import failed", { correlationId: ctx.correlationId, err });
    return serverError(ctx.correlationId);
  }
}

/** The body's chunks as they arrive; stopping early (a refusal) cancels the rest of the upload. */
async function* chunksOf(body: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = body.getReader();
  let finished = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      if (value) yield value;
    }
  } finally {
    if (!finished) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
}
