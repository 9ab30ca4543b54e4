-- title: Median follower count per age group
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: median_followers_by_age_group | Median follower count per age group
-- Exact median (percentile_cont 0.5) over the posts of each age group that have a follower count.
WITH grouped AS (
  SELECT
    -- include: common/age_group.sql age=u.age
      AS age_group,
    p.follower_count
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:user_table) AS u ON p.ind = u.ind
  WHERE p.follower_count IS NOT NULL
)
SELECT age_group, median(follower_count) AS median_follower_count
FROM grouped
WHERE age_group IS NOT NULL
GROUP BY age_group
ORDER BY
  -- include: common/age_group_order.sql

