// The Thrift side of result sets: a Spark type as a TTypeEntry (DECIMAL with its precision and scale
// qualifiers, arrays, maps and structs by their type ids, as warehouses describe them) and a result as a
// column-based TRowSet (for clients that cannot read Arrow; complex values as JSON text, binary as bytes).
import { createRequire } from 'node:module';
import type { StatementResult } from '../../sql/result.ts';
import { parseSparkType } from './sparktype.ts';

const require = createRequire(import.meta.url);
/* eslint-disable @typescript-eslint/no-explicit-any */
export const T = require('@databricks/sql/thrift/TCLIService_types') as any;
export const Int64 = require('node-int64') as any;

const IDS: Record<string, string> = {
  boolean: 'BOOLEAN_TYPE', tinyint: 'TINYINT_TYPE', smallint: 'SMALLINT_TYPE', int: 'INT_TYPE', bigint: 'BIGINT_TYPE', float: 'FLOAT_TYPE',
  double: 'DOUBLE_TYPE', string: 'STRING_TYPE', binary: 'BINARY_TYPE', date: 'DATE_TYPE', timestamp: 'TIMESTAMP_TYPE', timestamp_ntz: 'TIMESTAMP_TYPE',
  void: 'NULL_TYPE', varchar: 'VARCHAR_TYPE', char: 'CHAR_TYPE',
};

export function typeEntry(sparkType: string): any {
  const t = parseSparkType(sparkType);
  if (t.kind === 'decimal') {
    return new T.TTypeEntry({ primitiveEntry: new T.TPrimitiveTypeEntry({
      type: T.TTypeId.DECIMAL_TYPE,
      typeQualifiers: new T.TTypeQualifiers({ qualifiers: { precision: new T.TTypeQualifierValue({ i32Value: t.precision }), scale: new T.TTypeQualifierValue({ i32Value: t.scale }) } }),
    }) });
  }
  const id = t.kind === 'array' ? 'ARRAY_TYPE' : t.kind === 'map' ? 'MAP_TYPE' : t.kind === 'struct' ? 'STRUCT_TYPE' : IDS[t.name] ?? 'STRING_TYPE';
  return new T.TTypeEntry({ primitiveEntry: new T.TPrimitiveTypeEntry({ type: T.TTypeId[id] }) });
}

export function tableSchema(result: StatementResult): any {
  return new T.TTableSchema({
    columns: result.columns.map((c, i) => new T.TColumnDesc({ columnName: c.name, position: i + 1, typeDesc: new T.TTypeDesc({ types: [typeEntry(c.type)] }) })),
  });
}

/** Per Spark type: the TColumn field, its class, the value a null takes (the nulls bitmap marks it), the conversion. */
function columnKind(sparkType: string): { field: string; cls: string; zero: unknown; value: (v: unknown) => unknown } {
  const text = (v: unknown) => (typeof v === 'object' ? JSON.stringify(v) : String(v));
  switch (sparkType) {
    case 'boolean': return { field: 'boolVal', cls: 'TBoolColumn', zero: false, value: Boolean };
    case 'tinyint': return { field: 'byteVal', cls: 'TByteColumn', zero: 0, value: Number };
    case 'smallint': return { field: 'i16Val', cls: 'TI16Column', zero: 0, value: Number };
    case 'int': return { field: 'i32Val', cls: 'TI32Column', zero: 0, value: Number };
    case 'bigint': return { field: 'i64Val', cls: 'TI64Column', zero: new Int64(0), value: (v) => new Int64(Number(v)) };
    case 'float': case 'double': return { field: 'doubleVal', cls: 'TDoubleColumn', zero: 0, value: Number };
    case 'binary': return { field: 'binaryVal', cls: 'TBinaryColumn', zero: Buffer.alloc(0), value: (v) => Buffer.from(String(v), 'base64') };
    default: return { field: 'stringVal', cls: 'TStringColumn', zero: '', value: text };
  }
}

export function columnRowSet(result: StatementResult, rows: Record<string, unknown>[] = result.rows): any {
  return new T.TRowSet({
    startRowOffset: new Int64(0),
    rows: [],
    columns: result.columns.map((c) => {
      const k = columnKind(c.type);
      const nulls = Buffer.alloc(Math.ceil(rows.length / 8));
      const values = rows.map((row, i) => {
        const v = row[c.name];
        if (v === null || v === undefined) {
          nulls[Math.floor(i / 8)]! |= 1 << (i % 8);
          return k.zero;
        }
        return k.value(v);
      });
      return new T.TColumn({ [k.field]: new T[k.cls]({ values, nulls }) });
    }),
  });
}
