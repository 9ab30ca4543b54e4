CASE
  WHEN {{text}} RLIKE '^(`([^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)([.](`([^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)){0,2}$' THEN {{text}}
  ELSE raise_error('the table parameter "' || {{text}} || '" is not a table name (name, or `quoted` parts joined by dots)')
END
