-- title: Most popular category per age group
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: popular_category_by_age_group | Most popular category per age group
-- Age groups 18-24, 25-35, 36-50 (inclusive) and +50 (over 50); other ages have no group and are left
-- out. Ties broken by category name.
WITH grouped AS (
  SELECT
    -- include: common/age_group.sql age=u.age
      AS age_group,
    p.category
  FROM IDENTIFIER(:pin_table) AS p
  JOIN IDENTIFIER(:user_table) AS u ON p.ind = u.ind
  WHERE p.category IS NOT NULL
), counts AS (
  SELECT age_group, category, count(*) AS category_count
  FROM grouped
  WHERE age_group IS NOT NULL
  GROUP BY age_group, category
), ranked AS (
  SELECT age_group, category, category_count,
    row_number() OVER (PARTITION BY age_group ORDER BY category_count DESC, category ASC) AS rank
  FROM counts
)
SELECT age_group, category, category_count
FROM ranked
WHERE rank = 1
ORDER BY
  -- include: common/age_group_order.sql

