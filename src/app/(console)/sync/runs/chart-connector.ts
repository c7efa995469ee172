import type { ConnectorOverview } from "@/server/services/sync/overview";

/**
 * The connector the posting charts are drawn for: the filtered one when it is an ERP,
 * otherwise the first ERP connector (the charts follow postings, which only an ERP has).
 */
export function chartConnectorOf<C extends Pick<ConnectorOverview, "id" | "role" | "name">>(connectors: C[], filtered: string | undefined): C | null {
  const chosen = filtered ? connectors.find((c) => c.id === filtered) : undefined;
  if (chosen?.role === "erp") return chosen;
  return connectors.find((c) => c.role === "erp") ?? null;
}
