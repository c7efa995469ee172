CREATE TABLE "kpi_daily_snapshots" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "kpi_daily_snapshots_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"day" date NOT NULL,
	"slice_key" text NOT NULL,
	"legal_entity_id" uuid,
	"region" text,
	"business_unit" text,
	"practice" text,
	"method" text NOT NULL,
	"computed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"reporting_currency" char(3) NOT NULL,
	"unbilled_count" integer DEFAULT 0 NOT NULL,
	"unbilled_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"unbilled_value" numeric(16, 2) DEFAULT '0' NOT NULL,
	"unbilled_unvalued" integer DEFAULT 0 NOT NULL,
	"blocked_exception_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"blocked_exception_value" numeric(16, 2) DEFAULT '0' NOT NULL,
	"awaiting_posting_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"awaiting_posting_value" numeric(16, 2) DEFAULT '0' NOT NULL,
	"awaiting_invoice_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"awaiting_invoice_value" numeric(16, 2) DEFAULT '0' NOT NULL,
	"age_0_7_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"age_8_30_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"age_31_60_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"age_over_60_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"unposted_count" integer DEFAULT 0 NOT NULL,
	"unposted_hours" numeric(14, 2) DEFAULT '0' NOT NULL,
	"open_exceptions" integer DEFAULT 0 NOT NULL,
	"approved_count" integer DEFAULT 0 NOT NULL,
	"sla_met" integer DEFAULT 0 NOT NULL,
	"sla_missed" integer DEFAULT 0 NOT NULL,
	"sla_pending" integer DEFAULT 0 NOT NULL,
	"latency_seconds" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"cycle_seconds" integer[] DEFAULT '{}'::integer[] NOT NULL,
	"billed_hours" numeric(14, 2) DEFAULT '0' NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_breakdowns" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reconciliation_breakdowns_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"dimension" text NOT NULL,
	"key" text NOT NULL,
	"label" text NOT NULL,
	"source_count" integer NOT NULL,
	"source_hours" numeric(14, 2) NOT NULL,
	"source_value" numeric(16, 2) NOT NULL,
	"canonical_count" integer NOT NULL,
	"canonical_hours" numeric(14, 2) NOT NULL,
	"canonical_value" numeric(16, 2) NOT NULL,
	"erp_count" integer NOT NULL,
	"erp_hours" numeric(14, 2) NOT NULL,
	"erp_value" numeric(16, 2) NOT NULL,
	"invoiced_count" integer NOT NULL,
	"invoiced_hours" numeric(14, 2) NOT NULL,
	"invoiced_value" numeric(16, 2) NOT NULL,
	"variances" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"legal_entity_id" uuid NOT NULL,
	"period" char(7) NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" text NOT NULL,
	"requested_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"read_back_run_id" uuid,
	"erp_side_note" text,
	"reporting_currency" char(3) NOT NULL,
	"totals" jsonb,
	"matched_lines" integer,
	"total_lines" integer,
	"error" text,
	"correlation_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "reconciliation_variances" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "reconciliation_variances_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"run_id" uuid NOT NULL,
	"variance_class" text NOT NULL,
	"time_entry_id" uuid,
	"erp_record_id" uuid,
	"erp_id" text,
	"source_ref" text,
	"project_id" uuid,
	"employee_id" uuid,
	"project_label" text,
	"person_label" text,
	"work_date" date NOT NULL,
	"hours_ours" numeric(8, 2),
	"hours_erp" numeric(8, 2),
	"amount_ours" numeric(14, 2),
	"amount_erp" numeric(14, 2),
	"currency" char(3),
	"value_reporting" numeric(14, 2),
	"explanation" text
);
--> statement-breakpoint
ALTER TABLE "kpi_daily_snapshots" ADD CONSTRAINT "kpi_daily_snapshots_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_breakdowns" ADD CONSTRAINT "reconciliation_breakdowns_run_id_reconciliation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."reconciliation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "reconciliation_runs_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_runs" ADD CONSTRAINT "reconciliation_runs_read_back_run_id_sync_runs_id_fk" FOREIGN KEY ("read_back_run_id") REFERENCES "public"."sync_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_variances" ADD CONSTRAINT "reconciliation_variances_run_id_reconciliation_runs_id_fk" FOREIGN KEY ("run_id") REFERENCES "public"."reconciliation_runs"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_variances" ADD CONSTRAINT "reconciliation_variances_time_entry_id_time_entries_id_fk" FOREIGN KEY ("time_entry_id") REFERENCES "public"."time_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_variances" ADD CONSTRAINT "reconciliation_variances_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reconciliation_variances" ADD CONSTRAINT "reconciliation_variances_employee_id_employees_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."employees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "kpi_daily_snapshots_day_slice_uq" ON "kpi_daily_snapshots" USING btree ("day","slice_key");--> statement-breakpoint
CREATE INDEX "reconciliation_breakdowns_run_idx" ON "reconciliation_breakdowns" USING btree ("run_id","dimension");--> statement-breakpoint
CREATE INDEX "reconciliation_runs_entity_period_idx" ON "reconciliation_runs" USING btree ("legal_entity_id","period","requested_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "reconciliation_runs_active_uq" ON "reconciliation_runs" USING btree ("legal_entity_id","period") WHERE "reconciliation_runs"."status" in ('queued', 'running');--> statement-breakpoint
CREATE INDEX "reconciliation_variances_run_class_idx" ON "reconciliation_variances" USING btree ("run_id","variance_class","id");