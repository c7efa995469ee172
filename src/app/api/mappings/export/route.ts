import { area } from "@/lib/areas";
import { log } from "@/server/log";
import { clientIp } from "@/server/auth/config";
import { hasAnyRole } from "@/server/auth/roles";
import { getSession } from "@/server/auth/session";
import { getDb } from "@/server/db/client";
import { MAPPING_KINDS, type MappingKind } from "@/server/domain/enums";
import { writeAudit } from "@/server/services/audit/write";
import { exportMappingsCsv } from "@/server/services/mappings/csv";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * The mappings of one kind the user may see, as a mapping file (?kind=project|task|user|
 * customer|cost_center), streamed page by page. Importing it again changes nothing.
 */
export async function GET(request: Request) {
  const session = await getSession();
  if (!session) return Response.json({ error: "Sign in to continue." }, { status: 401 });
  const { user } = session;
  const allowed = area("mappings").roles;
  if (!hasAnyRole(user.roles, allowed)) return Response.json({ error: `Exporting mappings needs one of the roles: ${allowed.join(", ")}.` }, { status: 403 });
  const kind = new URL(request.url).searchParams.get("kind") ?? "";
  if (!(MAPPING_KINDS as readonly string[]).includes(kind)) return Response.json({ error: `kind must be one of ${MAPPING_KINDS.join(", ")}.` }, { status: 400 });

  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  const ctx = { db: getDb(), actor: { kind: "user" as const, userId: user.id, email: user.email, roles: user.roles }, correlationId, ip: clientIp(request.headers) };
  await writeAudit(ctx, { action: "mappings.export", entityType: "mappings", entityId: null, after: { kind } });
  const lines = exportMappingsCsv({ ctx, input: { kind: kind as MappingKind }, scope: user.scope });
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { value, done } = await lines.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (err) {
        log.error("mapping CSV export failed", { correlationId, err });
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  const day = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="mappings-${kind}-${day}.csv"`,
      "Cache-Control": "no-store",
    },
  });
}
