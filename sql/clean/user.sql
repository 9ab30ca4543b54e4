-- title: Clean the user table
-- about: Reads the landed `<uid>.user` records, cleans the ones not cleaned before as spec/transform.md says and merges them into the Delta table `<uid>_user_table`. Unreadable records are kept aside, with the reason, in `<uid>_user_rejects`.
-- widget: landing_root = s3://user-0affe4008223-bucket | Root of the landing area that holds topics/<topic>/partition=<p>/*.json
-- widget: user_topic = 0affe4008223.user | Kafka topic whose landed records are read
-- widget: user_table = `0affe4008223_user_table` | Delta table written (quoted, optionally catalog.schema-qualified)
-- widget: user_rejects_table = `0affe4008223_user_rejects` | Delta table that keeps unreadable records and the reason
-- widget: user_bronze_table = `0affe4008223_user_bronze` | Delta table of the landed lines as loaded, one load a run (what was loaded is never loaded again)
-- widget: user_changes_table = `0affe4008223_user_changes` | Delta table of the last run's changes: the new rows' winners and what the merge did with each (insert, update, keep)
-- widget: user_reports_table = `0affe4008223_user_reports` | Delta table where each run's report is recorded, by run id, with the load it cleaned (what the next run starts after)
-- widget: full_refresh = false | true: load every landed file again and rebuild the tables; false: clean only the files not cleaned before
-- widget: run_id = manual | The job run the report belongs to ({{job.run_id}} in a job; `manual` when run by hand)

-- include: common/session.sql

-- include: common/bind.sql t=user

-- include: common/parse.sql t=user fields="ind STRING, first_name STRING, last_name STRING, age STRING, date_joined STRING"

-- include: common/key_check.sql t=user key=ind

-- step: Clean the columns
-- user_name joins first and last name with a space (one part alone when the other is missing, NULL when
-- both are). age is an integer or NULL; date_joined is parsed like geo's timestamp (format checked first).
-- Each record keeps its file, its text and its reject reason: the unreadable ones are kept aside, and
-- only the readable ones compete for a key.
CREATE OR REPLACE TEMPORARY VIEW user_cleaned AS
SELECT
  ind,
  CASE
    WHEN nullif(r.first_name, '') IS NULL AND nullif(r.last_name, '') IS NULL THEN NULL
    ELSE concat_ws(' ', nullif(r.first_name, ''), nullif(r.last_name, ''))
  END AS user_name,
  -- include: common/integer.sql text=r.age
    AS age,
  -- include: common/timestamp.sql text=r.date_joined
    AS date_joined,
  source_file,
  value,
  reject_reason
FROM user_checked

-- include: common/dedupe.sql t=user columns="ind, user_name, age, date_joined" order="user_name ASC NULLS LAST, age ASC NULLS LAST, date_joined ASC NULLS LAST"

-- include: common/write.sql t=user
