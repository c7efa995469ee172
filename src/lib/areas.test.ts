import { describe, expect, it } from "vitest";
import { AREAS, area, areasFor, landingFor } from "./areas";
import { ROLES, type Role } from "@/server/auth/roles";

const labels = (roles: Role[]) => areasFor(roles).map((a) => a.label);

describe("areasFor", () => {
  it("shows admin all eight areas", () => {
    expect(labels(["admin"])).toEqual([
      "KPIs",
      "Exceptions",
      "Mappings",
      "Reconciliation",
      "Imports",
      "Sync",
      "Audit log",
      "Users",
    ]);
    expect(AREAS).toHaveLength(8);
  });

  it("shows finance_ops KPIs, Exceptions, Reconciliation, Imports and Sync", () => {
    expect(labels(["finance_ops"])).toEqual(["KPIs", "Exceptions", "Reconciliation", "Imports", "Sync"]);
  });

  it("shows pmo KPIs, Exceptions and Mappings", () => {
    expect(labels(["pmo"])).toEqual(["KPIs", "Exceptions", "Mappings"]);
  });

  it("shows executive KPIs and Reconciliation", () => {
    expect(labels(["executive"])).toEqual(["KPIs", "Reconciliation"]);
  });

  it("shows the union for a user with several roles, each area once", () => {
    expect(labels(["pmo", "executive"])).toEqual(["KPIs", "Exceptions", "Mappings", "Reconciliation"]);
  });

  it("shows nothing to a user without roles", () => {
    expect(areasFor([])).toEqual([]);
  });

  it("keeps audit and users for admin only", () => {
    for (const r of ROLES.filter((r) => r !== "admin")) {
      const keys = areasFor([r]).map((a) => a.key);
      expect(keys).not.toContain("audit");
      expect(keys).not.toContain("users");
    }
  });
});

describe("landingFor", () => {
  it("sends each role to its own start page", () => {
    expect(landingFor(["admin"])).toBe("/sync");
    expect(landingFor(["finance_ops"])).toBe("/exceptions");
    expect(landingFor(["pmo"])).toBe("/mappings");
    expect(landingFor(["executive"])).toBe("/kpis");
  });

  it("lets the first role in admin, finance_ops, pmo, executive order win", () => {
    expect(landingFor(["executive", "pmo"])).toBe("/mappings");
    expect(landingFor(["executive", "finance_ops"])).toBe("/exceptions");
    expect(landingFor(["pmo", "admin"])).toBe("/sync");
  });

  it("sends a user without roles to sign-in", () => {
    expect(landingFor([])).toBe("/signin");
  });

  it("lands every role on an area that role may open", () => {
    for (const r of ROLES) {
      const href = landingFor([r]);
      expect(areasFor([r]).map((a) => a.href)).toContain(href);
    }
  });

  it("area() finds an area by key", () => {
    expect(area("users").href).toBe("/users");
  });
});
