// The sink on the real broker: records land in the S3 connector's layout, flushed by count, bytes and
// age; and the crash test: the sink process is killed with SIGKILL at random moments while records are
// produced, restarted each time, and at the end every acknowledged record is landed exactly once.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopics, idempotentProducer, messages, setCommittedOffset, transactionalProducer } from '../helpers/kafka.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { Sink } from '../../src/sink/sink.ts';
import { serveSinkMetrics } from '../../src/sink/metrics.ts';
import { FolderStore, S3Store, type LandingStore, type ObjectMeta } from '../../src/sink/store.ts';
import { s3Client, startS3 } from '../../src/local/s3.ts';
import { PROJECT_ROOT } from '../../src/project.ts';
import { allocatePort } from '../../src/local/ports.ts';
import { exited, killed } from '../helpers/child.ts';

const quiet = () => {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function landed(lake: string, topic: string): { files: string[]; values: string[] } {
  const dir = path.join(lake, 'topics', topic, 'partition=0');
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];
  const values = files.flatMap((f) => readFileSync(path.join(dir, f), 'utf8').split('\n').filter(Boolean));
  return { files, values };
}

describe('sink: landing topics exactly once', function () {
  this.timeout(600_000);
  let dir: string;
  let broker: Broker;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-sink-'));
    broker = await startBroker({ dataDir: path.join(dir, 'kafka'), log: quiet });
    await createTopics(broker.bootstrap, [{ topic: 'u.pin', partitions: 1 }, { topic: 'u.geo', partitions: 1 }]);
  });

  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lands in the connector layout, with keys from the first offset, flushing on count and on age', async () => {
    const producer = idempotentProducer(broker.bootstrap);
    await producer.send({ messages: messages('u.pin', Array.from({ length: 25 }, (_, i) => JSON.stringify({ index: i }))) });
    const lake = path.join(dir, 'lake1');
    const sink = new Sink({ brokers: [broker.bootstrap], topics: ['u.pin'], groupId: 'sink-1', store: new FolderStore(lake), flush: { records: 10, bytes: 1 << 20, ageMs: 1500 }, log: quiet });
    await sink.start();
    const metrics = await serveSinkMetrics(sink, 0);
    for (let i = 0; i < 100 && sink.stats.records < 25; i++) await sleep(200);
    const text = await (await fetch(`${metrics.url}/metrics`)).text();
    await metrics.close();
    expect(text).to.include('pinpipe_sink_records_total 25').and.include('pinpipe_sink_files_total 3');
    expect(text).to.include('pinpipe_sink_lag_records{topic="u.pin",partition="0"} 0');
    await sink.stop();
    await producer.close();
    const { files, values } = landed(lake, 'u.pin');
    // Two files of ten by count, then the last five by age.
    expect(files).to.deep.equal(['u.pin+0+0000000000.json', 'u.pin+0+0000000010.json', 'u.pin+0+0000000020.json']);
    expect(values).to.deep.equal(Array.from({ length: 25 }, (_, i) => JSON.stringify({ index: i })));
    expect(readFileSync(path.join(lake, 'topics/u.pin/partition=0/u.pin+0+0000000020.json'), 'utf8').endsWith('\n')).to.equal(true);
  });

  it('lands every acknowledged record exactly once although the sink is killed with SIGKILL again and again', async () => {
    const lake = path.join(dir, 'lake2');
    const spawnSink = (): ChildProcess => spawn(process.execPath, [
      path.join(PROJECT_ROOT, 'bin', 'pinpipe.js'), 'sink', '--lake', lake, '--bootstrap', broker.bootstrap, '--topics', 'u.geo',
      '--group', 'sink-crash', '--flush-records', '37', '--flush-age-ms', '300',
    ], { stdio: 'ignore' });
    const producer = idempotentProducer(broker.bootstrap);
    const acknowledged: string[] = [];
    let producing = true;
    const produceLoop = (async () => {
      let n = 0;
      while (producing) {
        const values = Array.from({ length: 20 }, () => JSON.stringify({ ind: n++ }));
        await producer.send({ messages: messages('u.geo', values) });
        acknowledged.push(...values);
        await sleep(20);
      }
    })();
    let child = spawnSink();
    for (let kill = 0; kill < 6; kill++) {
      await sleep(1500 + Math.floor(Math.random() * 2500));
      await killed(child);
      child = spawnSink();
    }
    producing = false;
    await produceLoop;
    await producer.close();
    // Let the last sink land everything, then stop it cleanly.
    for (let i = 0; i < 900 && landed(lake, 'u.geo').values.length < acknowledged.length; i++) await sleep(200);
    const ended = exited(child);
    child.kill('SIGTERM');
    await ended;
    const { values } = landed(lake, 'u.geo');
    expect(acknowledged.length).to.be.above(1000);
    expect(values.length, 'landed count').to.equal(acknowledged.length);
    expect(new Set(values).size, 'no duplicates').to.equal(values.length);
    expect([...values].sort()).to.deep.equal([...acknowledged].sort());
  });

  it('lands into S3-compatible storage (a local s3rver) with the same keys and bytes', async () => {
    const s3 = await startS3({ dataDir: path.join(dir, 's3'), buckets: ['user-u-bucket'] });
    try {
      const store = new S3Store(s3Client(s3.endpoint), 'user-u-bucket');
      const sink = new Sink({ brokers: [broker.bootstrap], topics: ['u.pin'], groupId: 'sink-s3', store, flush: { records: 10, bytes: 1 << 20, ageMs: 1000 }, log: quiet });
      await sink.start();
      for (let i = 0; i < 100 && sink.stats.records < 25; i++) await sleep(200);
      await sink.stop();
      const keys = await store.list('topics/u.pin/partition=0/');
      expect(keys).to.deep.equal(['topics/u.pin/partition=0/u.pin+0+0000000000.json', 'topics/u.pin/partition=0/u.pin+0+0000000010.json', 'topics/u.pin/partition=0/u.pin+0+0000000020.json']);
      const lines = (await Promise.all(keys.map((k) => store.get(k)))).map((b) => b.toString('utf8')).join('').split('\n').filter(Boolean);
      expect(lines).to.deep.equal(Array.from({ length: 25 }, (_, i) => JSON.stringify({ index: i })));
      // A second sink of the same group finds where the objects end: nothing is landed twice.
      const again = new Sink({ brokers: [broker.bootstrap], topics: ['u.pin'], groupId: 'sink-s3-other', store, flush: { records: 10, bytes: 1 << 20, ageMs: 500 }, log: quiet });
      await again.start();
      // Until it has read the 25 records (joining a group takes a while on a busy machine), then a little
      // longer, in case it would land any of them.
      for (let i = 0; i < 150 && again.stats.skipped < 25; i++) await sleep(200);
      await sleep(1000);
      await again.stop();
      expect(again.stats.records).to.equal(0);
      expect(again.stats.skipped).to.equal(25);
      expect(await store.list('topics/u.pin/partition=0/')).to.have.length(3);
      // Each object carries its record count and end offset; a conditional write of a taken key writes nothing.
      expect(await store.meta(keys[2]!)).to.deep.equal({ records: 5, next: 25 });
      expect(await store.put(keys[0]!, Buffer.from('{"x":1}\n'), { records: 1, next: 1 })).to.equal(false);
      expect((await store.get(keys[0]!)).toString().split('\n')[0]).to.equal(JSON.stringify({ index: 0 }));
      const fresh = 'topics/u.pin/partition=0/u.pin+0+0000000099.json';
      const race = await Promise.all(Array.from({ length: 8 }, (_, i) => store.put(fresh, Buffer.from(`{"w":${i}}\n`), { records: 1, next: 100 + i })));
      expect(race.filter(Boolean), 'conditional writes that won').to.have.length(1);
      expect(await store.meta(fresh)).to.deep.equal({ records: 1, next: 100 + race.indexOf(true) });
    } finally {
      await s3.stop();
    }
  });

  it('lands exactly once across rebalances: a second member joins, then the first leaves, while records flow', async () => {
    await createTopics(broker.bootstrap, [{ topic: 'u.user', partitions: 3 }]);
    const lake = path.join(dir, 'lake-rebalance');
    const store = new FolderStore(lake);
    // Member a writes slowly (each object takes 700 ms to land), so that writes are in flight when a rebalance
    // starts; create-if-absent keeps them from landing anything twice.
    const slow: LandingStore = {
      put: async (key: string, body: Buffer, meta: ObjectMeta) => { await sleep(700); return store.put(key, body, meta); },
      meta: (k: string) => store.meta(k), list: (p: string) => store.list(p), get: (k: string) => store.get(k), describe: () => 'slow',
    };
    const logs = { a: [] as string[], b: [] as string[] };
    const member = (name: 'a' | 'b') => new Sink({ brokers: [broker.bootstrap], topics: ['u.user'], groupId: 'sink-rebalance', store: name === 'a' ? slow : store, flush: { records: 25, bytes: 1 << 20, ageMs: 400 }, log: (l) => logs[name].push(l) });
    const producer = idempotentProducer(broker.bootstrap);
    const sent: string[] = [];
    let producing = true;
    const loop = (async () => {
      for (let n = 0; producing; ) {
        const first = n;
        const values = Array.from({ length: 30 }, () => JSON.stringify({ ind: n++ }));
        await producer.send({ messages: messages('u.user', values, (i) => String((first + i) % 11)) });
        sent.push(...values);
        await sleep(30);
      }
    })();
    const a = member('a');
    await a.start();
    await sleep(4000);
    const b = member('b');
    await b.start();
    const aBefore = a.stats.files;
    // Both members land while both are in: wait for it (up to 30 s, the group settles in its own time).
    for (let i = 0; i < 150 && !(a.stats.files > aBefore && b.stats.files > 0); i++) await sleep(200);
    const aWhileBoth = a.stats.files - aBefore;
    const bWhileBoth = b.stats.files;
    await a.stop();
    await sleep(4000);
    producing = false;
    await loop;
    await producer.close();
    const landedAll = () => [0, 1, 2].flatMap((p) => {
      const d = path.join(lake, 'topics', 'u.user', `partition=${p}`);
      try {
        return readdirSync(d).filter((f) => f.endsWith('.json')).flatMap((f) => readFileSync(path.join(d, f), 'utf8').split('\n').filter(Boolean));
      } catch {
        return [];
      }
    });
    for (let i = 0; i < 300 && landedAll().length < sent.length; i++) await sleep(200);
    await b.stop();
    const values = landedAll();
    expect(values.length, 'landed').to.equal(sent.length);
    expect(new Set(values).size, 'no duplicates').to.equal(values.length);
    expect([...values].sort()).to.deep.equal([...sent].sort());
    // A rebalance did happen (a saw it start when b joined), and both members landed while both were in.
    expect(logs.a.some((l) => l.includes('a rebalance started')), 'a saw a rebalance').to.equal(true);
    expect(logs.b.some((l) => /assigned u\.user\/\d/.test(l)), 'b was assigned partitions').to.equal(true);
    expect(aWhileBoth, 'objects a landed after b joined').to.be.above(0);
    expect(bWhileBoth, 'objects b landed while a was in').to.be.above(0);
  });

  it('lands records whose bytes hold line breaks or anything else as one line each, and resumes exactly after restarts', async () => {
    // Values as another Kafka client may produce them: pretty-printed JSON, a CR inside a value, bytes
    // that are not JSON at all, empty values. Each must land as one line, and a restarted sink must find
    // where landing ends whatever the bytes.
    await createTopics(broker.bootstrap, [{ topic: 'u.bytes', partitions: 1 }]);
    let seed = 7;
    const rand = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
    const value = (i: number): Buffer => {
      switch (i % 5) {
        case 0: return Buffer.from(JSON.stringify({ ind: i, note: 'pretty' }, null, 2));
        case 1: return Buffer.from(`{"ind":${i},"text":"a\rb"}`);
        case 2: return Buffer.from(Array.from({ length: 1 + Math.floor(rand() * 40) }, () => Math.floor(rand() * 256)));
        case 3: return Buffer.from(`{"ind":${i}}\r\n`);
        default: return Buffer.from(JSON.stringify({ ind: i }));
      }
    };
    const produced: Buffer[] = [];
    const producer = idempotentProducer(broker.bootstrap);
    const produce = async (n: number) => {
      const batch = Array.from({ length: n }, (_, k) => value(produced.length + k));
      await producer.send({ messages: batch.map((v) => ({ topic: 'u.bytes', value: v })) });
      produced.push(...batch);
    };
    const lake = path.join(dir, 'lake-bytes');
    // A line is the record's bytes, or (for bytes that are not JSON and hold a line break) the wrapper.
    const decode = (line: string): string => {
      let doc: Record<string, unknown> | null = null;
      try { doc = JSON.parse(line) as Record<string, unknown>; } catch { return line; }
      const wrapped = doc?.['_pinpipe_unreadable'] as { base64: string } | undefined;
      return wrapped ? Buffer.from(wrapped.base64, 'base64').toString('utf8') : line;
    };
    const runSink = async () => {
      const sink = new Sink({ brokers: [broker.bootstrap], topics: ['u.bytes'], groupId: 'sink-bytes', store: new FolderStore(lake), flush: { records: 7, bytes: 1 << 20, ageMs: 300 }, log: quiet });
      await sink.start();
      for (let i = 0; i < 150 && landed(lake, 'u.bytes').values.length < produced.length; i++) await sleep(200);
      await sleep(1000);
      const lag = await sink.lag();
      await sink.stop();
      return lag;
    };
    await produce(103);
    await runSink();
    await produce(58);
    const lag = await runSink();
    await produce(41);
    await runSink();
    await producer.close();
    expect(lag['u.bytes/0'], 'lag after the second run').to.equal(0);
    const lines = landed(lake, 'u.bytes').values;
    expect(lines.length, 'one line per record').to.equal(produced.length);
    lines.forEach((line, i) => {
      const v = produced[i]!;
      const compact = (() => { try { return JSON.stringify(JSON.parse(v.toString('utf8'))); } catch { return null; } })();
      if (compact !== null && v.toString('utf8').trim().startsWith('{')) expect(JSON.stringify(JSON.parse(line)), `record ${i}`).to.equal(compact);
      else expect(decode(line), `record ${i}`).to.equal(v.toString('utf8'));
    });
  });

  it('ignores objects that are not the connector\'s in a partition folder, logging each once, and never stalls', async () => {
    await createTopics(broker.bootstrap, [{ topic: 'u.foreign', partitions: 1 }]);
    const lake = path.join(dir, 'lake-foreign');
    const folder = path.join(lake, 'topics', 'u.foreign', 'partition=0');
    mkdirSync(folder, { recursive: true });
    for (const f of ['notes.txt', 'zzz.json', 'u.foreign+0+12.json', 'u.foreign+0+0000000abc.json']) writeFileSync(path.join(folder, f), '{"foreign":true}\n');
    const producer = idempotentProducer(broker.bootstrap);
    await producer.send({ messages: messages('u.foreign', Array.from({ length: 30 }, (_, i) => JSON.stringify({ ind: i }))) });
    const logs: string[] = [];
    for (let run = 0; run < 2; run++) {
      const sink = new Sink({ brokers: [broker.bootstrap], topics: ['u.foreign'], groupId: 'sink-foreign', store: new FolderStore(lake), flush: { records: 10, bytes: 1 << 20, ageMs: 300 }, log: (l) => logs.push(l) });
      await sink.start();
      for (let i = 0; i < 150 && landed(lake, 'u.foreign').values.filter((v) => !v.includes('foreign')).length < 30 * (run + 1); i++) await sleep(200);
      await sink.stop();
      if (run === 0) await producer.send({ messages: messages('u.foreign', Array.from({ length: 30 }, (_, i) => JSON.stringify({ ind: 30 + i }))) });
    }
    await producer.close();
    const mine = readdirSync(folder).filter((f) => /^u\.foreign\+0\+\d{10}\.json$/.test(f)).sort();
    const values = mine.flatMap((f) => readFileSync(path.join(folder, f), 'utf8').split('\n').filter(Boolean));
    expect(values).to.deep.equal(Array.from({ length: 60 }, (_, i) => JSON.stringify({ ind: i })));
    for (const f of ['notes.txt', 'zzz.json', 'u.foreign+0+12.json', 'u.foreign+0+0000000abc.json']) {
      expect(logs.filter((l) => l.includes(`ignoring topics/u.foreign/partition=0/${f}`)), f).to.have.length.within(1, 2);
    }
  });
  it('waits for a Kafka that is not up yet, saying so, and lands once it is; a stop while waiting ends it at once', async () => {
    const port = await allocatePort();
    const lake = path.join(dir, 'lake-early');
    const sinkProcess = () => spawn(process.execPath, [
      path.join(PROJECT_ROOT, 'bin', 'pinpipe.js'), 'sink', '--lake', lake, '--bootstrap', `127.0.0.1:${port}`, '--topics', 'u.early',
      '--group', 'sink-early', '--flush-records', '10', '--flush-age-ms', '300',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = (child: ChildProcess): string[] => {
      const lines: string[] = [];
      for (const s of [child.stdout!, child.stderr!]) s.on('data', (d: Buffer) => lines.push(...d.toString().split('\n').filter(Boolean)));
      return lines;
    };
    const exit = (child: ChildProcess) => new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    const waitFor = async (lines: string[], re: RegExp, what: string) => {
      for (let i = 0; i < 300 && !lines.some((l) => re.test(l)); i++) await sleep(100);
      expect(lines.some((l) => re.test(l)), `${what}: ${lines.join(' | ')}`).to.equal(true);
    };

    // Stopped while it waits: it ends within a few seconds, cleanly.
    const first = sinkProcess();
    const firstLines = output(first);
    const firstExit = exit(first);
    await waitFor(firstLines, /cannot join group sink-early at 127\.0\.0\.1:\d+ yet/, 'the sink says Kafka is not reachable');
    const askedAt = Date.now();
    first.kill('SIGTERM');
    expect(await firstExit, firstLines.join(' | ')).to.equal(0);
    expect(Date.now() - askedAt).to.be.below(5000);

    // Started before the broker: it waits, then lands everything once the broker is up.
    const second = sinkProcess();
    const lines = output(second);
    const secondExit = exit(second);
    let early: Broker | null = null;
    try {
      await waitFor(lines, /cannot join group sink-early/, 'the sink says Kafka is not reachable');
      await sleep(2500);
      expect(second.exitCode, `the sink is still running: ${lines.join(' | ')}`).to.equal(null);
      early = await startBroker({ dataDir: path.join(dir, 'kafka-early'), port, log: quiet });
      await createTopics(early.bootstrap, [{ topic: 'u.early', partitions: 1 }]);
      const producer = idempotentProducer(early.bootstrap);
      await producer.send({ messages: messages('u.early', Array.from({ length: 25 }, (_, i) => JSON.stringify({ ind: i }))) });
      await producer.close();
      for (let i = 0; i < 300 && landed(lake, 'u.early').values.length < 25; i++) await sleep(200);
      second.kill('SIGTERM');
      expect(await secondExit, lines.join(' | ')).to.equal(0);
      expect(landed(lake, 'u.early').values).to.deep.equal(Array.from({ length: 25 }, (_, i) => JSON.stringify({ ind: i })));
    } finally {
      if (second.exitCode === null) second.kill('SIGKILL');
      await early?.stop();
    }
  });

  it('lands a transactional topic exactly once: offsets with gaps, a lost commit, restarts', async () => {
    // Commit markers and aborted transactions leave offsets a read-committed consumer never sees, so a
    // landed object's record count does not give the offset after it.
    await createTopics(broker.bootstrap, [{ topic: 'u.txn', partitions: 1 }]);
    const producer = transactionalProducer(broker.bootstrap, 'pinpipe-test-txn');
    const committed: string[] = [];
    let n = 0;
    const transaction = async (records: number, commit: boolean) => {
      const txn = await producer.beginTransaction();
      const values = Array.from({ length: records }, () => JSON.stringify({ ind: n++, commit }));
      await txn.send({ messages: messages('u.txn', values) });
      if (commit) {
        await txn.commit();
        committed.push(...values);
      } else await txn.abort();
    };
    const round = async () => {
      await transaction(7, true);
      await transaction(5, false);
      await transaction(6, true);
    };
    const lake = path.join(dir, 'lake-txn');
    const store = new FolderStore(lake);
    const runSink = async () => {
      const sink = new Sink({ brokers: [broker.bootstrap], topics: ['u.txn'], groupId: 'sink-txn', store, flush: { records: 1000, bytes: 1 << 20, ageMs: 300 }, log: quiet });
      await sink.start();
      try {
        for (let i = 0; i < 150 && landed(lake, 'u.txn').values.length < committed.length; i++) await sleep(200);
        await sleep(1500);
      } finally {
        await sink.stop();
      }
      return landed(lake, 'u.txn');
    };
    const check = (got: { values: string[] }) => {
      expect(got.values.length, 'landed').to.equal(committed.length);
      expect(got.values).to.deep.equal(committed);
    };

    await round();
    check(await runSink());
    // One object per run (flushed by age): its records are offsets 0-6 and 14-19, past a commit marker,
    // five aborted records and their marker. The next run's object starts after the last marker, at 21.
    const afterFirst = landed(lake, 'u.txn').files;
    expect(afterFirst).to.deep.equal(['u.txn+0+0000000000.json']);
    // Restart after more transactions: the committed offset lies past the last object's first record.
    await round();
    check(await runSink());
    expect(landed(lake, 'u.txn').files).to.deep.equal(['u.txn+0+0000000000.json', 'u.txn+0+0000000021.json']);
    // A crash between an object's write and its commit, at worst: the group's offset is back at 0.
    await setCommittedOffset(broker.bootstrap, 'sink-txn', 'u.txn', 0, 0);
    await round();
    check(await runSink());
    await producer.close();
  });
});
