-- step: Write the Delta table
CREATE OR REPLACE TABLE IDENTIFIER(:{{t}}_table) USING DELTA AS
SELECT * FROM {{t}}_deduplicated

-- step: Keep the unreadable records aside
CREATE OR REPLACE TABLE IDENTIFIER(:{{t}}_rejects_table) USING DELTA AS
SELECT source_file, value AS record, reject_reason AS reason
FROM {{t}}_checked
WHERE reject_reason IS NOT NULL

-- step: Report
-- Rows in (non-blank landed lines), rows out, duplicates dropped and records set aside, counted from the
-- landed text and the two tables just written (the records are not parsed a third time). The report is
-- recorded in its Delta table under the job run's id, where run-job reads it on either target: a SQL
-- notebook has no exit value on Databricks. A task that runs again replaces its run's row (MERGE), and the
-- cell shows the row it recorded.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_reports_table) (
  run_id STRING,
  table_name STRING,
  rows_in BIGINT,
  rows_out BIGINT,
  duplicates_dropped BIGINT,
  rejected BIGINT,
  reported_at TIMESTAMP
) USING DELTA;

MERGE INTO IDENTIFIER(:{{t}}_reports_table) AS recorded
USING (
  SELECT
    :run_id AS run_id,
    '{{t}}' AS table_name,
    landed.rows_in,
    written.rows_out,
    landed.rows_in - written.rows_out - aside.rejected AS duplicates_dropped,
    aside.rejected,
    current_timestamp() AS reported_at
  FROM (SELECT count(*) AS rows_in FROM {{t}}_landed WHERE trim(value) <> '') AS landed
  CROSS JOIN (SELECT count(*) AS rows_out FROM IDENTIFIER(:{{t}}_table)) AS written
  CROSS JOIN (SELECT count(*) AS rejected FROM IDENTIFIER(:{{t}}_rejects_table)) AS aside
) AS report
ON recorded.run_id = report.run_id
WHEN MATCHED THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *;

SELECT table_name, rows_in, rows_out, duplicates_dropped, rejected
FROM IDENTIFIER(:{{t}}_reports_table)
WHERE run_id = :run_id
