import { sql } from "drizzle-orm";
import { boolean, index, integer, jsonb, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { ownerTeamEnum } from "./enums";
import { users } from "./auth";

/**
 * A team's alert: a condition on its open exceptions (value blocked over a threshold, open
 * count over a threshold, any exception older than its SLA). It fires once when the condition
 * becomes true (one notification per episode) and re-arms when it clears.
 */
export const alertRules = pgTable(
  "alert_rules",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ownerTeam: ownerTeamEnum("owner_team").notNull(),
    name: text("name").notNull(),
    condition: text("condition").notNull(),
    /** value in the reporting currency, or a count; null for conditions without one */
    threshold: numeric("threshold", { precision: 14, scale: 2 }),
    webhookUrl: text("webhook_url"),
    /** signing secret, encrypted with the connector secrets key */
    webhookSecret: text("webhook_secret"),
    active: boolean("active").notNull().default(true),
    firing: boolean("firing").notNull().default(false),
    /** bumps each time the rule starts firing; (rule, episode) deduplicates notifications */
    episode: integer("episode").notNull().default(0),
    lastValue: text("last_value"),
    lastEvaluatedAt: timestamp("last_evaluated_at", { withTimezone: true }),
    lastFiredAt: timestamp("last_fired_at", { withTimezone: true }),
    createdBy: text("created_by").notNull(),
    updatedBy: text("updated_by").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    version: integer("version").notNull().default(1),
  },
  (t) => [uniqueIndex("alert_rules_team_name_uq").on(t.ownerTeam, t.name)],
);

/** What an alert said, shown in the console to the team it concerns. */
export const notifications = pgTable(
  "notifications",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    ruleId: uuid("rule_id").references(() => alertRules.id, { onDelete: "set null" }),
    ownerTeam: ownerTeamEnum("owner_team").notNull(),
    /** "<rule id>:<episode>": the same episode never notifies twice */
    dedupeKey: text("dedupe_key").notNull(),
    title: text("title").notNull(),
    body: text("body").notNull(),
    /** the queue filter that shows what the alert is about */
    link: text("link").notNull(),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("notifications_dedupe_uq").on(t.dedupeKey),
    index("notifications_team_idx").on(t.ownerTeam, t.createdAt),
    index("notifications_rule_idx").on(t.ruleId),
  ],
);

/** Who has read which notification. */
export const notificationReads = pgTable(
  "notification_reads",
  {
    notificationId: uuid("notification_id").notNull().references(() => notifications.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull().references(() => users.id, { onDelete: "cascade" }),
    readAt: timestamp("read_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.notificationId, t.userId] }), index("notification_reads_user_idx").on(t.userId)],
);

/** One outbound webhook call per notification, with its attempts and the receiver's answer. */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    notificationId: uuid("notification_id").notNull().references(() => notifications.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    status: text("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    responseStatus: integer("response_status"),
    lastError: text("last_error"),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_notification_uq").on(t.notificationId),
    // deliveries still owed: what the sender looks at
    index("webhook_deliveries_pending_idx").on(t.createdAt).where(sql`${t.status} = 'pending'`),
  ],
);
