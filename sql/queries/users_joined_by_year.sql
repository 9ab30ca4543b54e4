-- title: People who joined each year
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: users_joined_by_year | How many distinct people joined each year, 2015 to 2020
-- A person is a distinct (user_name, date_joined); the user table has one row per post.
SELECT year(date_joined) AS post_year, count(DISTINCT user_name, date_joined) AS number_users_joined
FROM IDENTIFIER(:user_table)
WHERE year(date_joined) BETWEEN 2015 AND 2020
GROUP BY year(date_joined)
ORDER BY post_year
