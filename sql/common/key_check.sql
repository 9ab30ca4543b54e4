-- step: Check the key
-- A record is readable when its line is one JSON object whose `{{key}}` is an integer (a JSON integer, or
-- text of digits, optionally with a zero fraction such as `12.0`). Anything else gets a reason and is set
-- aside. from_json reads a leading object and ignores what follows it, so a line is also checked to hold
-- exactly one JSON value: `[line]` must be an array of one element and `[line,0]` one of two (text after
-- the object, or a second object, fails one of the two).
CREATE OR REPLACE TEMPORARY VIEW {{t}}_checked AS
SELECT
  source_file,
  value,
  r,
  -- include: common/integer.sql text=r.{{key}}
    AS ind,
  CASE
    WHEN r IS NULL OR r._corrupt_record IS NOT NULL
      OR json_array_length(concat('[', value, ']')) IS DISTINCT FROM 1
      OR json_array_length(concat('[', value, ',0]')) IS DISTINCT FROM 2 THEN 'not a JSON object'
    WHEN r.{{key}} IS NULL THEN '{{key}} missing'
    WHEN
      -- include: common/integer.sql text=r.{{key}}
      IS NULL THEN '{{key}} not an integer'
  END AS reject_reason
FROM {{t}}_parsed
