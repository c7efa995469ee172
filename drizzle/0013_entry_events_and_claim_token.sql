CREATE TABLE "time_entry_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "time_entry_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"time_entry_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"kind" text NOT NULL,
	"from_state" text,
	"to_state" text,
	"version" integer,
	"message" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"actor_label" text NOT NULL,
	"correlation_id" text
);
--> statement-breakpoint
ALTER TABLE "erp_postings" ADD COLUMN "claim_token" uuid;--> statement-breakpoint
ALTER TABLE "time_entry_events" ADD CONSTRAINT "time_entry_events_time_entry_id_time_entries_id_fk" FOREIGN KEY ("time_entry_id") REFERENCES "public"."time_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "time_entry_events_entry_idx" ON "time_entry_events" USING btree ("time_entry_id","at");