import { queueParams } from "@/lib/exception-queue-params";
import { log } from "@/server/log";
import { answer, csvDownload, routeUser, serverError } from "@/server/http/route-kit";
import { DomainError } from "@/server/services/errors";
import { exportExceptionsCsv } from "@/server/services/exceptions/export";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * The exception queue as CSV, with the same filter and sort parameters as the queue page's
 * URL, within the signed-in user's scope. An invalid filter is refused by name (400).
 */
export async function GET(request: Request) {
  const who = await routeUser(request, "exceptions", "Exporting exceptions");
  if ("refused" in who) return who.refused;
  const { user, ctx } = who;
  const qp = queueParams(new URL(request.url).searchParams);
  if (qp.problems.length) return answer(400, { error: `The filter cannot be applied: ${qp.problems.join("; ")}` });
  const lines = exportExceptionsCsv({ ctx, viewer: { userId: user.id, roles: user.roles, scope: user.scope }, input: { filter: qp.filter, sort: qp.sort, dir: qp.dir } });
  // the header line comes only after the filter was checked: a refusal is still a clean 400
  let first: IteratorResult<string>;
  try {
    first = await lines.next();
  } catch (err) {
    if (err instanceof DomainError) return answer(400, { error: err.message });
    log.error("exception export failed", { correlationId: ctx.correlationId, err });
    return serverError(ctx.correlationId);
  }
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:T]/g, "");
  return csvDownload(lines, `exceptions-${stamp}.csv`, ctx.correlationId, first.done ? undefined : first.value);
}
