-- include: common/table.sql t={{t}}

-- include: common/merge_rows.sql t={{t}} only="" winner_key="{{winner_key}}" held_key="{{held_key}}" target_key="{{target_key}}"

-- step: The unreadable records of the batch
-- Appended to the rejects table by the caller, once per batch (Delta's txnAppId and txnVersion).
SELECT source_file, value AS record, reject_reason AS reason
FROM {{t}}_checked
WHERE reject_reason IS NOT NULL
