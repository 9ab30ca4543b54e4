-- Only the winners to insert or update reach the merge; the table's row still wins a tie when it changed
-- meanwhile (WHEN MATCHED compares again). The table therefore holds the same row per key whatever the
-- order, the number of copies or the number of times rows are merged: incremental runs, a full refresh and
-- a stream over the same records give identical tables.
ON target.ind = winner.ind{{on}}
WHEN MATCHED AND {{winner_key}} < {{target_key}} THEN UPDATE SET *
WHEN NOT MATCHED THEN INSERT *
