import { area } from "@/lib/areas";
import { log } from "@/server/log";
import { clientIp } from "@/server/auth/config";
import { hasAnyRole } from "@/server/auth/roles";
import { getSession } from "@/server/auth/session";
import { getDb } from "@/server/db/client";
import { DomainError } from "@/server/services/errors";
import { DEFAULT_LIMITS, importTimeCsv, tooLargeMessage } from "@/server/services/imports/csv-time";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const ACCEPTED_TYPES = ["text/csv", "text/plain", "application/csv"];

const answer = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

/**
 * Imports a CSV of approved time sent as the raw request body (Content-Type: text/csv).
 * Query: dryRun=1 (check only, the default) or 0 (import), fileName (shown in the run).
 * The body is read as a stream and refused as soon as it passes the size limit.
 */
export async function POST(request: Request) {
  const session = await getSession();
  if (!session) return answer(401, { error: "Sign in to continue." });
  const { user } = session;
  const allowed = area("imports").roles;
  if (!hasAnyRole(user.roles, allowed)) {
    return answer(403, { error: `Importing time needs one of the roles: ${allowed.join(", ")}.` });
  }

  const url = new URL(request.url);
  const dryRunParam = url.searchParams.get("dryRun") ?? "1";
  if (dryRunParam !== "1" && dryRunParam !== "0") {
    return answer(400, { error: "dryRun must be 1 (check the file) or 0 (import it)." });
  }
  const fileName = (url.searchParams.get("fileName") ?? "").trim() || "upload.csv";

  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) {
    return answer(400, { error: "Send the file as CSV text (Content-Type: text/csv)." });
  }
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > DEFAULT_LIMITS.maxBytes) {
    return answer(400, { error: tooLargeMessage(DEFAULT_LIMITS) });
  }
  if (!request.body) return answer(400, { error: "The request has no file in its body." });

  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  try {
    const report = await importTimeCsv({
      ctx: {
        db: getDb(),
        actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles },
        correlationId,
        ip: clientIp(request.headers),
      },
      input: { stream: chunksOf(request.body), fileName, dryRun: dryRunParam === "1" },
    });
    return answer(200, report);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") return answer(400, { error: err.message });
    log.error("time CSV import failed", { correlationId, err });
    return answer(500, { error: `Something went wrong on our side. Quote reference ${correlationId} when you report it.` });
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
