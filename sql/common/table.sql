-- step: Create the Delta table when it does not exist
-- The table has the columns and types of the cleaning's result (a full refresh replaces it with the same),
-- clustered on `ind` (liquid clustering, applied by OPTIMIZE), so that the batch job and the stream may
-- each start first. Delta keeps file statistics of `ind` only: they let a merge skip the files outside the
-- new rows' key range, while minimum and maximum of every long text column (Delta's default: the first 32
-- columns) cost a tenth of a full refresh's time and skip nothing here.
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_table) USING DELTA CLUSTER BY (ind)
TBLPROPERTIES ('delta.dataSkippingStatsColumns' = 'ind') AS
SELECT * FROM {{t}}_deduplicated WHERE false

-- step: Create the rejects table when it does not exist
CREATE TABLE IF NOT EXISTS IDENTIFIER(:{{t}}_rejects_table) (
  source_file STRING,
  record STRING,
  reason STRING
) USING DELTA
