-- For each key, the new rows' winner (the smallest of its copies, by the dedupe) competes with the row the
-- table holds under the same rule: the smallest row, NULLs last, compared column by column in the dedupe's
-- order (the structs below are that order, each column preceded by its IS NULL so that NULLs sort last).
-- merge_action is what the merge does with the winner: insert a new key, update a row smaller than the
-- table's, keep the table's row when it is as small or smaller (a copy the table already has, or rows
-- merged again after a failed run: they touch no file).
SELECT
  winner.*,
  CASE
    WHEN held.ind IS NULL THEN 'insert'
    WHEN {{winner_key}} < {{held_key}} THEN 'update'
    ELSE 'keep'
  END AS merge_action
FROM {{winners}} AS winner
LEFT JOIN {{held}} AS held ON held.ind = winner.ind
