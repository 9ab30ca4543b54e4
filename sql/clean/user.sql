-- title: Clean the user table
-- about: Reads the landed `<uid>.user` records, cleans them as spec/transform.md says and writes the Delta table `<uid>_user_table`. Unreadable records are kept aside, with the reason, in `<uid>_user_rejects`.
-- widget: landing_root = /mnt/pinpipe | Root of the landing area that holds topics/<topic>/partition=<p>/*.json
-- widget: user_topic = 0affe4008223.user | Kafka topic whose landed records are read
-- widget: user_table = `0affe4008223_user_table` | Delta table written (quoted, optionally catalog.schema-qualified)
-- widget: user_rejects_table = `0affe4008223_user_rejects` | Delta table that keeps unreadable records and the reason

-- step: Bind the landed records
-- One row per landed line: the raw JSON text and the file it came from. How the files are reached
-- depends on the target (read_files on Databricks, the lake folder on local Spark); nothing else does.
-- source: user_landed topic=user_topic

-- step: Parse with an explicit schema
-- Every field is read as text (never inferred); a line that is not a JSON object keeps its raw text in
-- `_corrupt_record`. Single quotes and NaN are refused so that only standard JSON is accepted.
CREATE OR REPLACE TEMPORARY VIEW user_parsed AS
SELECT
  source_file,
  value,
  from_json(
    value,
    'ind STRING, first_name STRING, last_name STRING, age STRING, date_joined STRING, _corrupt_record STRING',
    map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '_corrupt_record', 'allowSingleQuotes', 'false', 'allowNonNumericNumbers', 'false')
  ) AS r
FROM user_landed
WHERE trim(value) <> ''

-- step: Check the key
-- A record is readable when it is a JSON object whose `ind` is an integer (a JSON integer, or text of
-- digits, optionally with a zero fraction such as `12.0`). Anything else gets a reason and is set aside.
CREATE OR REPLACE TEMPORARY VIEW user_checked AS
SELECT
  source_file,
  value,
  r,
  try_cast(regexp_extract(r.ind, '^(-?[0-9]+)([.]0+)?$', 1) AS INT) AS ind,
  CASE
    WHEN r IS NULL OR r._corrupt_record IS NOT NULL THEN 'not a JSON object'
    WHEN r.ind IS NULL THEN 'ind missing'
    WHEN try_cast(regexp_extract(r.ind, '^(-?[0-9]+)([.]0+)?$', 1) AS INT) IS NULL THEN 'ind not an integer'
  END AS reject_reason
FROM user_parsed

-- step: Clean the columns
-- user_name joins first and last name with a space (one part alone when the other is missing, NULL when
-- both are). age is an integer or NULL; date_joined is parsed like geo's timestamp.
CREATE OR REPLACE TEMPORARY VIEW user_cleaned AS
SELECT
  ind,
  CASE
    WHEN nullif(r.first_name, '') IS NULL AND nullif(r.last_name, '') IS NULL THEN NULL
    ELSE concat_ws(' ', nullif(r.first_name, ''), nullif(r.last_name, ''))
  END AS user_name,
  try_cast(regexp_extract(r.age, '^(-?[0-9]+)([.]0+)?$', 1) AS INT) AS age,
  coalesce(
    try_to_timestamp(r.date_joined, 'yyyy-MM-dd HH:mm:ss'),
    try_to_timestamp(r.date_joined, 'yyyy-MM-dd\'T\'HH:mm:ss')
  ) AS date_joined
FROM user_checked
WHERE reject_reason IS NULL

-- step: Keep one row per key
-- The same post may land many times. One row per `ind` is kept, chosen by its content (the smallest
-- row, NULLs last), so the table is the same whatever the order or number of copies.
CREATE OR REPLACE TEMPORARY VIEW user_deduplicated AS
SELECT ind, user_name, age, date_joined
FROM (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY ind
      ORDER BY user_name ASC NULLS LAST, age ASC NULLS LAST, date_joined ASC NULLS LAST
    ) AS copy_rank
  FROM user_cleaned
)
WHERE copy_rank = 1

-- step: Write the Delta table
CREATE OR REPLACE TABLE IDENTIFIER(:user_table) USING DELTA AS
SELECT * FROM user_deduplicated

-- step: Keep the unreadable records aside
CREATE OR REPLACE TABLE IDENTIFIER(:user_rejects_table) USING DELTA AS
SELECT source_file, value AS record, reject_reason AS reason
FROM user_checked
WHERE reject_reason IS NOT NULL

-- step: Report
-- Rows in (non-blank landed lines), rows out, duplicates dropped and records set aside. Counted from the
-- landed text and the two tables just written, so the records are not parsed a third time.
SELECT
  'user' AS table_name,
  landed.rows_in,
  written.rows_out,
  landed.rows_in - written.rows_out - aside.rejected AS duplicates_dropped,
  aside.rejected
FROM (SELECT count(*) AS rows_in FROM user_landed WHERE trim(value) <> '') AS landed
CROSS JOIN (SELECT count(*) AS rows_out FROM IDENTIFIER(:user_table)) AS written
CROSS JOIN (SELECT count(*) AS rejected FROM IDENTIFIER(:user_rejects_table)) AS aside
