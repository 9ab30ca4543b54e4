// The sink on the real broker: records land in the S3 connector's layout, flushed by count, bytes and
// age; and the crash test: the sink process is killed with SIGKILL at random moments while records are
// produced, restarted each time, and at the end every acknowledged record is landed exactly once.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createTopics, idempotentProducer, messages, setCommittedOffset, transactionalProducer } from '../helpers/kafka.ts';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { Sink } from '../../src/sink/sink.ts';
import { serveSinkMetrics } from '../../src/sink/metrics.ts';
import { FolderStore, S3Store } from '../../src/sink/store.ts';
import { s3Client, startS3 } from '../../src/local/s3.ts';
import { PROJECT_ROOT } from '../../src/project.ts';

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
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      child = spawnSink();
    }
    producing = false;
    await produceLoop;
    await producer.close();
    // Let the last sink land everything, then stop it cleanly.
    for (let i = 0; i < 900 && landed(lake, 'u.geo').values.length < acknowledged.length; i++) await sleep(200);
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
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
    } finally {
      await s3.stop();
    }
  });

  it('lands exactly once across rebalances: a second member joins, then the first leaves, while records flow', async () => {
    await createTopics(broker.bootstrap, [{ topic: 'u.user', partitions: 3 }]);
    const lake = path.join(dir, 'lake-rebalance');
    const store = new FolderStore(lake);
    const member = () => new Sink({ brokers: [broker.bootstrap], topics: ['u.user'], groupId: 'sink-rebalance', store, flush: { records: 25, bytes: 1 << 20, ageMs: 400 }, log: quiet });
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
    const a = member();
    await a.start();
    await sleep(4000);
    const b = member();
    await b.start();
    await sleep(6000);
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
