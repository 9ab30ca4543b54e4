// `npm run pipeline`: the seed pipeline end to end on this machine. The source database is loaded with
// the real rows, the local Kafka broker, the ingestion API and the sink start, the emulator posts rows
// like the original script, the sink lands them, the clean job (and the queries) runs on the local Spark,
// and a reconciliation per table says selected, posted, acknowledged, landed and cleaned. Then the
// services stop.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Config, TableKey } from './config/index.ts';
import { TABLES } from './config/index.ts';
import { startApi } from './api/server.ts';
import { recreateTopics } from './kafka/admin.ts';
import { emulate, type EmulateProgress, type EmulateSummary } from './emulator/emulate.ts';
import { runLocalJob, type JobRunResult } from './local/batch.ts';
import { startBroker } from './local/kafka/broker.ts';
import type { SparkClient } from './local/spark/index.ts';
import { Sink, landedRecords } from './sink/sink.ts';
import { clearTopic } from './sink/landing.ts';
import { FolderStore } from './sink/store.ts';
import { openSource } from './source/db.ts';
import { loadSource } from './source/fill.ts';
import { JOBS } from '../jobs/index.ts';

export interface Reconciliation {
  table: TableKey;
  selected: number;
  posted: number;
  acknowledged: number;
  landed: number;
  distinct_keys: number;
  cleaned: number;
}

export interface PipelineResult {
  emulate: EmulateSummary;
  reconciliation: Reconciliation[];
  job: JobRunResult;
  exact: boolean;
}

export async function runPipeline(
  config: Config,
  options: { from: string; count: number; concurrency: number; batchSize: number; seed: number; spark: SparkClient; log: (l: string) => void; onProgress?: (p: EmulateProgress) => void },
): Promise<PipelineResult> {
  const { log } = options;
  const db = await openSource(config, log);
  const broker = await startBroker({ dataDir: path.join(config.lakeRoot, '_kafka'), log });
  const brokers = [broker.bootstrap];
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  let sink: Sink | null = null;
  try {
    // As `source load`: the pin table's gaps filled, so that every key the emulator draws has its three rows.
    await loadSource(db, options.from, (l) => log(`pipeline: ${l}`));
    // A fresh run: new topics and an empty landing, so that the reconciliation counts this run only.
    const topics = Object.values(config.names.topic);
    await recreateTopics({ brokers, topics, partitions: config.kafka.partitions, log });
    for (const t of topics) clearTopic(config.lakeRoot, t);
    mkdirSync(config.lakeRoot, { recursive: true });
    api = await startApi({ settings: { ...config.api, port: 0 }, apiKeys: [], brokers, tables: Object.fromEntries(TABLES.map((t) => [config.names.topic[t], t])), log });
    sink = new Sink({ brokers, topics, groupId: `pinpipe-pipeline-${Date.now()}`, store: new FolderStore(config.lakeRoot), flush: { records: 500, bytes: 8 << 20, ageMs: 1000 }, log: () => {} });
    await sink.start();
    log(`pipeline: API ${api.url}, Kafka ${broker.bootstrap}, sink into ${config.lakeRoot}`);
    const summary = await emulate(config, db, {
      mode: 'batch', count: options.count, rate: 0, concurrency: options.concurrency, batchSize: options.batchSize, seed: options.seed, apiUrl: api.url, log, ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const acknowledged = TABLES.reduce((n, t) => n + summary.tables[t].acknowledged, 0);
    // The sink counts what it lands; the reconciliation counts the landed objects themselves, once.
    for (let i = 0; i < 600 && sink.stats.records < acknowledged; i++) await new Promise((r) => setTimeout(r, 200));
    await sink.stop();
    sink = null;
    const store = new FolderStore(config.lakeRoot);
    const landed = {} as Record<TableKey, number>;
    for (const t of TABLES) {
      landed[t] = 0;
      for (let p = 0; p < config.kafka.partitions; p++) landed[t] += await landedRecords(store, config.names.topic[t], p);
    }
    log('pipeline: running the clean job and the queries on the local Spark');
    const job = await runLocalJob(JOBS['clean']!, config, options.spark, { progress: log });
    const reconciliation = TABLES.map((t) => ({
      table: t,
      selected: summary.tables[t].selected,
      posted: summary.tables[t].sent,
      acknowledged: summary.tables[t].acknowledged,
      landed: landed[t],
      distinct_keys: new Set(summary.acknowledgedKeys[t]).size,
      cleaned: job.reports.find((r) => r.table_name === t)?.rows_out ?? 0,
    }));
    const exact = reconciliation.every((r) => r.selected === r.posted && r.posted === r.acknowledged && r.acknowledged === r.landed && r.distinct_keys === r.cleaned)
      && TABLES.every((t) => summary.tables[t].failed === 0);
    return { emulate: summary, reconciliation, job, exact };
  } finally {
    await sink?.stop().catch(() => {});
    await api?.close();
    await broker.stop();
    await db.close();
  }
}
