// `npm run bench:stream`: latency of the streaming path, from the API's acknowledgement of a record (PUT
// /streams/<s>/record|records, into kinesalite) to its row being visible in the Delta table (the time of
// the Delta commit that added it), at fixed rates for a while each, then the highest rate sustained
// with bounded lag. The streaming notebook is notebooks/stream/kinesis.py as deployed (cleaning + MERGE).
// The baseline, in the same run: the original notebooks' way (from_json, append to Delta, no cleaning
// rules, no merge) on the same source, at the first rate. Prints figures; never fails on time.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import type { Config, TableKey } from '../config/index.ts';
import { TABLES } from '../config/index.ts';
import { startApi } from '../api/server.ts';
import { tableRef } from '../job/index.ts';
import { recreateStreams } from '../kinesis/streams.ts';
import { installKafka, startBroker } from '../local/kafka/broker.ts';
import { kinesisClient, startKinesis } from '../local/kinesis.ts';
import { runPythonNotebook } from '../local/python/notebook.ts';
import { installSpark, openSpark, type SparkSession } from '../local/spark/index.ts';
import { runLocalStream } from '../local/stream.ts';

/** How often the tables are counted, once the load has ended, to know when every record is in. */
const DRAIN_POLL_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function record(t: TableKey, id: number): Record<string, unknown> {
  if (t === 'pin') return { index: id, unique_id: `u${id}`, title: 'Bench', description: 'A post', follower_count: '1.2k', poster_name: 'bench', tag_list: 'a,b', is_image_or_video: 'image', image_src: 'https://example.com/i.jpg', downloaded: 1, save_location: 'Local save in /data/x', category: 'bench' };
  if (t === 'geo') return { ind: id, timestamp: '2020-08-28 03:52:47', latitude: -62.1234, longitude: 120.5678, country: 'Antarctica' };
  return { ind: id, first_name: 'Ben', last_name: 'Ch', age: 30, date_joined: '2016-01-01 00:00:00' };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Phase {
  rate: number;
  seconds: number;
  acknowledged: number;
  visible: number;
  p50: number;
  p99: number;
  max: number;
  /** p99 of the last third of the records beside the first third: growing lag means the rate is not sustained. */
  lastThirdP99: number;
  firstThirdP99: number;
  drainSeconds: number;
}

/**
 * Tracks acknowledged records and when each became visible: the time its Delta commit was written (the
 * modification time of `_delta_log/<version>.json` that added the row's data file), read once the phase has
 * drained. Nothing reads the tables while records are posted, so the measurement takes no CPU from the
 * stream (a reader polling every 500 ms took a good share of the 2 cores). A row's file rewritten later
 * (an update, a compaction) would count from the rewrite: a later time, never an earlier one.
 */
class Watch {
  readonly acked = new Map<string, number>();
  readonly seen = new Map<string, number>();
  constructor(private readonly session: SparkSession, private readonly tables: Record<TableKey, string>, private readonly lo: number) {}

  private sql(text: string) {
    return this.session.client.sql(text, { ...this.tables, lo: String(this.lo) });
  }

  /** Rows from the lowest id on, per table (while draining: a count, no rows shipped). */
  async count(): Promise<number> {
    const r = await this.sql(TABLES.map((t) => `SELECT count(*) AS n FROM IDENTIFIER(:${t}) WHERE ind >= CAST(:lo AS BIGINT)`).join(' UNION ALL ')).catch(() => null);
    return (r?.rows ?? []).reduce((n, row) => n + Number(row['n']), 0);
  }

  /** Each row's data file, and each data file's commit time from the table's Delta log. */
  async resolve(): Promise<void> {
    for (const t of TABLES) {
      // The name is quoted already (tableRef); DESCRIBE DETAIL takes no parameter marker.
      const detail = await this.session.client.sql(`DESCRIBE DETAIL ${this.tables[t]}`).catch(() => null);
      if (!detail) continue; // no table: nothing of it is visible
      const location = fileURLToPath(String(detail.rows[0]?.['location']));
      const log = path.join(location, '_delta_log');
      const added = new Map<string, number>();
      for (const name of readdirSync(log).filter((n) => /^[0-9]{20}\.json$/.test(n)).sort()) {
        const at = statSync(path.join(log, name)).mtimeMs;
        for (const line of readFileSync(path.join(log, name), 'utf8').split('\n')) {
          if (!line.includes('"add"')) continue;
          const action = JSON.parse(line) as { add?: { path: string } };
          if (action.add) added.set(path.join(location, decodeURIComponent(action.add.path)), at);
        }
      }
      const r = await this.sql(`SELECT ind, _metadata.file_path AS f FROM IDENTIFIER(:${t}) WHERE ind >= CAST(:lo AS BIGINT)`);
      for (const row of r.rows) {
        const at = added.get(fileURLToPath(String(row['f'])));
        if (at !== undefined) this.seen.set(`${t}:${Number(row['ind'])}`, at);
      }
    }
  }
}

async function post(url: string, body: unknown): Promise<boolean> {
  const res = await fetch(url, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).catch(() => null);
  if (!res) return false;
  await res.arrayBuffer();
  return res.status === 200;
}

/** Posts `rate` records a second over the three streams for `seconds`; ids from `first`. */
async function load(apiUrl: string, streams: Record<TableKey, string>, watch: Watch, rate: number, seconds: number, first: number): Promise<number> {
  const tickMs = 50;
  const perTick = rate * tickMs / 1000;
  const started = Date.now();
  let id = first;
  let owed = 0;
  const inflight = new Set<Promise<void>>();
  while (Date.now() - started < seconds * 1000) {
    owed += perTick;
    const n = Math.floor(owed);
    owed -= n;
    const byTable: Record<TableKey, number[]> = { pin: [], geo: [], user: [] };
    for (let i = 0; i < n; i++) byTable[TABLES[(id + i) % 3]!].push(id + i);
    id += n;
    for (const t of TABLES) {
      const ids = byTable[t];
      if (!ids.length) continue;
      const send = async (batch: number[]) => {
        const ok = batch.length === 1
          ? await post(`${apiUrl}/streams/${streams[t]}/record`, { StreamName: streams[t], Data: record(t, batch[0]!), PartitionKey: `k${batch[0]}` })
          : await post(`${apiUrl}/streams/${streams[t]}/records`, { records: batch.map((b) => ({ data: record(t, b), 'partition-key': `k${b}` })) });
        const at = Date.now();
        if (ok) for (const b of batch) watch.acked.set(`${t}:${b}`, at);
      };
      // Small rates: one record a request, as the original posting script; large: up to 100 a request.
      const chunks: number[][] = rate <= 300 ? ids.map((x) => [x]) : [ids];
      for (const c of chunks) {
        const p = send(c).finally(() => inflight.delete(p));
        inflight.add(p);
      }
    }
    const next = started + Math.ceil((Date.now() - started + 1) / tickMs) * tickMs;
    await sleep(Math.max(0, next - Date.now()));
  }
  await Promise.all(inflight);
  return id;
}

async function measure(apiUrl: string, streams: Record<TableKey, string>, session: SparkSession, tables: Record<TableKey, string>, rate: number, seconds: number, first: number, log: (l: string) => void): Promise<{ phase: Phase; next: number }> {
  const watch = new Watch(session, tables, first);
  log(`bench: ${rate} events/s for ${seconds} s`);
  const next = await load(apiUrl, streams, watch, rate, seconds, first);
  const ended = Date.now();
  // Drain: until every acknowledged record is in its table, or 60 s.
  while ((await watch.count()) < watch.acked.size && Date.now() - ended < 60_000) await sleep(DRAIN_POLL_MS);
  await watch.resolve();
  let last = ended;
  for (const at of watch.seen.values()) if (at > last) last = at;
  const drainSeconds = (last - ended) / 1000;
  const byAck = [...watch.acked.entries()].sort((a, b) => a[1] - b[1]);
  const lat = (entries: [string, number][]) => entries.filter(([k]) => watch.seen.has(k)).map(([k, a]) => Math.max(0, watch.seen.get(k)! - a) / 1000).sort((x, y) => x - y);
  const all = lat(byAck);
  const third = Math.floor(byAck.length / 3);
  return {
    next,
    phase: {
      rate, seconds, acknowledged: watch.acked.size, visible: all.length,
      p50: percentile(all, 50), p99: percentile(all, 99), max: all.at(-1) ?? Number.NaN,
      firstThirdP99: percentile(lat(byAck.slice(0, third)), 99), lastThirdP99: percentile(lat(byAck.slice(-third)), 99),
      drainSeconds,
    },
  };
}

/** The original notebooks' way, for the baseline: from_json and an append to Delta, one query per stream. */
function baselineNotebook(): string {
  return [
    '# Databricks notebook source',
    'import time',
    'for name in ("endpoint", "checkpoint_root", "trigger_interval", "shard_fetch_interval", "pin_stream", "geo_stream", "user_stream"):',
    '    dbutils.widgets.text(name, "")',
    'w = dbutils.widgets.get',
    'qs = []',
    'for t in ("pin", "geo", "user"):',
    '    key = "index" if t == "pin" else "ind"',
    '    df = (spark.readStream.format("kinesis").option("streamName", w(f"{t}_stream")).option("endpoint", w("endpoint"))',
    '          .option("initialPosition", "trim_horizon").option("awsAccessKey", "local").option("awsSecretKey", "local")',
    '          .option("shardFetchInterval", w("shard_fetch_interval")).load()',
    '          .selectExpr(f"CAST(get_json_object(CAST(data AS STRING), \'$.{key}\') AS BIGINT) AS ind", "CAST(data AS STRING) AS value"))',
    '    qs.append(df.writeStream.format("delta").option("checkpointLocation", w("checkpoint_root") + "/" + t)',
    '              .trigger(processingTime=w("trigger_interval")).toTable(f"baseline_{t}"))',
    'while all(q.isActive for q in qs):',
    '    time.sleep(1)',
    '',
  ].join('\n');
}

function row(label: string, p: Phase): string {
  const f = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
  return `${label.padEnd(30)} ${String(p.rate).padStart(6)}/s ${String(p.seconds).padStart(4)} s  ${String(p.acknowledged).padStart(7)} ack  ${String(p.visible).padStart(7)} visible  p50 ${f(p.p50).padStart(6)} s  p99 ${f(p.p99).padStart(6)} s  max ${f(p.max).padStart(6)} s  p99 first/last third ${f(p.firstThirdP99)}/${f(p.lastThirdP99)} s  drained in ${p.drainSeconds.toFixed(1)} s`;
}

export async function benchStream(config: Config, options: { seconds: number; rates: number[]; ramp: number[]; triggerInterval: string; fetchInterval: string }, print: (l: string) => void, log: (l: string) => void): Promise<void> {
  installSpark(log);
  installKafka(log);
  const lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-bench-stream-'));
  const cfg: Config = { ...config, lakeRoot: lake };
  const session = await openSpark(lake, config.spark, log);
  const broker = await startBroker({ dataDir: path.join(lake, '_kafka'), heap: '512m', log });
  const kinesis = await startKinesis({ dataDir: path.join(lake, '_kinesis'), log });
  const client = kinesisClient(kinesis.endpoint, cfg.kinesis.region);
  const streams = Object.fromEntries(TABLES.map((t) => [t, cfg.names.stream[t]])) as Record<TableKey, string>;
  const tables = Object.fromEntries(TABLES.map((t) => [t, tableRef(cfg, cfg.names.table[t])])) as Record<TableKey, string>;
  let stop = false;
  let run: Promise<unknown> | null = null;
  const api = await startApi({
    settings: { ...cfg.api, port: 0 }, apiKeys: [], brokers: [broker.bootstrap], tables: {}, log: () => {},
    kinesis: { client, tables: Object.fromEntries(TABLES.map((t) => [cfg.names.stream[t], t])) },
  });
  try {
    await recreateStreams(client, Object.values(streams), cfg.kinesis.shards, log);
    const settings = { trigger: 'continuous', trigger_interval: options.triggerInterval, shard_fetch_interval: options.fetchInterval };
    print(`bench:stream: the streaming notebook on the local Spark (${cfg.spark.master}, heap ${cfg.spark.memory}), kinesalite, ${cfg.kinesis.shards} shard a stream; trigger every ${options.triggerInterval}, shards polled every ${options.fetchInterval}; visible = the commit time of the row's Delta file (no reader during the load)`);
    const startStream = (params: Record<string, string>, notebook?: string) => {
      stop = false;
      const common = { endpoint: kinesis.endpoint, ...settings, ...params };
      run = notebook
        ? runPythonNotebook({ notebookPath: 'baseline', source: Buffer.from(notebook), params: { ...common, ...Object.fromEntries(TABLES.map((t) => [`${t}_stream`, streams[t]])) }, lake, connectPort: session.connectPort, token: session.token, log: () => {}, shouldStop: () => stop })
        : runLocalStream(cfg, session, { params: common, log: (l) => { if (l.startsWith('progress:')) log(`bench: stream ${l}`); }, shouldStop: () => stop });
      (run as Promise<unknown>).catch((e) => log(`bench: the stream failed: ${e instanceof Error ? e.message : String(e)}`));
    };
    const stopStream = async () => {
      stop = true;
      await (run as Promise<unknown> | null)?.catch(() => null);
      run = null;
    };
    // Warm up: the queries start, their first micro-batches create the tables.
    startStream({ checkpoint_root: path.join(lake, '_checkpoints', 'stream') });
    let next = 1_000_000;
    const warm = await measure(api.url, streams, session, tables, 30, 20, next, log);
    next = warm.next + 1000;
    print(row('warm-up (not counted)', warm.phase));
    const results: Phase[] = [];
    for (const rate of options.rates) {
      const m = await measure(api.url, streams, session, tables, rate, options.seconds, next, log);
      next = m.next + 1000;
      results.push(m.phase);
      print(row('cleaning + MERGE (ours)', m.phase));
    }
    let sustained = 0;
    for (const rate of options.ramp) {
      const m = await measure(api.url, streams, session, tables, rate, Math.min(60, options.seconds), next, log);
      next = m.next + 1000;
      print(row('ramp', m.phase));
      const bounded = m.phase.visible === m.phase.acknowledged && m.phase.drainSeconds < 15 && m.phase.lastThirdP99 < m.phase.firstThirdP99 * 2 + 3;
      if (!bounded) break;
      sustained = rate;
    }
    await stopStream();
    // The baseline, same source and settings, the original notebooks' way.
    const baseTables = Object.fromEntries(TABLES.map((t) => [t, `baseline_${t}`])) as Record<TableKey, string>;
    await recreateStreams(client, Object.values(streams), cfg.kinesis.shards, log);
    startStream({ checkpoint_root: path.join(lake, '_checkpoints', 'baseline') }, baselineNotebook());
    next = 1_000_000;
    const bwarm = await measure(api.url, streams, session, baseTables, 30, 20, next, log);
    next = bwarm.next + 1000;
    const rate = options.rates[0] ?? 100;
    const base = await measure(api.url, streams, session, baseTables, rate, options.seconds, next, log);
    print(row('baseline: from_json + append', base.phase));
    await stopStream();
    const ours = results[0];
    if (ours) print(`bench:stream: at ${rate} events/s p99 ${ours.p99.toFixed(2)} s (ours) vs ${base.phase.p99.toFixed(2)} s (baseline): ratio ${(ours.p99 / base.phase.p99).toFixed(2)}x; p50 ratio ${(ours.p50 / base.phase.p50).toFixed(2)}x`);
    print(`bench:stream: highest rate sustained with bounded lag: ${sustained ? `${sustained} events/s` : `below ${options.ramp[0]} events/s`} (ramp ${options.ramp.join(', ')})`);
  } finally {
    stop = true;
    await (run as Promise<unknown> | null)?.catch(() => null);
    await api.close();
    await kinesis.stop();
    await broker.stop();
    await session.stop();
    writeFileSync(path.join(os.tmpdir(), 'pinpipe-bench-stream-last.txt'), lake);
    rmSync(lake, { recursive: true, force: true });
  }
}
