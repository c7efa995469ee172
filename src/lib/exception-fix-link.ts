/**
 * Where an exception's suggested fix is made, when it is made in Hourbridge: the mapping
 * screen opened on the unmapped source object, or the dead-letter view. Fixes made in the ERP
 * or the source system have no link here; their suggested fix says where.
 */
export function fixLink(code: string, details: Record<string, unknown>): { href: string; label: string } | null {
  const externalId = typeof details.externalId === "string" ? details.externalId : null;
  const tab = code === "PROJECT_UNMAPPED" ? "project" : code === "TASK_UNMAPPED" ? "task" : code === "EMPLOYEE_UNMAPPED" ? "user" : null;
  if (tab && externalId) return { href: `/mappings?tab=${tab}&q=${encodeURIComponent(externalId)}`, label: "Open the mapping" };
  if (code === "POSTING_DEAD" || code === "ERP_REJECTED") return { href: "/sync/dead-letters", label: "Open dead letters" };
  if (code === "PAYLOAD_INVALID") return { href: "/sync/runs?status=partial", label: "Open the sync runs" };
  return null;
}
