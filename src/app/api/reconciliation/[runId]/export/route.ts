import { area } from "@/lib/areas";
import { log } from "@/server/log";
import { clientIp } from "@/server/auth/config";
import { hasAnyRole } from "@/server/auth/roles";
import { getSession } from "@/server/auth/session";
import { getDb } from "@/server/db/client";
import { DomainError } from "@/server/services/errors";
import { reconciliationCsv } from "@/server/services/reconciliation/export";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const answer = (status: number, error: string) => Response.json({ error }, { status, headers: { "Cache-Control": "no-store" } });
const STATUS = { not_found: 404, forbidden: 403, invalid: 400, conflict: 409, unauthorized: 401 } as const;

/** A finished reconciliation run as CSV, for the close file: the roles of the reconciliation area, within their scope. */
export async function GET(request: Request, { params }: { params: Promise<{ runId: string }> }) {
  const session = await getSession();
  if (!session) return answer(401, "Sign in to continue.");
  const { user } = session;
  const allowed = area("reconciliation").roles;
  if (!hasAnyRole(user.roles, allowed)) return answer(403, `Exporting a reconciliation needs one of the roles: ${allowed.join(", ")}.`);
  const { runId } = await params;
  if (!UUID.test(runId)) return answer(404, "No reconciliation run with that id is in your scope.");

  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  try {
    const { fileName, csv } = await reconciliationCsv({
      ctx: { db: getDb(), actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles }, correlationId, ip: clientIp(request.headers) },
      runId,
      scope: user.scope,
    });
    return new Response(csv, {
      status: 200,
      headers: { "Content-Type": "text/csv; charset=utf-8", "Content-Disposition": `attachment; filename="${fileName}"`, "Cache-Control": "no-store" },
    });
  } catch (err) {
    if (err instanceof DomainError) return answer(STATUS[err.kind], err.message);
    log.error("reconciliation export failed", { correlationId, err });
    return answer(500, `Something went wrong on our side. Quote reference ${correlationId} when you report it.`);
  }
}
