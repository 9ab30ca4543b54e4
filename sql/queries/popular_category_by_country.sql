-- title: Most popular category in each country
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: geo_table = `0affe4008223_geo_table` | Cleaned geo Delta table

-- result: popular_category_by_country | Most popular category in each country
-- Posts joined with where they were posted; per country the category with the most posts, ties broken
-- by category name. Posts without a country or a category are not counted.
WITH counts AS (
  SELECT g.country, p.category, count(*) AS category_count
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:geo_table) AS g ON p.ind = g.ind
  WHERE g.country IS NOT NULL AND p.category IS NOT NULL
  GROUP BY g.country, p.category
), ranked AS (
  SELECT country, category, category_count,
    row_number() OVER (PARTITION BY country ORDER BY category_count DESC, category ASC) AS rank
  FROM counts
)
SELECT country, category, category_count
FROM ranked
WHERE rank = 1
ORDER BY country
