// Crash test of the whole Kafka path: clients post through the ingestion API (a process of its own) while
// the broker, the sink and the API are killed with SIGKILL at random moments and restarted. Half the records
// go in the binary embedded format, pretty-printed with CRs and LFs between tokens and carrying arbitrary
// characters (control characters, quotes, backslashes, astral code points) in a string. Each attempt carries
// its own id, so a request the API did not acknowledge and the client sent again is a different record. At
// the end every acknowledged record is landed exactly once, with its text intact, and none twice; the test
// prints acknowledged, landed, lost and duplicated.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopics } from '../helpers/kafka.ts';
import { startApiProcess, stopApiProcess } from '../helpers/api-process-spawn.ts';
import { exited, killed, signalled } from '../helpers/child.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { allocatePort } from '../../src/local/ports.ts';
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

/** A string of arbitrary characters: controls, quotes, backslashes, line breaks, astral code points. */
function blob(rand: () => number): string {
  const pool = ['\n', '\r', '\u0000', '\u001f', '"', '\\', '\u2028', '😀', 'é', ' ', '\t', '{', '}'];
  return Array.from({ length: 1 + Math.floor(rand() * 30) }, () => (rand() < 0.5 ? pool[Math.floor(rand() * pool.length)]! : String.fromCharCode(32 + Math.floor(rand() * 95)))).join('');
}

/** JSON text with random whitespace (CR, LF, tabs, spaces) between its tokens. */
function pretty(value: unknown, rand: () => number): string {
  const ws = () => ['', ' ', '\r\n', '\n', '\t', '\r'][Math.floor(rand() * 6)]!;
  if (value && typeof value === 'object') {
    return `{${ws()}${Object.entries(value).map(([k, v]) => `${ws()}${JSON.stringify(k)}${ws()}:${ws()}${pretty(v, rand)}${ws()}`).join(',')}}${ws()}`;
  }
  return JSON.stringify(value);
}

describe('crash test: broker, sink and API killed during a run', function () {
  this.timeout(900_000);
  let dir: string;
  let broker: Broker;

  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-crash-')); });
  after(async () => {
    await broker?.stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands every acknowledged record exactly once after kill -9 of the broker, the sink and the API (3 times each)', async () => {
    const dataDir = path.join(dir, 'kafka');
    broker = await startBroker({ dataDir, log: () => {} });
    await createTopics(broker.bootstrap, [{ topic: TOPIC, partitions: 1 }]);
    const apiPort = await allocatePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    const died: string[] = [];
    const watched = (child: ChildProcess, name: string): ChildProcess => {
      child.once('exit', (code, signal) => { if (!signalled.has(child)) died.push(`the ${name} ended on its own (exit ${code ?? signal})`); });
      return child;
    };
    let apiProcess = watched(await startApiProcess({ bootstrap: broker.bootstrap, port: apiPort }), 'API');
    const lake = path.join(dir, 'lake');
    // The sink's output goes to a file, shown should the test fail; a sink that ends on its own fails the test.
    const sinkLog = path.join(dir, 'sink.log');
    const spawnSink = (): ChildProcess => {
      const out = openSync(sinkLog, 'a');
      const child = spawn(process.execPath, [
        path.join(PROJECT_ROOT, 'bin', 'pinpipe.js'), 'sink', '--lake', lake, '--bootstrap', broker.bootstrap, '--topics', TOPIC,
        '--group', 'crash-sink', '--flush-records', '50', '--flush-age-ms', '300',
      ], { stdio: ['ignore', out, out] });
      closeSync(out);
      return watched(child, 'sink');
    };
    const tail = () => (existsSync(sinkLog) ? readFileSync(sinkLog, 'utf8').split('\n').slice(-30).join('\n') : '');
    let sink = spawnSink();

    /** Acknowledged record id -> its text field, as sent. */
    const acknowledged = new Map<string, string>();
    let running = true;
    let refused = 0;
    let seed = 11;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const client = async (c: number) => {
      for (let id = 0; running; id++) {
        for (let attempt = 0; running; attempt++) {
          const value = { client: c, id, attempt, text: blob(rand) };
          const binary = (id + c) % 2 === 0;
          let ok = false;
          try {
            const res = await fetch(`${apiUrl}/topics/${TOPIC}`, {
              method: 'POST',
              headers: { 'content-type': binary ? 'application/vnd.kafka.binary.v2+json' : 'application/vnd.kafka.json.v2+json' },
              body: JSON.stringify({ records: [{ value: binary ? Buffer.from(pretty(value, rand)).toString('base64') : value }] }),
              signal: AbortSignal.timeout(30_000),
            });
            await res.arrayBuffer();
            ok = res.status === 200;
          } catch {
            ok = false;
          }
          if (ok) {
            acknowledged.set(`${c}/${id}/${attempt}`, value.text);
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
      await killed(sink);
      sink = spawnSink();
      await sleep(1000 + Math.floor(Math.random() * 2000));
      await killed(apiProcess);
      await sleep(300 + Math.floor(Math.random() * 700));
      apiProcess = watched(await startApiProcess({ bootstrap: broker.bootstrap, port: apiPort }), 'API');
    }
    await sleep(3000);
    running = false;
    await Promise.all(clients);
    signalled.add(apiProcess);
    await stopApiProcess(apiProcess);

    // Each landed line is one record (JSON); its id and text as landed.
    const read = () => landed(lake).map((l) => JSON.parse(l) as { client: number; id: number; attempt: number; text: string });
    for (let i = 0; i < 900; i++) {
      const ids = new Set(read().map((r) => `${r.client}/${r.id}/${r.attempt}`));
      if ([...acknowledged.keys()].every((k) => ids.has(k))) break;
      await sleep(200);
    }
    await sleep(2000);
    // A clean stop of the sink; should it not end within 30 s, that is reported (and it is killed).
    const sinkExited = exited(sink);
    signalled.add(sink);
    sink.kill('SIGTERM');
    let stopHung = false;
    const guard = setTimeout(() => { stopHung = true; sink.kill('SIGKILL'); }, 30_000);
    await sinkExited;
    clearTimeout(guard);

    const records = read();
    const counts = new Map<string, number>();
    const texts = new Map<string, string>();
    for (const r of records) {
      const k = `${r.client}/${r.id}/${r.attempt}`;
      counts.set(k, (counts.get(k) ?? 0) + 1);
      texts.set(k, r.text);
    }
    const missing = [...acknowledged.keys()].filter((k) => !counts.has(k));
    const twice = [...counts].filter(([, n]) => n > 1);
    const altered = [...acknowledged].filter(([k, text]) => counts.has(k) && texts.get(k) !== text);
    const unacknowledged = [...counts.keys()].filter((k) => !acknowledged.has(k)).length;
    console.log(`      crash test: acknowledged ${acknowledged.size}, landed ${records.length}, lost ${missing.length}, duplicated ${twice.length}, altered ${altered.length}; landed but never acknowledged (a crash before the answer; the client sent it again as a new attempt) ${unacknowledged}; requests refused during crashes ${refused}`);
    expect(died, tail()).to.deep.equal([]);
    expect(acknowledged.size, 'acknowledged').to.be.above(200);
    expect(refused, 'requests refused while the broker or the API was down').to.be.above(0);
    expect(missing, `acknowledged but not landed; the sink's last lines:\n${tail()}`).to.deep.equal([]);
    expect(twice, 'landed more than once').to.deep.equal([]);
    expect(altered, 'landed with another text').to.deep.equal([]);
    expect(stopHung, 'the sink stopped cleanly on SIGTERM within 30 s').to.equal(false);
  });
});
