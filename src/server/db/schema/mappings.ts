import { sql } from "drizzle-orm";
import { boolean, date, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sourceSystemEnum } from "./enums";

const governance = {
  validFrom: date("valid_from"),
  validTo: date("valid_to"),
  active: boolean("active").notNull().default(true),
  reason: text("reason"),
  createdBy: text("created_by").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  updatedBy: text("updated_by").notNull(),
  updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  version: integer("version").notNull().default(1),
};

/**
 * Source object → canonical object: a source project to an ERP job (project), a task to a
 * labor category (service item), a user to an employee, a client to a customer. Effective
 * dates (null = unbounded) let a mapping change from a given day without rewriting history.
 */
export const idMappings = pgTable(
  "id_mappings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    kind: text("kind").notNull(),
    externalId: text("external_id").notNull(),
    targetId: uuid("target_id").notNull(),
    targetErpId: text("target_erp_id").notNull(),
    ...governance,
  },
  (t) => [
    // one active mapping per source object and start date
    uniqueIndex("id_mappings_active_uq")
      .on(t.sourceSystem, t.kind, t.externalId, sql`coalesce(${t.validFrom}, '-infinity'::date)`)
      .where(sql`${t.active}`),
    index("id_mappings_target_idx").on(t.kind, t.targetId),
  ],
);

/** Source value → ERP value for coded fields (cost centers, departments). */
export const valueMappings = pgTable(
  "value_mappings",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    sourceSystem: sourceSystemEnum("source_system").notNull(),
    kind: text("kind").notNull(),
    sourceValue: text("source_value").notNull(),
    targetValue: text("target_value").notNull(),
    ...governance,
  },
  (t) => [
    // one active mapping per source value and start date
    uniqueIndex("value_mappings_active_uq")
      .on(t.sourceSystem, t.kind, t.sourceValue, sql`coalesce(${t.validFrom}, '-infinity'::date)`)
      .where(sql`${t.active}`),
  ],
);
