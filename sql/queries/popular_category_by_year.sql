-- title: Most popular category each posting year
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: geo_table = `0affe4008223_geo_table` | Cleaned geo Delta table

-- result: popular_category_by_year | Most popular category each posting year, 2018 to 2022
-- The posting year is the year of the geo timestamp; ties broken by category name.
WITH counts AS (
  SELECT year(g.timestamp) AS post_year, p.category, count(*) AS category_count
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:geo_table) AS g ON p.ind = g.ind
  WHERE year(g.timestamp) BETWEEN 2018 AND 2022 AND p.category IS NOT NULL
  GROUP BY year(g.timestamp), p.category
), ranked AS (
  SELECT post_year, category, category_count,
    row_number() OVER (PARTITION BY post_year ORDER BY category_count DESC, category ASC) AS rank
  FROM counts
)
SELECT post_year, category, category_count
FROM ranked
WHERE rank = 1
ORDER BY post_year
