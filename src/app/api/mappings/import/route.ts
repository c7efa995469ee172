import { area } from "@/lib/areas";
import { log } from "@/server/log";
import { clientIp } from "@/server/auth/config";
import { hasAnyRole } from "@/server/auth/roles";
import { getSession } from "@/server/auth/session";
import { getDb } from "@/server/db/client";
import { MAPPING_KINDS, type MappingKind } from "@/server/domain/enums";
import { DomainError } from "@/server/services/errors";
import { tooLargeMessage } from "@/server/services/imports/csv-time";
import { importMappingsCsv, MAPPING_CSV_LIMITS } from "@/server/services/mappings/csv";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const ACCEPTED_TYPES = ["text/csv", "text/plain", "application/csv"];

const answer = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

/**
 * Imports a mapping file for one kind, sent as the raw request body (Content-Type: text/csv).
 * Query: kind (project, task, user, customer, cost_center), dryRun=1 (check only, the
 * default) or 0 (apply), fileName. The body is read as a stream and refused as soon as it
 * passes the size limit. A file with a bad row applies nothing (422, with the report).
 */
export async function POST(request: Request) {
  const session = await getSession();
  if (!session) return answer(401, { error: "Sign in to continue." });
  const { user } = session;
  const allowed = area("mappings").roles;
  if (!hasAnyRole(user.roles, allowed)) return answer(403, { error: `Importing mappings needs one of the roles: ${allowed.join(", ")}.` });

  const url = new URL(request.url);
  const kind = url.searchParams.get("kind") ?? "";
  if (!(MAPPING_KINDS as readonly string[]).includes(kind)) return answer(400, { error: `kind must be one of ${MAPPING_KINDS.join(", ")}.` });
  const dryRunParam = url.searchParams.get("dryRun") ?? "1";
  if (dryRunParam !== "1" && dryRunParam !== "0") return answer(400, { error: "dryRun must be 1 (check the file) or 0 (import it)." });
  const fileName = (url.searchParams.get("fileName") ?? "").trim() || "mappings.csv";

  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) return answer(400, { error: "Send the file as CSV text (Content-Type: text/csv)." });
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > MAPPING_CSV_LIMITS.maxBytes) return answer(400, { error: tooLargeMessage(MAPPING_CSV_LIMITS) });
  if (!request.body) return answer(400, { error: "The request has no file in its body." });

  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  try {
    const report = await importMappingsCsv({
      ctx: { db: getDb(), actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles }, correlationId, ip: clientIp(request.headers) },
      input: { kind: kind as MappingKind, stream: request.body, fileName, dryRun: dryRunParam === "1" },
      scope: user.scope,
    });
    return answer(200, report);
  } catch (err) {
    if (err instanceof DomainError && err.kind === "invalid") {
      return answer(err.details?.report ? 422 : 400, { error: err.message, report: err.details?.report ?? null });
    }
    if (err instanceof DomainError && err.kind === "forbidden") return answer(403, { error: err.message });
    log.error("mapping CSV import failed", { correlationId, err });
    return answer(500, { error: `Something went wrong on our side. Quote reference ${correlationId} when you report it.` });
  }
}
