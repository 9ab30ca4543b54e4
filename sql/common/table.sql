-- step: Create the Delta table when it does not exist
-- The table has the columns and types of the cleaning's result (a full refresh replaces it with the same),
-- clustered on `ind` (liquid clustering, applied by OPTIMIZE), so that the batch job and the stream may
-- each start first.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_table) USING DELTA CLUSTER BY (ind) AS
SELECT * FROM {{t}}_deduplicated WHERE false

-- step: Create the rejects table when it does not exist
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_rejects_table) (
  source_file STRING,
  record STRING,
  reason STRING
) USING DELTA
