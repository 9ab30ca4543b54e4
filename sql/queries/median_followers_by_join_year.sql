-- title: Median follower count by joining year
-- widget: pin_table = `0affe4008223_pin_table` | Cleaned pin Delta table
-- widget: user_table = `0affe4008223_user_table` | Cleaned user Delta table

-- result: median_followers_by_join_year | Median follower count of posts by the poster's joining year, 2015 to 2020
SELECT year(u.date_joined) AS post_year, median(p.follower_count) AS median_follower_count
FROM IDENTIFIER(:pin_table) AS p
JOIN IDENTIFIER(:user_table) AS u ON p.ind = u.ind
WHERE p.follower_count IS NOT NULL AND year(u.date_joined) BETWEEN 2015 AND 2020
GROUP BY year(u.date_joined)
ORDER BY post_year
