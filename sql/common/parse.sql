-- step: Parse with an explicit schema
-- Every field is read as text (never inferred). Single quotes and NaN are refused so that only standard
-- JSON is accepted. The line is parsed as the value of a wrapping object, `{"v":<line>}`: what follows a
-- line's object is then inside the wrapper, where it breaks the parse, instead of being ignored (from_json
-- reads a leading value and ignores the rest of its text). A line that does not parse gets no `r`.
CREATE OR REPLACE TEMPORARY VIEW {{t}}_parsed AS
SELECT source_file, value, CASE WHEN w._corrupt_record IS NULL THEN w.v END AS r
FROM (
  SELECT
    source_file,
    value,
    from_json(
      concat('{"v":', value, '}'),
      'v STRUCT<{{fields}}>, _corrupt_record STRING',
      map('mode', 'PERMISSIVE', 'columnNameOfCorruptRecord', '_corrupt_record', 'allowSingleQuotes', 'false', 'allowNonNumericNumbers', 'false')
    ) AS w
  FROM {{t}}_landed
  WHERE trim(value) <> ''
)
