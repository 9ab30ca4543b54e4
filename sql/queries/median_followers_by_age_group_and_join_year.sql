-- title: Median follower count by age group and joining year
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: median_followers_by_age_group_and_join_year | Median follower count by age group and joining year
WITH grouped AS (
  SELECT
    CASE
      WHEN u.age BETWEEN 18 AND 24 THEN '18-24'
      WHEN u.age BETWEEN 25 AND 35 THEN '25-35'
      WHEN u.age BETWEEN 36 AND 50 THEN '36-50'
      WHEN u.age > 50 THEN '+50'
    END AS age_group,
    year(u.date_joined) AS post_year,
    p.follower_count
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:user_table) AS u ON p.ind = u.ind
  WHERE p.follower_count IS NOT NULL AND year(u.date_joined) BETWEEN 2015 AND 2020
)
SELECT age_group, post_year, median(follower_count) AS median_follower_count
FROM grouped
WHERE age_group IS NOT NULL
GROUP BY age_group, post_year
ORDER BY CASE age_group WHEN '18-24' THEN 1 WHEN '25-35' THEN 2 WHEN '36-50' THEN 3 ELSE 4 END, post_year
