import { sql } from "drizzle-orm";
import {
  check,
  index,
  integer,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { ROLES, type Role } from "../../auth/roles";

export const users = pgTable(
  "users",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    /** argon2id hash; null for users who only sign in through single sign-on */
    passwordHash: text("password_hash"),
    roles: text("roles").array().$type<Role[]>().notNull().default(sql`'{}'::text[]`),
    /** legal entity codes the user may see; empty means all */
    scopeEntities: text("scope_entities").array().notNull().default(sql`'{}'::text[]`),
    /** region codes the user may see; empty means all */
    scopeRegions: text("scope_regions").array().notNull().default(sql`'{}'::text[]`),
    disabledAt: timestamp("disabled_at", { withTimezone: true }),
    /**
     * Every session token carries the value this had when it was issued; a token with another
     * value is refused. Signing out, a new password, being disabled and a change of roles or
     * scope add one, which ends all the user's sessions at once (ADR 0008).
     */
    sessionEpoch: integer("session_epoch").notNull().default(0),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // e-mail addresses are compared case-insensitively
    uniqueIndex("users_email_lower_uq").on(sql`lower(${t.email})`),
    check(
      "users_roles_known",
      sql`${t.roles} <@ ARRAY[${sql.raw(ROLES.map((r) => `'${r}'`).join(","))}]::text[]`,
    ),
  ],
);

/**
 * Failed sign-in counters, one row per throttle key ("account:<email>" or "ip:<address>").
 * A key whose window has passed starts counting again.
 */
export const signInThrottle = pgTable(
  "sign_in_throttle",
  {
    key: text("key").primaryKey(),
    failures: integer("failures").notNull().default(0),
    windowStartedAt: timestamp("window_started_at", { withTimezone: true }).notNull().defaultNow(),
    blockedUntil: timestamp("blocked_until", { withTimezone: true }),
  },
  (t) => [index("sign_in_throttle_window_idx").on(t.windowStartedAt)],
);
