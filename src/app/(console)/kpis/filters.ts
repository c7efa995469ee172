import { paramReader, type SearchParamsLike } from "@/lib/search-params";

const REGIONS = ["NA", "EMEA", "APAC"] as const;
export const BREAKDOWN_OPTIONS = [
  { key: "entity", label: "Legal entity" },
  { key: "region", label: "Region" },
  { key: "businessUnit", label: "Business unit" },
  { key: "practice", label: "Practice" },
  { key: "period", label: "Period" },
] as const;
export type BreakdownKey = (typeof BREAKDOWN_OPTIONS)[number]["key"];

/**
 * The dashboard's selection as it stands in the URL. Values are passed to the server as they
 * are (it answers a bad one with a sentence); only empty ones are dropped.
 */
export function selectionFromParams(params: SearchParamsLike) {
  const get = paramReader(params);
  const region = get("region");
  return {
    entity: get("entity"),
    region: region as (typeof REGIONS)[number] | undefined,
    businessUnit: get("bu"),
    practice: get("practice"),
    period: get("period"),
  };
}

export function breakdownFromParams(params: SearchParamsLike): BreakdownKey {
  const by = paramReader(params)("by");
  return BREAKDOWN_OPTIONS.some((o) => o.key === by) ? (by as BreakdownKey) : "entity";
}

/** The selection as URL params (the drill-down page takes the same names). */
export function selectionQuery(sel: Partial<ReturnType<typeof selectionFromParams>>): Record<string, string> {
  const out: Record<string, string> = {};
  if (sel.entity) out.entity = sel.entity;
  if (sel.region) out.region = sel.region;
  if (sel.businessUnit) out.bu = sel.businessUnit;
  if (sel.practice) out.practice = sel.practice;
  if (sel.period) out.period = sel.period;
  return out;
}

/** A link to the entries behind a figure, keeping the dashboard's selection. */
export function drillHref(sel: ReturnType<typeof selectionFromParams>, metric: string, extra: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams({ metric, ...selectionQuery(sel) });
  for (const [k, v] of Object.entries(extra)) if (v) q.set(k, v);
  return `/kpis/entries?${q.toString()}`;
}
