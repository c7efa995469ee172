CREATE TABLE "log_lines" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "log_lines_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone NOT NULL,
	"correlation_id" text NOT NULL,
	"level" text NOT NULL,
	"msg" text NOT NULL,
	"fields" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "queue_snapshots" (
	"connector_id" uuid NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"pending" integer NOT NULL,
	"retrying" integer NOT NULL,
	"dead" integer NOT NULL,
	"rejected" integer NOT NULL,
	"oldest_waiting_at" timestamp with time zone,
	CONSTRAINT "queue_snapshots_connector_id_at_pk" PRIMARY KEY("connector_id","at")
);
--> statement-breakpoint
CREATE TABLE "erp_posting_attempts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"posting_id" uuid NOT NULL,
	"connector_id" uuid,
	"attempt" integer NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer NOT NULL,
	"outcome" text NOT NULL,
	"http_status" integer,
	"error_class" text,
	"error" text,
	"response" jsonb,
	"correlation_id" text NOT NULL
);
--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "paused_by" text;--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "pause_reason" text;--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "last_tested_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "last_test_ok" boolean;--> statement-breakpoint
ALTER TABLE "connectors" ADD COLUMN "last_test_message" text;--> statement-breakpoint
ALTER TABLE "queue_snapshots" ADD CONSTRAINT "queue_snapshots_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_posting_attempts" ADD CONSTRAINT "erp_posting_attempts_posting_id_erp_postings_id_fk" FOREIGN KEY ("posting_id") REFERENCES "public"."erp_postings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_posting_attempts" ADD CONSTRAINT "erp_posting_attempts_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "log_lines_correlation_idx" ON "log_lines" USING btree ("correlation_id","id");--> statement-breakpoint
CREATE INDEX "log_lines_at_idx" ON "log_lines" USING btree ("at");--> statement-breakpoint
CREATE INDEX "erp_posting_attempts_posting_idx" ON "erp_posting_attempts" USING btree ("posting_id","attempt");--> statement-breakpoint
CREATE INDEX "erp_posting_attempts_connector_time_idx" ON "erp_posting_attempts" USING btree ("connector_id","started_at");