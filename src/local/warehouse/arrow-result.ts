// A statement's rows as Arrow, the way SQL warehouses return results (ARROW_BASED_SET): the IPC schema
// message (TGetResultSetMetadataResp.arrowSchema) and the record batch messages (TSparkArrowBatch.batch),
// which clients concatenate and read as one IPC stream. Types follow Spark's: int -> Int32, bigint ->
// Int64, decimal(p,s) -> Decimal128(p,s), binary -> Binary, date -> Date32, timestamp -> Timestamp(us, UTC),
// arrays, maps and structs nested; where the client did not ask for native types (useArrowNativeTypes),
// decimals and timestamps travel as text and complex values as JSON, as a warehouse sends them.
import {
  Binary, Bool, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, Int8, List, Map_, Schema, Struct, Table, TimestampMicrosecond,
  Utf8, makeData, makeVector, tableToIPC, vectorFromArray, type DataType, type Vector,
} from 'apache-arrow';
import type { StatementResult } from '../../sql/result.ts';
import { parseSparkType, type SparkType } from './sparktype.ts';

export interface NativeTypes {
  timestampAsArrow: boolean;
  decimalAsArrow: boolean;
  complexTypesAsArrow: boolean;
}

function arrowType(t: SparkType, native: NativeTypes): DataType {
  if (t.kind === 'decimal') return native.decimalAsArrow ? new Decimal(t.scale, t.precision, 128) : new Utf8();
  if (t.kind === 'array') return native.complexTypesAsArrow ? new List(new Field('element', arrowType(t.element, native), true)) : new Utf8();
  if (t.kind === 'map') {
    if (!native.complexTypesAsArrow) return new Utf8();
    return new Map_(new Field('entries', new Struct([new Field('key', arrowType(t.key, native), false), new Field('value', arrowType(t.value, native), true)]) as never, false));
  }
  if (t.kind === 'struct') return native.complexTypesAsArrow ? new Struct(t.fields.map((f) => new Field(f.name, arrowType(f.type, native), true))) : new Utf8();
  switch (t.name) {
    case 'boolean': return new Bool();
    case 'tinyint': return new Int8();
    case 'smallint': return new Int16();
    case 'int': return new Int32();
    case 'bigint': return new Int64();
    case 'float': return new Float32();
    case 'double': return new Float64();
    case 'binary': return new Binary();
    case 'date': return new DateDay();
    case 'timestamp': case 'timestamp_ntz': return native.timestampAsArrow ? new TimestampMicrosecond(t.name === 'timestamp' ? 'UTC' : null) : new Utf8();
    default: return new Utf8();
  }
}

/** A JSON value of the Spark server (toJSON) as what the Arrow builder of its type takes. */
function value(v: unknown, t: SparkType, type: DataType): unknown {
  if (v === null || v === undefined) return null;
  if (type instanceof Utf8) return typeof v === 'object' ? JSON.stringify(v) : String(v);
  if (t.kind === 'array') return (v as unknown[]).map((e) => value(e, t.element, (type as List).children[0]!.type));
  if (t.kind === 'map') {
    const entry = (type as Map_).children[0]!.type as Struct;
    return new Map(Object.entries(v as Record<string, unknown>).map(([k, x]) => [value(k, t.key, entry.children[0]!.type), value(x, t.value, entry.children[1]!.type)]));
  }
  if (t.kind === 'struct') return Object.fromEntries(t.fields.map((f, i) => [f.name, value((v as Record<string, unknown>)[f.name], f.type, (type as Struct).children[i]!.type)]));
  if (type instanceof Int64) return BigInt(v as number | string);
  if (type instanceof Int8 || type instanceof Int16 || type instanceof Int32 || type instanceof Float32 || type instanceof Float64) return Number(v);
  if (type instanceof Bool) return Boolean(v);
  if (type instanceof Binary) return Buffer.from(String(v), 'base64');
  if (type instanceof DateDay) return new Date(`${String(v)}T00:00:00Z`);
  if (type instanceof TimestampMicrosecond) return new Date(String(v)).getTime();
  return v;
}

/** A Decimal128 column from decimal text: each value scaled to an integer, as 128-bit two's complement. */
function decimalVector(values: unknown[], type: Decimal): Vector {
  const words = new Uint32Array(values.length * 4);
  const nulls = new Uint8Array(Math.ceil(values.length / 8));
  let nullCount = 0;
  values.forEach((v, i) => {
    if (v === null || v === undefined) { nullCount++; return; }
    nulls[i >> 3]! |= 1 << (i & 7);
    const m = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(String(v).trim());
    if (!m) throw new Error(`not a decimal: ${String(v)}`);
    const exp = Number(m[4] ?? 0);
    const digits = `${m[2] ?? ''}${m[3] ?? ''}`;
    const shift = type.scale - (m[3] ?? '').length + exp;
    let n = BigInt(digits || '0');
    n = shift >= 0 ? n * 10n ** BigInt(shift) : n / 10n ** BigInt(-shift);
    if (m[1] === '-') n = -n;
    let u = BigInt.asUintN(128, n);
    for (let w = 0; w < 4; w++) { words[i * 4 + w] = Number(u & 0xffffffffn); u >>= 32n; }
  });
  return makeVector(makeData({ type, length: values.length, nullCount, nullBitmap: nullCount ? nulls : null, data: words }));
}

/** The schema message and the record batch messages of one IPC stream holding the result. */
export function arrowResult(result: StatementResult, native: NativeTypes): { schema: Buffer; batch: Buffer; rowCount: number } {
  const columns: Record<string, Vector> = {};
  const fields: Field[] = [];
  for (const c of result.columns) {
    const spark = parseSparkType(c.type);
    const type = arrowType(spark, native);
    const values = result.rows.map((r) => r[c.name]);
    columns[c.name] = type instanceof Decimal ? decimalVector(values, type) : vectorFromArray(values.map((v) => value(v, spark, type)), type);
    fields.push(new Field(c.name, type, true));
  }
  const table = result.columns.length ? new Table(new Schema(fields), columns) : new Table(new Schema([]));
  const stream = Buffer.from(tableToIPC(table, 'stream'));
  // Encapsulated messages: 0xFFFFFFFF, the metadata length, the metadata, then the body (none for a schema).
  const schemaLength = 8 + stream.readInt32LE(4);
  const end = stream.length >= 8 && stream.readUInt32LE(stream.length - 8) === 0xffffffff && stream.readInt32LE(stream.length - 4) === 0 ? stream.length - 8 : stream.length;
  return { schema: stream.subarray(0, schemaLength), batch: stream.subarray(schemaLength, end), rowCount: result.rows.length };
}
