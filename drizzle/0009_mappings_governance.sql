CREATE TABLE "mapping_recoveries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"kind" text NOT NULL,
	"label" text NOT NULL,
	"mapping_ids" uuid[] NOT NULL,
	"status" text DEFAULT 'queued' NOT NULL,
	"entry_ids" uuid[] NOT NULL,
	"total" integer DEFAULT 0 NOT NULL,
	"processed" integer DEFAULT 0 NOT NULL,
	"unblocked" integer DEFAULT 0 NOT NULL,
	"still_blocked" integer DEFAULT 0 NOT NULL,
	"still_blocked_by_code" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"hours_unblocked" numeric(12, 2) DEFAULT '0' NOT NULL,
	"value_unblocked" numeric(14, 2) DEFAULT '0' NOT NULL,
	"currency" char(3) NOT NULL,
	"postings_created" integer DEFAULT 0 NOT NULL,
	"requested_by" text NOT NULL,
	"requested_by_id" uuid,
	"correlation_id" text NOT NULL,
	"error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "mapping_versions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "mapping_versions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"mapping_id" uuid NOT NULL,
	"store" text NOT NULL,
	"kind" text NOT NULL,
	"version" integer NOT NULL,
	"action" text NOT NULL,
	"before" jsonb,
	"after" jsonb NOT NULL,
	"reason" text,
	"actor_id" uuid,
	"actor_label" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"correlation_id" text
);
--> statement-breakpoint
CREATE INDEX "mapping_recoveries_created_idx" ON "mapping_recoveries" USING btree ("created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "mapping_versions_mapping_version_uq" ON "mapping_versions" USING btree ("mapping_id","version");