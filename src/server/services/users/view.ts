import { sql } from "drizzle-orm";
import { users } from "../../db/schema";

/** The columns of a user that leave the server: never the password hash. */
export const userColumns = {
  id: users.id,
  email: users.email,
  name: users.name,
  roles: users.roles,
  scopeEntities: users.scopeEntities,
  scopeRegions: users.scopeRegions,
  disabledAt: users.disabledAt,
  lastSignInAt: users.lastSignInAt,
  createdAt: users.createdAt,
  updatedAt: users.updatedAt,
  hasPassword: sql<boolean>`(${users.passwordHash} is not null)`.as("has_password"),
};

/** The audit log's picture of a user (what an admin can change). */
export function auditShape(u: {
  email: string;
  name: string;
  roles: string[];
  scopeEntities: string[];
  scopeRegions: string[];
  disabledAt: Date | null;
}) {
  return {
    email: u.email,
    name: u.name,
    roles: u.roles,
    scopeEntities: u.scopeEntities,
    scopeRegions: u.scopeRegions,
    disabled: u.disabledAt !== null,
  };
}
