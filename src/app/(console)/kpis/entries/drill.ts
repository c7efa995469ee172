import { paramReader, type SearchParamsLike } from "@/lib/search-params";
import { selectionFromParams } from "../filters";

export const DRILL_PAGE_SIZE = 50;
const METRICS = ["unbilled", "at_risk", "unposted", "sla", "latency", "cycle", "worked", "exceptions"] as const;

type Metric = (typeof METRICS)[number];

/**
 * The drill-down's filter as it stands in the URL (the dashboard's selection plus what the
 * figure adds: blocker, age, SLA outcome, owner team, person, project). Null without a metric.
 */
export function drillFromParams(params: SearchParamsLike) {
  const get = paramReader(params);
  const metric = get("metric");
  if (!metric || !(METRICS as readonly string[]).includes(metric)) return null;
  return {
    ...selectionFromParams(params),
    metric: metric as Metric,
    blocker: get("blocker") as "exception" | "awaiting_posting" | "awaiting_invoice" | undefined,
    age: get("age") as "0-7" | "8-30" | "31-60" | "over-60" | undefined,
    outcome: get("outcome") as "met" | "missed" | "pending" | undefined,
    owner: get("owner") as "pmo" | "finance" | "hr" | "integration" | undefined,
    employee: get("employee"),
    project: get("project"),
    limit: DRILL_PAGE_SIZE,
  };
}
