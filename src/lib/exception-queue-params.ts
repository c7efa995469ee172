import { paramReader, type SearchParamsLike } from "@/lib/search-params";
import { queueFilter, queueSort, type QueueFilter, type Sort } from "@/server/services/exceptions/filter-schema";

export const PAGE_SIZE = 50;

/** URL keys holding lists (comma-separated values). */
const LIST_KEYS = ["owner", "code", "severity", "status", "entity", "region", "businessUnit", "project", "person", "age"] as const;
const TEXT_KEYS = ["assignee", "minValue", "period", "q"] as const;

export type QueueParams = {
  filter: QueueFilter;
  sort: Sort;
  dir: "asc" | "desc";
  cursor: string | null;
  group: "code" | "project" | null;
  open: string | null;
  /** what in the URL is not a valid filter, in words; the queue shows this instead of guessing */
  problems: string[];
};

/**
 * The queue's state as it stands in the URL, checked with the same schema the server
 * enforces: an unknown value is reported by name, never dropped silently.
 */
export function queueParams(params: SearchParamsLike): QueueParams {
  const get = paramReader(params);
  const raw: Record<string, unknown> = {};
  for (const k of LIST_KEYS) {
    const v = get(k);
    if (v) raw[k] = v.split(",").map((x) => x.trim()).filter(Boolean);
  }
  for (const k of TEXT_KEYS) {
    const v = get(k);
    if (v) raw[k] = v;
  }
  if (get("overSla") === "1") raw.overSla = true;
  const problems: string[] = [];
  const f = queueFilter.safeParse(raw);
  if (!f.success) problems.push(...f.error.issues.map((i) => i.message));
  const s = queueSort.safeParse({ sort: get("sort"), dir: get("dir") });
  if (!s.success) problems.push(...s.error.issues.map((i) => i.message));
  const group = get("group");
  if (group && group !== "code" && group !== "project") problems.push(`group: "${group}" is not one of code, project`);
  return {
    filter: f.success ? f.data : {},
    sort: s.success ? s.data.sort : "value",
    dir: s.success ? s.data.dir : "desc",
    cursor: get("cursor") ?? null,
    group: group === "code" || group === "project" ? group : null,
    open: get("open") ?? null,
    problems,
  };
}

/** A filter as URL params (lists comma-separated), for links and saved views. */
export function filterToParams(filter: QueueFilter): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const k of LIST_KEYS) {
    const v = filter[k] as string[] | undefined;
    out[k] = v?.length ? v.join(",") : undefined;
  }
  for (const k of TEXT_KEYS) out[k] = (filter[k] as string | undefined) || undefined;
  out.overSla = filter.overSla ? "1" : undefined;
  return out;
}

/** Every filter key, to clear them all at once. */
export const ALL_FILTER_KEYS = [...LIST_KEYS, ...TEXT_KEYS, "overSla"] as const;
