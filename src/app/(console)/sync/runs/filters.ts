import { paramReader, type SearchParamsLike } from "@/lib/search-params";
import { RUN_KINDS, RUN_TRIGGERS } from "@/server/services/sync/console/labels";
import { SYNC_RUN_STATUSES } from "@/server/domain/enums";
import type { ChartWindow } from "@/server/services/sync/console/sync-charts";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const oneOf = <T extends string>(list: readonly T[], v: string | undefined): T | undefined => (v && (list as readonly string[]).includes(v) ? (v as T) : undefined);

export const RUNS_PAGE_SIZE = 50;

/** The run list's filters as they stand in the URL; a malformed value is dropped, not fatal. */
export function runsFilterFromParams(params: SearchParamsLike) {
  const get = paramReader(params);
  const connector = get("connector");
  return {
    connectorId: connector && UUID.test(connector) ? connector.toLowerCase() : undefined,
    kind: oneOf(RUN_KINDS, get("kind")),
    status: oneOf(SYNC_RUN_STATUSES, get("status")),
    trigger: oneOf(RUN_TRIGGERS, get("trigger")),
    limit: RUNS_PAGE_SIZE,
  };
}

export const CHART_WINDOW_OPTIONS = ["1h", "24h", "7d"] as const satisfies readonly ChartWindow[];

/** The charts' window (?window=1h|24h|7d), the last hour unless said otherwise. */
export function chartWindowFromParams(params: SearchParamsLike): ChartWindow {
  return oneOf(CHART_WINDOW_OPTIONS, paramReader(params)("window")) ?? "1h";
}

export const isUuid = (v: string) => UUID.test(v);

/** log lines per page on a run's page */
export const LOG_PAGE_SIZE = 100;
