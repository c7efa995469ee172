CREATE INDEX "kpi_daily_snapshots_entity_idx" ON "kpi_daily_snapshots" USING btree ("legal_entity_id");--> statement-breakpoint
CREATE INDEX "reconciliation_runs_read_back_idx" ON "reconciliation_runs" USING btree ("read_back_run_id");--> statement-breakpoint
CREATE INDEX "reconciliation_variances_entry_idx" ON "reconciliation_variances" USING btree ("time_entry_id");--> statement-breakpoint
CREATE INDEX "reconciliation_variances_project_idx" ON "reconciliation_variances" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "reconciliation_variances_employee_idx" ON "reconciliation_variances" USING btree ("employee_id");