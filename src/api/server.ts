// The ingestion API (`npx pinpipe api`): the Confluent Kafka REST Proxy v2 routes of spec/wire.md in front
// of Kafka, answering 200 only after the broker acknowledged every record of the request (acks=all,
// idempotent producer), 503 or 429 with Retry-After when it cannot, never a silent drop. Content type,
// JSON and record shape are checked per table (422 naming the record and the field), sizes are bounded
// like Kafka's (413), API keys (401/403) and a rate limit (429) are optional. /health and /metrics too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiSettings, TableKey } from '../config/index.ts';
import { Metrics } from './metrics.ts';
import { BrokerUnavailable, KafkaGateway, Overloaded, PartitionNotFound, TopicNotFound, type OutRecord } from '../kafka/producer.ts';
import { recordProblem } from './records.ts';
import { KinesisFailure, kinesisRoute } from './kinesis-routes.ts';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KafkaConnection } from '../kafka/connection.ts';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';
const KAFKA_V2 = 'application/vnd.kafka.v2+json';

export interface ApiOptions {
  settings: ApiSettings;
  apiKeys: string[];
  brokers: string[];
  /** TLS / SASL for a remote Kafka (see src/kafka/connection.ts). */
  connection?: KafkaConnection;
  /** Topic name -> table, for the record checks (the configured <uid>.pin/geo/user). */
  tables: Record<string, TableKey>;
  /** The Kinesis proxy routes: a client (kinesalite or AWS) and stream name -> table. */
  kinesis?: { client: KinesisClient; tables: Record<string, TableKey> };
  log?: (line: string) => void;
}

export interface ApiServer {
  url: string;
  port: number;
  metrics: Metrics;
  gateway: KafkaGateway;
  close(): Promise<void>;
}

class HttpFailure extends Error {
  constructor(readonly status: number, readonly errorCode: number, message: string, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown, contentType = KAFKA_V2, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new HttpFailure(413, 41301, `Request body of ${declared} bytes is larger than the limit of ${limit} bytes.`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpFailure(413, 41301, `Request body is larger than the limit of ${limit} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

/** The records of a v2 produce body as Kafka records, or the first problem, naming the record and field. */
function parseRecords(body: Buffer, format: 'json' | 'binary', table: TableKey | undefined, maxRecordBytes: number): OutRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw new HttpFailure(422, 42201, `Request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new HttpFailure(422, 42201, 'Request body must be a JSON object with a "records" array.');
  const records = (doc as { records?: unknown }).records;
  if (!Array.isArray(records) || records.length === 0) throw new HttpFailure(422, 42202, 'Field "records" must be a non-empty array.');
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
      value = v;
      if (table) {
        let parsed: unknown;
        try {
          parsed = JSON.parse(value.toString('utf8'));
        } catch {
          throw new HttpFailure(422, 42202, `records[${i}]: the decoded value is not JSON; the ${table} table takes JSON objects.`);
        }
        const problem = recordProblem(table, parsed);
        if (problem) throw new HttpFailure(422, 42202, `records[${i}]: ${problem}.`);
      }
    } else {
      if (table) {
        const problem = recordProblem(table, rec['value']);
        if (problem) throw new HttpFailure(422, 42202, `records[${i}]: ${problem}.`);
      }
      value = Buffer.from(JSON.stringify(rec['value']));
      key = rec['key'] === undefined || rec['key'] === null ? null : Buffer.from(JSON.stringify(rec['key']));
    }
    if (value.length + (key?.length ?? 0) > maxRecordBytes) {
      throw new HttpFailure(413, 41302, `records[${i}] is ${value.length + (key?.length ?? 0)} bytes, more than the limit of ${maxRecordBytes} bytes a record.`);
    }
    return { key, value, ...(partition !== undefined ? { partition } : {}) };
  });
}

export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const { settings } = options;
  const log = options.log ?? (() => {});
  const metrics = new Metrics();
  const gateway = new KafkaGateway({ brokers: options.brokers, ...(options.connection ? { connection: options.connection } : {}) }, { maxInflight: settings.max_inflight_records });
  metrics.gauge('pinpipe_api_producer_inflight_records', 'Records sent to Kafka and not yet acknowledged', () => gateway.inflight);
  const buckets = new Map<string, { tokens: number; at: number }>();

  function authorize(req: IncomingMessage): string {
    const key = req.headers['x-api-key'];
    const client = typeof key === 'string' && key ? `key:${key}` : `addr:${req.socket.remoteAddress ?? ''}`;
    if (settings.require_api_key) {
      if (typeof key !== 'string' || !key) throw new HttpFailure(401, 40101, 'Unauthorized: send your API key in the x-api-key header.');
      if (!options.apiKeys.includes(key)) throw new HttpFailure(403, 40301, 'Forbidden: the API key is not valid.');
    }
    if (settings.rate_limit_rps > 0) {
      const now = Date.now();
      const b = buckets.get(client) ?? { tokens: settings.rate_limit_rps, at: now };
      b.tokens = Math.min(settings.rate_limit_rps, b.tokens + ((now - b.at) / 1000) * settings.rate_limit_rps);
      b.at = now;
      if (b.tokens < 1) {
        buckets.set(client, b);
        const wait = Math.max(1, Math.ceil((1 - b.tokens) / settings.rate_limit_rps));
        throw new HttpFailure(429, 42901, `Too many requests: at most ${settings.rate_limit_rps} a second.`, { 'retry-after': String(wait) });
      }
      b.tokens -= 1;
      buckets.set(client, b);
    }
    return client;
  }

  async function produce(req: IncomingMessage, res: ServerResponse, topic: string): Promise<void> {
    const type = mediaType(req);
    const format = type === JSON_V2 ? 'json' : type === BINARY_V2 ? 'binary' : null;
    if (!format) {
      req.resume();
      throw new HttpFailure(415, 415, `HTTP 415 Unsupported Media Type: send ${JSON_V2} or ${BINARY_V2}, not "${type || 'no content type'}".`);
    }
    const body = await readBody(req, settings.max_request_bytes);
    // An unknown topic is refused before the body is judged, as the REST Proxy does.
    try {
      await gateway.topic(topic);
    } catch (e) {
      if (e instanceof TopicNotFound) throw new HttpFailure(404, 40401, `Topic ${topic} not found.`);
      throw e;
    }
    const records = parseRecords(body, format, options.tables[topic], settings.max_record_bytes);
    const offsets = await gateway.produce(topic, records);
    metrics.inc('pinpipe_api_records_total', 'Records acknowledged by the broker', { topic }, records.length);
    send(res, 200, {
      offsets: offsets.map((o) => ({ partition: o.partition, offset: o.offset, error_code: null, error: null })),
      key_schema_id: null,
      value_schema_id: null,
    });
  }

  async function route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<string> {
    let parts: string[];
    try {
      parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpFailure(400, 40001, `Malformed path ${url.pathname}: bad percent-encoding.`);
    }
    if (req.method === 'GET' && url.pathname === '/health') {
      const ok = await gateway.healthy();
      send(res, ok ? 200 : 503, { status: ok ? 'ok' : 'broker unavailable', broker: ok ? 'up' : 'down', inflight_records: gateway.inflight }, 'application/json');
      return 'health';
    }
    if (req.method === 'GET' && url.pathname === '/metrics') {
      const text = metrics.render();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text);
      return 'metrics';
    }
    if (parts[0] === 'streams' && parts.length >= 1 && parts.length <= 3) {
      authorize(req);
      if (!options.kinesis) throw new HttpFailure(404, 404, 'HTTP 404 Not Found: this API serves no Kinesis streams (start it with Kinesis).');
      const readJson = async (): Promise<unknown> => {
        const type = mediaType(req);
        if (type !== 'application/json') throw new HttpFailure(415, 415, `HTTP 415 Unsupported Media Type: send application/json, not "${type || 'no content type'}".`);
        const body = await readBody(req, settings.max_request_bytes);
        try {
          return JSON.parse(body.toString('utf8'));
        } catch (e) {
          throw new HttpFailure(422, 42201, `Request body is not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
        }
      };
      const out = await kinesisRoute({ client: options.kinesis.client, tables: options.kinesis.tables, maxRecordBytes: settings.max_record_bytes }, req.method ?? 'GET', parts, readJson);
      if (!out) throw new HttpFailure(405, 40501, `HTTP 405 Method Not Allowed: ${req.method} ${url.pathname}.`);
      const name = parts.length === 3 ? (parts[2] === 'records' ? 'put_records' : 'put_record') : parts.length === 1 ? 'list_streams' : `${(req.method ?? '').toLowerCase()}_stream`;
      if (name.startsWith('put_')) {
        const n = name === 'put_record' ? 1 : ((out.body as { Records: unknown[] }).Records.length - ((out.body as { FailedRecordCount: number }).FailedRecordCount ?? 0));
        metrics.inc('pinpipe_api_records_total', 'Records acknowledged by the broker', { stream: parts[1]! }, n);
      }
      send(res, out.status, out.body, 'application/json');
      return name;
    }
    if (parts[0] === 'topics') {
      authorize(req);
      if (parts.length === 1 && req.method === 'GET') {
        send(res, 200, [...(await gateway.topics(true)).keys()].sort());
        return 'list_topics';
      }
      if (parts.length === 2 && req.method === 'GET') {
        let t;
        try {
          t = await gateway.topic(parts[1]!);
        } catch (e) {
          if (e instanceof TopicNotFound) throw new HttpFailure(404, 40401, `Topic ${parts[1]} not found.`);
          throw e;
        }
        send(res, 200, {
          name: t.name,
          configs: {},
          partitions: [...t.partitions].sort((a, b) => a.partitionId - b.partitionId).map((p) => ({
            partition: p.partitionId,
            leader: p.leader,
            replicas: p.replicas.map((r) => ({ broker: r, leader: r === p.leader, in_sync: p.isr.includes(r) })),
          })),
        });
        return 'describe_topic';
      }
      if (parts.length === 2 && req.method === 'POST') {
        await produce(req, res, parts[1]!);
        return 'produce';
      }
      throw new HttpFailure(405, 40501, `HTTP 405 Method Not Allowed: ${req.method} ${url.pathname}.`);
    }
    throw new HttpFailure(404, 404, 'HTTP 404 Not Found');
  }

  const server: Server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let name = 'unknown';
    void route(req, res, url)
      .then((n) => { name = n; })
      .catch((e: unknown) => {
        let failure: HttpFailure;
        if (e instanceof HttpFailure) failure = e;
        else if (e instanceof PartitionNotFound) failure = new HttpFailure(404, 40403, `Partition ${e.partition} not found.`);
        else if (e instanceof Overloaded) failure = new HttpFailure(429, 42902, `The broker is behind (${e.message}); retry later.`, { 'retry-after': '1' });
        else if (e instanceof KinesisFailure) {
          // Kinesis errors keep Kinesis' own body: {"__type", "message"}.
          metrics.inc('pinpipe_api_errors_total', 'Requests answered with an error', { status: String(e.status), code: e.type });
          if (!res.headersSent) send(res, e.status, { __type: e.type, message: e.message }, 'application/json', e.headers);
          if (!req.complete) req.resume();
          return;
        } else if (e instanceof BrokerUnavailable) failure = new HttpFailure(503, 50301, `Kafka is unavailable, nothing was written: ${e.message}`, { 'retry-after': '5' });
        else {
          log(`api: ${req.method} ${url.pathname} failed: ${e instanceof Error ? e.stack : String(e)}`);
          failure = new HttpFailure(500, 50001, 'Internal error; nothing was written.');
        }
        name = name === 'unknown' ? (url.pathname.startsWith('/topics/') && req.method === 'POST' ? 'produce' : 'other') : name;
        metrics.inc('pinpipe_api_errors_total', 'Requests answered with an error', { status: String(failure.status), code: String(failure.errorCode) });
        if (!res.headersSent) send(res, failure.status, { error_code: failure.errorCode, message: failure.message }, KAFKA_V2, failure.headers);
        if (!req.complete) req.resume();
      })
      .finally(() => {
        metrics.inc('pinpipe_api_requests_total', 'Requests by route and status', { route: name, status: String(res.statusCode) });
        metrics.observe('pinpipe_api_request_seconds', 'Request latency by route', Number(process.hrtime.bigint() - started) / 1e9, { route: name });
      });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${settings.host}:${port}`,
    port,
    metrics,
    gateway,
    close: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await gateway.close();
    },
  };
}
