-- step: Keep one row per key
-- The same post may land many times. One row per `ind` is kept among the readable records, chosen by its
-- content (the smallest row, NULLs last), so the table is the same whatever the order or number of copies.
CREATE OR REPLACE TEMPORARY VIEW {{t}}_deduplicated AS
-- include: common/winners.sql rows={{t}}_cleaned columns="{{columns}}" order="{{order}}"
