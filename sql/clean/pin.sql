-- title: Clean the pin table
-- about: Reads the landed `<uid>.pin` records, cleans the ones not cleaned before as spec/transform.md says and merges them into the Delta table `<uid>_pin_table`. Unreadable records are kept aside, with the reason, in `<uid>_pin_rejects`.
-- widget: landing_root = s3://user-0affe4008223-bucket | Root of the landing area that holds topics/<topic>/partition=<p>/*.json
-- widget: pin_topic = 0affe4008223.pin | Kafka topic whose landed records are read
-- widget: pin_table = `0affe4008223_pin_table` | Delta table written (quoted, optionally catalog.schema-qualified)
-- widget: pin_rejects_table = `0affe4008223_pin_rejects` | Delta table that keeps unreadable records and the reason
-- widget: pin_bronze_table = `0affe4008223_pin_bronze` | Delta table of the landed lines as loaded, one load a run (what was loaded is never loaded again)
-- widget: pin_changes_table = `0affe4008223_pin_changes` | Delta table of the last run's changes: the new rows' winners and what the merge did with each (insert, update, keep)
-- widget: pin_reports_table = `0affe4008223_pin_reports` | Delta table where each run's report is recorded, by run id, with the load it cleaned (what the next run starts after)
-- widget: full_refresh = false | true: load every landed file again and rebuild the tables; false: clean only the files not cleaned before
-- widget: run_id = manual | The job run the report belongs to ({{job.run_id}} in a job; `manual` when run by hand)

-- include: common/session.sql

-- include: common/bind.sql t=pin

-- include: common/parse.sql t=pin fields="index STRING, unique_id STRING, title STRING, description STRING, poster_name STRING, follower_count STRING, tag_list STRING, is_image_or_video STRING, image_src STRING, downloaded STRING, save_location STRING, category STRING"

-- include: common/key_check.sql t=pin key=index

-- step: Clean the columns
-- Empty text and the placeholders become NULL; `multi-video(story page format)` is a real media type and
-- stays. follower_count `998`, `1.2k`, `15M` become 998, 1200, 15000000, rounded half up and exact for
-- any number of fraction digits: the suffix shifts the decimal point in the text (k three digits, M six),
-- the digit after the point decides the rounding, and a count beyond INT is NULL. save_location loses its
-- `Local save in ` prefix. `downloaded` is not kept.
-- Each record keeps its file, its text and its reject reason: the unreadable ones are kept aside, and
-- only the readable ones compete for a key.
CREATE OR REPLACE TEMPORARY VIEW pin_cleaned AS
SELECT
  ind,
  CAST(nullif(r.unique_id, '') AS STRING) AS unique_id,
  CASE WHEN r.title IN ('', 'No Title Data Available') THEN NULL ELSE r.title END AS title,
  CASE
    WHEN r.description IN ('', 'No description available Story format', 'No description available', 'Untitled') THEN NULL
    ELSE r.description
  END AS description,
  -- include: common/follower_count.sql text=r.follower_count
    AS follower_count,
  CASE WHEN r.poster_name IN ('', 'User Info Error') THEN NULL ELSE r.poster_name END AS poster_name,
  CASE WHEN r.tag_list IN ('', 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e') THEN NULL ELSE r.tag_list END AS tag_list,
  nullif(r.is_image_or_video, '') AS is_image_or_video,
  CASE WHEN r.image_src IN ('', 'Image src error.') THEN NULL ELSE r.image_src END AS image_src,
  nullif(CASE WHEN startswith(r.save_location, 'Local save in ') THEN substr(r.save_location, 15) ELSE r.save_location END, '')
    AS save_location,
  nullif(r.category, '') AS category,
  source_file,
  value,
  reject_reason
FROM pin_checked

-- include: common/dedupe.sql t=pin columns="ind, unique_id, title, description, follower_count, poster_name, tag_list, is_image_or_video, image_src, save_location, category" order="unique_id ASC NULLS LAST, title ASC NULLS LAST, description ASC NULLS LAST, follower_count ASC NULLS LAST, poster_name ASC NULLS LAST, tag_list ASC NULLS LAST, is_image_or_video ASC NULLS LAST, image_src ASC NULLS LAST, save_location ASC NULLS LAST, category ASC NULLS LAST"

-- include: common/write.sql t=pin
