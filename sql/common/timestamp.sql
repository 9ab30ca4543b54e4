CASE
  WHEN {{text}} RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$' THEN try_to_timestamp({{text}}, 'yyyy-MM-dd HH:mm:ss')
  WHEN {{text}} RLIKE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}$' THEN try_to_timestamp({{text}}, 'yyyy-MM-dd\'T\'HH:mm:ss')
END
