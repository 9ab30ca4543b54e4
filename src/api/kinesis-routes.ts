// The API Gateway Kinesis proxy routes of spec/wire.md, in front of Kinesis (kinesalite here, AWS by
// config) through the AWS SDK: list, describe, create and delete streams; PutRecord and PutRecords. `Data`
// is stored as the gateway's mapping template stores it (the JSON text of `Data`), records of the three
// streams are checked per table (422 naming the record and field), Kinesis' limits are kept (1 MiB a record,
// 500 records and 5 MiB a PutRecords; 413 past them), and a request is answered 200 only once Kinesis took
// the records (PutRecords lists the ones it refused, as Kinesis does).
import {
  CreateStreamCommand, DeleteStreamCommand, DescribeStreamCommand, KinesisServiceException, ListStreamsCommand,
  PutRecordCommand, PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry,
} from '@aws-sdk/client-kinesis';
import type { TableKey } from '../config/index.ts';
import { recordProblem } from './records.ts';
import { elementMembers, objectMembers } from '../json/spans.ts';
import { compactJson } from '../json/line.ts';

export class KinesisFailure extends Error {
  constructor(readonly status: number, readonly type: string, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

const MIB = 1024 * 1024;
const MAX_PUT_RECORDS = 500;

export interface KinesisRouteContext {
  client: KinesisClient;
  /** Stream name -> table, for the record checks (streaming-<uid>-pin|geo|user). */
  tables: Record<string, TableKey>;
  maxRecordBytes: number;
}

/** Dates as Kinesis' JSON protocol writes them: epoch seconds. */
function wire(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, function (this: Record<string, unknown>, key: string, v: unknown) {
    const raw = this[key];
    return raw instanceof Date ? raw.getTime() / 1000 : v;
  }));
}

function clean<T extends { $metadata?: unknown }>(out: T): Omit<T, '$metadata'> {
  const { $metadata: _m, ...rest } = out;
  return rest;
}

/** Kinesis' own errors keep their type and status; an unreachable Kinesis is a 503 with Retry-After. */
async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof KinesisServiceException) {
      const status = e.$metadata.httpStatusCode ?? 400;
      if (e.name === 'ProvisionedThroughputExceededException' || e.name === 'LimitExceededException') {
        throw new KinesisFailure(429, e.name, e.message, { 'retry-after': '1' });
      }
      throw new KinesisFailure(status >= 500 ? 503 : status, e.name, e.message, status >= 500 ? { 'retry-after': '5' } : {});
    }
    throw new KinesisFailure(503, 'ServiceUnavailable', `Kinesis is unavailable, nothing was written: ${e instanceof Error ? e.message : String(e)}`, { 'retry-after': '5' });
  }
}

/** Data as stored: the JSON text the client sent for it, compacted (numbers keep their digits), else re-serialized. */
function dataBytes(data: unknown, where: string, table: TableKey | undefined, maxRecordBytes: number, text: string | null): Uint8Array {
  if (data === undefined) throw new KinesisFailure(422, 'ValidationException', `${where}: field "Data" is required.`);
  if (table) {
    const problem = recordProblem(table, data);
    if (problem) throw new KinesisFailure(422, 'ValidationException', `${where}: ${problem.replace(/^field "/, 'field "Data.').replace(/^the value/, 'Data')}.`);
  }
  const compact = text === null ? null : compactJson(text);
  const bytes = Buffer.from(compact?.ok ? compact.text : JSON.stringify(data));
  if (bytes.length > maxRecordBytes) throw new KinesisFailure(413, 'ValidationException', `${where}: Data is ${bytes.length} bytes, more than the ${maxRecordBytes} bytes Kinesis takes a record.`);
  return bytes;
}

function partitionKey(v: unknown, where: string, field: string): string {
  if (typeof v !== 'string' || v.length < 1 || v.length > 256) throw new KinesisFailure(422, 'ValidationException', `${where}: field "${field}" must be text of 1 to 256 characters.`);
  return v;
}

export async function kinesisRoute(ctx: KinesisRouteContext, method: string, parts: string[], body: () => Promise<unknown>, bodyText: () => string = () => ''): Promise<{ status: number; body: unknown } | null> {
  const { client } = ctx;
  if (parts.length === 1 && method === 'GET') {
    const names: string[] = [];
    let start: string | undefined;
    for (;;) {
      const page = await call(() => client.send(new ListStreamsCommand({ ...(start ? { ExclusiveStartStreamName: start } : {}), Limit: 100 })));
      names.push(...(page.StreamNames ?? []));
      if (!page.HasMoreStreams || !page.StreamNames?.length) break;
      start = page.StreamNames.at(-1);
    }
    return { status: 200, body: { StreamNames: names, HasMoreStreams: false } };
  }
  const stream = parts[1]!;
  if (parts.length === 2) {
    if (method === 'GET') return { status: 200, body: wire(clean(await call(() => client.send(new DescribeStreamCommand({ StreamName: stream }))))) };
    if (method === 'POST') {
      const b = (await body()) as { ShardCount?: unknown };
      const shards = b?.ShardCount ?? 1;
      if (typeof shards !== 'number' || !Number.isInteger(shards) || shards < 1) throw new KinesisFailure(422, 'ValidationException', 'field "ShardCount" must be a whole number of 1 or more.');
      await call(() => client.send(new CreateStreamCommand({ StreamName: stream, ShardCount: shards })));
      return { status: 200, body: {} };
    }
    if (method === 'DELETE') {
      await call(() => client.send(new DeleteStreamCommand({ StreamName: stream })));
      return { status: 200, body: {} };
    }
    return null;
  }
  const table = ctx.tables[stream];
  if (parts.length === 3 && parts[2] === 'record' && method === 'PUT') {
    const b = (await body()) as Record<string, unknown>;
    if (!b || typeof b !== 'object' || Array.isArray(b)) throw new KinesisFailure(422, 'ValidationException', 'The body must be a JSON object with Data and PartitionKey.');
    if (b['StreamName'] !== undefined && b['StreamName'] !== stream) throw new KinesisFailure(422, 'ValidationException', `field "StreamName" (${String(b['StreamName'])}) differs from the stream of the path (${stream}).`);
    const text = bodyText();
    const span = objectMembers(text).get('Data');
    const data = dataBytes(b['Data'], 'the record', table, ctx.maxRecordBytes, span ? text.slice(span[0], span[1]) : null);
    const key = partitionKey(b['PartitionKey'], 'the record', 'PartitionKey');
    const out = await call(() => client.send(new PutRecordCommand({ StreamName: stream, Data: data, PartitionKey: key })));
    return { status: 200, body: { SequenceNumber: out.SequenceNumber, ShardId: out.ShardId } };
  }
  if (parts.length === 3 && parts[2] === 'records' && method === 'PUT') {
    const b = (await body()) as { records?: unknown };
    const records = b?.records;
    if (!Array.isArray(records) || !records.length) throw new KinesisFailure(422, 'ValidationException', 'field "records" must be a non-empty array.');
    if (records.length > MAX_PUT_RECORDS) throw new KinesisFailure(413, 'ValidationException', `${records.length} records is more than the ${MAX_PUT_RECORDS} Kinesis takes in one PutRecords.`);
    let total = 0;
    const text = bodyText();
    const members = elementMembers(text, 'records');
    const entries: PutRecordsRequestEntry[] = records.map((r, i) => {
      const rec = (r ?? {}) as Record<string, unknown>;
      const where = `records[${i}]`;
      const span = rec['data'] !== undefined ? members[i]?.get('data') : members[i]?.get('Data');
      const data = dataBytes(rec['data'] ?? rec['Data'], where, table, ctx.maxRecordBytes, span ? text.slice(span[0], span[1]) : null);
      const key = partitionKey(rec['partition-key'] ?? rec['PartitionKey'], where, 'partition-key');
      total += data.length + Buffer.byteLength(key);
      return { Data: data, PartitionKey: key };
    });
    if (total > 5 * MIB) throw new KinesisFailure(413, 'ValidationException', `The records add up to ${total} bytes, more than the 5 MiB Kinesis takes in one PutRecords.`);
    const out = await call(() => client.send(new PutRecordsCommand({ StreamName: stream, Records: entries })));
    return { status: 200, body: { FailedRecordCount: out.FailedRecordCount ?? 0, Records: out.Records ?? [] } };
  }
  return null;
}
