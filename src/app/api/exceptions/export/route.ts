import { area } from "@/lib/areas";
import { clientIp } from "@/server/auth/config";
import { hasAnyRole } from "@/server/auth/roles";
import { getSession } from "@/server/auth/session";
import { getDb } from "@/server/db/client";
import { log } from "@/server/log";
import { DomainError } from "@/server/services/errors";
import { exportExceptionsCsv } from "@/server/services/exceptions/export";
import { queueParams } from "@/lib/exception-queue-params";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const refuse = (status: number, error: string) => Response.json({ error }, { status, headers: { "Cache-Control": "no-store" } });

/**
 * The exception queue as CSV, with the same filter and sort parameters as the queue page's
 * URL, within the signed-in user's scope. An invalid filter is refused by name (400).
 */
export async function GET(request: Request) {
  const session = await getSession();
  if (!session) return refuse(401, "Sign in to continue.");
  const { user } = session;
  const allowed = area("exceptions").roles;
  if (!hasAnyRole(user.roles, allowed)) return refuse(403, `Exporting exceptions needs one of the roles: ${allowed.join(", ")}.`);

  const qp = queueParams(new URL(request.url).searchParams);
  if (qp.problems.length) return refuse(400, `The filter cannot be applied: ${qp.problems.join("; ")}`);
  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  const lines = exportExceptionsCsv({
    ctx: { db: getDb(), actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles }, correlationId, ip: clientIp(request.headers) },
    viewer: { userId: user.id, roles: user.roles, scope: user.scope },
    input: { filter: qp.filter, sort: qp.sort, dir: qp.dir },
  });
  // the first line is produced only after the filter was checked: a refusal is still a clean 400
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (err) {
    if (err instanceof DomainError) return refuse(400, err.message);
    log.error("exception export failed", { correlationId, err });
    return refuse(500, `Something went wrong on our side. Quote reference ${correlationId} when you report it.`);
  }
  const encoder = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (!first.done) controller.enqueue(encoder.encode(first.value));
    },
    async pull(controller) {
      try {
        const next = await lines.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(next.value));
      } catch (err) {
        log.error("exception export failed midway", { correlationId, err });
        controller.error(err);
      }
    },
  });
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  return new Response(stream, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="exceptions-${stamp}.csv"`,
      "Cache-Control": "no-store",
      "X-Correlation-Id": correlationId,
    },
  });
}
