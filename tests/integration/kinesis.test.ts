// The API's Kinesis proxy routes on kinesalite (LevelDB-backed, in its own process), read back with the
// AWS SDK: the original client's PutRecord, PutRecords, stream admin, the errors and limits, Kinesis going
// away (503 with Retry-After) and coming back with every acknowledged record still there.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand } from '@aws-sdk/client-kinesis';
import { apiSchema } from '../../src/config/schema.ts';
import { namesFor } from '../../src/config/index.ts';
import { startApi, type ApiServer } from '../../src/api/server.ts';
import { kinesisClient, startKinesis, type LocalKinesis } from '../../src/local/kinesis.ts';
import { loadConfig } from '../../src/config/index.ts';
import { EmbeddedSource } from '../../src/source/db.ts';
import { emulate } from '../../src/emulator/emulate.ts';
import { readSourceTable } from '../../src/source/files.ts';
import { REAL_DIR } from '../fixtures/index.ts';

const names = namesFor('0affe4008223');
const GEO = names.stream.geo;
const geoRow = { ind: 7528, timestamp: '2020-08-28T03:52:47', latitude: -89.9787, longitude: -179.689, country: 'Albania' };

async function call(api: ApiServer, method: string, route: string, body?: unknown, type = 'application/json') {
  const res = await fetch(`${api.url}${route}`, { method, headers: { 'content-type': type }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

describe('ingestion API: Kinesis proxy routes on kinesalite', function () {
  this.timeout(300_000);
  let dir: string;
  let kinesis: LocalKinesis;
  let api: ApiServer;

  const start = async () => {
    kinesis = await startKinesis({ dataDir: dir });
    api = await startApi({
      settings: apiSchema.parse({ port: 0 }), apiKeys: [], brokers: ['127.0.0.1:9'], tables: {},
      kinesis: { client: kinesisClient(kinesis.endpoint), tables: { [names.stream.pin]: 'pin', [GEO]: 'geo', [names.stream.user]: 'user' } },
    });
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-kinesis-'));
    await start();
  });

  after(async () => {
    await api?.close();
    await kinesis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function readAll(stream = GEO): Promise<string[]> {
    const client = kinesisClient(kinesis.endpoint);
    const it = await client.send(new GetShardIteratorCommand({ StreamName: stream, ShardId: 'shardId-000000000000', ShardIteratorType: 'TRIM_HORIZON' }));
    const out = await client.send(new GetRecordsCommand({ ShardIterator: it.ShardIterator!, Limit: 10000 }));
    return (out.Records ?? []).map((r) => Buffer.from(r.Data!).toString('utf8'));
  }

  it('creates, lists and describes streams', async () => {
    expect((await call(api, 'POST', `/streams/${GEO}`, { ShardCount: 1 })).status).to.equal(200);
    for (let i = 0; i < 50; i++) {
      const d = await call(api, 'GET', `/streams/${GEO}`);
      if ((d.body['StreamDescription'] as { StreamStatus: string }).StreamStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const list = await call(api, 'GET', '/streams');
    expect(list.body).to.deep.equal({ StreamNames: [GEO], HasMoreStreams: false });
    const d = (await call(api, 'GET', `/streams/${GEO}`)).body['StreamDescription'] as Record<string, unknown>;
    expect(d['StreamName']).to.equal(GEO);
    expect(typeof d['StreamCreationTimestamp']).to.equal('number');
  });

  it('takes the original client\'s PutRecord and stores the JSON text of Data', async () => {
    const res = await call(api, 'PUT', `/streams/${GEO}/record`, { StreamName: GEO, Data: geoRow, PartitionKey: 'partition-1' });
    expect(res.status).to.equal(200);
    expect(Object.keys(res.body).sort()).to.deep.equal(['SequenceNumber', 'ShardId']);
    expect(res.body['ShardId']).to.equal('shardId-000000000000');
    expect(await readAll()).to.deep.equal([JSON.stringify(geoRow)]);
  });

  it('takes PutRecords and answers in Kinesis\' shape', async () => {
    const res = await call(api, 'PUT', `/streams/${GEO}/records`, { records: [1, 2, 3].map((i) => ({ data: { ...geoRow, ind: i }, 'partition-key': `k${i}` })) });
    expect(res.status).to.equal(200);
    expect(res.body['FailedRecordCount']).to.equal(0);
    expect((res.body['Records'] as unknown[]).length).to.equal(3);
    expect(await readAll()).to.have.length(4);
  });

  it('stores Data as the client wrote it, compacted: numbers keep their digits (-90.0 stays -90.0)', async () => {
    const RAW = 'raw-text';
    expect((await call(api, 'POST', `/streams/${RAW}`, { ShardCount: 1 })).status).to.equal(200);
    for (let i = 0; i < 50 && ((await call(api, 'GET', `/streams/${RAW}`)).body['StreamDescription'] as { StreamStatus: string }).StreamStatus !== 'ACTIVE'; i++) await new Promise((r) => setTimeout(r, 100));
    const raw = async (route: string, text: string) => (await fetch(`${api.url}${route}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: text })).status;
    expect(await raw(`/streams/${RAW}/record`, '{"StreamName": "' + RAW + '", "Data": {"ind": 9001, "latitude": -90.0, "longitude": 1e2,\n "country": "\\u00e9"}, "PartitionKey": "p"}')).to.equal(200);
    expect(await raw(`/streams/${RAW}/records`, '{"records": [{"data": {"ind": 9002, "latitude": 10.50}, "partition-key": "p"}, {"partition-key": "q", "data": {"ind": 9003, "latitude": -0.0}}]}')).to.equal(200);
    expect(await readAll(RAW)).to.deep.equal([
      '{"ind":9001,"latitude":-90.0,"longitude":1e2,"country":"\\u00e9"}',
      '{"ind":9002,"latitude":10.50}',
      '{"ind":9003,"latitude":-0.0}',
    ]);
    expect((await call(api, 'DELETE', `/streams/${RAW}`)).status).to.equal(200);
  });

  it('refuses with clear errors: unknown stream, bad record, content type, limits', async () => {
    const missing = await call(api, 'PUT', '/streams/nope/record', { Data: {}, PartitionKey: 'p' });
    expect([missing.status, missing.body['__type']]).to.deep.equal([400, 'ResourceNotFoundException']);
    const bad = await call(api, 'PUT', `/streams/${GEO}/record`, { Data: { ...geoRow, latitude: 'south' }, PartitionKey: 'p' });
    expect(bad.status).to.equal(422);
    expect(bad.body['message']).to.include('Data.latitude');
    const noKey = await call(api, 'PUT', `/streams/${GEO}/records`, { records: [{ data: geoRow, 'partition-key': 'a' }, { data: geoRow }] });
    expect(noKey.body['message']).to.include('records[1]').and.include('partition-key');
    expect((await call(api, 'PUT', `/streams/${GEO}/record`, { Data: geoRow, PartitionKey: 'p' }, 'text/plain')).status).to.equal(415);
    const tooMany = await call(api, 'PUT', `/streams/${GEO}/records`, { records: Array.from({ length: 501 }, () => ({ data: geoRow, 'partition-key': 'p' })) });
    expect(tooMany.status).to.equal(413);
    const big = await call(api, 'PUT', '/streams/other/record', { Data: { blob: 'x'.repeat(1024 * 1024) }, PartitionKey: 'p' });
    expect(big.status).to.equal(413);
    expect(await readAll()).to.have.length(4);
  });

  it('answers 503 with Retry-After while Kinesis is down, and keeps every acknowledged record across a restart', async () => {
    await kinesis.kill();
    const down = await call(api, 'PUT', `/streams/${GEO}/record`, { Data: geoRow, PartitionKey: 'p' });
    expect(down.status).to.equal(503);
    expect(down.headers.get('retry-after')).to.equal('5');
    await api.close();
    await start();
    expect(await readAll()).to.have.length(4);
    expect((await call(api, 'PUT', `/streams/${GEO}/record`, { Data: geoRow, PartitionKey: 'p' })).status).to.equal(200);
  });

  it('carries the emulator in stream mode: PutRecord, then PutRecords, every selected record acknowledged and in the stream', async () => {
    const config = loadConfig({ lake: dir, env: {}, cwd: dir });
    const db = await EmbeddedSource.open(path.join(dir, 'source.sqlite'));
    try {
      for (const t of ['pin', 'geo', 'user'] as const) await db.load(t, readSourceTable(REAL_DIR, t));
      for (const t of ['pin', 'user'] as const) expect((await call(api, 'POST', `/streams/${names.stream[t]}`, { ShardCount: 1 })).status).to.equal(200);
      await new Promise((r) => setTimeout(r, 300));
      const before = (await readAll()).length;
      let total = 0;
      for (const batchSize of [1, 10]) {
        const s = await emulate(config, db, { mode: 'stream', count: 40, rate: 0, concurrency: 3, batchSize, seed: 100, apiUrl: api.url });
        for (const t of ['pin', 'geo', 'user'] as const) {
          expect(s.tables[t].failed, `${t} failed`).to.equal(0);
          expect(s.tables[t].acknowledged, `${t} acknowledged`).to.equal(s.tables[t].selected);
        }
        total += s.tables.geo.acknowledged;
      }
      const geo = (await readAll()).slice(before).map((l) => JSON.parse(l) as { ind: number });
      expect(geo).to.have.length(total);
    } finally {
      await db.close();
    }
  });
});
