DROP INDEX "exceptions_open_age_idx";--> statement-breakpoint
CREATE INDEX "exceptions_open_value_idx" ON "exceptions" USING btree (coalesce("value_reporting", -1),"id") WHERE "exceptions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "exceptions_open_hours_idx" ON "exceptions" USING btree ("hours_at_stake","id") WHERE "exceptions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "exceptions_open_last_seen_idx" ON "exceptions" USING btree ("last_seen_at","id") WHERE "exceptions"."status" = 'open';--> statement-breakpoint
CREATE INDEX "saved_views_owner_idx" ON "saved_views" USING btree ("owner_id");--> statement-breakpoint
CREATE INDEX "notification_reads_user_idx" ON "notification_reads" USING btree ("user_id");--> statement-breakpoint
CREATE INDEX "notifications_rule_idx" ON "notifications" USING btree ("rule_id");--> statement-breakpoint
CREATE INDEX "exceptions_open_age_idx" ON "exceptions" USING btree ("first_seen_at","id") WHERE "exceptions"."status" = 'open';