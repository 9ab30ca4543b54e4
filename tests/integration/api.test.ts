// The ingestion API's Kafka REST v2 contract against the real local broker: the original emulator's
// request and response, every error code of spec/wire.md, sizes, API keys, the rate limit, the broker
// going away (503 with Retry-After, nothing acknowledged that was not written) and coming back.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopics, readTopic, recordsIn } from '../helpers/kafka.ts';
import { apiSchema } from '../../src/config/schema.ts';
import { namesFor } from '../../src/config/index.ts';
import { startApi, type ApiServer } from '../../src/api/server.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { REAL_DIR } from '../fixtures/index.ts';
import { EmbeddedSource } from '../../src/source/db.ts';
import { loadSource } from '../../src/source/fill.ts';

const quiet = () => {};
const names = namesFor('0affe4008223');
const tables = { [names.topic.pin]: 'pin', [names.topic.geo]: 'geo', [names.topic.user]: 'user' } as const;
const JSON_V2 = 'application/vnd.kafka.json.v2+json';

const pinRow = JSON.parse(readFileSync(path.join(REAL_DIR, 'pinterest_data.jsonl'), 'utf8').split('\n')[0]!) as Record<string, unknown>;
const geoRow = { ind: 7528, timestamp: '2020-08-28T03:52:47', latitude: -89.9787, longitude: -179.689, country: 'Albania' };
const userRow = { ind: 7528, first_name: 'Abigail', last_name: 'Ali', age: 20, date_joined: '2015-10-24 11:23:51' };

async function post(api: ApiServer, topic: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${api.url}/topics/${encodeURIComponent(topic)}`, {
    method: 'POST',
    headers: { 'content-type': JSON_V2, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('ingestion API: Kafka REST Proxy v2 on the local broker', function () {
  this.timeout(300_000);
  let dir: string;
  let broker: Broker;
  let api: ApiServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-api-'));
    broker = await startBroker({ dataDir: dir, log: quiet });
    await createTopics(broker.bootstrap, [...Object.keys(tables).map((topic) => ({ topic, partitions: 1 })), { topic: 'three.parts', partitions: 3 }]);
    api = await startApi({ settings: apiSchema.parse({ port: 0 }), apiKeys: [], brokers: [broker.bootstrap], tables, log: quiet });
  });

  after(async () => {
    await api?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers a request exactly like the original emulator\'s with the original response, and the broker holds the record', async () => {
    const res = await post(api, names.topic.pin, { records: [{ value: pinRow }] });
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.equal('application/vnd.kafka.v2+json');
    expect(res.body).to.deep.equal({ offsets: [{ partition: 0, offset: 0, error_code: null, error: null }], key_schema_id: null, value_schema_id: null });
    const value = (await readTopic(broker.bootstrap, names.topic.pin, 1))[0]!.value;
    expect(JSON.parse(value)).to.deep.equal(pinRow);
  });

  it('takes geo and user records with either datetime form, several per request, offsets in order', async () => {
    expect((await post(api, names.topic.geo, { records: [{ value: geoRow }] })).status).to.equal(200);
    const res = await post(api, names.topic.user, { records: [{ value: userRow }, { value: { ...userRow, date_joined: '2015-10-24T11:23:51' } }, { value: { ...userRow, ind: 1 } }] });
    expect(res.status).to.equal(200);
    expect((res.body['offsets'] as { offset: number }[]).map((o) => o.offset)).to.deep.equal([0, 1, 2]);
  });

  it('spreads keyed records by key and honours an explicit partition', async () => {
    const res = await post(api, 'three.parts', { records: [{ key: 'a', value: { n: 1 } }, { key: 'a', value: { n: 2 } }, { value: { n: 3 }, partition: 2 }] });
    expect(res.status).to.equal(200);
    const offsets = res.body['offsets'] as { partition: number; offset: number }[];
    expect(offsets[0]!.partition).to.equal(offsets[1]!.partition);
    expect(offsets[1]!.offset).to.equal(offsets[0]!.offset + 1);
    expect(offsets[2]!.partition).to.equal(2);
  });

  it('takes the binary embedded format (base64 key and value)', async () => {
    const value = Buffer.from(JSON.stringify(geoRow)).toString('base64');
    const res = await post(api, names.topic.geo, { records: [{ key: Buffer.from('k').toString('base64'), value }] }, { 'content-type': 'application/vnd.kafka.binary.v2+json' });
    expect(res.status).to.equal(200);
  });

  it('refuses with the REST Proxy\'s codes: 415 content type, 422xx body, 404xx topic and partition', async () => {
    const wrongType = await post(api, names.topic.pin, { records: [{ value: pinRow }] }, { 'content-type': 'application/json' });
    expect([wrongType.status, wrongType.body['error_code']]).to.deep.equal([415, 415]);
    const badJson = await post(api, names.topic.pin, '{"records": [');
    expect([badJson.status, badJson.body['error_code']]).to.deep.equal([422, 42201]);
    const noKey = await post(api, names.topic.pin, { records: [{ value: pinRow }, { value: { ...pinRow, index: undefined } }] });
    expect([noKey.status, noKey.body['error_code']]).to.deep.equal([422, 42202]);
    expect(noKey.body['message']).to.include('records[1]').and.include('"index"');
    const badAge = await post(api, names.topic.user, { records: [{ value: { ...userRow, age: '20' } }] });
    expect(badAge.body['message']).to.include('records[0]').and.include('"age"');
    const badDate = await post(api, names.topic.geo, { records: [{ value: { ...geoRow, timestamp: '2020-02-30 00:00:00' } }] });
    expect(badDate.body['message']).to.include('"timestamp"');
    const extra = await post(api, names.topic.geo, { records: [{ value: { ...geoRow, colour: 'red' } }] });
    expect(extra.body['message']).to.include('"colour"');
    const noTopic = await post(api, 'no.such.topic', { records: [{ value: {} }] });
    expect([noTopic.status, noTopic.body['error_code']]).to.deep.equal([404, 40401]);
    const noPartition = await post(api, names.topic.pin, { records: [{ value: pinRow, partition: 7 }] });
    expect([noPartition.status, noPartition.body['error_code']]).to.deep.equal([404, 40403]);
  });

  it('answers 429 (42902) with Retry-After when too many records wait for the broker, 413 for a request that could never fit, 405 and 404 for other routes', async () => {
    const tight = await startApi({ settings: apiSchema.parse({ port: 0, max_inflight_records: 2 }), apiKeys: [], brokers: [broker.bootstrap], tables, log: quiet });
    try {
      // More records than the limit in one request: no wait would let it through, so 413 with the limit, not 429.
      const never = await post(tight, names.topic.geo, { records: [{ value: geoRow }, { value: geoRow }, { value: geoRow }] });
      expect([never.status, never.body['error_code'], never.headers.get('retry-after')]).to.deep.equal([413, 41303, null]);
      // Requests that fit, many at once: those past the limit wait for nothing and get 429 with Retry-After.
      const all = await Promise.all(Array.from({ length: 20 }, () => post(tight, names.topic.geo, { records: [{ value: geoRow }, { value: geoRow }] })));
      const busy = all.find((r) => r.status === 429);
      expect(busy && [busy.status, busy.body['error_code'], busy.headers.get('retry-after')]).to.deep.equal([429, 42902, '1']);
      expect(all.some((r) => r.status === 200)).to.equal(true);
      expect((await post(tight, names.topic.geo, { records: [{ value: geoRow }] })).status).to.equal(200);
    } finally {
      await tight.close();
    }
    const del = await fetch(`${api.url}/topics/${names.topic.geo}`, { method: 'DELETE' });
    expect([del.status, ((await del.json()) as { error_code: number }).error_code]).to.deep.equal([405, 40501]);
    const nowhere = await fetch(`${api.url}/nowhere`);
    expect(nowhere.status).to.equal(404);
    const badPath = await fetch(`${api.url}/topics/%ZZ`);
    expect([badPath.status, ((await badPath.json()) as { error_code: number }).error_code]).to.deep.equal([400, 40001]);
  });

  it('bounds sizes like Kafka: 413 for a record over 1 MiB, nothing of the request written', async () => {
    const res = await post(api, 'three.parts', { records: [{ value: { n: 'small' } }, { value: { text: 'x'.repeat(1024 * 1024) } }] });
    expect(res.status).to.equal(413);
    expect(res.body['message']).to.include('records[1]');
    // Only the three records of the earlier test: the small first record of this request was not written.
    expect(await recordsIn(broker.bootstrap, 'three.parts')).to.equal(3);
  });

  it('lists and describes topics', async () => {
    const list = await (await fetch(`${api.url}/topics`)).json();
    expect(list).to.include.members([names.topic.pin, names.topic.geo, names.topic.user, 'three.parts']);
    const d = (await (await fetch(`${api.url}/topics/three.parts`)).json()) as { name: string; partitions: { partition: number; replicas: { leader: boolean }[] }[] };
    expect(d.name).to.equal('three.parts');
    expect(d.partitions.map((p) => p.partition)).to.deep.equal([0, 1, 2]);
    expect((await fetch(`${api.url}/topics/nope`)).status).to.equal(404);
  });

  it('checks API keys (401 without, 403 wrong) and limits the rate (429 with Retry-After)', async () => {
    const guarded = await startApi({ settings: apiSchema.parse({ port: 0, require_api_key: true, rate_limit_rps: 2 }), apiKeys: ['k1'], brokers: [broker.bootstrap], tables, log: quiet });
    try {
      expect((await post(guarded, names.topic.geo, { records: [{ value: geoRow }] })).status).to.equal(401);
      expect((await post(guarded, names.topic.geo, { records: [{ value: geoRow }] }, { 'x-api-key': 'k2' })).status).to.equal(403);
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 4; i++) {
        const r = await post(guarded, names.topic.geo, { records: [{ value: geoRow }] }, { 'x-api-key': 'k1' });
        statuses.push(r.status);
        if (r.status === 429) retryAfter = r.headers.get('retry-after');
      }
      expect(statuses.slice(0, 2)).to.deep.equal([200, 200]);
      expect(statuses).to.include(429);
      expect(Number(retryAfter)).to.be.at.least(1);
    } finally {
      await guarded.close();
    }
  });

  it('answers 503 with Retry-After while the broker is down, and 200 again once it is back', async () => {
    await broker.kill();
    const started = Date.now();
    const down = await post(api, names.topic.geo, { records: [{ value: geoRow }] });
    expect(down.status).to.equal(503);
    expect(down.body['error_code']).to.equal(50301);
    expect(down.headers.get('retry-after')).to.equal('5');
    expect(Date.now() - started).to.be.below(60_000);
    expect((await fetch(`${api.url}/health`)).status).to.equal(503);
    broker = await startBroker({ dataDir: dir, log: quiet });
    let status = 0;
    for (let i = 0; i < 30 && status !== 200; i++) {
      status = (await post(api, names.topic.geo, { records: [{ value: geoRow }] })).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 1000));
    }
    expect(status).to.equal(200);
    expect((await fetch(`${api.url}/health`)).status).to.equal(200);
  });

  it('exposes Prometheus metrics: requests, records, errors, latency, producer queue', async () => {
    const text = await (await fetch(`${api.url}/metrics`)).text();
    expect(text).to.match(/pinpipe_api_requests_total\{route="produce",status="200"\} \d+/);
    expect(text).to.match(/pinpipe_api_records_total\{topic="0affe4008223.pin"\} 1/);
    expect(text).to.match(/pinpipe_api_errors_total\{status="415",code="415"\} 1/);
    expect(text).to.include('pinpipe_api_request_seconds_bucket');
    expect(text).to.include('pinpipe_api_producer_inflight_records 0');
  });

  it('serves the original posting scripts\' pattern on a fresh source load of the real rows: the same offset in the three tables, one record a request, a stage in the URL', async () => {
    const db = await EmbeddedSource.open(path.join(dir, 'source.sqlite'));
    const offsets = readFileSync(path.join(REAL_DIR, 'seed100_row_sequence.txt'), 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number).slice(0, 120);
    const before = await Promise.all([names.topic.pin, names.topic.geo, names.topic.user].map((t) => recordsIn(broker.bootstrap, t)));
    try {
      const { generated } = await loadSource(db, REAL_DIR, quiet);
      expect(generated.length, 'pin keys generated to fill the gaps').to.equal(11154 - 5316);
      for (const offset of offsets) {
        // As the original: SELECT * FROM <table> LIMIT <offset>, 1 in each table, the same random offset.
        const rows = await Promise.all((['pin', 'geo', 'user'] as const).map((t) => db.row(t, offset)));
        expect(rows.every((r) => r !== null), `offset ${offset}`).to.equal(true);
        expect(new Set([rows[0]!['index'], rows[1]!['ind'], rows[2]!['ind']]).size, `offset ${offset}: one key in the three tables`).to.equal(1);
        for (const [t, row] of [[names.topic.pin, rows[0]], [names.topic.geo, rows[1]], [names.topic.user, rows[2]]] as const) {
          const res = await fetch(`${api.url}/dev/topics/${t}`, { method: 'POST', headers: { 'content-type': JSON_V2 }, body: JSON.stringify({ records: [{ value: row }] }) });
          expect(res.status, `${t} at offset ${offset}: ${await res.clone().text()}`).to.equal(200);
        }
      }
    } finally {
      await db.close();
    }
    const after = await Promise.all([names.topic.pin, names.topic.geo, names.topic.user].map((t) => recordsIn(broker.bootstrap, t)));
    expect(after.map((n, i) => n - before[i]!)).to.deep.equal([offsets.length, offsets.length, offsets.length]);
  });
});
