import { parseEnv } from "@/env";
import { getDb } from "@/server/db/client";
import { log } from "@/server/log";
import { METRICS_CONTENT_TYPE, metricsAccess, metricsText } from "@/server/services/sync/metrics";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Prometheus metrics (text format 0.0.4) for a scraper holding `METRICS_TOKEN` as a bearer
 * token. Without the variable the endpoint answers 404; with a wrong or missing token, 401.
 */
export async function GET(request: Request) {
  const access = metricsAccess(parseEnv(process.env).METRICS_TOKEN, request.headers.get("authorization"));
  if (!access.ok) {
    return new Response(`${access.message}\n`, {
      status: access.status,
      headers: {
        "Content-Type": "text/plain; charset=utf-8",
        "Cache-Control": "no-store",
        ...(access.status === 401 && { "WWW-Authenticate": 'Bearer realm="metrics"' }),
      },
    });
  }
  try {
    const body = await metricsText({ db: getDb() });
    return new Response(body, { status: 200, headers: { "Content-Type": METRICS_CONTENT_TYPE, "Cache-Control": "no-store" } });
  } catch (err) {
    log.error(`metrics could not be read: ${(err as Error).message}`);
    return new Response("metrics could not be read from the database\n", { status: 503, headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" } });
  }
}
