-- include: common/table.sql t={{t}}

-- step: Stage the new lines
-- Every new non-blank line, parsed, checked and cleaned once, is written to the Delta table
-- `{{t}}_changes_table` (replaced at each run): its cleaned columns and file, or, when it is unreadable, the
-- reason and its text. The counts, the rejects, a full refresh and the winners read it there: no line is
-- parsed twice, and Spark knows the new rows' size. Statistics of `ind` only, as for the table. One read of
-- it then counts the new lines and the rejects and bounds the keys of the new readable lines: their smallest
-- and largest key (none on a full refresh). The comparison and the merge read only the table's files whose
-- keys fall in that range (Delta skips the others by their statistics): new posts, whose keys are higher than
-- the table's, read none of it.
CREATE OR REPLACE TABLE IDENTIFIER(:{{t}}_changes_table) USING DELTA TBLPROPERTIES ('delta.dataSkippingStatsColumns' = 'ind') AS
SELECT {{columns}}, source_file, reject_reason, CASE WHEN reject_reason IS NOT NULL THEN value END AS record
FROM {{t}}_cleaned;

DECLARE OR REPLACE VARIABLE {{t}}_rows_in BIGINT;
DECLARE OR REPLACE VARIABLE {{t}}_rejected BIGINT;
DECLARE OR REPLACE VARIABLE {{t}}_first_ind INT;
DECLARE OR REPLACE VARIABLE {{t}}_last_ind INT;
SET VAR ({{t}}_rows_in, {{t}}_rejected, {{t}}_first_ind, {{t}}_last_ind) = (
  SELECT count(*), count_if(reject_reason IS NOT NULL),
    min(ind) FILTER (WHERE reject_reason IS NULL AND :full_refresh = 'false'),
    max(ind) FILTER (WHERE reject_reason IS NULL AND :full_refresh = 'false')
  FROM IDENTIFIER(:{{t}}_changes_table)
)

-- step: Keep the unreadable records aside, once per file
-- The unreadable records of the new lines are appended to the rejects table, except those of a file the
-- table already has rejects from (lines loaded again after a failed run). A full refresh empties the table
-- first.
DECLARE OR REPLACE VARIABLE {{t}}_rejects STRING;
SET VAR {{t}}_rejects = :{{t}}_rejects_table;
DECLARE OR REPLACE VARIABLE {{t}}_rejects_sql STRING;
SET VAR {{t}}_rejects_sql = CASE :full_refresh
  WHEN 'true' THEN 'CREATE OR REPLACE TABLE IDENTIFIER(:rejects) (source_file STRING, record STRING, reason STRING) USING DELTA'
  ELSE 'SELECT :rejects'
END;
EXECUTE IMMEDIATE {{t}}_rejects_sql USING {{t}}_rejects AS rejects;

INSERT INTO IDENTIFIER(:{{t}}_rejects_table)
SELECT source_file, record, reject_reason AS reason
FROM IDENTIFIER(:{{t}}_changes_table) AS staged
WHERE reject_reason IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM IDENTIFIER(:{{t}}_rejects_table) AS kept WHERE kept.source_file = staged.source_file)

-- step: Replace the table on a full refresh
-- With full_refresh = true the table is replaced, in one write, by the winners of the staged lines (one row
-- a key, by the dedupe; its history is kept: time travel reaches the table as it was). Otherwise nothing
-- happens here.
DECLARE OR REPLACE VARIABLE {{t}}_target STRING;
SET VAR {{t}}_target = :{{t}}_table;
DECLARE OR REPLACE VARIABLE {{t}}_staged STRING;
SET VAR {{t}}_staged = :{{t}}_changes_table;
DECLARE OR REPLACE VARIABLE {{t}}_replace_sql STRING;
SET VAR {{t}}_replace_sql = CASE :full_refresh
  WHEN 'true' THEN 'CREATE OR REPLACE TABLE IDENTIFIER(:target) USING DELTA CLUSTER BY (ind)
    TBLPROPERTIES (\'delta.dataSkippingStatsColumns\' = \'ind\') AS
    -- include: common/winners.sql rows="IDENTIFIER(:staged)" columns="{{columns}}" order="{{order}}"
    '
  ELSE 'SELECT :target, :staged'
END;
EXECUTE IMMEDIATE {{t}}_replace_sql USING {{t}}_target AS target, {{t}}_staged AS staged

-- step: Compare the winners with the table
-- The winners of the staged lines (one row a key, by the dedupe), each with what the merge does with it,
-- replace the staged lines (the table shows what the last run changed); the merge and the report's counts
-- read them there. A full refresh compares nothing.
CREATE OR REPLACE TABLE IDENTIFIER(:{{t}}_changes_table) USING DELTA TBLPROPERTIES ('delta.dataSkippingStatsColumns' = 'ind') AS
WITH winners AS (
  -- include: common/winners.sql rows="IDENTIFIER(:{{t}}_changes_table)" columns="{{columns}}" order="{{order}}"
)
-- include: common/compare.sql t={{t}} winners="(SELECT * FROM winners WHERE :full_refresh = 'false')" held="(SELECT * FROM IDENTIFIER(:{{t}}_table) WHERE ind BETWEEN {{t}}_first_ind AND {{t}}_last_ind)" winner_key="{{winner_key}}" held_key="{{held_key}}"

-- step: Merge the new rows into the Delta table
-- The staged winners to insert or update, matched on the key within the new rows' key range (the files of
-- the table outside it are not read). The source keeps to the range too, so that a row staged by another
-- run meanwhile can never be inserted beside the table's row of its key.
MERGE INTO IDENTIFIER(:{{t}}_table) AS target
USING (
  SELECT {{columns}} FROM IDENTIFIER(:{{t}}_changes_table)
  WHERE merge_action <> 'keep' AND ind BETWEEN {{t}}_first_ind AND {{t}}_last_ind
) AS winner
-- include: common/merge_rows.sql on=" AND target.ind BETWEEN {{t}}_first_ind AND {{t}}_last_ind" winner_key="{{winner_key}}" target_key="{{target_key}}"

-- step: Report
-- What the run did: landed files and non-blank lines new this run, keys inserted, updated and unchanged,
-- lines that changed nothing (copies of a key), records set aside, and the rows the table holds. Recorded
-- in the reports table under the job run's id with the load it cleaned, last: the next run cleans the
-- loads after the highest recorded one. run-job reads the report there on either target (a SQL notebook
-- has no exit value on Databricks). A task that runs again replaces its run's row (MERGE). The report is
-- computed once, into a variable: the row recorded and the row the cell shows are that one value.
DECLARE OR REPLACE VARIABLE {{t}}_report STRUCT<
  table_name: STRING, full_refresh: BOOLEAN, files_in: BIGINT, rows_in: BIGINT, inserted: BIGINT, updated: BIGINT,
  unchanged: BIGINT, duplicates_dropped: BIGINT, rejected: BIGINT, rows_out: BIGINT
>;
SET VAR {{t}}_report = (
  SELECT named_struct(
    'table_name', '{{t}}',
    'full_refresh', :full_refresh = 'true',
    'files_in', landed.files_in,
    'rows_in', {{t}}_rows_in,
    'inserted', CASE WHEN :full_refresh = 'true' THEN written.rows_out ELSE merged.inserted END,
    'updated', merged.updated,
    'unchanged', merged.unchanged,
    'duplicates_dropped',
      {{t}}_rows_in - {{t}}_rejected - CASE WHEN :full_refresh = 'true' THEN written.rows_out ELSE merged.inserted + merged.updated END,
    'rejected', {{t}}_rejected,
    'rows_out', written.rows_out
  )
  FROM (SELECT count(DISTINCT source_file) AS files_in FROM {{t}}_landed) AS landed
  CROSS JOIN (SELECT count(*) AS rows_out FROM IDENTIFIER(:{{t}}_table)) AS written
  CROSS JOIN (
    SELECT count_if(merge_action = 'insert') AS inserted, count_if(merge_action = 'update') AS updated,
      count_if(merge_action = 'keep') AS unchanged
    FROM IDENTIFIER(:{{t}}_changes_table)
  ) AS merged
);

MERGE INTO IDENTIFIER(:{{t}}_reports_table) AS recorded
USING (
  SELECT :run_id AS run_id, {{t}}_load_id AS load_id, report.*, current_timestamp() AS reported_at
  FROM (SELECT {{t}}_report AS report)
) AS report
ON recorded.run_id = report.run_id
WHEN MATCHED THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *;

SELECT report.* FROM (SELECT {{t}}_report AS report)
