// `npm run pipeline -- --mode stream`: the streaming half of the seed pipeline on this machine. The source
// database is loaded with the real rows; kinesalite, Kafka (the API serves both) and the ingestion API
// start; the streaming notebook (notebooks/stream/kinesis.py, as deployed) runs on the local Spark; the
// emulator posts rows to the API's Kinesis routes; when every acknowledged key is in the Delta tables the
// stream stops and the queries run. The reconciliation per table says selected, posted, acknowledged, in
// the stream, distinct keys and cleaned; then the very records of the streams are landed and cleaned by
// the batch notebooks into tables of their own, which must equal the stream's tables row for row.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config, TableKey } from './config/index.ts';
import { TABLES } from './config/index.ts';
import { startApi } from './api/server.ts';
import { emulate, type EmulateProgress, type EmulateSummary } from './emulator/emulate.ts';
import { tableRef } from './job/index.ts';
import { readStream, recreateStreams } from './kinesis/streams.ts';
import { runLocalJob, type JobRunResult } from './local/batch.ts';
import { startBroker } from './local/kafka/broker.ts';
import { kinesisClient, startKinesis } from './local/kinesis.ts';
import type { SparkSession } from './local/spark/index.ts';
import { runLocalStream } from './local/stream.ts';
import { openSource } from './source/db.ts';
import { loadSource } from './source/fill.ts';
import { JOBS } from '../jobs/index.ts';

export interface StreamReconciliation {
  table: TableKey;
  selected: number;
  posted: number;
  acknowledged: number;
  in_stream: number;
  distinct_keys: number;
  cleaned: number;
  /** Rows that differ between the stream's table and the batch notebooks' table over the same records. */
  differs_from_batch: number;
}

export interface StreamPipelineResult {
  emulate: EmulateSummary;
  reconciliation: StreamReconciliation[];
  queries: JobRunResult;
  exact: boolean;
  /** Seconds from the last acknowledgement to the last key visible in the tables. */
  drainSeconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function count(session: SparkSession, sql: string, args: Record<string, string>): Promise<number> {
  const r = await session.client.sql(sql, args);
  return Number(Object.values(r.rows[0] ?? {})[0] ?? 0);
}

export async function runStreamPipeline(
  config: Config,
  options: { from: string; count: number; concurrency: number; batchSize: number; seed: number; session: SparkSession; log: (l: string) => void; onProgress?: (p: EmulateProgress) => void; timeoutSeconds?: number },
): Promise<StreamPipelineResult> {
  const { log, session } = options;
  const db = await openSource(config, log);
  const broker = await startBroker({ dataDir: path.join(config.lakeRoot, '_kafka'), log });
  const kinesis = await startKinesis({ dataDir: path.join(config.lakeRoot, '_kinesis'), log });
  const client = kinesisClient(kinesis.endpoint, config.kinesis.region);
  const streams = TABLES.map((t) => config.names.stream[t]);
  let api: Awaited<ReturnType<typeof startApi>> | null = null;
  let stopStream = false;
  let streamRun: Promise<string | null> | null = null;
  const checkpoints = path.join(config.lakeRoot, '_checkpoints', 'pipeline-stream');
  try {
    await loadSource(db, options.from, (l) => log(`pipeline: ${l}`));
    // A fresh run: empty streams, no checkpoints, no tables, so that the reconciliation counts this run only.
    await recreateStreams(client, streams, config.kinesis.shards, log);
    rmSync(checkpoints, { recursive: true, force: true });
    for (const t of TABLES) {
      for (const name of [config.names.table[t], config.names.rejects[t]]) await session.client.sql('DROP TABLE IF EXISTS IDENTIFIER(:t)', { t: tableRef(config, name) });
    }
    api = await startApi({
      settings: { ...config.api, port: 0 }, apiKeys: [], brokers: [broker.bootstrap], tables: Object.fromEntries(TABLES.map((t) => [config.names.topic[t], t])), log,
      kinesis: { client, tables: Object.fromEntries(TABLES.map((t) => [config.names.stream[t], t])) },
    });
    log(`pipeline: API ${api.url}, Kinesis ${kinesis.endpoint}; starting the streaming notebook`);
    streamRun = runLocalStream(config, session, {
      params: { endpoint: kinesis.endpoint, checkpoint_root: checkpoints, trigger: 'continuous' },
      log: (l) => log(`stream: ${l}`),
      shouldStop: () => stopStream,
    });
    // A stream that fails ends the pipeline at once, not at the timeout.
    let streamError: unknown = null;
    streamRun.catch((e) => { streamError = e; });
    const summary = await emulate(config, db, {
      mode: 'stream', count: options.count, rate: 0, concurrency: options.concurrency, batchSize: options.batchSize, seed: options.seed, apiUrl: api.url, log, ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    const acked = Date.now();
    const wanted = Object.fromEntries(TABLES.map((t) => [t, new Set(summary.acknowledgedKeys[t]).size])) as Record<TableKey, number>;
    const deadline = Date.now() + (options.timeoutSeconds ?? 300) * 1000;
    const cleaned = {} as Record<TableKey, number>;
    for (;;) {
      if (streamError) throw streamError;
      for (const t of TABLES) {
        // The stream creates each table with its first micro-batch.
        cleaned[t] = await count(session, 'SELECT count(*) FROM IDENTIFIER(:t)', { t: tableRef(config, config.names.table[t]) }).catch(() => 0);
      }
      if (TABLES.every((t) => cleaned[t] >= wanted[t]) || Date.now() > deadline) break;
      await sleep(500);
    }
    const drainSeconds = (Date.now() - acked) / 1000;
    log(`pipeline: every acknowledged key is in the tables ${drainSeconds.toFixed(1)} s after the last acknowledgement; stopping the stream`);
    stopStream = true;
    await streamRun;
    streamRun = null;
    // The batch path over the same records: the streams' records landed as the sink would, cleaned by the
    // batch notebooks into tables of their own, compared with the stream's tables both ways (EXCEPT ALL).
    const landing = path.join(config.lakeRoot, '_checkpoints', 'pipeline-stream-landing');
    rmSync(landing, { recursive: true, force: true });
    const inStream = {} as Record<TableKey, number>;
    const params: Record<string, string> = { landing_root: landing, full_refresh: 'true' };
    for (const t of TABLES) {
      const records = await readStream(client, config.names.stream[t]);
      inStream[t] = records.length;
      const dir = path.join(landing, 'topics', config.names.topic[t], 'partition=0');
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, `${config.names.topic[t]}+0+0000000000.json`), records.map((r) => `${r.data.toString('utf8')}\n`).join(''));
      params[`${t}_table`] = tableRef(config, `${config.names.table[t]}_batch_check`);
      params[`${t}_rejects_table`] = tableRef(config, `${config.names.rejects[t]}_batch_check`);
      params[`${t}_reports_table`] = tableRef(config, `${config.names.reports[t]}_batch_check`);
      params[`${t}_bronze_table`] = tableRef(config, `${config.names.bronze[t]}_batch_check`);
      params[`${t}_changes_table`] = tableRef(config, `${config.names.changes[t]}_batch_check`);
    }
    log('pipeline: cleaning the same records with the batch notebooks, to compare');
    await runLocalJob(JOBS['clean']!, config, session.client, { params, skipTasks: ['queries'], progress: log });
    const differs = {} as Record<TableKey, number>;
    for (const t of TABLES) {
      differs[t] = await count(session,
        'SELECT count(*) FROM ((SELECT * FROM IDENTIFIER(:a) EXCEPT ALL SELECT * FROM IDENTIFIER(:b)) UNION ALL (SELECT * FROM IDENTIFIER(:b) EXCEPT ALL SELECT * FROM IDENTIFIER(:a)))',
        { a: tableRef(config, config.names.table[t]), b: params[`${t}_table`]! });
      for (const k of ['table', 'rejects_table', 'reports_table', 'bronze_table', 'changes_table'] as const) await session.client.sql('DROP TABLE IF EXISTS IDENTIFIER(:t)', { t: params[`${t}_${k}`]! });
    }
    rmSync(landing, { recursive: true, force: true });
    log('pipeline: running the queries on the local Spark');
    const queries = await runLocalJob(JOBS['queries']!, config, session.client, { progress: log });
    const reconciliation = TABLES.map((t) => ({
      table: t,
      selected: summary.tables[t].selected,
      posted: summary.tables[t].sent,
      acknowledged: summary.tables[t].acknowledged,
      in_stream: inStream[t],
      distinct_keys: wanted[t],
      cleaned: cleaned[t],
      differs_from_batch: differs[t],
    }));
    const exact = reconciliation.every((r) => r.selected === r.posted && r.posted === r.acknowledged && r.acknowledged === r.in_stream && r.distinct_keys === r.cleaned && r.differs_from_batch === 0)
      && TABLES.every((t) => summary.tables[t].failed === 0);
    return { emulate: summary, reconciliation, queries, exact, drainSeconds };
  } finally {
    stopStream = true;
    await streamRun?.catch(() => null);
    await api?.close();
    await kinesis.stop();
    await broker.stop();
    await db.close();
  }
}
