import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Append-only record of every mutation, sign-in and sign-out. A trigger (see the
 * migration "audit_log_append_only") refuses UPDATE, DELETE and TRUNCATE.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigint("id", { mode: "number" }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    /** the user who acted; null for the system or an unknown account */
    actorId: uuid("actor_id"),
    /** e-mail of the user, or "system:<job>" */
    actorLabel: text("actor_label").notNull(),
    actorRoles: text("actor_roles").array().notNull(),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id"),
    before: jsonb("before"),
    after: jsonb("after"),
    correlationId: text("correlation_id").notNull(),
    ip: text("ip"),
  },
  (t) => [
    index("audit_log_at_idx").on(t.at.desc(), t.id.desc()),
    index("audit_log_actor_idx").on(t.actorId, t.id.desc()),
    index("audit_log_action_idx").on(t.action, t.id.desc()),
    index("audit_log_entity_idx").on(t.entityType, t.entityId, t.id.desc()),
  ],
);
