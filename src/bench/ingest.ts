// `npm run bench:ingest` and `npm run bench:sink`: throughput and latency of the ingestion API and of the
// sink on a fresh local broker, beside Kafka's own performance tools on the same broker in the same run
// (org.apache.kafka.tools.ProducerPerformance / ConsumerPerformance), with the ratio. Prints figures; never
// fails on time.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LoadCase, LoadResult } from './ingest-load.ts';
import { Producer } from '@platformatic/kafka';
import { apiSchema } from '../config/schema.ts';
import { ensureTopics } from '../kafka/admin.ts';
import { startApi } from '../api/server.ts';
import { installKafka, startBroker, type Broker } from '../local/kafka/broker.ts';
import { Sink } from '../sink/sink.ts';
import { FolderStore } from '../sink/store.ts';

const RECORD = (i: number) => ({ ind: i, timestamp: '2020-08-28 03:52:47', latitude: -62.1234, longitude: 120.5678, country: 'Antarctica (the territory South of 60 deg S)' });
const RECORD_BYTES = Buffer.byteLength(JSON.stringify(RECORD(1234567)));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function withBroker<T>(fn: (broker: Broker, dir: string) => Promise<T>, log: (l: string) => void): Promise<T> {
  installKafka(log);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-bench-'));
  const broker = await startBroker({ dataDir: path.join(dir, 'kafka'), heap: '1g', log });
  try {
    return await fn(broker, dir);
  } finally {
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs one load case in a worker thread (its own event loop, like clients in other processes). */
function loadInWorker(c: LoadCase): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./ingest-load.ts', import.meta.url), { workerData: c, execArgv: ['--import', 'tsx'] });
    worker.once('message', (m: LoadResult | { error: string }) => {
      void worker.terminate();
      if ('error' in m) reject(new Error(m.error));
      else resolve(m);
    });
    worker.once('error', reject);
  });
}

async function createTopic(broker: Broker, topic: string): Promise<void> {
  await ensureTopics({ brokers: [broker.bootstrap], topics: [topic], partitions: 1, log: () => {} });
}

function kafkaTool(mainClass: string, args: string[]): string {
  const install = installKafka(() => {});
  const out = spawnSync(install.java, ['-Xmx1g', `-Dlog4j2.configurationFile=${install.log4jConfig}`, '-cp', `${install.jarsDir}/*`, mainClass, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (out.status !== 0) throw new Error(`${mainClass} failed: ${out.stderr.slice(-500)}`);
  return out.stdout;
}

export async function benchIngest(out: (l: string) => void, log: (l: string) => void, total = 20000): Promise<void> {
  await withBroker(async (broker) => {
    out(`bench:ingest  one partition, acks=all, idempotent; record ${RECORD_BYTES} bytes; ${total} records a case; clients in a worker thread`);
    const api = await startApi({ settings: apiSchema.parse({ port: 0, max_inflight_records: 1_000_000 }), apiKeys: [], brokers: [broker.bootstrap], tables: { 'bench.geo': 'geo' }, log });
    await createTopic(broker, 'bench.geo');
    let best = 0;
    let best500 = 0;
    let one32 = { rate: 0, p99: 0 };
    out(`${'records/request'.padStart(16)} ${'concurrency'.padStart(12)} ${'records/s'.padStart(10)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
    try {
      for (const size of [1, 10, 100, 500]) {
        for (const concurrency of [1, 8, 32]) {
          const n = size === 1 ? Math.min(total, 5000) : total;
          const requests = Math.ceil(n / size);
          const { seconds: secs, latencies } = await loadInWorker({ url: `${api.url}/topics/bench.geo`, size, concurrency, requests });
          const rate = (requests * size) / secs;
          best = Math.max(best, rate);
          if (size === 500) best500 = Math.max(best500, rate);
          if (size === 1 && concurrency === 32) one32 = { rate, p99: 0 };
          latencies.sort((a, b) => a - b);
          if (size === 1 && concurrency === 32) one32.p99 = percentile(latencies, 99);
          out(`${String(size).padStart(16)} ${String(concurrency).padStart(12)} ${rate.toFixed(0).padStart(10)} ${percentile(latencies, 50).toFixed(1).padStart(8)} ${percentile(latencies, 99).toFixed(1).padStart(8)}`);
        }
      }
    } finally {
      await api.close();
    }
    await createTopic(broker, 'bench.perf');
    const perfRecords = 200000;
    const text = kafkaTool('org.apache.kafka.tools.ProducerPerformance', [
      '--topic', 'bench.perf', '--num-records', String(perfRecords), '--record-size', String(RECORD_BYTES), '--throughput', '-1',
      '--producer-props', `bootstrap.servers=${broker.bootstrap}`, 'acks=all', 'enable.idempotence=true',
    ]);
    const m = /(\d+) records sent, ([\d.]+) records\/sec .*?([\d.]+) ms avg latency.*?(\d+) ms 50th.*?(\d+) ms 99th/s.exec(text.trim().split('\n').at(-1) ?? '');
    const perf = m ? Number(m[2]) : NaN;
    out(`Kafka ProducerPerformance (${perfRecords} records, acks=all, idempotent): ${perf.toFixed(0)} records/s, p50 ${m?.[4]} ms, p99 ${m?.[5]} ms`);
    out(`ratio: best API throughput / ProducerPerformance = ${(best / perf).toFixed(3)} (${best.toFixed(0)} / ${perf.toFixed(0)})`);
    out(`ratio at 500 records a request: ${(best500 / perf).toFixed(3)} (${best500.toFixed(0)} / ${perf.toFixed(0)}); at 1 record a request, 32 clients: ${one32.rate.toFixed(0)} records/s, p99 ${one32.p99.toFixed(1)} ms`);
  }, log);
}

export async function benchSink(out: (l: string) => void, log: (l: string) => void, records = 200000): Promise<void> {
  await withBroker(async (broker, dir) => {
    await createTopic(broker, 'bench.sink');
    const producer = new Producer({ clientId: 'pinpipe-bench', bootstrapBrokers: [broker.bootstrap], idempotent: true, acks: -1 });
    for (let i = 0; i < records; i += 5000) {
      await producer.send({ messages: Array.from({ length: Math.min(5000, records - i) }, (_, j) => ({ topic: 'bench.sink', value: Buffer.from(JSON.stringify(RECORD(i + j))) })) });
    }
    await producer.close();
    out(`bench:sink  ${records} records of ${RECORD_BYTES} bytes on one partition`);
    for (const flush of [1000, 10000]) {
      const store = new FolderStore(path.join(dir, `lake-${flush}`));
      const sink = new Sink({ brokers: [broker.bootstrap], topics: ['bench.sink'], groupId: `bench-${flush}`, store, flush: { records: flush, bytes: 64 << 20, ageMs: 500 }, log: () => {} });
      const t0 = process.hrtime.bigint();
      await sink.start();
      while (sink.stats.records < records) await new Promise((r) => setTimeout(r, 50));
      const secs = Number(process.hrtime.bigint() - t0) / 1e9;
      await sink.stop();
      out(`sink, flush every ${flush} records: ${(records / secs).toFixed(0)} records/s landed (${sink.stats.files} files, durable puts, commit after each)`);
      if (flush === 10000) {
        const text = kafkaTool('org.apache.kafka.tools.ConsumerPerformance', ['--bootstrap-server', broker.bootstrap, '--topic', 'bench.sink', '--messages', String(records), '--group', 'bench-perf', '--timeout', '60000']);
        const lines = text.trim().split('\n');
        const header = lines.find((l) => l.includes('nMsg.sec'))?.split(',').map((h) => h.trim()) ?? [];
        const values = lines.at(-1)!.split(',').map((v) => v.trim());
        const perf = Number(values[header.indexOf('nMsg.sec')]);
        out(`Kafka ConsumerPerformance (${records} records): ${perf.toFixed(0)} records/s consumed (no writes)`);
        out(`ratio: sink landed / ConsumerPerformance consumed = ${((records / secs) / perf).toFixed(3)}`);
      }
    }
  }, log);
}
