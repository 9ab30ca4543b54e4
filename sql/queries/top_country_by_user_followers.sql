-- title: The country whose top poster has most followers
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: geo_table = `0affe4008223_geo_table` | Cleaned geo Delta table

-- result: top_country_by_user_followers | The country whose top poster has most followers
-- One row: the greatest follower count of any country's top poster, ties broken by country name.
WITH top_per_country AS (
  SELECT g.country, max(p.follower_count) AS follower_count
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:geo_table) AS g ON p.ind = g.ind
  WHERE g.country IS NOT NULL AND p.poster_name IS NOT NULL AND p.follower_count IS NOT NULL
  GROUP BY g.country
)
SELECT country, follower_count
FROM top_per_country
ORDER BY follower_count DESC, country ASC
LIMIT 1
