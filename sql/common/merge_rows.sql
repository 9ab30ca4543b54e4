-- step: Merge the new rows into the Delta table
-- For each key, the new rows' winner (the smallest of its copies, by the dedupe) competes with the row the
-- table holds under the same rule: the smallest row, NULLs last, compared column by column in the dedupe's
-- order (the structs below are that order, each column preceded by its IS NULL so that NULLs sort last).
-- Only new keys and rows smaller than the table's reach the merge, so a copy the table already has, or
-- rows merged again after a failed run, touch no file; the table's row wins a tie. The table therefore
-- holds the same row per key whatever the order, the number of copies or the number of times rows are
-- merged: incremental runs, a full refresh and a stream over the same records give identical tables.
MERGE INTO IDENTIFIER(:{{t}}_table) AS target
USING (
  SELECT winner.*
  FROM {{t}}_deduplicated AS winner
  LEFT JOIN IDENTIFIER(:{{t}}_table) AS held ON held.ind = winner.ind
  WHERE {{only}}(held.ind IS NULL OR {{winner_key}} < {{held_key}})
) AS winner
ON target.ind = winner.ind
WHEN MATCHED AND {{winner_key}} < {{target_key}} THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
