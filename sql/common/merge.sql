-- step: Create the Delta table when it does not exist
-- The table has the columns and types of the cleaning's result (the batch job's CREATE OR REPLACE gives
-- the same), so a stream may start before or after a batch run.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_table) USING DELTA AS
SELECT * FROM {{t}}_deduplicated WHERE false

-- step: Merge the new rows into the Delta table
-- For each key, the batch's row (the smallest of its copies, by the dedupe) competes with the row the table
-- holds under the same rule as the batch job's: the smallest row, NULLs last, compared column by column in
-- the dedupe's order (the structs below are that order, each column preceded by its IS NULL so that NULLs
-- sort last). Only new keys and rows smaller than the table's reach the merge, so a copy the table already
-- has, or a whole micro-batch replayed after a restart, touches no file; the table's row wins a tie. The
-- table therefore holds the same row per key whatever the order, the number of copies or the number of
-- times a batch is applied: a stream and a batch run over the same records give identical tables.
MERGE INTO IDENTIFIER(:{{t}}_table) AS target
USING (
  SELECT winner.*
  FROM {{t}}_deduplicated AS winner
  LEFT JOIN IDENTIFIER(:{{t}}_table) AS held ON held.ind = winner.ind
  WHERE held.ind IS NULL OR {{winner_key}} < {{held_key}}
) AS winner
ON target.ind = winner.ind
WHEN MATCHED AND {{winner_key}} < {{target_key}} THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *

-- step: Create the rejects table when it does not exist
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_rejects_table) (
  source_file STRING,
  record STRING,
  reason STRING
) USING DELTA

-- step: The unreadable records of the batch
-- Appended to the rejects table by the caller, once per batch (Delta's txnAppId and txnVersion).
SELECT source_file, value AS record, reject_reason AS reason
FROM {{t}}_checked
WHERE reject_reason IS NOT NULL
