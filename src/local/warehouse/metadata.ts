// The catalog calls of the HiveServer2 protocol (cursor.catalogs(), schemas(), tables(), columns() in the
// SQL connectors; JDBC's DatabaseMetaData): answered from Spark's catalog, with the JDBC result columns and
// JDBC patterns (`%` any run, `_` one character) on schema, table and column names.
import type { SparkClient } from '../spark/client.ts';
import { quoteIdentifier } from '../../notebook/sql-lexer.ts';
import type { StatementResult } from '../../sql/result.ts';
import { parseSparkType } from './sparktype.ts';

type Row = Record<string, unknown>;

function result(columns: [string, string][], rows: Row[]): StatementResult {
  return { columns: columns.map(([name, type]) => ({ name, type })), rows, rowCount: rows.length, truncated: false };
}

/** A JDBC pattern as a test (null or empty: anything). */
function like(pattern: string | null | undefined): (s: string) => boolean {
  if (!pattern || pattern === '%' || pattern === '*') return () => true;
  const re = new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.')}$`, 'i');
  return (s) => re.test(s);
}

async function catalogs(spark: SparkClient): Promise<string[]> {
  return (await spark.sql('SHOW CATALOGS')).rows.map((r) => String(r['catalog']));
}

async function schemas(spark: SparkClient, catalog: string | null, pattern: string | null): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for (const cat of await catalogs(spark)) {
    if (catalog && catalog !== cat) continue;
    const rows = (await spark.sql(`SHOW SCHEMAS IN ${quoteIdentifier(cat)}`)).rows;
    for (const r of rows) {
      const name = String(r['namespace'] ?? r['databaseName']);
      if (like(pattern)(name)) out.push([cat, name]);
    }
  }
  return out;
}

async function tables(spark: SparkClient, req: { catalogName?: string | null; schemaName?: string | null; tableName?: string | null }): Promise<[string, string, string, boolean][]> {
  const out: [string, string, string, boolean][] = [];
  for (const [cat, schema] of await schemas(spark, req.catalogName ?? null, req.schemaName ?? null)) {
    const rows = (await spark.sql(`SHOW TABLES IN ${quoteIdentifier(cat)}.${quoteIdentifier(schema)}`)).rows;
    for (const r of rows) {
      const name = String(r['tableName']);
      if (r['isTemporary'] === true) continue;
      if (like(req.tableName)(name)) out.push([cat, schema, name, false]);
    }
  }
  return out;
}

/** JDBC type codes (java.sql.Types) of Spark types. */
function jdbcType(sparkType: string): number {
  const t = parseSparkType(sparkType);
  if (t.kind === 'decimal') return 3;
  if (t.kind === 'array') return 2003;
  if (t.kind !== 'primitive') return 2002;
  const codes: Record<string, number> = { boolean: 16, tinyint: -6, smallint: 5, int: 4, bigint: -5, float: 6, double: 8, string: 12, binary: -2, date: 91, timestamp: 93, timestamp_ntz: 93, void: 0 };
  return codes[t.name] ?? 1111;
}

export async function getCatalogs(spark: SparkClient): Promise<StatementResult> {
  return result([['TABLE_CAT', 'string']], (await catalogs(spark)).map((c) => ({ TABLE_CAT: c })));
}

export async function getSchemas(spark: SparkClient, req: { catalogName?: string | null; schemaName?: string | null }): Promise<StatementResult> {
  return result([['TABLE_SCHEM', 'string'], ['TABLE_CATALOG', 'string']], (await schemas(spark, req.catalogName ?? null, req.schemaName ?? null)).map(([c, s]) => ({ TABLE_SCHEM: s, TABLE_CATALOG: c })));
}

export async function getTables(spark: SparkClient, req: { catalogName?: string | null; schemaName?: string | null; tableName?: string | null; tableTypes?: string[] | null }): Promise<StatementResult> {
  const wanted = (req.tableTypes ?? []).map((t) => t.toUpperCase());
  const rows = (await tables(spark, req))
    .filter(() => !wanted.length || wanted.includes('TABLE'))
    .map(([c, s, t]) => ({ TABLE_CAT: c, TABLE_SCHEM: s, TABLE_NAME: t, TABLE_TYPE: 'TABLE', REMARKS: '', TYPE_CAT: null, TYPE_SCHEM: null, TYPE_NAME: null, SELF_REFERENCING_COL_NAME: null, REF_GENERATION: null }));
  return result([['TABLE_CAT', 'string'], ['TABLE_SCHEM', 'string'], ['TABLE_NAME', 'string'], ['TABLE_TYPE', 'string'], ['REMARKS', 'string'], ['TYPE_CAT', 'string'], ['TYPE_SCHEM', 'string'], ['TYPE_NAME', 'string'], ['SELF_REFERENCING_COL_NAME', 'string'], ['REF_GENERATION', 'string']], rows);
}

export async function getColumns(spark: SparkClient, req: { catalogName?: string | null; schemaName?: string | null; tableName?: string | null; columnName?: string | null }): Promise<StatementResult> {
  const rows: Row[] = [];
  for (const [cat, schema, table] of await tables(spark, req)) {
    const described = (await spark.sql(`DESCRIBE TABLE ${[cat, schema, table].map(quoteIdentifier).join('.')}`)).rows;
    let position = 0;
    for (const r of described) {
      const name = String(r['col_name'] ?? '');
      if (!name || name.startsWith('#')) break;
      position++;
      if (!like(req.columnName)(name)) continue;
      const type = String(r['data_type']);
      const parsed = parseSparkType(type);
      rows.push({
        TABLE_CAT: cat, TABLE_SCHEM: schema, TABLE_NAME: table, COLUMN_NAME: name, DATA_TYPE: jdbcType(type), TYPE_NAME: type.toUpperCase(),
        COLUMN_SIZE: parsed.kind === 'decimal' ? parsed.precision : null, BUFFER_LENGTH: null, DECIMAL_DIGITS: parsed.kind === 'decimal' ? parsed.scale : null,
        NUM_PREC_RADIX: parsed.kind === 'decimal' ? 10 : null, NULLABLE: 1, REMARKS: r['comment'] ?? '', COLUMN_DEF: null, SQL_DATA_TYPE: null, SQL_DATETIME_SUB: null,
        CHAR_OCTET_LENGTH: null, ORDINAL_POSITION: position, IS_NULLABLE: 'YES', SCOPE_CATALOG: null, SCOPE_SCHEMA: null, SCOPE_TABLE: null, SOURCE_DATA_TYPE: null, IS_AUTO_INCREMENT: 'NO',
      });
    }
  }
  const cols: [string, string][] = [['TABLE_CAT', 'string'], ['TABLE_SCHEM', 'string'], ['TABLE_NAME', 'string'], ['COLUMN_NAME', 'string'], ['DATA_TYPE', 'int'], ['TYPE_NAME', 'string'],
    ['COLUMN_SIZE', 'int'], ['BUFFER_LENGTH', 'tinyint'], ['DECIMAL_DIGITS', 'int'], ['NUM_PREC_RADIX', 'int'], ['NULLABLE', 'int'], ['REMARKS', 'string'], ['COLUMN_DEF', 'string'],
    ['SQL_DATA_TYPE', 'int'], ['SQL_DATETIME_SUB', 'int'], ['CHAR_OCTET_LENGTH', 'int'], ['ORDINAL_POSITION', 'int'], ['IS_NULLABLE', 'string'], ['SCOPE_CATALOG', 'string'],
    ['SCOPE_SCHEMA', 'string'], ['SCOPE_TABLE', 'string'], ['SOURCE_DATA_TYPE', 'smallint'], ['IS_AUTO_INCREMENT', 'string']];
  return result(cols, rows);
}
