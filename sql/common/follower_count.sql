CASE
  WHEN {{text}} RLIKE '^[0-9]+([.][0-9]+)?[kKmM]?$' THEN
    try_cast(
      try_add(
        try_cast(
          concat(
            substring_index(trim(TRAILING 'kKmM' FROM {{text}}), '.', 1),
            rpad(CASE WHEN instr({{text}}, '.') > 0 THEN substring_index(trim(TRAILING 'kKmM' FROM {{text}}), '.', -1) ELSE '' END, CASE upper(right({{text}}, 1)) WHEN 'K' THEN 3 WHEN 'M' THEN 6 ELSE 0 END, '0')
          ) AS BIGINT
        ),
        CASE WHEN substr(CASE WHEN instr({{text}}, '.') > 0 THEN substring_index(trim(TRAILING 'kKmM' FROM {{text}}), '.', -1) ELSE '' END, CASE upper(right({{text}}, 1)) WHEN 'K' THEN 4 WHEN 'M' THEN 7 ELSE 1 END, 1) >= '5' THEN 1 ELSE 0 END
      ) AS INT
    )
END
