// What the ingestion API accepts and how it refuses, on a stand-in gateway (no broker): every value is one
// JSON object produced as its compact text, whatever the embedded format; nesting is bounded before any
// parser or serializer recurses; fields are judged as own properties; sizes follow the topic's
// max.message.bytes; a permanent refusal by Kafka is 413/422, never "retry later"; a request with more
// records than the in-flight limit is 413; request bytes in flight are capped with 503.
import { expect } from 'chai';
import type { FastifyInstance } from 'fastify';
import net from 'node:net';
import { apiApp, startApi } from '../../src/api/server.ts';
import { ApiMetrics } from '../../src/api/metrics.ts';
import { apiSchema } from '../../src/config/schema.ts';
import { parseRecords } from '../../src/api/body.ts';
import { elementMembers } from '../../src/json/spans.ts';
import { KafkaGateway, RecordsRefused, type OutRecord, type RecordOffset, type TopicInfo } from '../../src/kafka/producer.ts';

class StubGateway extends KafkaGateway {
  produced: OutRecord[] = [];
  refuse: string | null = null;
  hold: Promise<void> | null = null;
  constructor() {
    super({ brokers: ['127.0.0.1:1'] }, { maxInflight: 100 });
  }
  override async topic(name: string): Promise<TopicInfo> {
    return { name, partitions: [{ partitionId: 0, leader: 1, replicas: [1], isr: [1] }], maxMessageBytes: 4096 };
  }
  override async produce(_topic: string, records: OutRecord[]): Promise<RecordOffset[]> {
    if (this.hold) await this.hold;
    if (this.refuse) throw new RecordsRefused(this.refuse, `the broker refused the records (${this.refuse})`);
    this.produced.push(...records);
    return records.map((_, i) => ({ partition: 0, offset: i }));
  }
}

const BINARY = 'application/vnd.kafka.binary.v2+json';
const JSONV2 = 'application/vnd.kafka.json.v2+json';
const deep = (n: number, inner = '1') => `${'{"a":'.repeat(n)}${inner}${'}'.repeat(n)}`;
const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('ingestion API: what a record may be', () => {
  let app: FastifyInstance;
  let gateway: StubGateway;
  const geo = { ind: 1, timestamp: '2020-08-28 03:52:47', latitude: 1.5, longitude: 2.5, country: 'Chad' };

  beforeEach(async () => {
    gateway = new StubGateway();
    const settings = apiSchema.parse({ max_request_bytes: 1024 * 1024, max_record_bytes: 1024 * 1024, max_inflight_records: 5, max_inflight_bytes: 2048 });
    const kinesis = { client: { send: async () => { throw new Error('not reached'); } } as never, tables: { 's.geo': 'geo' as const } };
    app = apiApp({ settings, apiKeys: [], brokers: ['127.0.0.1:1'], tables: { 't.geo': 'geo' }, kinesis, log: () => {} }, gateway, new ApiMetrics(() => 0));
    await app.ready();
  });
  afterEach(async () => { await app.close(); });

  const post = async (topic: string, type: string, body: string) => {
    const res = await app.inject({ method: 'POST', url: `/topics/${topic}`, headers: { 'content-type': type }, payload: body });
    return { status: res.statusCode, body: res.json() as { error_code?: number; message?: string }, headers: res.headers };
  };

  it('produces a binary value as its compact JSON text: pretty JSON and CRs between tokens never make two lines', async () => {
    const pretty = '{\r\n  "ind": 1,\n  "timestamp": "2020-08-28 03:52:47",\n  "latitude": 1.50,\n  "longitude": 2.5, "country": "Chad"\n}\n';
    expect((await post('t.geo', BINARY, JSON.stringify({ records: [{ value: b64(pretty) }] }))).status).to.equal(200);
    expect((await post('other', BINARY, JSON.stringify({ records: [{ value: b64('{ "big": 123456789012345678901234567890 }') }] }))).status).to.equal(200);
    expect(gateway.produced.map((r) => r.value.toString())).to.deep.equal([
      '{"ind":1,"timestamp":"2020-08-28 03:52:47","latitude":1.50,"longitude":2.5,"country":"Chad"}',
      '{"big":123456789012345678901234567890}',
    ]);
  });

  it('refuses with 422 a binary value that is not one JSON object, on any topic', async () => {
    for (const value of ['not json', '{"a":"x\ry"}', '[1]', '{"a":1}{"b":2}', '"text"', Buffer.from([0x7b, 0xff, 0x7d])]) {
      const res = await post('other', BINARY, JSON.stringify({ records: [{ value: b64(value) }] }));
      expect([res.status, res.body.error_code], String(value)).to.deep.equal([422, 42202]);
      expect(res.body.message).to.match(/^records\[0\]: the decoded value/);
    }
    const plain = await post('other', JSONV2, JSON.stringify({ records: [{ value: 'text' }] }));
    expect([plain.status, plain.body.error_code]).to.deep.equal([422, 42202]);
    expect(gateway.produced).to.have.length(0);
  });

  it('refuses 100,000-deep nesting in a key, a value field, a binary value and Kinesis Data with 422, never 500', async () => {
    const cases = [
      await post('other', JSONV2, `{"records":[{"key":${deep(100_000)},"value":{"a":1}}]}`),
      await post('t.geo', JSONV2, `{"records":[{"value":{"ind":1,"country":${deep(100_000, '"x"')}}}]}`),
      await post('other', BINARY, JSON.stringify({ records: [{ value: b64(deep(100_000)) }] })),
    ];
    for (const url of ['/streams/s.geo/record', '/streams/s.geo/records']) {
      const payload = url.endsWith('record') ? `{"Data":${deep(100_000)},"PartitionKey":"p"}` : `{"records":[{"data":${deep(100_000)},"partition-key":"p"}]}`;
      const res = await app.inject({ method: 'PUT', url, headers: { 'content-type': 'application/json' }, payload });
      cases.push({ status: res.statusCode, body: res.json(), headers: res.headers });
    }
    for (const c of cases) {
      expect(c.status).to.equal(422);
      expect(c.body.message).to.match(/nests deeper than 64 levels/);
    }
    expect(gateway.produced).to.have.length(0);
  });

  it('judges fields as own properties: __proto__, constructor and toString are not columns', async () => {
    for (const body of ['{"records":[{"value":{"ind":1,"__proto__":{"x":1}}}]}', JSON.stringify({ records: [{ value: { ...geo, constructor: 'x' } }] }), JSON.stringify({ records: [{ value: { ...geo, toString: 'x' } }] })]) {
      const res = await post('t.geo', JSONV2, body);
      expect([res.status, res.body.error_code]).to.deep.equal([422, 42202]);
      expect(res.body.message).to.match(/is not a column of the geo table/);
    }
    expect(gateway.produced).to.have.length(0);
  });

  it('refuses a request of more records than the in-flight limit with 413 and the limit, not 429 forever', async () => {
    const res = await post('t.geo', JSONV2, JSON.stringify({ records: Array.from({ length: 6 }, () => ({ value: geo })) }));
    expect([res.status, res.body.error_code]).to.deep.equal([413, 41303]);
    expect(res.body.message).to.include('limit of 5 records a request');
  });

  it('sizes records by the topic\'s max.message.bytes, and answers a permanent refusal by Kafka 413/422 without Retry-After', async () => {
    const big = await post('other', JSONV2, JSON.stringify({ records: [{ value: { x: 'y'.repeat(4000) } }] }));
    expect([big.status, big.body.error_code]).to.deep.equal([413, 41302]);
    expect(big.body.message).to.include('more than the limit of 3968 bytes a record');
    gateway.refuse = 'MESSAGE_TOO_LARGE';
    const refused = await post('other', JSONV2, JSON.stringify({ records: [{ value: { x: 1 } }] }));
    expect([refused.status, refused.body.error_code, refused.headers['retry-after']]).to.deep.equal([413, 41304, undefined]);
    gateway.refuse = 'INVALID_RECORD';
    const invalid = await post('other', JSONV2, JSON.stringify({ records: [{ value: { x: 1 } }] }));
    expect([invalid.status, invalid.body.error_code]).to.deep.equal([422, 42203]);
  });

  it('caps request bytes in flight with 503 and Retry-After, and frees them when a request ends', async () => {
    let open!: () => void;
    gateway.hold = new Promise<void>((r) => { open = r; });
    const first = post('other', JSONV2, JSON.stringify({ records: [{ value: { x: 'a'.repeat(1500) } }] }));
    await new Promise((r) => setTimeout(r, 50));
    const second = await post('other', JSONV2, JSON.stringify({ records: [{ value: { x: 'b'.repeat(800) } }] }));
    expect([second.status, second.body.error_code, second.headers['retry-after']]).to.deep.equal([503, 50302, '1']);
    open();
    expect((await first).status).to.equal(200);
    gateway.hold = null;
    expect((await post('other', JSONV2, JSON.stringify({ records: [{ value: { x: 'b'.repeat(800) } }] }))).status).to.equal(200);
  });
});

describe('ingestion API: connections and slow clients (on a socket, no broker)', () => {
  const raw = (port: number, head: string) => new Promise<string>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let got = '';
    const done = () => { clearTimeout(t); socket.destroy(); resolve(got); };
    const t = setTimeout(done, 10_000);
    socket.on('data', (d) => { got += d.toString(); });
    socket.on('close', done);
    socket.on('error', () => {});
    socket.write(head);
  });

  it('answers the connection past max_connections 503 with Retry-After, and a request not received in time 408', async () => {
    const api = await startApi({ settings: apiSchema.parse({ port: 0, max_connections: 3, request_timeout_seconds: 1, headers_timeout_seconds: 1 }), apiKeys: [], brokers: ['127.0.0.1:1'], tables: {}, log: () => {} });
    try {
      const idle = await Promise.all(Array.from({ length: 3 }, () => new Promise<net.Socket>((r) => { const s = net.connect(api.port, '127.0.0.1', () => r(s)); s.on('error', () => {}); })));
      await new Promise((r) => setTimeout(r, 100));
      const fourth = await raw(api.port, 'GET /topics HTTP/1.1\r\nHost: x\r\n\r\n');
      expect(fourth).to.match(/^HTTP\/1\.1 503/).and.include('Retry-After: 1').and.include('"error_code":50303');
      for (const s of idle) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      const slow = await raw(api.port, 'POST /topics/x HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.json.v2+json\r\nContent-Length: 100\r\n\r\n{');
      expect(slow).to.match(/^HTTP\/1\.1 408/).and.include('"error_code":40801');
      expect(Date.now() - started).to.be.below(5000);
    } finally {
      await api.close();
    }
  });
});

describe('ingestion API: a record is produced as the text the client sent', () => {
  it('keeps the digits and escapes of a JSON-format value and key (compacted only): -90.0 stays -90.0', () => {
    const body = Buffer.from('{"records": [\n  {"key": {"k": 1.50}, "value": {"ind": 1, "latitude": -90.0, "longitude": 1e2, "x": "\\u00e9", "n": [1.0, -0.0]}},\n  {"value": {"ind": 2}}\n]}');
    const out = parseRecords(body, 'json', undefined, 1 << 20, 100);
    expect(out.map((r) => r.value.toString())).to.deep.equal(['{"ind":1,"latitude":-90.0,"longitude":1e2,"x":"\\u00e9","n":[1.0,-0.0]}', '{"ind":2}']);
    expect(out[0]!.key!.toString()).to.equal('{"k":1.50}');
  });

  it('finds members by their names whatever the order, spacing and strings that look like JSON', () => {
    const text = '{ "a" : "}{\\"records\\"", "records" : [ { "value" : [1, {"x":"]"}] , "key":"k"} , 7 , {"value":null}] }';
    const members = elementMembers(text, 'records');
    expect(members.map((m) => Object.fromEntries([...m].map(([k, [s, e]]) => [k, text.slice(s, e)])))).to.deep.equal([
      { value: '[1, {"x":"]"}]', key: '"k"' }, {}, { value: 'null' },
    ]);
  });
});

describe('Kafka gateway: how requests become sends (a fake producer in place of the broker)', () => {
  /** A gateway whose producer is the function given and whose topics take `maxMessageBytes`. */
  function gateway(send: (messages: { topic: string; partition?: number; value: Buffer }[]) => Promise<unknown>, maxMessageBytes: number, maxBatchBytes?: number): KafkaGateway {
    const g = new KafkaGateway({ brokers: ['127.0.0.1:1'] }, { maxInflight: 1000, ...(maxBatchBytes ? { maxBatchBytes } : {}) });
    const producer = { send: ({ messages }: { messages: { topic: string; partition?: number; value: Buffer }[] }) => send(messages), close: async () => {} };
    (g as unknown as { client: () => unknown }).client = () => ({ producer, admin: { close: async () => {} } });
    g.topic = async (name: string) => ({ name, partitions: [{ partitionId: 0 }], maxMessageBytes } as unknown as TopicInfo);
    return g;
  }
  let next = 0n;
  const offsets = (messages: { topic: string; partition?: number }[]) => {
    const base = next;
    next += BigInt(messages.length);
    return { offsets: [{ topic: messages[0]!.topic, partition: 0, offset: base }] };
  };
  const record = (kb: number): OutRecord => ({ key: null, value: Buffer.alloc(kb * 1024, 0x61) });

  it('keeps every send within the topic\'s max.message.bytes, not a fixed 900 KiB', async () => {
    const sizes: number[] = [];
    const g = gateway(async (messages) => {
      sizes.push(messages.reduce((n, m) => n + m.value.length, 0));
      return offsets(messages);
    }, 64_000);
    const answers = await Promise.all(Array.from({ length: 20 }, () => g.produce('small.topic', [record(10)])));
    expect(answers).to.have.length(20);
    expect(Math.max(...sizes), `sends ${sizes.join(', ')}`).to.be.at.most(64_000);
  });

  it('answers a request whose records an earlier send wrote, and tells one cut by a failed send that part was written', async () => {
    let call = 0;
    const g = gateway(async (messages) => {
      if (++call === 3) throw new Error('connection lost');
      return offsets(messages);
    }, 1_000_000, 15 * 1024);
    const [a, b] = await Promise.allSettled([g.produce('t', [record(10)]), g.produce('t', [record(10), record(10)])]);
    expect(a.status, 'the request written by the first send').to.equal('fulfilled');
    expect(b.status).to.equal('rejected');
    expect(String((b as PromiseRejectedResult).reason.message)).to.include('1 of its 2 records were written before it');
  });
});
