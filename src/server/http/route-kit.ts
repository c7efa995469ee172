import { area, type AreaKey } from "@/lib/areas";
import { clientIp } from "../auth/config";
import { hasAnyRole } from "../auth/roles";
import { getSession } from "../auth/session";
import type { SessionUser } from "../api/trpc";
import { getDb } from "../db/client";
import { log } from "../log";
import type { ServiceCtx } from "../services/context";

/**
 * What the console's plain route handlers (CSV uploads and downloads) share: who may call
 * them, the service context they act with, the checks on an uploaded file, and a CSV answer
 * streamed from an async generator of lines.
 */

export const answer = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export const serverError = (correlationId: string) =>
  answer(500, { error: `Something went wrong on our side. Quote reference ${correlationId} when you report it.` });

/** The signed-in user if their roles open the area, with a service context acting as them; else the refusal to send. */
export async function routeUser(
  request: Request,
  areaKey: AreaKey,
  doing: string,
): Promise<{ user: SessionUser; ctx: ServiceCtx & { correlationId: string } } | { refused: Response }> {
  const session = await getSession();
  if (!session) return { refused: answer(401, { error: "Sign in to continue." }) };
  const { user } = session;
  const allowed = area(areaKey).roles;
  if (!hasAnyRole(user.roles, allowed)) return { refused: answer(403, { error: `${doing} needs one of the roles: ${allowed.join(", ")}.` }) };
  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  return {
    user,
    ctx: { db: getDb(), actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles }, correlationId, ip: clientIp(request.headers), log },
  };
}

const ACCEPTED_TYPES = ["text/csv", "text/plain", "application/csv"];

/** An uploaded CSV body: the right content type, not declared larger than allowed, present. Null when fine. */
export function refuseUpload(request: Request, maxBytes: number, tooLarge: string): Response | null {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) return answer(400, { error: "Send the file as CSV text (Content-Type: text/csv)." });
  const declared = Number(request.headers.get("content-length") ?? "");
  if (Number.isFinite(declared) && declared > maxBytes) return answer(400, { error: tooLarge });
  if (!request.body) return answer(400, { error: "The request has no file in its body." });
  return null;
}

/** `dryRun=1` (check, the default) or `0` (apply); anything else is refused. */
export function dryRunOf(url: URL): boolean | Response {
  const v = url.searchParams.get("dryRun") ?? "1";
  if (v !== "1" && v !== "0") return answer(400, { error: "dryRun must be 1 (check the file) or 0 (import it)." });
  return v === "1";
}

/** A CSV download streamed line by line; an error midway is logged and ends the stream. */
export function csvDownload(lines: AsyncGenerator<string>, fileName: string, correlationId: string, first?: string): Response {
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      if (first !== undefined) controller.enqueue(encoder.encode(first));
    },
    async pull(controller) {
      try {
        const { value, done } = await lines.next();
        if (done) controller.close();
        else controller.enqueue(encoder.encode(value));
      } catch (err) {
        log.error("CSV download failed midway", { correlationId, fileName, err });
        controller.error(err);
      }
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "Content-Type": "text/csv; charset=utf-8",
      "Content-Disposition": `attachment; filename="${fileName}"`,
      "Cache-Control": "no-store",
      "X-Correlation-Id": correlationId,
    },
  });
}
