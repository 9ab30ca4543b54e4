// Fuzzing the ingestion API (a process of its own) on the real broker: thousands of malformed, oversized,
// mistyped, deeply nested, prototype-named, binary and valid requests, in random order; then 1,000 clients
// at once, a body trickled byte by byte and headers never finished. No 5xx (the count is printed), no
// crash, nothing half-written: the broker holds exactly the records of the requests answered 200, each one
// whole. The API's peak memory is printed and bounded.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { startApiProcess, stopApiProcess, peakRssMiB } from '../helpers/api-process-spawn.ts';
import { allocatePort } from '../../src/local/ports.ts';
import os from 'node:os';
import path from 'node:path';
import { createTopics, recordsIn } from '../helpers/kafka.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { Random } from '../../src/emulator/random.ts';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';
const TOPIC = 'fz.geo';
const good = (ind: number) => ({ ind, timestamp: '2020-08-28 03:52:47', latitude: -12.5, longitude: 40.25, country: 'Albania' });

describe('ingestion API under fuzzing', function () {
  this.timeout(600_000);
  let dir: string;
  let broker: Broker;
  let api: { url: string; process: ChildProcess };
  let fivexx = 0;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-fuzz-'));
    broker = await startBroker({ dataDir: dir, log: () => {} });
    await createTopics(broker.bootstrap, [{ topic: TOPIC, partitions: 2 }]);
    const port = await allocatePort();
    const settings = { max_request_bytes: 256 * 1024, max_record_bytes: 64 * 1024, max_inflight_records: 5000, request_timeout_seconds: 4, headers_timeout_seconds: 2 };
    api = { url: `http://127.0.0.1:${port}`, process: await startApiProcess({ bootstrap: broker.bootstrap, port, settings, tables: { [TOPIC]: 'geo' } }) };
  });

  after(async () => {
    if (api) await stopApiProcess(api.process);
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
    const deep = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
    const b64 = (t: string) => Buffer.from(t).toString('base64');
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
      const extra = Math.floor(rand() * 3) === 0 ? 10 + Math.floor(rand() * 6) : kind;
      switch (extra) {
        // Nesting 20,000 deep (within the body limit) in a key, in a value field, in a binary value.
        case 10: {
          const where = Math.floor(rand() * 3);
          type = where === 2 ? BINARY_V2 : JSON_V2;
          body = [`{"records":[{"key":${deep(20_000)},"value":${JSON.stringify(good(ind++))}}]}`, `{"records":[{"value":{"ind":1,"country":${deep(20_000)}}}]}`, JSON.stringify({ records: [{ value: b64(deep(20_000)) }] })][where]!;
          break;
        }
        // Fields named like built-in properties.
        case 11: body = pick(['{"records":[{"value":{"ind":1,"__proto__":{"x":1}}}]}', JSON.stringify({ records: [{ value: { ...good(ind++), constructor: 'x' } }] }), JSON.stringify({ records: [{ value: { ...good(ind++), toString: 'x' } }] })]); break;
        // Binary values that are not one JSON object, or hold a raw line break inside a string.
        case 12: type = BINARY_V2; body = JSON.stringify({ records: [{ value: b64(pick(['not json', '{"ind":1,"country":"a\nb"}', '[1]', '{"ind":1}{"ind":2}', junk() + '\n'])) }] }); break;
        // Binary values pretty-printed with CRs and LFs between tokens: valid, landed compact.
        case 13: { type = BINARY_V2; const n = 1 + Math.floor(rand() * 3); body = JSON.stringify({ records: Array.from({ length: n }, () => ({ value: b64(JSON.stringify(good(ind++), null, 2).replace(/\n/g, '\r\n')) })) }); valid = n; break; }
        // More records than the in-flight limit: 413, however long one waits.
        case 14: body = JSON.stringify({ records: Array.from({ length: 5001 }, () => ({ value: {} })) }); break;
        default:
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
      }
      return { url, method, type, body, valid };
    });
    const queue = [...requests];
    await Promise.all(Array.from({ length: 16 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const res = await fetch(r.url, { method: r.method, headers: r.type ? { 'content-type': r.type } : {}, ...(r.method === 'GET' ? {} : { body: r.body }) });
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) fivexx++;
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
    console.log(`      fuzz: ${requests.length} requests, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}, 5xx ${fivexx}`);
    expect(fivexx, '5xx answers').to.equal(0);
    expect(statuses.get(413), '413 answers (sizes, too many records)').to.be.above(0);
  });

  it('serves 1,000 clients at once, answers a trickled body 408 and closes unfinished headers, with no 5xx and bounded memory', async () => {
    const before = await recordsIn(broker.bootstrap, TOPIC);
    const statuses = new Map<number, number>();
    // A trickled body and unfinished headers run beside the crowd. Each resolves when the API answers or
    // closes, or after 30 s (then the assertions below fail rather than the test hanging).
    const port = Number(new URL(api.url).port);
    const slowClient = (head: string, trickleMs: number | null) => new Promise<{ got: string; ms: number }>((resolve) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      let t: NodeJS.Timeout | undefined;
      const finish = () => { clearInterval(t); clearTimeout(deadline); socket.destroy(); resolve({ got, ms: Date.now() - started }); };
      const deadline = setTimeout(finish, 30_000);
      socket.on('data', (d) => { got += d.toString(); if (got.includes('\r\n\r\n')) finish(); });
      socket.on('end', finish);
      socket.on('close', finish);
      socket.on('error', () => {});
      socket.write(head);
      if (trickleMs) t = setInterval(() => socket.write(' '), trickleMs);
    });
    const trickle = slowClient(`POST /topics/${TOPIC} HTTP/1.1\r\nHost: x\r\nContent-Type: ${JSON_V2}\r\nContent-Length: 1000\r\n\r\n{`, 500).then((r) => r.got);
    const unfinished = slowClient(`POST /topics/${TOPIC} HTTP/1.1\r\nHost: x\r\n`, null).then((r) => r.ms);
    const crowd = await Promise.all(Array.from({ length: 1000 }, async (_, i) => {
      try {
        const res = await fetch(`${api.url}/topics/${TOPIC}`, { method: 'POST', headers: { 'content-type': JSON_V2 }, body: JSON.stringify({ records: [{ value: { ...good(1_000_000 + i), country: 'c'.repeat(2000) } }] }), signal: AbortSignal.timeout(120_000) });
        await res.arrayBuffer();
        return res.status;
      } catch {
        return 0;
      }
    }));
    for (const s of crowd) statuses.set(s, (statuses.get(s) ?? 0) + 1);
    const trickled = await trickle;
    const unfinishedMs = await unfinished;
    const peak = peakRssMiB(api.process.pid!);
    const crowd5xx = crowd.filter((s) => s >= 500).length;
    fivexx += crowd5xx;
    console.log(`      fuzz: 1,000 clients at once: statuses ${JSON.stringify(Object.fromEntries(statuses))}; trickled body answered ${trickled.split('\r\n')[0]}; unfinished headers closed after ${(unfinishedMs / 1000).toFixed(1)} s; 5xx over the whole test ${fivexx}; API peak RSS ${peak.toFixed(0)} MiB`);
    expect(statuses.get(200), 'clients answered 200').to.equal(1000);
    expect(crowd5xx).to.equal(0);
    expect(trickled).to.match(/^HTTP\/1\.1 408/).and.include('"error_code":40801');
    expect(unfinishedMs, 'unfinished headers closed within the headers timeout and a check interval').to.be.below(10_000);
    expect(await recordsIn(broker.bootstrap, TOPIC) - before, 'records of the crowd in the broker').to.equal(1000);
    expect(peak, 'API peak RSS (MiB)').to.be.below(512);
  });
});
