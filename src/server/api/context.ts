import "server-only";
import { getDb } from "../db/client";
import { clientIp } from "../auth/config";
import { getSession } from "../auth/session";
import type { Context } from "./trpc";

/** The request's tRPC context: database, the signed-in user (fresh from the database), ids. */
export async function createRequestContext(headers: Headers): Promise<Context> {
  const session = await getSession();
  return {
    db: getDb(),
    user: session?.user ?? null,
    correlationId: headers.get("x-correlation-id") ?? crypto.randomUUID(),
    ip: clientIp(headers),
  };
}
