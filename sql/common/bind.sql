-- step: Choose this run's load
-- Each run loads the landed files not loaded before into the bronze table `{{t}}_bronze_table` (one row a
-- landed line: the raw text, its file and the run's load number), then cleans only the rows of loads
-- newer than the last load a run reported. The reports table is the record of what was cleaned: a run
-- that fails before its report leaves its load to the next run, whose merge gives the same table. On a
-- full refresh (full_refresh = true) the bronze table is dropped, so every landed file is loaded again,
-- and the table and the rejects are replaced further down. Any other value than true or false is refused.
-- The bronze table keeps file statistics of `load_id` only, which each run reads by (not of the text).
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_reports_table) (
  run_id STRING,
  table_name STRING,
  full_refresh BOOLEAN,
  load_id BIGINT,
  files_in BIGINT,
  rows_in BIGINT,
  inserted BIGINT,
  updated BIGINT,
  unchanged BIGINT,
  duplicates_dropped BIGINT,
  rejected BIGINT,
  rows_out BIGINT,
  reported_at TIMESTAMP
) USING DELTA;

DECLARE OR REPLACE VARIABLE {{t}}_load_from BIGINT;
SET VAR {{t}}_load_from = (SELECT coalesce(max(load_id), 0) FROM IDENTIFIER(:{{t}}_reports_table));
DECLARE OR REPLACE VARIABLE {{t}}_load_id BIGINT;
SET VAR {{t}}_load_id = {{t}}_load_from + 1;
DECLARE OR REPLACE VARIABLE {{t}}_bronze STRING;
SET VAR {{t}}_bronze = :{{t}}_bronze_table;

DECLARE OR REPLACE VARIABLE {{t}}_refresh_sql STRING;
SET VAR {{t}}_refresh_sql = CASE :full_refresh
  WHEN 'true' THEN 'DROP TABLE IF EXISTS IDENTIFIER(:bronze)'
  WHEN 'false' THEN 'SELECT :bronze'
  ELSE raise_error('the parameter full_refresh is "' || :full_refresh || '"; it must be true or false')
END;
EXECUTE IMMEDIATE {{t}}_refresh_sql USING {{t}}_bronze AS bronze;

CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_bronze_table) (
  value STRING,
  source_file STRING,
  load_id BIGINT
) USING DELTA CLUSTER BY (load_id) TBLPROPERTIES ('delta.dataSkippingStatsColumns' = 'load_id')

-- step: Load the new landed files and bind the records not cleaned yet
-- Each landed file is loaded once, atomically, by the target's own mechanism: COPY INTO on Databricks,
-- which records the files it loaded in the bronze table's log; locally an INSERT of the files the bronze
-- table does not hold yet. Then `{{t}}_landed` is bound to the rows of the loads not cleaned yet: one row a
-- landed line, the raw JSON text and the file it came from. Nothing else depends on the target.
-- source: {{t}}_landed topic={{t}}_topic bronze={{t}}_bronze load={{t}}_load_id after={{t}}_load_from
