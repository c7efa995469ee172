CREATE TYPE "public"."connector_role" AS ENUM('source', 'erp');--> statement-breakpoint
CREATE TYPE "public"."contract_type" AS ENUM('time_and_materials', 'fixed_fee', 'retainer', 'capped');--> statement-breakpoint
CREATE TYPE "public"."entry_state" AS ENUM('submitted', 'approved', 'rejected', 'posted', 'billed', 'void');--> statement-breakpoint
CREATE TYPE "public"."exception_status" AS ENUM('open', 'resolved', 'ignored');--> statement-breakpoint
CREATE TYPE "public"."owner_team" AS ENUM('pmo', 'finance', 'hr', 'integration');--> statement-breakpoint
CREATE TYPE "public"."period_status" AS ENUM('open', 'closed');--> statement-breakpoint
CREATE TYPE "public"."posting_kind" AS ENUM('create', 'reverse');--> statement-breakpoint
CREATE TYPE "public"."posting_status" AS ENUM('pending', 'sent', 'accepted', 'rejected', 'dead', 'superseded');--> statement-breakpoint
CREATE TYPE "public"."project_status" AS ENUM('active', 'on_hold', 'closed');--> statement-breakpoint
CREATE TYPE "public"."severity" AS ENUM('low', 'medium', 'high', 'critical');--> statement-breakpoint
CREATE TYPE "public"."source_system" AS ENUM('harvest', 'clockify', 'csv');--> statement-breakpoint
CREATE TYPE "public"."sync_run_status" AS ENUM('running', 'succeeded', 'failed', 'partial');--> statement-breakpoint
CREATE TABLE "accounting_periods" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"legal_entity_id" uuid NOT NULL,
	"period" char(7) NOT NULL,
	"starts_on" date NOT NULL,
	"ends_on" date NOT NULL,
	"status" "period_status" DEFAULT 'open' NOT NULL,
	"closed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "bill_rates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid,
	"labor_category_id" uuid NOT NULL,
	"rate" numeric(12, 2) NOT NULL,
	"currency" char(3) NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "cost_rates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"employee_id" uuid NOT NULL,
	"rate" numeric(12, 2) NOT NULL,
	"currency" char(3) NOT NULL,
	"valid_from" date NOT NULL,
	"valid_to" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "customers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"erp_id" text NOT NULL,
	"name" text NOT NULL,
	"legal_entity_id" uuid NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "customers_erp_id_unique" UNIQUE("erp_id")
);
--> statement-breakpoint
CREATE TABLE "employees" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"erp_id" text NOT NULL,
	"name" text NOT NULL,
	"email" text NOT NULL,
	"legal_entity_id" uuid NOT NULL,
	"region" text NOT NULL,
	"department" text NOT NULL,
	"cost_center" text NOT NULL,
	"weekly_capacity_hours" numeric(5, 2) DEFAULT '40' NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "employees_erp_id_unique" UNIQUE("erp_id")
);
--> statement-breakpoint
CREATE TABLE "fx_rates" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"rate_date" date NOT NULL,
	"from_currency" char(3) NOT NULL,
	"to_currency" char(3) NOT NULL,
	"rate" numeric(18, 8) NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "labor_categories" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"erp_item_id" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"billable" boolean DEFAULT true NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "labor_categories_erp_item_id_unique" UNIQUE("erp_item_id"),
	CONSTRAINT "labor_categories_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "legal_entities" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"erp_subsidiary_id" text NOT NULL,
	"functional_currency" char(3) NOT NULL,
	"country" char(2) NOT NULL,
	"region" text NOT NULL,
	"posting_sla_hours" integer DEFAULT 24 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "legal_entities_code_unique" UNIQUE("code"),
	CONSTRAINT "legal_entities_erp_subsidiary_id_unique" UNIQUE("erp_subsidiary_id")
);
--> statement-breakpoint
CREATE TABLE "milestones" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"project_id" uuid NOT NULL,
	"name" text NOT NULL,
	"amount" numeric(14, 2) NOT NULL,
	"due_on" date NOT NULL,
	"erp_id" text,
	"billed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "milestones_erp_id_unique" UNIQUE("erp_id")
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"erp_id" text NOT NULL,
	"code" text NOT NULL,
	"name" text NOT NULL,
	"customer_id" uuid NOT NULL,
	"legal_entity_id" uuid NOT NULL,
	"region" text NOT NULL,
	"business_unit" text NOT NULL,
	"practice" text NOT NULL,
	"status" "project_status" DEFAULT 'active' NOT NULL,
	"contract_type" "contract_type" NOT NULL,
	"billing_cap" numeric(14, 2),
	"currency" char(3) NOT NULL,
	"starts_on" date,
	"ends_on" date,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_erp_id_unique" UNIQUE("erp_id"),
	CONSTRAINT "projects_code_unique" UNIQUE("code")
);
--> statement-breakpoint
CREATE TABLE "connectors" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"key" text NOT NULL,
	"role" "connector_role" NOT NULL,
	"system" text NOT NULL,
	"name" text NOT NULL,
	"base_url" text NOT NULL,
	"account_id" text,
	"credentials_encrypted" text,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"schedule_cron" text,
	"paused" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "connectors_key_unique" UNIQUE("key")
);
--> statement-breakpoint
CREATE TABLE "raw_records" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "raw_records_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"source_system" "source_system" NOT NULL,
	"object_type" text NOT NULL,
	"source_id" text NOT NULL,
	"content_hash" text NOT NULL,
	"body" jsonb NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sync_run_id" uuid
);
--> statement-breakpoint
CREATE TABLE "source_refs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_system" "source_system" NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"code" text,
	"name" text NOT NULL,
	"attributes" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"active" boolean DEFAULT true NOT NULL,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sync_cursors" (
	"connector_id" uuid NOT NULL,
	"object_type" text NOT NULL,
	"cursor" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "sync_cursors_connector_id_object_type_pk" PRIMARY KEY("connector_id","object_type")
);
--> statement-breakpoint
CREATE TABLE "sync_runs" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"connector_id" uuid,
	"kind" text NOT NULL,
	"trigger" text NOT NULL,
	"status" "sync_run_status" DEFAULT 'running' NOT NULL,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone,
	"cursor_before" text,
	"cursor_after" text,
	"fetched" integer DEFAULT 0 NOT NULL,
	"created" integer DEFAULT 0 NOT NULL,
	"updated" integer DEFAULT 0 NOT NULL,
	"unchanged" integer DEFAULT 0 NOT NULL,
	"posted" integer DEFAULT 0 NOT NULL,
	"failed" integer DEFAULT 0 NOT NULL,
	"duplicates_skipped" integer DEFAULT 0 NOT NULL,
	"error" text,
	"correlation_id" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_inbox" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "webhook_inbox_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"source_system" "source_system" NOT NULL,
	"delivery_id" text NOT NULL,
	"event_type" text NOT NULL,
	"signature_valid" boolean NOT NULL,
	"headers" jsonb NOT NULL,
	"body" text NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"processed_at" timestamp with time zone,
	"status" text DEFAULT 'received' NOT NULL,
	"error" text
);
--> statement-breakpoint
CREATE TABLE "id_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_system" "source_system" NOT NULL,
	"kind" text NOT NULL,
	"external_id" text NOT NULL,
	"target_id" uuid NOT NULL,
	"target_erp_id" text NOT NULL,
	"valid_from" date,
	"valid_to" date,
	"active" boolean DEFAULT true NOT NULL,
	"reason" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "value_mappings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_system" "source_system" NOT NULL,
	"kind" text NOT NULL,
	"source_value" text NOT NULL,
	"target_value" text NOT NULL,
	"valid_from" date,
	"valid_to" date,
	"active" boolean DEFAULT true NOT NULL,
	"reason" text,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "expense_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_system" "source_system" NOT NULL,
	"source_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"state" "entry_state" NOT NULL,
	"content_hash" text NOT NULL,
	"source_user_id" text NOT NULL,
	"source_project_id" text NOT NULL,
	"category" text NOT NULL,
	"spent_on" date NOT NULL,
	"amount" numeric(14, 2) NOT NULL,
	"currency" char(3) NOT NULL,
	"billable" boolean NOT NULL,
	"notes" text,
	"submitted_at" timestamp with time zone,
	"approved_at" timestamp with time zone,
	"rejected_at" timestamp with time zone,
	"posted_at" timestamp with time zone,
	"billed_at" timestamp with time zone,
	"voided_at" timestamp with time zone,
	"employee_id" uuid,
	"project_id" uuid,
	"legal_entity_id" uuid,
	"erp_id" text,
	"posted_version" integer,
	"invoice_id" uuid,
	"raw_record_id" bigint,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "time_entries" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"source_system" "source_system" NOT NULL,
	"source_id" text NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"state" "entry_state" NOT NULL,
	"content_hash" text NOT NULL,
	"source_user_id" text NOT NULL,
	"source_project_id" text NOT NULL,
	"source_task_id" text NOT NULL,
	"work_date" date NOT NULL,
	"hours" numeric(8, 2) NOT NULL,
	"billable" boolean NOT NULL,
	"notes" text,
	"source_bill_rate" numeric(12, 2),
	"source_currency" char(3),
	"submitted_at" timestamp with time zone,
	"approved_at" timestamp with time zone,
	"approved_by" text,
	"rejected_at" timestamp with time zone,
	"posted_at" timestamp with time zone,
	"billed_at" timestamp with time zone,
	"voided_at" timestamp with time zone,
	"employee_id" uuid,
	"project_id" uuid,
	"labor_category_id" uuid,
	"legal_entity_id" uuid,
	"currency" char(3),
	"bill_rate" numeric(12, 2),
	"cost_rate" numeric(12, 2),
	"bill_amount" numeric(14, 2),
	"cost_amount" numeric(14, 2),
	"erp_id" text,
	"posted_version" integer,
	"invoice_id" uuid,
	"raw_record_id" bigint,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "erp_postings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"time_entry_id" uuid,
	"expense_entry_id" uuid,
	"kind" "posting_kind" NOT NULL,
	"entry_version" integer NOT NULL,
	"idempotency_key" text NOT NULL,
	"status" "posting_status" DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_error" text,
	"request" jsonb NOT NULL,
	"response" jsonb,
	"erp_id" text,
	"legal_entity_id" uuid,
	"hours" numeric(8, 2),
	"amount" numeric(14, 2),
	"currency" char(3),
	"correlation_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	"accepted_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "erp_postings_idempotency_key_unique" UNIQUE("idempotency_key")
);
--> statement-breakpoint
CREATE TABLE "invoice_lines" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"invoice_id" uuid NOT NULL,
	"erp_line_id" text,
	"time_entry_id" uuid,
	"expense_entry_id" uuid,
	"description" text,
	"hours" numeric(8, 2),
	"amount" numeric(14, 2) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "invoices" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"erp_id" text NOT NULL,
	"number" text NOT NULL,
	"customer_id" uuid,
	"legal_entity_id" uuid NOT NULL,
	"project_id" uuid,
	"invoice_date" date NOT NULL,
	"currency" char(3) NOT NULL,
	"total" numeric(14, 2) NOT NULL,
	"status" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "invoices_erp_id_unique" UNIQUE("erp_id")
);
--> statement-breakpoint
CREATE TABLE "exception_entries" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "exception_entries_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"exception_id" uuid NOT NULL,
	"time_entry_id" uuid,
	"expense_entry_id" uuid,
	"raw_record_id" bigint,
	"work_date" date,
	"hours" numeric(8, 2) DEFAULT '0' NOT NULL,
	"value" numeric(14, 2),
	"currency" char(3),
	"value_reporting" numeric(14, 2),
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exception_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "exception_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"exception_id" uuid NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor_label" text NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exceptions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"code" text NOT NULL,
	"owner" "owner_team" NOT NULL,
	"severity" "severity" NOT NULL,
	"status" "exception_status" DEFAULT 'open' NOT NULL,
	"subject_type" text NOT NULL,
	"subject_key" text NOT NULL,
	"subject_label" text NOT NULL,
	"message" text NOT NULL,
	"suggested_fix" text NOT NULL,
	"source_system" "source_system",
	"legal_entity_id" uuid,
	"region" text,
	"business_unit" text,
	"project_id" uuid,
	"employee_id" uuid,
	"entries_count" integer DEFAULT 0 NOT NULL,
	"hours_at_stake" numeric(12, 2) DEFAULT '0' NOT NULL,
	"value_at_stake" numeric(14, 2),
	"currency" char(3),
	"value_reporting" numeric(14, 2),
	"oldest_work_date" date,
	"first_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"last_seen_at" timestamp with time zone DEFAULT now() NOT NULL,
	"occurrences" integer DEFAULT 1 NOT NULL,
	"resolved_at" timestamp with time zone,
	"resolution" text,
	"resolution_note" text,
	"resolved_by" text,
	"assignee_id" uuid,
	"ignored_until" timestamp with time zone,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "accounting_periods" ADD CONSTRAINT "accounting_periods_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bill_rates" ADD CONSTRAINT "bill_rates_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bill_rates" ADD CONSTRAINT "bill_rates_labor_category_id_labor_categories_id_fk" FOREIGN KEY ("labor_category_id") REFERENCES "public"."labor_categories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "cost_rates" ADD CONSTRAINT "cost_rates_employee_id_employees_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."employees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "customers" ADD CONSTRAINT "customers_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "employees" ADD CONSTRAINT "employees_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "milestones" ADD CONSTRAINT "milestones_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "projects" ADD CONSTRAINT "projects_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "raw_records" ADD CONSTRAINT "raw_records_sync_run_id_sync_runs_id_fk" FOREIGN KEY ("sync_run_id") REFERENCES "public"."sync_runs"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_cursors" ADD CONSTRAINT "sync_cursors_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sync_runs" ADD CONSTRAINT "sync_runs_connector_id_connectors_id_fk" FOREIGN KEY ("connector_id") REFERENCES "public"."connectors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expense_entries" ADD CONSTRAINT "expense_entries_employee_id_employees_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."employees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expense_entries" ADD CONSTRAINT "expense_entries_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expense_entries" ADD CONSTRAINT "expense_entries_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expense_entries" ADD CONSTRAINT "expense_entries_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "expense_entries" ADD CONSTRAINT "expense_entries_raw_record_id_raw_records_id_fk" FOREIGN KEY ("raw_record_id") REFERENCES "public"."raw_records"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_entries" ADD CONSTRAINT "time_entries_employee_id_employees_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."employees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_entries" ADD CONSTRAINT "time_entries_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_entries" ADD CONSTRAINT "time_entries_labor_category_id_labor_categories_id_fk" FOREIGN KEY ("labor_category_id") REFERENCES "public"."labor_categories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_entries" ADD CONSTRAINT "time_entries_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_entries" ADD CONSTRAINT "time_entries_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "time_entries" ADD CONSTRAINT "time_entries_raw_record_id_raw_records_id_fk" FOREIGN KEY ("raw_record_id") REFERENCES "public"."raw_records"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_postings" ADD CONSTRAINT "erp_postings_time_entry_id_time_entries_id_fk" FOREIGN KEY ("time_entry_id") REFERENCES "public"."time_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_postings" ADD CONSTRAINT "erp_postings_expense_entry_id_expense_entries_id_fk" FOREIGN KEY ("expense_entry_id") REFERENCES "public"."expense_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "erp_postings" ADD CONSTRAINT "erp_postings_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_invoice_id_invoices_id_fk" FOREIGN KEY ("invoice_id") REFERENCES "public"."invoices"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_time_entry_id_time_entries_id_fk" FOREIGN KEY ("time_entry_id") REFERENCES "public"."time_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoice_lines" ADD CONSTRAINT "invoice_lines_expense_entry_id_expense_entries_id_fk" FOREIGN KEY ("expense_entry_id") REFERENCES "public"."expense_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "invoices" ADD CONSTRAINT "invoices_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exception_entries" ADD CONSTRAINT "exception_entries_exception_id_exceptions_id_fk" FOREIGN KEY ("exception_id") REFERENCES "public"."exceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exception_entries" ADD CONSTRAINT "exception_entries_time_entry_id_time_entries_id_fk" FOREIGN KEY ("time_entry_id") REFERENCES "public"."time_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exception_entries" ADD CONSTRAINT "exception_entries_expense_entry_id_expense_entries_id_fk" FOREIGN KEY ("expense_entry_id") REFERENCES "public"."expense_entries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exception_entries" ADD CONSTRAINT "exception_entries_raw_record_id_raw_records_id_fk" FOREIGN KEY ("raw_record_id") REFERENCES "public"."raw_records"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exception_events" ADD CONSTRAINT "exception_events_exception_id_exceptions_id_fk" FOREIGN KEY ("exception_id") REFERENCES "public"."exceptions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_legal_entity_id_legal_entities_id_fk" FOREIGN KEY ("legal_entity_id") REFERENCES "public"."legal_entities"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_employee_id_employees_id_fk" FOREIGN KEY ("employee_id") REFERENCES "public"."employees"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_assignee_id_users_id_fk" FOREIGN KEY ("assignee_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "accounting_periods_entity_period_uq" ON "accounting_periods" USING btree ("legal_entity_id","period");--> statement-breakpoint
CREATE INDEX "bill_rates_lookup_idx" ON "bill_rates" USING btree ("labor_category_id","project_id","valid_from");--> statement-breakpoint
CREATE INDEX "bill_rates_project_idx" ON "bill_rates" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "cost_rates_lookup_idx" ON "cost_rates" USING btree ("employee_id","valid_from");--> statement-breakpoint
CREATE INDEX "customers_entity_idx" ON "customers" USING btree ("legal_entity_id");--> statement-breakpoint
CREATE INDEX "employees_entity_idx" ON "employees" USING btree ("legal_entity_id");--> statement-breakpoint
CREATE INDEX "employees_email_idx" ON "employees" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "fx_rates_day_pair_uq" ON "fx_rates" USING btree ("from_currency","to_currency","rate_date");--> statement-breakpoint
CREATE INDEX "milestones_project_idx" ON "milestones" USING btree ("project_id","due_on");--> statement-breakpoint
CREATE INDEX "projects_customer_idx" ON "projects" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "projects_entity_idx" ON "projects" USING btree ("legal_entity_id");--> statement-breakpoint
CREATE INDEX "projects_status_idx" ON "projects" USING btree ("status");--> statement-breakpoint
CREATE INDEX "projects_region_bu_idx" ON "projects" USING btree ("region","business_unit");--> statement-breakpoint
CREATE UNIQUE INDEX "raw_records_content_uq" ON "raw_records" USING btree ("source_system","object_type","source_id","content_hash");--> statement-breakpoint
CREATE INDEX "raw_records_object_idx" ON "raw_records" USING btree ("source_system","object_type","source_id","received_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "raw_records_run_idx" ON "raw_records" USING btree ("sync_run_id");--> statement-breakpoint
CREATE UNIQUE INDEX "source_refs_key_uq" ON "source_refs" USING btree ("source_system","kind","external_id");--> statement-breakpoint
CREATE INDEX "sync_runs_connector_idx" ON "sync_runs" USING btree ("connector_id","started_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "sync_runs_running_idx" ON "sync_runs" USING btree ("started_at") WHERE "sync_runs"."status" = 'running';--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_inbox_delivery_uq" ON "webhook_inbox" USING btree ("source_system","delivery_id");--> statement-breakpoint
CREATE INDEX "webhook_inbox_pending_idx" ON "webhook_inbox" USING btree ("received_at") WHERE "webhook_inbox"."processed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "id_mappings_active_uq" ON "id_mappings" USING btree ("source_system","kind","external_id",coalesce("valid_from", '-infinity'::date)) WHERE "id_mappings"."active";--> statement-breakpoint
CREATE INDEX "id_mappings_target_idx" ON "id_mappings" USING btree ("kind","target_id");--> statement-breakpoint
CREATE UNIQUE INDEX "value_mappings_active_uq" ON "value_mappings" USING btree ("source_system","kind","source_value",coalesce("valid_from", '-infinity'::date)) WHERE "value_mappings"."active";--> statement-breakpoint
CREATE UNIQUE INDEX "expense_entries_source_uq" ON "expense_entries" USING btree ("source_system","source_id");--> statement-breakpoint
CREATE INDEX "expense_entries_state_idx" ON "expense_entries" USING btree ("state","spent_on");--> statement-breakpoint
CREATE INDEX "expense_entries_project_idx" ON "expense_entries" USING btree ("project_id","spent_on");--> statement-breakpoint
CREATE INDEX "expense_entries_employee_idx" ON "expense_entries" USING btree ("employee_id","spent_on");--> statement-breakpoint
CREATE INDEX "expense_entries_entity_idx" ON "expense_entries" USING btree ("legal_entity_id","spent_on");--> statement-breakpoint
CREATE INDEX "expense_entries_invoice_idx" ON "expense_entries" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "expense_entries_raw_record_idx" ON "expense_entries" USING btree ("raw_record_id");--> statement-breakpoint
CREATE UNIQUE INDEX "time_entries_source_uq" ON "time_entries" USING btree ("source_system","source_id");--> statement-breakpoint
CREATE INDEX "time_entries_state_idx" ON "time_entries" USING btree ("state","work_date");--> statement-breakpoint
CREATE INDEX "time_entries_approved_idx" ON "time_entries" USING btree ("approved_at") WHERE "time_entries"."state" = 'approved';--> statement-breakpoint
CREATE INDEX "time_entries_project_date_idx" ON "time_entries" USING btree ("project_id","work_date");--> statement-breakpoint
CREATE INDEX "time_entries_employee_date_idx" ON "time_entries" USING btree ("employee_id","work_date");--> statement-breakpoint
CREATE INDEX "time_entries_entity_date_idx" ON "time_entries" USING btree ("legal_entity_id","work_date");--> statement-breakpoint
CREATE INDEX "time_entries_labor_category_idx" ON "time_entries" USING btree ("labor_category_id");--> statement-breakpoint
CREATE INDEX "time_entries_source_project_idx" ON "time_entries" USING btree ("source_system","source_project_id");--> statement-breakpoint
CREATE INDEX "time_entries_source_task_idx" ON "time_entries" USING btree ("source_system","source_task_id");--> statement-breakpoint
CREATE INDEX "time_entries_source_user_date_idx" ON "time_entries" USING btree ("source_system","source_user_id","work_date");--> statement-breakpoint
CREATE INDEX "time_entries_invoice_idx" ON "time_entries" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "time_entries_raw_record_idx" ON "time_entries" USING btree ("raw_record_id");--> statement-breakpoint
CREATE INDEX "erp_postings_due_idx" ON "erp_postings" USING btree ("next_attempt_at") WHERE "erp_postings"."status" in ('pending', 'sent');--> statement-breakpoint
CREATE INDEX "erp_postings_time_entry_idx" ON "erp_postings" USING btree ("time_entry_id");--> statement-breakpoint
CREATE INDEX "erp_postings_expense_entry_idx" ON "erp_postings" USING btree ("expense_entry_id");--> statement-breakpoint
CREATE INDEX "erp_postings_status_idx" ON "erp_postings" USING btree ("status","updated_at");--> statement-breakpoint
CREATE INDEX "erp_postings_entity_idx" ON "erp_postings" USING btree ("legal_entity_id");--> statement-breakpoint
CREATE INDEX "invoice_lines_invoice_idx" ON "invoice_lines" USING btree ("invoice_id");--> statement-breakpoint
CREATE INDEX "invoice_lines_time_entry_idx" ON "invoice_lines" USING btree ("time_entry_id");--> statement-breakpoint
CREATE INDEX "invoice_lines_expense_entry_idx" ON "invoice_lines" USING btree ("expense_entry_id");--> statement-breakpoint
CREATE INDEX "invoices_customer_idx" ON "invoices" USING btree ("customer_id");--> statement-breakpoint
CREATE INDEX "invoices_entity_date_idx" ON "invoices" USING btree ("legal_entity_id","invoice_date");--> statement-breakpoint
CREATE INDEX "invoices_project_idx" ON "invoices" USING btree ("project_id");--> statement-breakpoint
CREATE UNIQUE INDEX "exception_entries_time_uq" ON "exception_entries" USING btree ("exception_id","time_entry_id") WHERE "exception_entries"."time_entry_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "exception_entries_expense_uq" ON "exception_entries" USING btree ("exception_id","expense_entry_id") WHERE "exception_entries"."expense_entry_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "exception_entries_raw_uq" ON "exception_entries" USING btree ("exception_id","raw_record_id") WHERE "exception_entries"."raw_record_id" is not null;--> statement-breakpoint
CREATE INDEX "exception_entries_exception_idx" ON "exception_entries" USING btree ("exception_id");--> statement-breakpoint
CREATE INDEX "exception_entries_time_idx" ON "exception_entries" USING btree ("time_entry_id");--> statement-breakpoint
CREATE INDEX "exception_entries_expense_idx" ON "exception_entries" USING btree ("expense_entry_id");--> statement-breakpoint
CREATE INDEX "exception_entries_raw_idx" ON "exception_entries" USING btree ("raw_record_id");--> statement-breakpoint
CREATE INDEX "exception_events_exception_idx" ON "exception_events" USING btree ("exception_id","at");--> statement-breakpoint
CREATE UNIQUE INDEX "exceptions_code_subject_uq" ON "exceptions" USING btree ("code","subject_key");--> statement-breakpoint
CREATE INDEX "exceptions_queue_idx" ON "exceptions" USING btree ("status","owner","last_seen_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "exceptions_code_status_idx" ON "exceptions" USING btree ("code","status");--> statement-breakpoint
CREATE INDEX "exceptions_entity_idx" ON "exceptions" USING btree ("legal_entity_id","status");--> statement-breakpoint
CREATE INDEX "exceptions_project_idx" ON "exceptions" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "exceptions_employee_idx" ON "exceptions" USING btree ("employee_id");--> statement-breakpoint
CREATE INDEX "exceptions_assignee_idx" ON "exceptions" USING btree ("assignee_id");--> statement-breakpoint
CREATE INDEX "exceptions_open_age_idx" ON "exceptions" USING btree ("first_seen_at") WHERE "exceptions"."status" = 'open';