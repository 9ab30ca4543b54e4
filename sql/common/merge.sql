-- include: common/table.sql t={{t}}

-- step: Merge the new rows into the Delta table
MERGE INTO IDENTIFIER(:{{t}}_table) AS target
USING (
  WITH compared AS (
    -- include: common/compare.sql t={{t}} winners={{t}}_deduplicated held="IDENTIFIER(:{{t}}_table)" winner_key="{{winner_key}}" held_key="{{held_key}}"
  )
  SELECT {{columns}} FROM compared WHERE merge_action <> 'keep'
) AS winner
-- include: common/merge_rows.sql on="" winner_key="{{winner_key}}" target_key="{{target_key}}"

-- step: The unreadable records of the batch
-- Appended to the rejects table by the caller, once per batch (Delta's txnAppId and txnVersion).
SELECT source_file, value AS record, reject_reason AS reason
FROM {{t}}_checked
WHERE reject_reason IS NOT NULL
