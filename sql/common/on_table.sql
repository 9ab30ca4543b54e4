SET VAR {{t}}_maintain_sql = '{{command}} ' ||
  -- include: common/identifier.sql text={{table}}
  || '{{suffix}}';
EXECUTE IMMEDIATE {{t}}_maintain_sql;
