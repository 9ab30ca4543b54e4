-- title: Clean the geo table
-- about: Reads the landed `<uid>.geo` records, cleans the ones not cleaned before as spec/transform.md says and merges them into the Delta table `<uid>_geo_table`. Unreadable records are kept aside, with the reason, in `<uid>_geo_rejects`.
-- widget: landing_root = s3://user-0affe4008223-bucket | Root of the landing area that holds topics/<topic>/partition=<p>/*.json
-- widget: geo_topic = 0affe4008223.geo | Kafka topic whose landed records are read
-- widget: geo_table = `0affe4008223_geo_table` | Delta table written (quoted, optionally catalog.schema-qualified)
-- widget: geo_rejects_table = `0affe4008223_geo_rejects` | Delta table that keeps unreadable records and the reason
-- widget: geo_bronze_table = `0affe4008223_geo_bronze` | Delta table of the landed lines as loaded, one load a run (what was loaded is never loaded again)
-- widget: geo_changes_table = `0affe4008223_geo_changes` | Delta table of the last run's changes: the new rows' winners and what the merge did with each (insert, update, keep)
-- widget: geo_reports_table = `0affe4008223_geo_reports` | Delta table where each run's report is recorded, by run id, with the load it cleaned (what the next run starts after)
-- widget: full_refresh = false | true: load every landed file again and rebuild the tables; false: clean only the files not cleaned before
-- widget: run_id = manual | The job run the report belongs to ({{job.run_id}} in a job; `manual` when run by hand)

-- include: common/session.sql

-- include: common/bind.sql t=geo

-- include: common/parse.sql t=geo fields="ind STRING, timestamp STRING, latitude STRING, longitude STRING, country STRING"

-- include: common/key_check.sql t=geo key=ind

-- step: Clean the columns
-- coordinates = [latitude, longitude], latitude first, when both are JSON numbers (a JSON number, or text
-- written as one); otherwise NULL: half a position is no position, and `NaN`, `1.5d` or ` 1.5` are not
-- JSON numbers. The timestamp arrives as text, either `2020-08-28 03:52:47` or `2020-08-28T03:52:47`, and
-- is read as UTC; anything else becomes NULL. The text is matched against the format before it is parsed,
-- so malformed text never reaches the parser (Spark 3.5's default parser policy raises on some of it).
-- Each record keeps its file, its text and its reject reason: the unreadable ones are kept aside, and
-- only the readable ones compete for a key.
CREATE OR REPLACE TEMPORARY VIEW geo_cleaned AS
SELECT
  ind,
  nullif(r.country, '') AS country,
  CASE
    WHEN
      -- include: common/json_number.sql text=r.latitude
      AND
      -- include: common/json_number.sql text=r.longitude
      THEN array(try_cast(r.latitude AS DOUBLE), try_cast(r.longitude AS DOUBLE))
  END AS coordinates,
  -- include: common/timestamp.sql text=r.timestamp
    AS timestamp,
  source_file,
  value,
  reject_reason
FROM geo_checked

-- include: common/dedupe.sql t=geo columns="ind, country, coordinates, timestamp" order="country ASC NULLS LAST, coordinates[0] ASC NULLS LAST, coordinates[1] ASC NULLS LAST, timestamp ASC NULLS LAST"

-- include: common/write.sql t=geo
