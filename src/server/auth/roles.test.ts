import { describe, expect, it } from "vitest";
import { hasAnyRole, isRole, ROLE_LABELS, ROLES } from "./roles";

describe("roles", () => {
  it("are exactly the four of the design", () => {
    expect([...ROLES]).toEqual(["admin", "finance_ops", "pmo", "executive"]);
    expect(Object.keys(ROLE_LABELS).sort()).toEqual([...ROLES].sort());
    expect(ROLE_LABELS.finance_ops).toBe("Finance ops");
  });

  it("isRole accepts the known roles only", () => {
    for (const r of ROLES) expect(isRole(r)).toBe(true);
    for (const v of ["Admin", "ADMIN", "root", "", " admin", null, undefined, 1, {}, ["admin"]]) {
      expect(isRole(v)).toBe(false);
    }
  });

  it("hasAnyRole is true when the user holds at least one allowed role", () => {
    expect(hasAnyRole(["admin"], ["admin"])).toBe(true);
    expect(hasAnyRole(["pmo", "executive"], ["admin", "executive"])).toBe(true);
    expect(hasAnyRole(["pmo"], ["admin", "finance_ops"])).toBe(false);
    expect(hasAnyRole([], ["admin"])).toBe(false);
    expect(hasAnyRole(["admin"], [])).toBe(false);
  });
});
