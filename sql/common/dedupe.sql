-- step: Keep one row per key
-- The same post may land many times. One row per `ind` is kept, chosen by its content (the smallest
-- row, NULLs last), so the table is the same whatever the order or number of copies.
CREATE OR REPLACE TEMPORARY VIEW {{t}}_deduplicated AS
SELECT {{columns}}
FROM (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY ind
      ORDER BY {{order}}
    ) AS copy_rank
  FROM {{t}}_cleaned
)
WHERE copy_rank = 1
