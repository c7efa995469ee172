import { paramReader, type SearchParamsLike } from "@/lib/search-params";
import { listAuditInput, type ListAuditInput } from "@/server/services/audit/list";

/** yyyy-mm-dd (a UTC day) → the instant it starts; "to" days are inclusive, so the next day's start. */
function dayStart(day: string | undefined, plusDays = 0): string | undefined {
  if (!day || !/^\d{4}-\d{2}-\d{2}$/.test(day)) return undefined;
  const d = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(d.getTime())) return undefined;
  d.setUTCDate(d.getUTCDate() + plusDays);
  return d.toISOString();
}

/** The audit filters as they stand in the URL; malformed values are dropped, not fatal. */
export function auditFilterFromParams(params: SearchParamsLike): ListAuditInput {
  const get = paramReader(params);
  const cursor = Number(get("cursor"));
  const candidate = {
    actor: get("actor"),
    action: get("action"),
    entityType: get("entity"),
    entityId: get("entityId"),
    from: dayStart(get("from")),
    to: dayStart(get("to"), 1),
    cursor: Number.isInteger(cursor) && cursor > 0 ? cursor : undefined,
    limit: 50,
  };
  const parsed = listAuditInput.safeParse(candidate);
  return parsed.success ? parsed.data : listAuditInput.parse({ limit: 50 });
}
