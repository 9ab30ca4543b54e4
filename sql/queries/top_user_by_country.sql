-- title: The poster with most followers in each country
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: geo_table = `0affe4008223_geo_table` | Cleaned geo Delta table

-- result: top_user_by_country | The poster with most followers in each country
-- Posts without a poster name or a follower count are ignored; ties broken by poster name.
WITH ranked AS (
  SELECT g.country, p.poster_name, p.follower_count,
    row_number() OVER (PARTITION BY g.country ORDER BY p.follower_count DESC, p.poster_name ASC) AS rank
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:geo_table) AS g ON p.ind = g.ind
  WHERE g.country IS NOT NULL AND p.poster_name IS NOT NULL AND p.follower_count IS NOT NULL
)
SELECT country, poster_name, follower_count
FROM ranked
WHERE rank = 1
ORDER BY country
