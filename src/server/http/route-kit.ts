import { createReadStream } from "node:fs";
import { mkdtemp, open, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { area, type AreaKey } from "@/lib/areas";
import { controlProblem, findControl, escapeControls } from "@/lib/control-chars";
import { clientIp } from "../auth/config";
import { hasAnyRole } from "../auth/roles";
import { getSession } from "../auth/session";
import type { SessionUser } from "../api/trpc";
import { getDb } from "../db/client";
import { log } from "../log";
import type { ServiceCtx } from "../services/context";
import { crossSiteResponse, judgeOrigin } from "./same-origin";

/**
 * What the console's plain route handlers (CSV uploads and downloads) share: who may call
 * them (signed in, with the area's roles, and, for a change, from Hourbridge's own pages), the
 * service context they act with, the upload received within its size limit, and a CSV
 * answer streamed from an async generator of lines.
 */

export const answer = (status: number, body: unknown) => Response.json(body, { status, headers: { "Cache-Control": "no-store" } });

export const serverError = (correlationId: string) =>
  answer(500, { error: `Something went wrong on our side. Quote reference ${correlationId} when you report it.` });

/**
 * The signed-in user if their roles open the area, with a service context acting as them; else
 * the refusal to send: 403 for a state-changing request from another site (before anything
 * else is looked at), 401 signed out, 403 without the area's roles, 400 for a query parameter
 * holding a character text cannot hold.
 */
export async function routeUser(
  request: Request,
  areaKey: AreaKey,
  doing: string,
): Promise<{ user: SessionUser; ctx: ServiceCtx & { correlationId: string } } | { refused: Response }> {
  const origin = judgeOrigin(request.method, request.headers);
  if (!origin.ok) {
    log.warn("cross-site request refused", { path: new URL(request.url).pathname, method: request.method, why: origin.reason });
    return { refused: crossSiteResponse() };
  }
  const session = await getSession();
  if (!session) return { refused: answer(401, { error: "Sign in to continue." }) };
  const { user } = session;
  const allowed = area(areaKey).roles;
  if (!hasAnyRole(user.roles, allowed)) return { refused: answer(403, { error: `${doing} needs one of the roles: ${allowed.join(", ")}.` }) };
  const query = queryProblem(new URL(request.url));
  if (query) return { refused: answer(400, { error: query }) };
  const correlationId = request.headers.get("x-correlation-id") ?? crypto.randomUUID();
  return {
    user,
    ctx: { db: getDb(), actor: { kind: "user", userId: user.id, email: user.email, roles: user.roles }, correlationId, ip: clientIp(request.headers), log },
  };
}

/** The first query parameter (name or value) holding a character text cannot hold, as a sentence; null when none does. */
export function queryProblem(url: URL): string | null {
  for (const [name, value] of url.searchParams) {
    const inName = findControl(name, false);
    if (inName) return `A query parameter's name ${controlProblem(inName, false)}.`;
    const inValue = findControl(value, false);
    if (inValue) return `${escapeControls(name, false)} ${controlProblem(inValue, false)}.`;
  }
  return null;
}

const ACCEPTED_TYPES = ["text/csv", "text/plain", "application/csv"];

/** An upload received whole, on disk: read it (as often as needed), then dispose of it. */
export type Upload = { bytes: number; chunks: () => AsyncIterable<Uint8Array>; dispose: () => Promise<void> };

/**
 * Receives an uploaded CSV body within its size limit, before anything parses it: the content
 * type must be CSV text; a body declared larger than `maxBytes` (Content-Length) is refused
 * at once, without reading it; a body sent without a length (chunked) is refused at its
 * first bytes past the limit, the rest left unread. 413 with `tooLarge`. What is received is
 * kept in a temporary file, so parsing it (slower than receiving) never holds the refusal up.
 */
export async function receiveUpload(request: Request, maxBytes: number, tooLarge: string): Promise<{ upload: Upload } | { refused: Response }> {
  const type = (request.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
  if (!ACCEPTED_TYPES.includes(type)) return { refused: answer(400, { error: "Send the file as CSV text (Content-Type: text/csv)." }) };
  const declared = request.headers.get("content-length");
  if (declared !== null && /^\d+$/.test(declared.trim()) && Number(declared) > maxBytes) return { refused: answer(413, { error: tooLarge }) };
  if (!request.body) return { refused: answer(400, { error: "The request has no file in its body." }) };

  const dir = await mkdtemp(path.join(tmpdir(), "hourbridge-upload-"));
  const file = path.join(dir, "body");
  const dispose = () => rm(dir, { recursive: true, force: true });
  const reader = request.body.getReader();
  const out = await open(file, "w");
  let bytes = 0;
  let refusal: Response | null = null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > maxBytes) {
        refusal = answer(413, { error: tooLarge });
        break;
      }
      await out.write(value);
    }
  } catch {
    refusal = answer(400, { error: "The upload was interrupted before the whole file arrived; send it again." });
  } finally {
    await out.close();
    if (refusal) await reader.cancel().catch(() => {});
    reader.releaseLock();
  }
  if (refusal) {
    await dispose();
    return { refused: refusal };
  }
  return { upload: { bytes, chunks: () => createReadStream(file) as AsyncIterable<Uint8Array>, dispose } };
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
