-- step: Cluster, compact and clean up the {{t}} tables
-- OPTIMIZE and VACUUM take a table's name only as written in the statement, so each statement is built
-- from its parameter, which must be a table name (checked; anything else is refused), and run with
-- EXECUTE IMMEDIATE. The table is clustered on `ind` (liquid clustering: tables created before clustering
-- get it here; setting it again changes nothing) and the bronze table on `load_id`, which each run reads
-- by; OPTIMIZE then compacts the small files the daily merges and appends leave, clustering incrementally
-- (files already clustered are not rewritten), and VACUUM deletes the files no version of the retention
-- period (7 days by default) still uses. Time travel reaches back as far as the retention.
DECLARE OR REPLACE VARIABLE {{t}}_maintain_sql STRING;
SET VAR {{t}}_maintain_sql = 'ALTER TABLE ' ||
  -- include: common/identifier.sql text=:{{t}}_table
  || ' CLUSTER BY (ind)';
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'ALTER TABLE ' ||
  -- include: common/identifier.sql text=:{{t}}_bronze_table
  || ' CLUSTER BY (load_id)';
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'OPTIMIZE ' ||
  -- include: common/identifier.sql text=:{{t}}_table
  ;
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'OPTIMIZE ' ||
  -- include: common/identifier.sql text=:{{t}}_rejects_table
  ;
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'OPTIMIZE ' ||
  -- include: common/identifier.sql text=:{{t}}_bronze_table
  ;
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'VACUUM ' ||
  -- include: common/identifier.sql text=:{{t}}_table
  ;
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'VACUUM ' ||
  -- include: common/identifier.sql text=:{{t}}_rejects_table
  ;
EXECUTE IMMEDIATE {{t}}_maintain_sql;
SET VAR {{t}}_maintain_sql = 'VACUUM ' ||
  -- include: common/identifier.sql text=:{{t}}_bronze_table
  ;
EXECUTE IMMEDIATE {{t}}_maintain_sql
