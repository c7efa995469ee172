CREATE INDEX "time_entries_erp_id_idx" ON "time_entries" USING btree ("erp_id") WHERE "time_entries"."erp_id" is not null;--> statement-breakpoint
CREATE INDEX "erp_posting_attempts_correlation_idx" ON "erp_posting_attempts" USING btree ("correlation_id");--> statement-breakpoint
CREATE INDEX "erp_posting_attempts_time_idx" ON "erp_posting_attempts" USING btree ("started_at");--> statement-breakpoint
CREATE INDEX "erp_postings_erp_id_idx" ON "erp_postings" USING btree ("erp_id") WHERE "erp_postings"."erp_id" is not null;