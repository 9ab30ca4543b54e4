-- step: Check the key
-- A record is readable when it is a JSON object whose `{{key}}` is an integer (a JSON integer, or text of
-- digits, optionally with a zero fraction such as `12.0`). Anything else gets a reason and is set aside.
CREATE OR REPLACE TEMPORARY VIEW {{t}}_checked AS
SELECT
  source_file,
  value,
  r,
  -- include: common/integer.sql text=r.{{key}}
    AS ind,
  CASE
    WHEN r IS NULL OR r._corrupt_record IS NOT NULL THEN 'not a JSON object'
    WHEN r.{{key}} IS NULL THEN '{{key}} missing'
    WHEN
      -- include: common/integer.sql text=r.{{key}}
      IS NULL THEN '{{key}} not an integer'
  END AS reject_reason
FROM {{t}}_parsed
