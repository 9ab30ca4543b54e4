-- title: Median follower count by age group and joining year
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: median_followers_by_age_group_and_join_year | Median follower count by age group and joining year
WITH grouped AS (
  SELECT
    -- include: common/age_group.sql age=u.age
      AS age_group,
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
ORDER BY
  -- include: common/age_group_order.sql
  , post_year
