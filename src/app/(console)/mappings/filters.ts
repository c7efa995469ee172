import { paramReader, type SearchParamsLike } from "@/lib/search-params";
import { MAPPING_KINDS, type MappingKind } from "@/server/domain/enums";
import { MAPPING_STATUSES } from "@/server/services/mappings/list";

export const MAPPINGS_PAGE_SIZE = 50;

const oneOf = <T extends string>(list: readonly T[], v: string | undefined): T | undefined => (v && (list as readonly string[]).includes(v) ? (v as T) : undefined);

/**
 * The page's state as it stands in the URL: the tab (a mapping kind), the search, the status
 * filter and the page's cursor. A malformed value is dropped, not fatal.
 */
export function mappingsFilterFromParams(params: SearchParamsLike) {
  const get = paramReader(params);
  const kind: MappingKind = oneOf(MAPPING_KINDS, get("tab")) ?? "project";
  const search = (get("q") ?? "").trim().slice(0, 200);
  return {
    kind,
    search,
    unmapped: { kind, search },
    list: {
      kind,
      search,
      status: oneOf(MAPPING_STATUSES, get("status")) ?? "all",
      cursor: get("cursor") ?? null,
      limit: MAPPINGS_PAGE_SIZE,
    },
  };
}
