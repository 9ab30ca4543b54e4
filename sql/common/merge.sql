-- step: Create the Delta table when it does not exist
-- The table has the columns and types of the cleaning's result (the batch job's CREATE OR REPLACE gives
-- the same), so a stream may start before or after a batch run.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_table) USING DELTA AS
SELECT * FROM {{t}}_deduplicated WHERE false

-- step: Merge the new rows into the Delta table
-- For each key, the new copies compete with the row the table holds under the same rule as the batch job's
-- (the smallest row, NULLs last); the table's row wins a tie, so nothing changes. The table therefore holds
-- the same row per key whatever the order, the number of copies or the number of times a batch is
-- applied: a stream and a batch run over the same records give identical tables, and a micro-batch
-- replayed after a restart changes nothing.
MERGE INTO IDENTIFIER(:{{t}}_table) AS target
USING (
  SELECT {{columns}}
  FROM (
    SELECT
      *,
      row_number() OVER (
        PARTITION BY ind
        ORDER BY {{order}}, from_table DESC
      ) AS copy_rank
    FROM (
      SELECT {{columns}}, false AS from_table FROM {{t}}_deduplicated
      UNION ALL
      SELECT {{columns}}, true AS from_table
      FROM IDENTIFIER(:{{t}}_table)
      WHERE ind IN (SELECT ind FROM {{t}}_deduplicated)
    )
  )
  WHERE copy_rank = 1 AND NOT from_table
) AS winner
ON target.ind = winner.ind
WHEN MATCHED THEN UPDATE SET *
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
