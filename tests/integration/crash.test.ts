// Crash test of the whole Kafka path: clients post through the ingestion API while the broker and the sink
// are killed with SIGKILL at random moments and restarted. Each attempt carries its own id, so a request
// the API did not acknowledge and the client sent again is a different record. At the end every
// acknowledged record is landed exactly once, and no record is landed twice.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopics } from '../helpers/kafka.ts';
import { apiSchema } from '../../src/config/schema.ts';
import { startApi } from '../../src/api/server.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { PROJECT_ROOT } from '../../src/project.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TOPIC = 'crash.events';

function landed(lake: string): string[] {
  const dir = path.join(lake, 'topics', TOPIC, 'partition=0');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
  } catch {
    return [];
  }
  return files.flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
}

describe('crash test: broker and sink killed during a run', function () {
  this.timeout(900_000);
  let dir: string;
  let broker: Broker;

  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-crash-')); });
  after(async () => {
    await broker?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands every acknowledged record exactly once after kill -9 of the broker (3 times) and of the sink (3 times)', async () => {
    const dataDir = path.join(dir, 'kafka');
    broker = await startBroker({ dataDir, log: () => {} });
    await createTopics(broker.bootstrap, [{ topic: TOPIC, partitions: 1 }]);
    const api = await startApi({ settings: apiSchema.parse({ port: 0 }), apiKeys: [], brokers: [broker.bootstrap], tables: {}, log: () => {} });
    const lake = path.join(dir, 'lake');
    const spawnSink = (): ChildProcess => spawn(process.execPath, [
      path.join(PROJECT_ROOT, 'bin', 'pinpipe.js'), 'sink', '--lake', lake, '--bootstrap', broker.bootstrap, '--topics', TOPIC,
      '--group', 'crash-sink', '--flush-records', '50', '--flush-age-ms', '300',
    ], { stdio: 'ignore' });
    let sink = spawnSink();

    const acknowledged: string[] = [];
    let running = true;
    let refused = 0;
    const client = async (c: number) => {
      for (let id = 0; running; id++) {
        for (let attempt = 0; running; attempt++) {
          const value = { client: c, id, attempt };
          let ok = false;
          try {
            const res = await fetch(`${api.url}/topics/${TOPIC}`, {
              method: 'POST',
              headers: { 'content-type': 'application/vnd.kafka.json.v2+json' },
              body: JSON.stringify({ records: [{ value }] }),
              signal: AbortSignal.timeout(30_000),
            });
            await res.arrayBuffer();
            ok = res.status === 200;
          } catch {
            ok = false;
          }
          if (ok) {
            acknowledged.push(JSON.stringify(value));
            break;
          }
          refused++;
          await sleep(300);
        }
      }
    };
    const clients = Array.from({ length: 4 }, (_, c) => client(c));

    for (let round = 0; round < 3; round++) {
      await sleep(2000 + Math.floor(Math.random() * 2000));
      await broker.kill();
      await sleep(500 + Math.floor(Math.random() * 1500));
      broker = await startBroker({ dataDir, log: () => {} });
      await sleep(1000 + Math.floor(Math.random() * 2000));
      sink.kill('SIGKILL');
      await new Promise((r) => sink.once('exit', r));
      sink = spawnSink();
    }
    await sleep(3000);
    running = false;
    await Promise.all(clients);
    await api.close();

    for (let i = 0; i < 900; i++) {
      const values = new Set(landed(lake));
      if (acknowledged.every((v) => values.has(v))) break;
      await sleep(200);
    }
    await sleep(2000);
    sink.kill('SIGTERM');
    await new Promise((r) => sink.once('exit', r));

    const lines = landed(lake);
    const counts = new Map<string, number>();
    for (const l of lines) counts.set(l, (counts.get(l) ?? 0) + 1);
    expect(acknowledged.length, 'acknowledged').to.be.above(200);
    expect(refused, 'requests refused while the broker was down').to.be.above(0);
    const missing = acknowledged.filter((v) => !counts.has(v));
    expect(missing, 'acknowledged but not landed').to.deep.equal([]);
    const twice = [...counts].filter(([, n]) => n > 1);
    expect(twice, 'landed more than once').to.deep.equal([]);
  });
});
