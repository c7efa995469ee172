-- Raw records are the lineage's first link: what was received stays as received.
CREATE FUNCTION raw_records_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'raw_records is immutable: % is not allowed', TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
--> statement-breakpoint
CREATE TRIGGER raw_records_no_update_delete
  BEFORE UPDATE OR DELETE ON "raw_records"
  FOR EACH ROW EXECUTE FUNCTION raw_records_refuse_change();
--> statement-breakpoint
CREATE TRIGGER raw_records_no_truncate
  BEFORE TRUNCATE ON "raw_records"
  FOR EACH STATEMENT EXECUTE FUNCTION raw_records_refuse_change();
