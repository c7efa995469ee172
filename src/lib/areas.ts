import type { Role } from "@/server/auth/roles";

/**
 * The console's areas and who may open them. The nav, the pages' guards and the landing
 * page read this one table; the tRPC procedures enforce the same roles on the server.
 */
export const AREAS = [
  {
    key: "kpis",
    href: "/kpis",
    label: "KPIs",
    roles: ["admin", "finance_ops", "pmo", "executive"],
    purpose: "How much approved time is unbilled and why, posting SLA, invoice cycle time, utilization.",
  },
  {
    key: "exceptions",
    href: "/exceptions",
    label: "Exceptions",
    roles: ["admin", "finance_ops", "pmo"],
    purpose: "The queue of entries that cannot post or bill, with owner, value at stake and the fix.",
  },
  {
    key: "mappings",
    href: "/mappings",
    label: "Mappings",
    roles: ["admin", "pmo"],
    purpose: "Source projects, tasks and people mapped to ERP jobs, service items and employees.",
  },
  {
    key: "reconciliation",
    href: "/reconciliation",
    label: "Reconciliation",
    roles: ["admin", "finance_ops", "executive"],
    purpose: "Source-approved vs posted vs invoiced, per legal entity and period, with every variance explained.",
  },
  {
    key: "imports",
    href: "/imports",
    label: "Imports",
    roles: ["admin", "finance_ops"],
    purpose: "Approved time from the regional offices' CSV files: check a file, then import it.",
  },
  {
    key: "sync",
    href: "/sync",
    label: "Sync",
    roles: ["admin", "finance_ops"],
    purpose: "Connectors, sync runs, dead letters and replay.",
  },
  {
    key: "audit",
    href: "/audit",
    label: "Audit log",
    roles: ["admin"],
    purpose: "Who did what, when, and what changed.",
  },
  {
    key: "users",
    href: "/users",
    label: "Users",
    roles: ["admin"],
    purpose: "People, their roles and the legal entities and regions they may see.",
  },
] as const satisfies readonly { key: string; href: string; label: string; roles: readonly Role[]; purpose: string }[];

export type AreaKey = (typeof AREAS)[number]["key"];

export function areasFor(roles: readonly Role[]) {
  return AREAS.filter((a) => a.roles.some((r) => roles.includes(r)));
}

export function area(key: AreaKey) {
  return AREAS.find((a) => a.key === key)!;
}

/** Where each role starts its day; the first role that has a landing page wins. */
const LANDING: Record<Role, AreaKey> = {
  executive: "kpis",
  finance_ops: "exceptions",
  pmo: "mappings",
  admin: "sync",
};

export function landingFor(roles: readonly Role[]): string {
  for (const r of ["admin", "finance_ops", "pmo", "executive"] as const) {
    if (roles.includes(r)) return area(LANDING[r]).href;
  }
  return "/signin";
}
