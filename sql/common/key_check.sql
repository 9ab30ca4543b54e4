-- step: Check the key
-- A record is readable when its line is one JSON object whose `{{key}}` is an integer (a JSON integer, or
-- text of digits, optionally with a zero fraction such as `12.0`). Anything else gets a reason and is set
-- aside. The wrapped parse refuses text after the line's value unless that text continues the wrapper
-- (`, "k": 1`) or closes it early (`}} ...`); `[<line>]` must then be an array of exactly one element,
-- which refuses both (the `:` or the `}` is no array element). Together: the line
-- holds exactly one JSON value, and the parse says it is an object.
-- That second look costs a second parse, so it is only taken when needed. A line whose first `}` is its
-- last character (trailing spaces aside) and that parsed as an object holds nothing after that object:
-- the object's closing brace is a `}` of the line (a `}` inside a string would leave that string open
-- to the end; an object left open for the wrapper's `}` to close would leave the wrapper open), so it is
-- that last one. Most lines are flat objects without a `}` in their text. (Counted
-- in bytes: `instr` and `length` count characters, which cost nearly as much as the second parse.)
CREATE OR REPLACE TEMPORARY VIEW {{t}}_checked AS
SELECT
  source_file,
  value,
  r,
  -- include: common/integer.sql text=r.{{key}}
    AS ind,
  CASE
    WHEN r IS NULL THEN 'not a JSON object'
    WHEN octet_length(substring_index(value, '}', 1)) + 1 <> octet_length(rtrim(value))
      AND json_array_length(concat('[', value, ']')) IS DISTINCT FROM 1
      THEN 'not a JSON object'
    WHEN r.{{key}} IS NULL THEN '{{key}} missing'
    WHEN
      -- include: common/integer.sql text=r.{{key}}
      IS NULL THEN '{{key}} not an integer'
  END AS reject_reason
FROM {{t}}_parsed
