-- step: Write the Delta table
CREATE OR REPLACE TABLE IDENTIFIER(:{{t}}_table) USING DELTA AS
SELECT * FROM {{t}}_deduplicated

-- step: Keep the unreadable records aside
CREATE OR REPLACE TABLE IDENTIFIER(:{{t}}_rejects_table) USING DELTA AS
SELECT source_file, value AS record, reject_reason AS reason
FROM {{t}}_checked
WHERE reject_reason IS NOT NULL

-- step: Report
-- Rows in (non-blank landed lines), rows out, duplicates dropped and records set aside. Counted from the
-- landed text and the two tables just written, so the records are not parsed a third time.
SELECT
  '{{t}}' AS table_name,
  landed.rows_in,
  written.rows_out,
  landed.rows_in - written.rows_out - aside.rejected AS duplicates_dropped,
  aside.rejected
FROM (SELECT count(*) AS rows_in FROM {{t}}_landed WHERE trim(value) <> '') AS landed
CROSS JOIN (SELECT count(*) AS rows_out FROM IDENTIFIER(:{{t}}_table)) AS written
CROSS JOIN (SELECT count(*) AS rejected FROM IDENTIFIER(:{{t}}_rejects_table)) AS aside
