SELECT {{columns}}
FROM (
  SELECT
    *,
    row_number() OVER (
      PARTITION BY ind
      ORDER BY {{order}}
    ) AS copy_rank
  FROM {{rows}}
  WHERE reject_reason IS NULL
)
WHERE copy_rank = 1
