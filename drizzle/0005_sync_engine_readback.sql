CREATE TABLE "erp_time_records" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connector_id" uuid NOT NULL,
	"erp_id" text NOT NULL,
	"time_entry_id" uuid,
	"legal_entity_id" uuid,
	"project_id" uuid,
	"employee_erp_id" text NOT NULL,
	"job_erp_id" text NOT NULL,
	"item_erp_id" text,
	"subsidiary_erp_id" text NOT NULL,
	"work_date" date NOT NULL,
	"hours" numeric(8, 2) NOT NULL,
	"rate" numeric(12, 2),
	"billable" boolean NOT NULL,
	"memo" text,
	"approval_status" text,
	"invoice_erp_id" text,
	"erp_modified_at" timestamp with time zone,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"missing_since" timestamp with time zone,
	"sync_run_id" uuid
);
--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "rejected" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD COLUMN "details" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "erp_time_records" ADD CONSTRAINT "erp_time_records_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_time_records" ADD CONSTRAINT "erp_time_records_time_entry_id_time_entries_id_fk" FOREIGN KEY ("time_entry_id") REFERENCES "public"."time_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_time_records" ADD CONSTRAINT "erp_time_records_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_time_records" ADD CONSTRAINT "erp_time_records_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_time_records" ADD CONSTRAINT "erp_time_records_sync_run_id_sync_runs_id_fk" FOREIGN KEY ("sync_run_id") REFERENCES "public"."sync_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "erp_time_records_erp_uq" ON "erp_time_records" USING btree ("connector_id","erp_id");--> statement-breakpoint
CREATE INDEX "erp_time_records_entry_idx" ON "erp_time_records" USING btree ("time_entry_id");--> statement-breakpoint
CREATE INDEX "erp_time_records_entity_date_idx" ON "erp_time_records" USING btree ("legal_entity_id","work_date");--> statement-breakpoint
CREATE INDEX "erp_time_records_project_idx" ON "erp_time_records" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "erp_time_records_run_idx" ON "erp_time_records" USING btree ("sync_run_id");--> statement-breakpoint
CREATE INDEX "erp_time_records_unmatched_idx" ON "erp_time_records" USING btree ("work_date") WHERE "erp_time_records"."time_entry_id" is null;