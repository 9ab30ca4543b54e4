-- title: Median follower count per age group
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: median_followers_by_age_group | Median follower count per age group
-- Exact median (percentile_cont 0.5) over the posts of each age group that have a follower count.
WITH grouped AS (
  SELECT
    CASE
      WHEN u.age BETWEEN 18 AND 24 THEN '18-24'
      WHEN u.age BETWEEN 25 AND 35 THEN '25-35'
      WHEN u.age BETWEEN 36 AND 50 THEN '36-50'
      WHEN u.age > 50 THEN '+50'
    END AS age_group,
    p.follower_count
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:user_table) AS u ON p.ind = u.ind
  WHERE p.follower_count IS NOT NULL
)
SELECT age_group, median(follower_count) AS median_follower_count
FROM grouped
WHERE age_group IS NOT NULL
GROUP BY age_group
ORDER BY CASE age_group WHEN '18-24' THEN 1 WHEN '25-35' THEN 2 WHEN '36-50' THEN 3 ELSE 4 END
