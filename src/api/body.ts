// Request bodies of the ingestion API: JSON with its nesting bounded before it is parsed, and the records of
// a Kafka REST Proxy v2 produce body, each judged whole (422 naming the record and field, 413 for sizes)
// before anything is produced.
import type { TableKey } from '../config/index.ts';
import type { OutRecord } from '../kafka/producer.ts';
import { compactJson, jsonDepth, MAX_JSON_DEPTH } from '../json/line.ts';
import { recordProblem } from './records.ts';
import { elementMembers } from '../json/spans.ts';

export class HttpFailure extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

/**
 * A request body as JSON, its nesting bounded before it is parsed (a value may nest MAX_JSON_DEPTH levels
 * inside the envelope's `levels`): deep nesting is refused with 422, never a stack overflow.
 */
export function parseBody(body: Buffer, levels: number): unknown {
  const text = body.toString('utf8');
  if (jsonDepth(text, MAX_JSON_DEPTH + levels) > MAX_JSON_DEPTH + levels) {
    throw new HttpFailure(422, 42201, `Request body nests deeper than ${MAX_JSON_DEPTH} levels in a record.`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HttpFailure(422, 42201, `Request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * The records of a v2 produce body as Kafka records, or the first problem, naming the record and field.
 * Whatever the embedded format, a value is one JSON object and is produced as its compact text (one
 * landed line): a binary value is decoded and must be such an object.
 */
export function parseRecords(body: Buffer, format: 'json' | 'binary', table: TableKey | undefined, maxRecordBytes: number, maxRecords: number): OutRecord[] {
  // The envelope {"records":[{"value": ...}]} holds a value three levels down.
  const doc = parseBody(body, 3);
  const bodyText = body.toString('utf8');
  let found: Map<string, [number, number]>[] | null = null;
  const spans = () => (found ??= elementMembers(bodyText, 'records'));
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new HttpFailure(422, 42201, 'Request body must be a JSON object with a "records" array.');
  const records = (doc as { records?: unknown }).records;
  if (!Array.isArray(records) || records.length === 0) throw new HttpFailure(422, 42202, 'Field "records" must be a non-empty array.');
  if (records.length > maxRecords) throw new HttpFailure(413, 41303, `The request carries ${records.length} records, more than the limit of ${maxRecords} records a request (api.max_inflight_records); send them in smaller requests.`);
  return records.map((r, i) => {
    if (!r || typeof r !== 'object' || Array.isArray(r)) throw new HttpFailure(422, 42202, `records[${i}] must be an object with "value".`);
    const rec = r as Record<string, unknown>;
    for (const k of Object.keys(rec)) {
      if (k !== 'key' && k !== 'value' && k !== 'partition') throw new HttpFailure(422, 42202, `records[${i}]: field "${k}" is not key, value or partition.`);
    }
    if (!('value' in rec)) throw new HttpFailure(422, 42202, `records[${i}]: field "value" is required.`);
    let partition: number | undefined;
    if (rec['partition'] !== undefined && rec['partition'] !== null) {
      if (typeof rec['partition'] !== 'number' || !Number.isInteger(rec['partition']) || rec['partition'] < 0) {
        throw new HttpFailure(422, 42202, `records[${i}]: field "partition" must be a non-negative integer.`);
      }
      partition = rec['partition'];
    }
    let key: Buffer | null = null;
    let value: Buffer;
    if (format === 'binary') {
      const decode = (field: 'key' | 'value'): Buffer | null => {
        const v = rec[field];
        if (v === null || v === undefined) return null;
        if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v.length % 4 !== 0) {
          throw new HttpFailure(422, 42202, `records[${i}]: field "${field}" must be base64 text in the binary format.`);
        }
        return Buffer.from(v, 'base64');
      };
      key = decode('key');
      const v = decode('value');
      if (!v) throw new HttpFailure(422, 42202, `records[${i}]: field "value" is required.`);
      const compact = compactJson(v);
      if (!compact.ok) throw new HttpFailure(422, 42202, `records[${i}]: the decoded value ${compact.reason}; values are JSON objects (one a landed line).`);
      value = Buffer.from(compact.text);
      if (table) {
        const problem = recordProblem(table, JSON.parse(compact.text));
        if (problem) throw new HttpFailure(422, 42202, `records[${i}]: ${problem}.`);
      }
    } else {
      const given = rec['value'];
      if (!given || typeof given !== 'object' || Array.isArray(given)) throw new HttpFailure(422, 42202, `records[${i}]: field "value" must be a JSON object (one a landed line).`);
      if (table) {
        const problem = recordProblem(table, rec['value']);
        if (problem) throw new HttpFailure(422, 42202, `records[${i}]: ${problem}.`);
      }
      // The value's own text, compacted: numbers keep the digits sent (`-90.0`), as the REST Proxy passes them on.
      const members = spans()[i];
      const text = (name: string) => {
        const span = members?.get(name);
        const compact = span ? compactJson(bodyText.slice(span[0], span[1]), MAX_JSON_DEPTH) : null;
        return compact?.ok ? compact.text : JSON.stringify(rec[name]);
      };
      value = Buffer.from(text('value'));
      key = rec['key'] === undefined || rec['key'] === null ? null : Buffer.from(text('key'));
    }
    if (value.length + (key?.length ?? 0) > maxRecordBytes) {
      throw new HttpFailure(413, 41302, `records[${i}] is ${value.length + (key?.length ?? 0)} bytes (key and value), more than the limit of ${maxRecordBytes} bytes a record (the smaller of api.max_record_bytes and the topic's max.message.bytes less a batch's overhead); nothing was written.`);
    }
    return { key, value, ...(partition !== undefined ? { partition } : {}) };
  });
}

