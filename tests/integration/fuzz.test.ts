// Fuzzing the ingestion API on the real broker: thousands of malformed, oversized, mistyped and valid
// requests, in random order. No 5xx, no crash, and nothing half-written: the broker holds exactly the
// records of the requests answered 200, each one whole.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopics, recordsIn } from '../helpers/kafka.ts';
import { apiSchema } from '../../src/config/schema.ts';
import { startApi, type ApiServer } from '../../src/api/server.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { Random } from '../../src/emulator/random.ts';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const TOPIC = 'fz.geo';
const good = (ind: number) => ({ ind, timestamp: '2020-08-28 03:52:47', latitude: -12.5, longitude: 40.25, country: 'Albania' });

describe('ingestion API under fuzzing', function () {
  this.timeout(600_000);
  let dir: string;
  let broker: Broker;
  let api: ApiServer;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-fuzz-'));
    broker = await startBroker({ dataDir: dir, log: () => {} });
    await createTopics(broker.bootstrap, [{ topic: TOPIC, partitions: 2 }]);
    api = await startApi({ settings: apiSchema.parse({ port: 0, max_request_bytes: 256 * 1024, max_record_bytes: 64 * 1024 }), apiKeys: [], brokers: [broker.bootstrap], tables: { [TOPIC]: 'geo' }, log: () => {} });
  });

  after(async () => {
    await api?.close();
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers 3,000 random requests without a 5xx and writes exactly the accepted records', async () => {
    const rng = new Random('fuzz');
    const rand = () => rng.next();
    const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)]!;
    const junk = () => Array.from({ length: Math.floor(rand() * 40) }, () => String.fromCharCode(Math.floor(rand() * 0x3000))).join('');
    // Each mutation breaks the record for sure: a wrong type, a missing key, an impossible datetime, an
    // unknown field, or a value that is not an object.
    const breakers: ((v: Record<string, unknown>) => unknown)[] = [
      (v) => ({ ...v, ind: 'x' }), (v) => ({ ...v, ind: null }), (v) => ({ ...v, ind: 1.5 }), (v) => { const { ind: _i, ...rest } = v; return rest; },
      (v) => ({ ...v, latitude: 'x' }), (v) => ({ ...v, longitude: [] }), (v) => ({ ...v, country: 1.5 }), (v) => ({ ...v, country: {} }),
      (v) => ({ ...v, timestamp: '2020-13-45 25:61:61' }), (v) => ({ ...v, timestamp: 5 }), (v) => ({ ...v, timestamp: junk() + 'z' }),
      (v) => ({ ...v, [`extra_${Math.floor(rand() * 100)}`]: true }), () => [], () => junk(), () => null, () => 42,
    ];
    const mutate = (v: Record<string, unknown>): unknown => pick(breakers)(v);
    let accepted = 0;
    const statuses = new Map<number, number>();
    let ind = 0;
    const requests = Array.from({ length: 3000 }, () => {
      const kind = Math.floor(rand() * 10);
      let body: string;
      let type = JSON_V2;
      let method = 'POST';
      let url = `${api.url}/topics/${TOPIC}`;
      let valid = 0;
      switch (kind) {
        case 0: body = junk(); break;
        case 1: body = JSON.stringify({ records: [{ value: mutate(good(ind++)) }] }); break;
        case 2: body = JSON.stringify({ records: Array.from({ length: 3 }, () => ({ value: good(ind++) })).concat([{ value: mutate(good(ind++)) as never }]) }); break;
        case 3: body = JSON.stringify({ records: [{ value: { ...good(ind++), country: 'x'.repeat(70 * 1024) } }] }); break;
        case 4: body = JSON.stringify({ records: Array.from({ length: 8 }, () => ({ value: { ...good(ind++), country: 'y'.repeat(40 * 1024) } })) }); break;
        case 5: type = pick(['application/json', 'text/plain', '', 'application/vnd.kafka.avro.v2+json']); body = JSON.stringify({ records: [{ value: good(ind++) }] }); break;
        case 6: url = `${api.url}/${pick(['topics/nope', 'topic', 'topics/%ZZ', 'streams/x', ''])}`; method = pick(['POST', 'GET', 'DELETE', 'PUT']); body = '{}'; break;
        case 7: body = JSON.stringify(pick<unknown>([[], null, 42, { records: {} }, { records: [] }, { records: [1, 2] }, { records: [{ value: good(ind++), partition: 9 }] }, { records: [{ key: 'k' }] }])); break;
        default: {
          const n = 1 + Math.floor(rand() * 5);
          body = JSON.stringify({ records: Array.from({ length: n }, () => ({ value: good(ind++), ...(rand() < 0.3 ? { key: junk() } : {}) })) });
          valid = n;
        }
      }
      return { url, method, type, body, valid };
    });
    const queue = [...requests];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const res = await fetch(r.url, { method: r.method, headers: r.type ? { 'content-type': r.type } : {}, ...(r.method === 'GET' ? {} : { body: r.body }) });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.status, `${r.method} ${r.url}: ${text.slice(0, 200)}`).to.be.below(500);
        if (res.status === 200 && r.method === 'POST' && r.url.endsWith(`/topics/${TOPIC}`)) {
          const offsets = (JSON.parse(text) as { offsets: unknown[] }).offsets;
          accepted += offsets.length;
          expect(offsets.length).to.equal(r.valid);
        } else if (r.valid && r.method === 'POST') {
          expect.fail(`a valid request was refused: ${res.status} ${text.slice(0, 200)}`);
        }
      }
    }));
    expect(statuses.get(200)).to.be.above(500);
    expect([...statuses.keys()].some((s) => s === 422)).to.equal(true);
    expect((await fetch(`${api.url}/health`)).status).to.equal(200);
    expect(await recordsIn(broker.bootstrap, TOPIC), 'records in the broker').to.equal(accepted);
  });
});
