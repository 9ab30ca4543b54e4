// Query results as an Arrow IPC file (apache-arrow): one record batch, columns typed from the SQL types
// the engine reported (int -> Int32, bigint -> Int64, double -> Float64, boolean -> Bool, text and anything
// else -> Utf8), nulls kept.
import { Bool, Float64, Int32, Int64, Table, Utf8, tableToIPC, vectorFromArray, type DataType, type Vector } from 'apache-arrow';
import type { StatementResult } from '../sql/result.ts';

function arrowType(sqlType: string): DataType {
  const t = sqlType.toLowerCase();
  if (/^(int|integer|smallint|tinyint|int_type|smallint_type|tinyint_type)$/.test(t)) return new Int32();
  if (/^(bigint|long|bigint_type)$/.test(t)) return new Int64();
  if (/^(double|float|real|double_type|float_type)$/.test(t)) return new Float64();
  if (/^(boolean|boolean_type)$/.test(t)) return new Bool();
  return new Utf8();
}

function convert(value: unknown, type: DataType): unknown {
  if (value === null || value === undefined) return null;
  if (type instanceof Int64) return BigInt(value as number | string | bigint);
  if (type instanceof Int32 || type instanceof Float64) return Number(value);
  if (type instanceof Bool) return Boolean(value);
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

export function resultToArrow(result: StatementResult): Table {
  const columns: Record<string, Vector> = {};
  for (const c of result.columns) {
    const type = arrowType(c.type);
    columns[c.name] = vectorFromArray(result.rows.map((r) => convert(r[c.name], type)), type);
  }
  return new Table(columns);
}

/** The Arrow IPC file format (the one `pyarrow.ipc.open_file` and `tableFromIPC` read). */
export function resultToArrowFile(result: StatementResult): Uint8Array {
  return tableToIPC(resultToArrow(result), 'file');
}
