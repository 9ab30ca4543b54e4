-- title: Clean the geo table
-- about: Reads the landed `<uid>.geo` records, cleans them as spec/transform.md says and writes the Delta table `<uid>_geo_table`. Unreadable records are kept aside, with the reason, in `<uid>_geo_rejects`.
-- widget: landing_root = /mnt/pinpipe | Root of the landing area that holds topics/<topic>/partition=<p>/*.json
-- widget: geo_topic = 0affe4008223.geo | Kafka topic whose landed records are read
-- widget: geo_table = `0affe4008223_geo_table` | Delta table written (quoted, optionally catalog.schema-qualified)
-- widget: geo_rejects_table = `0affe4008223_geo_rejects` | Delta table that keeps unreadable records and the reason

-- step: Bind the landed records
-- One row per landed line: the raw JSON text and the file it came from. How the files are reached
-- depends on the target (read_files on Databricks, the lake folder on local Spark); nothing else does.
-- source: geo_landed topic=geo_topic

-- step: Parse with an explicit schema
-- Every field is read as text (never inferred); a line that is not a JSON object keeps its raw text in
-- `_corrupt_record`. Single quotes and NaN are refused so that only standard JSON is accepted.
CREATE OR REPLACE TEMPORARY VIEW geo_parsed AS
SELECT
  source_file,
  value,
  from_json(
    value,
    'ind STRING, timestamp STRING, latitude STRING, longitude STRING, country STRING, _corrupt_record STRING',
    map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '_corrupt_record', 'allowSingleQuotes', 'false', 'allowNonNumericNumbers', 'false')
  ) AS r
FROM geo_landed
WHERE trim(value) <> ''

-- step: Check the key
-- A record is readable when it is a JSON object whose `ind` is an integer (a JSON integer, or text of
-- digits, optionally with a zero fraction such as `12.0`). Anything else gets a reason and is set aside.
CREATE OR REPLACE TEMPORARY VIEW geo_checked AS
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
FROM geo_parsed

-- step: Clean the columns
-- coordinates = [latitude, longitude], latitude first. The timestamp arrives as text, either
-- `2020-08-28 03:52:47` or `2020-08-28T03:52:47`, and is read as UTC; anything else becomes NULL.
CREATE OR REPLACE TEMPORARY VIEW geo_cleaned AS
SELECT
  ind,
  nullif(r.country, '') AS country,
  array(try_cast(r.latitude AS DOUBLE), try_cast(r.longitude AS DOUBLE)) AS coordinates,
  coalesce(
    try_to_timestamp(r.timestamp, 'yyyy-MM-dd HH:mm:ss'),
    try_to_timestamp(r.timestamp, 'yyyy-MM-dd\'T\'HH:mm:ss')
  ) AS timestamp
FROM geo_checked
WHERE reject_reason IS NULL

-- step: Keep one row per key
-- The same post may land many times. One row per `ind` is kept, chosen by its content (the smallest
-- row, NULLs last), so the table is the same whatever the order or number of copies.
CREATE OR REPLACE TEMPORARY VIEW geo_deduplicated AS
SELECT ind, country, coordinates, timestamp
FROM (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY ind
      ORDER BY country ASC NULLS LAST, coordinates[0] ASC NULLS LAST, coordinates[1] ASC NULLS LAST,
        timestamp ASC NULLS LAST
    ) AS copy_rank
  FROM geo_cleaned
)
WHERE copy_rank = 1

-- step: Write the Delta table
CREATE OR REPLACE TABLE IDENTIFIER(:geo_table) USING DELTA AS
SELECT * FROM geo_deduplicated

-- step: Keep the unreadable records aside
CREATE OR REPLACE TABLE IDENTIFIER(:geo_rejects_table) USING DELTA AS
SELECT source_file, value AS record, reject_reason AS reason
FROM geo_checked
WHERE reject_reason IS NOT NULL

-- step: Report
-- Rows in (non-blank landed lines), rows out, duplicates dropped and records set aside. Counted from the
-- landed text and the two tables just written, so the records are not parsed a third time.
SELECT
  'geo' AS table_name,
  landed.rows_in,
  written.rows_out,
  landed.rows_in - written.rows_out - aside.rejected AS duplicates_dropped,
  aside.rejected
FROM (SELECT count(*) AS rows_in FROM geo_landed WHERE trim(value) <> '') AS landed
CROSS JOIN (SELECT count(*) AS rows_out FROM IDENTIFIER(:geo_table)) AS written
CROSS JOIN (SELECT count(*) AS rejected FROM IDENTIFIER(:geo_rejects_table)) AS aside
