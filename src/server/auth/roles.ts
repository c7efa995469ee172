/** The four roles of DESIGN §6. A user may hold several. */
export const ROLES = ["admin", "finance_ops", "pmo", "executive"] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  admin: "Admin",
  finance_ops: "Finance ops",
  pmo: "PMO",
  executive: "Executive",
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

export function hasAnyRole(held: readonly Role[], allowed: readonly Role[]): boolean {
  return held.some((r) => allowed.includes(r));
}
