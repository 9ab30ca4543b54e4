try_cast(regexp_extract({{text}}, '^(-?[0-9]+)([.]0+)?$', 1) AS INT)
