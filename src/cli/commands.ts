// The commands of the pinpipe CLI and their options.
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { loadConfig, TABLES, type Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { landFromDir } from '../emulator/land.ts';
import { generateData } from '../emulator/generator.ts';
import { runLocalJob, type TableReport } from '../local/batch.ts';
import { installSpark, openSpark, startDaemon, stopDaemon, type SparkSession } from '../local/spark/index.ts';
import { isQueryName, QUERY_NAMES, renderAllNotebooks } from '../notebook/index.ts';
import { projectPath, readProjectFile, PROJECT_ROOT } from '../project.ts';
import { JOBS } from '../../jobs/index.ts';
import { formatResult, formatTable, type OutputFormat } from './format.ts';
import { DASHBOARD_FILE, renderBundle } from '../job/bundle.ts';
import { renderHtml, renderLakeviewFile } from '../dashboard/dashboard.ts';
import { deployDashboard } from '../deploy/dashboard.ts';
import { resultToArrowFile } from '../warehouse/arrow.ts';
import { runWarehouseQueries } from '../warehouse/warehouse.ts';
import type { StatementResult } from '../sql/result.ts';
import { connectWorkspace } from '../databricks/client.ts';
import { deployNotebooks } from '../deploy/notebooks.ts';
import { deployJobs } from '../deploy/jobs.ts';
import { runJob, type RunSummary } from '../deploy/run.ts';
import { ensureWorkspace, findWorkspace, forgetRunning, localToken, recordRunning, stopWorkspace, workspaceStateDir } from '../workspace/daemon.ts';
import { startWorkspaceServer } from '../workspace/server.ts';
import { installKafka, startBroker } from '../local/kafka/broker.ts';
import { startApi } from '../api/server.ts';
import { kinesisClient, startKinesis } from '../local/kinesis.ts';
import { CreateStreamCommand, ListStreamsCommand } from '@aws-sdk/client-kinesis';
import { Sink } from '../sink/sink.ts';
import { serveSinkMetrics } from '../sink/metrics.ts';
import { kafkaConnection } from '../kafka/connection.ts';
import { openSource, SOURCE_TABLES } from '../source/db.ts';
import { ensureMariadb, stopMariadb } from '../source/mariadb.ts';
import { readSourceTable } from '../source/files.ts';
import { emulate } from '../emulator/emulate.ts';
import { runPipeline } from '../pipeline.ts';
import { FolderStore, S3Store, type LandingStore } from '../sink/store.ts';
import { s3Client } from '../local/s3.ts';
import { Kafka, logLevel } from 'kafkajs';
import { runBench } from './bench.ts';
import { benchIngest, benchSink } from './bench-ingest.ts';

type Values = Record<string, unknown>;
export interface CommandSpec {
  help: string;
  options: NonNullable<ParseArgsConfig['options']>;
  run: (values: Values, positionals: string[]) => Promise<number | void>;
}

const log = (line: string) => process.stderr.write(`${line}\n`);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

function config(values: Values): Config {
  return loadConfig({ configFile: str(values['config']), lake: str(values['lake']), target: str(values['target']) });
}

function usageError(message: string): never {
  throw new PinpipeError('USAGE', message);
}

function number(values: Values, key: string, fallback: number, check: (n: number) => boolean, allowed: string): number {
  const raw = str(values[key]);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || !check(n)) usageError(`pinpipe: --${key} ${raw} is not valid (USAGE); expected ${allowed}.`);
  return n;
}

async function withSpark<T>(cfg: Config, fn: (s: SparkSession) => Promise<T>): Promise<T> {
  const session = await openSpark(cfg.lakeRoot, cfg.spark, log);
  const stop = () => { void session.stop().then(() => process.exit(130)); };
  process.once('SIGINT', stop);
  try {
    return await fn(session);
  } finally {
    process.off('SIGINT', stop);
    await session.stop();
  }
}

function printReports(reports: TableReport[]): void {
  const columns = ['table_name', 'rows_in', 'rows_out', 'duplicates_dropped', 'rejected'].map((name) => ({ name, type: 'string' }));
  log(formatTable({ columns, rows: reports as unknown as Record<string, unknown>[], rowCount: reports.length, truncated: false }));
}

/** Kafka for the API and the sink: the flag, else the configured servers, else the lake's local broker. */
function kafkaBrokers(cfg: Config, flag: string | undefined): string[] {
  if (flag) return flag.split(',').map((b) => b.trim()).filter(Boolean);
  if (cfg.kafka.bootstrap_servers.length) return cfg.kafka.bootstrap_servers;
  const ports = path.join(cfg.lakeRoot, '_kafka', 'ports.json');
  if (existsSync(ports)) return [`127.0.0.1:${(JSON.parse(readFileSync(ports, 'utf8')) as { port: number }).port}`];
  throw new PinpipeError('USAGE', `pinpipe: no Kafka to use (USAGE): give --bootstrap HOST:PORT, set kafka.bootstrap_servers, or start the local broker with npx pinpipe api.`);
}

/** Where the sink lands: the lake folder, or s3://bucket/prefix (on an S3-compatible endpoint when given). */
function landingStore(cfg: Config, s3: string | undefined, endpoint: string | undefined): LandingStore {
  if (!s3) return new FolderStore(cfg.lakeRoot);
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(s3);
  if (!m) usageError(`pinpipe sink: --s3 ${s3} is not valid (USAGE); expected s3://bucket or s3://bucket/prefix.`);
  const prefix = m[2] ? m[2].replace(/\/?$/, '/') : '';
  return new S3Store(s3Client(endpoint), m[1]!, prefix);
}

function printRunSummary(summary: RunSummary): void {
  const columns = ['task', 'state', 'seconds', 'attempt', 'error'].map((name) => ({ name, type: 'string' }));
  const rows = summary.tasks.map((t) => ({ task: t.taskKey, state: t.state, seconds: t.seconds.toFixed(1), attempt: t.attempt, error: t.error ?? '' }));
  log(formatTable({ columns, rows, rowCount: rows.length, truncated: false }));
  for (const t of summary.tasks) if (t.errorTrace && t.state !== 'SUCCESS') log(`--- ${t.taskKey} error output:\n${t.errorTrace}`);
  const reports: TableReport[] = [];
  for (const t of summary.tasks) {
    if (!t.result) continue;
    let value: unknown;
    try {
      value = JSON.parse(t.result);
    } catch {
      continue;
    }
    for (const [name, rows] of Object.entries(value as Record<string, Record<string, unknown>[]>)) {
      if (!Array.isArray(rows)) continue;
      if (rows[0] && 'rows_in' in rows[0]) reports.push(...(rows as unknown as TableReport[]));
      else if (!name.startsWith('cell_')) {
        const cols = Object.keys(rows[0] ?? {}).map((c) => ({ name: c, type: 'string' }));
        process.stdout.write(`== ${name}\n${formatTable({ columns: cols, rows, rowCount: rows.length, truncated: false })}\n\n`);
      }
    }
  }
  if (reports.length) {
    printReports(reports);
    process.stdout.write(`${JSON.stringify(reports)}\n`);
  }
}

async function serveWorkspace(cfg: Config, port: number): Promise<void> {
  if (cfg.target.kind !== 'local') return;
  const server = await startWorkspaceServer({
    stateDir: workspaceStateDir(cfg.lakeRoot),
    lakeRoot: cfg.lakeRoot,
    spark: cfg.spark,
    token: localToken(cfg.lakeRoot),
    port,
    maxParallelTasks: cfg.target.workspace.max_parallel_tasks,
    shareSpark: true,
    log: (l) => log(`${new Date().toISOString()} ${l}`),
  });
  recordRunning({ url: server.url, lake: cfg.lakeRoot, pid: process.pid, token: '' });
  log(`PINPIPE_WORKSPACE_READY url=${server.url} lake=${cfg.lakeRoot}`);
  const stop = () => {
    log('workspace: stopping');
    void server.close().finally(() => {
      forgetRunning(process.pid);
      process.exit(0);
    });
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function parseParams(values: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of (values['param'] as string[] | undefined) ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) usageError(`pinpipe: --param ${p} is not valid (USAGE); expected key=value.`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

async function queryResults(cfg: Config, names: string[]): Promise<Map<string, StatementResult>> {
  if (cfg.target.kind === 'databricks') {
    log(`query: running ${names.length} quer${names.length === 1 ? 'y' : 'ies'} on SQL warehouse ${cfg.target.warehouse_id ?? '(none)'} of target ${cfg.targetName}`);
    return runWarehouseQueries(cfg, names);
  }
  return withSpark(cfg, async (session) => {
    const { results } = await runLocalJob(JOBS['queries']!, cfg, session.client, { onlyResults: names, progress: log });
    return new Map(names.map((n) => [n, results.get(n)!.result]));
  });
}

function printResults(results: Map<string, StatementResult>, format: OutputFormat | 'arrow', out: string | undefined): void {
  const names = [...results.keys()];
  if (format === 'arrow') {
    // The query command refused --format arrow without --out before running anything.
    out = out!;
    const many = names.length > 1;
    if (many) mkdirSync(out, { recursive: true });
    for (const [name, result] of results) {
      const file = many ? path.join(out, `${name}.arrow`) : out;
      writeFileSync(file, resultToArrowFile(result));
      log(`query: wrote ${file} (${result.rowCount} rows)`);
    }
    return;
  }
  let text: string;
  if (format === 'json' && names.length > 1) text = JSON.stringify(Object.fromEntries([...results].map(([n, r]) => [n, r.rows])), null, 2);
  else if (names.length > 1) text = [...results].map(([n, r]) => `== ${n}\n${formatResult(r, format)}\n`).join('\n');
  else text = formatResult(results.get(names[0]!)!, format);
  if (out) {
    writeFileSync(out, `${text}\n`);
    log(`query: wrote ${out}`);
  } else process.stdout.write(`${text}\n`);
}

function defaultRealDir(): string {
  return path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'real');
}

export const COMMANDS: Record<string, CommandSpec> = {
  setup: {
    help: 'pinpipe setup [spark|kafka]\n  Installs the local runtime from Maven Central (idempotent): Spark 4 + Delta Lake into .pinpipe/spark, Apache Kafka 4 into .pinpipe/kafka; both when none is named.',
    options: {},
    run: async (_values, [what]) => {
      if (what !== undefined && what !== 'spark' && what !== 'kafka') usageError(`pinpipe setup: say spark or kafka, or nothing for both (USAGE); got "${what}".`);
      if (what !== 'kafka') {
        installSpark(log);
        log('setup: local Spark runtime ready');
      }
      if (what !== 'spark') {
        installKafka(log);
        log('setup: local Kafka runtime ready');
      }
    },
  },
  notebooks: {
    help: 'pinpipe notebooks build|check\n  build: renders notebooks/ from sql/ and databricks.yml from jobs/.  check: fails when they are not current.',
    options: {},
    run: async (_values, [action]) => {
      if (action !== 'build' && action !== 'check') usageError('pinpipe notebooks: say build or check (USAGE).');
      const stale: string[] = [];
      const generated = [
        ...renderAllNotebooks(readProjectFile).map((nb) => ({ path: nb.path, content: nb.content })),
        { path: 'databricks.yml', content: renderBundle(JOBS) },
        { path: DASHBOARD_FILE, content: renderLakeviewFile() },
      ];
      for (const nb of generated) {
        const file = projectPath(nb.path);
        const current = existsSync(file) ? readFileSync(file, 'utf8') : null;
        if (current === nb.content) continue;
        if (action === 'check') stale.push(nb.path);
        else {
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, nb.content);
          log(`notebooks: wrote ${nb.path}`);
        }
      }
      if (stale.length) throw new PinpipeError('NOTEBOOKS_STALE', `notebooks: ${stale.join(', ')} not current with sql/ and jobs/ (NOTEBOOKS_STALE). Run npm run build-notebooks and commit the result.`);
      if (action === 'check') log('notebooks: all current');
    },
  },
  data: {
    help: [
      'pinpipe data generate --rows N --seed S --out DIR',
      '  Writes the three tables (pinterest_data.jsonl, geolocation_data.csv, user_data.csv) with the distributions of spec/data.md.',
      'pinpipe data land --from DIR [--order original|shuffled] [--duplicates R] [--malformed R] [--seed S] [--flush-size N]',
      '  Lands the rows of DIR into the lake (topics/<topic>/partition=0/...), replacing what the topics held.',
    ].join('\n'),
    options: {
      rows: { type: 'string' }, seed: { type: 'string' }, out: { type: 'string' }, from: { type: 'string' },
      order: { type: 'string' }, duplicates: { type: 'string' }, malformed: { type: 'string' }, 'flush-size': { type: 'string' },
    },
    run: async (values, [action]) => {
      if (action === 'generate') {
        const rows = number(values, 'rows', 11154, (n) => Number.isInteger(n) && n > 0, 'a whole number of rows above 0');
        const out = str(values['out']) ?? usageError('pinpipe data generate: --out DIR is required (USAGE).');
        const seed = str(values['seed']) ?? '100';
        await generateData({ rows, seed, out: path.resolve(out) }, log);
        return;
      }
      if (action !== 'land') usageError('pinpipe data: say generate or land (USAGE).');
      const cfg = config(values);
      const order = str(values['order']) ?? 'original';
      if (order !== 'original' && order !== 'shuffled') usageError(`pinpipe data land: --order ${order} is not valid (USAGE); expected original or shuffled.`);
      const from = path.resolve(str(values['from']) ?? usageError('pinpipe data land: --from DIR is required (USAGE).'));
      const reports = await landFromDir(cfg, {
        from, order,
        duplicates: number(values, 'duplicates', 0, (n) => n >= 0 && n <= 10, 'a fraction from 0 to 10'),
        malformed: number(values, 'malformed', 0, (n) => n >= 0 && n <= 1, 'a fraction from 0 to 1'),
        seed: str(values['seed']) ?? '100',
        flushSize: number(values, 'flush-size', 1000, (n) => Number.isInteger(n) && n >= 1, 'a whole number of records per file, 1 or more'),
      }, log);
      process.stdout.write(`${JSON.stringify(reports)}\n`);
    },
  },
  deploy: {
    help: [
      'pinpipe deploy [notebooks|jobs|all] [--target T] [--dry-run]',
      '  notebooks: imports notebooks/ into the target workspace folder (unchanged ones are skipped).',
      '  jobs: creates or resets the jobs of jobs/ (matched by name and tag). all (default): both.',
      '  With no workspace configured the target is the local workspace, started when needed.',
    ].join('\n'),
    options: { 'dry-run': { type: 'boolean' } },
    run: async (values, [what = 'all']) => {
      if (!['notebooks', 'jobs', 'all'].includes(what)) usageError(`pinpipe deploy: say notebooks, jobs or all (USAGE); got "${what}".`);
      const cfg = config(values);
      const ws = await connectWorkspace(cfg, log);
      const dryRun = values['dry-run'] === true;
      if (what !== 'jobs') {
        await deployNotebooks(cfg, ws, { dryRun, log });
        await deployDashboard(cfg, ws, { dryRun, log });
      }
      if (what !== 'notebooks') await deployJobs(cfg, ws, Object.values(JOBS), { dryRun, log });
    },
  },
  'run-job': {
    help: [
      `pinpipe run-job <${Object.keys(JOBS).join('|')}> [--target T] [--param key=value ...] [--submit] [--direct]`,
      '  Runs a job on the target workspace (local by default: the local workspace on the local Spark) and waits:',
      '  per-task progress, the run page URL, each task\'s state, duration and error; Ctrl-C cancels the run.',
      '  The job definition is deployed first when it changed. --submit runs once without a saved job.',
      '  --direct runs the notebooks straight on the local Spark, without the workspace API.',
    ].join('\n'),
    options: { param: { type: 'string', multiple: true }, submit: { type: 'boolean' }, direct: { type: 'boolean' } },
    run: async (values, [name]) => {
      const job = name ? JOBS[name] : undefined;
      if (!job) usageError(`pinpipe run-job: name a job: ${Object.keys(JOBS).join(', ')} (USAGE).`);
      const cfg = config(values);
      const params = parseParams(values);
      if (values['direct'] === true) {
        if (cfg.target.kind !== 'local') usageError('pinpipe run-job: --direct runs on the local Spark; it cannot be used with a Databricks target (USAGE).');
        await withSpark(cfg, async (session) => {
          const run = await runLocalJob(job, cfg, session.client, { params, progress: log });
          if (run.reports.length) printReports(run.reports);
          for (const [resultName, cell] of run.results) process.stdout.write(`== ${resultName}\n${formatTable(cell.result)}\n\n`);
          log(`run-job: ${job.name} succeeded in ${run.seconds.toFixed(1)}s`);
          if (run.reports.length) process.stdout.write(`${JSON.stringify(run.reports)}\n`);
        });
        return;
      }
      const ws = await connectWorkspace(cfg, log);
      const summary = await runJob(cfg, ws, job, { params, submit: values['submit'] === true, log });
      printRunSummary(summary);
      if (summary.resultState !== 'SUCCESS') {
        throw new PinpipeError('RUN_FAILED', `run-job: run ${summary.runId} of ${job.name} ended ${summary.resultState} (RUN_FAILED): ${summary.message}\n${summary.runPageUrl}`);
      }
      log(`run-job: ${job.name} succeeded in ${summary.seconds.toFixed(1)}s (${summary.runPageUrl})`);
    },
  },
  workspace: {
    help: [
      'pinpipe workspace start|stop|status|serve',
      '  The local workspace: the Databricks REST API (workspace, jobs, runs) on this machine, running jobs on the',
      '  local Spark; state in <lake>/_workspace. Commands on the local target start it when needed.',
    ].join('\n'),
    options: { port: { type: 'string' } },
    run: async (values, [action]) => {
      const cfg = config(values);
      if (action === 'start') {
        const ws = await ensureWorkspace(cfg, log);
        process.stdout.write(`${ws.url}\n`);
      } else if (action === 'stop') await stopWorkspace(log);
      else if (action === 'status') {
        const ws = await findWorkspace(cfg.lakeRoot);
        process.stdout.write(ws ? `running at ${ws.url} (pid ${ws.pid}) for ${ws.lake}\n` : 'not running\n');
      } else if (action === 'serve') {
        if (cfg.target.kind !== 'local') usageError('pinpipe workspace serve: the local workspace serves the local target (USAGE).');
        await serveWorkspace(cfg, number(values, 'port', cfg.target.workspace.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a TCP port'));
        return new Promise<number>(() => {});
      } else usageError('pinpipe workspace: say start, stop, status or serve (USAGE).');
    },
  },
  query: {
    help: [
      'pinpipe query <name|all> [--target T] [--format table|json|csv|arrow] [--out FILE|DIR]',
      '  Runs one of the nine queries on the cleaned tables: locally on the local Spark, on a Databricks target on',
      `  its SQL warehouse (@databricks/sql). arrow writes Arrow IPC files. Queries: ${QUERY_NAMES.join(', ')}.`,
    ].join('\n'),
    options: { format: { type: 'string' }, out: { type: 'string' } },
    run: async (values, [name]) => {
      const format = (str(values['format']) ?? 'table') as OutputFormat | 'arrow';
      if (!['table', 'json', 'csv', 'arrow'].includes(format)) usageError(`pinpipe query: --format ${format} is not valid (USAGE); expected table, json, csv or arrow.`);
      if (!name || (name !== 'all' && !isQueryName(name))) {
        throw new PinpipeError('QUERY_UNKNOWN', `pinpipe query: ${name ? `"${name}" is not a query` : 'name a query'} (QUERY_UNKNOWN); expected all or one of: ${QUERY_NAMES.join(', ')}.`);
      }
      const out = str(values['out']);
      if (format === 'arrow' && !out) usageError('pinpipe query: --format arrow writes a file; give --out FILE (or --out DIR for all) (USAGE).');
      const cfg = config(values);
      printResults(await queryResults(cfg, name === 'all' ? [...QUERY_NAMES] : [name]), format, out ? path.resolve(out) : undefined);
    },
  },
  dashboard: {
    help: [
      'pinpipe dashboard [--target T] [--out FILE]',
      '  Runs the nine queries (local Spark, or the target\'s SQL warehouse) and writes a static HTML page with one',
      '  chart each, the same charts as the deployed AI/BI dashboard. Default: dashboard/index.html.',
    ].join('\n'),
    options: { out: { type: 'string' } },
    run: async (values) => {
      const cfg = config(values);
      const out = path.resolve(str(values['out']) ?? projectPath('dashboard', 'index.html'));
      const results = await queryResults(cfg, [...QUERY_NAMES]);
      const source = cfg.target.kind === 'databricks' ? `SQL warehouse ${cfg.target.warehouse_id} of target ${cfg.targetName}` : `local Spark over ${cfg.lakeRoot}`;
      mkdirSync(path.dirname(out), { recursive: true });
      writeFileSync(out, renderHtml(results, { title: 'pinpipe: Pinterest analytics', generatedAt: new Date().toISOString(), source }));
      log(`dashboard: wrote ${out}`);
      process.stdout.write(`${out}\n`);
    },
  },
  api: {
    help: [
      'pinpipe api [--port N]',
      '  The ingestion API (Kafka REST Proxy v2 routes of spec/wire.md) in front of Kafka: the local broker',
      '  (Apache Kafka 4, KRaft, data in <lake>/_kafka) unless kafka.bootstrap_servers names another. Creates the',
      '  three topics when missing. API keys: PINPIPE_API_KEYS with api.require_api_key. Ctrl-C stops it.',
    ].join('\n'),
    options: { port: { type: 'string' } },
    run: async (values) => {
      const cfg = config(values);
      const port = number(values, 'port', cfg.api.port, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a TCP port');
      let broker: Awaited<ReturnType<typeof startBroker>> | null = null;
      let brokers = cfg.kafka.bootstrap_servers;
      if (!brokers.length) {
        broker = await startBroker({ dataDir: path.join(cfg.lakeRoot, '_kafka'), log });
        brokers = [broker.bootstrap];
      }
      const connection = broker ? {} : kafkaConnection(cfg.kafka);
      const admin = new Kafka({ brokers, ...connection, logLevel: logLevel.NOTHING, clientId: 'pinpipe-cli' }).admin();
      await admin.connect();
      const existing = new Set(await admin.listTopics());
      const missing = Object.values(cfg.names.topic).filter((t) => !existing.has(t));
      if (missing.length) {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: cfg.kafka.partitions })) });
        log(`api: created topics ${missing.join(', ')} (${cfg.kafka.partitions} partition${cfg.kafka.partitions === 1 ? '' : 's'} each)`);
      }
      await admin.disconnect();
      const tables = Object.fromEntries(TABLES.map((t) => [cfg.names.topic[t], t]));
      // Kinesis: kinesalite with its data in <lake>/_kinesis (default), AWS, or another endpoint; the three streams.
      const kinesis = cfg.kinesis.mode === 'local' ? await startKinesis({ dataDir: path.join(cfg.lakeRoot, '_kinesis'), log }) : null;
      const kinesisEndpoint = kinesis?.endpoint ?? (cfg.kinesis.mode === 'endpoint' ? cfg.kinesis.endpoint : undefined);
      const kclient = kinesisClient(kinesisEndpoint, cfg.kinesis.region);
      const streams = new Set((await kclient.send(new ListStreamsCommand({}))).StreamNames ?? []);
      for (const t of TABLES) {
        if (!streams.has(cfg.names.stream[t])) {
          await kclient.send(new CreateStreamCommand({ StreamName: cfg.names.stream[t], ShardCount: cfg.kinesis.shards }));
          log(`api: created Kinesis stream ${cfg.names.stream[t]} (${cfg.kinesis.shards} shard${cfg.kinesis.shards === 1 ? '' : 's'})`);
        }
      }
      const server = await startApi({
        settings: { ...cfg.api, port }, apiKeys: cfg.apiKeys, brokers, connection, tables, log,
        kinesis: { client: kclient, tables: Object.fromEntries(TABLES.map((t) => [cfg.names.stream[t], t])) },
      });
      log(`api: listening on ${server.url} (Kafka ${brokers.join(',')}, Kinesis ${kinesisEndpoint ?? `AWS ${cfg.kinesis.region}`}); POST ${server.url}/topics/${cfg.names.topic.pin}, PUT ${server.url}/streams/${cfg.names.stream.pin}/record`);
      process.stdout.write(`${server.url}\n`);
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      log('api: stopping');
      await server.close();
      await kinesis?.stop();
      await broker?.stop();
    },
  },
  sink: {
    help: [
      'pinpipe sink [--bootstrap HOST:PORT,...] [--topics T,...] [--group G] [--flush-records N] [--flush-bytes N] [--flush-age-ms N]',
      '            [--s3 s3://BUCKET[/PREFIX] [--s3-endpoint URL]] [--metrics-port N]',
      '  A consumer group that lands the topics in the S3 connector\'s layout, exactly once across crashes and',
      '  rebalances: into the lake, or with --s3 into S3 (AWS credentials chain) or any S3-compatible store at',
      '  --s3-endpoint (keys PINPIPE_S3_ACCESS_KEY / PINPIPE_S3_SECRET_KEY). Kafka: --bootstrap, else',
      '  kafka.bootstrap_servers, else the local broker of the lake.',
    ].join('\n'),
    options: {
      bootstrap: { type: 'string' }, topics: { type: 'string' }, group: { type: 'string' },
      'flush-records': { type: 'string' }, 'flush-bytes': { type: 'string' }, 'flush-age-ms': { type: 'string' },
      s3: { type: 'string' }, 's3-endpoint': { type: 'string' }, 'metrics-port': { type: 'string' },
    },
    run: async (values) => {
      const cfg = config(values);
      const brokers = kafkaBrokers(cfg, str(values['bootstrap']));
      const topics = (str(values['topics']) ?? Object.values(cfg.names.topic).join(',')).split(',').map((t) => t.trim()).filter(Boolean);
      const positive = (n: number) => Number.isInteger(n) && n > 0;
      const sink = new Sink({
        brokers,
        ...(str(values['bootstrap']) || !cfg.kafka.bootstrap_servers.length ? {} : { connection: kafkaConnection(cfg.kafka) }),
        topics,
        groupId: str(values['group']) ?? `pinpipe-sink-${cfg.userId}`,
        store: landingStore(cfg, str(values['s3']), str(values['s3-endpoint']) ?? process.env['PINPIPE_S3_ENDPOINT']),
        flush: {
          records: number(values, 'flush-records', 1000, positive, 'a whole number above 0'),
          bytes: number(values, 'flush-bytes', 16 * 1024 * 1024, positive, 'a whole number of bytes above 0'),
          ageMs: number(values, 'flush-age-ms', 10_000, positive, 'milliseconds above 0'),
        },
        log,
      });
      await sink.start();
      const metricsPort = str(values['metrics-port']);
      const metricsServer = metricsPort === undefined ? null : await serveSinkMetrics(sink, number(values, 'metrics-port', 0, (n) => Number.isInteger(n) && n >= 0 && n < 65536, 'a TCP port'));
      if (metricsServer) log(`sink: Prometheus metrics at ${metricsServer.url}/metrics`);
      log(`sink: landing ${topics.join(', ')} from ${brokers.join(',')} into ${str(values['s3']) ?? cfg.lakeRoot}`);
      let last = { at: Date.now(), records: 0 };
      const progress = setInterval(() => {
        const now = Date.now();
        const rate = ((sink.stats.records - last.records) * 1000) / Math.max(1, now - last.at);
        last = { at: now, records: sink.stats.records };
        void sink.lag().then((lag) => {
          const total = Object.values(lag).reduce((a, b) => a + b, 0);
          log(`sink: ${sink.stats.records} records in ${sink.stats.files} files, ${rate.toFixed(0)} records/s, lag ${total}`);
        }).catch(() => {});
      }, 5000);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      clearInterval(progress);
      await metricsServer?.close();
      log('sink: stopping (flushing what is buffered)');
      await sink.stop();
      log(`sink: stopped; ${sink.stats.records} records in ${sink.stats.files} files this run`);
    },
  },
  source: {
    help: [
      'pinpipe source load [--from DIR] | start | stop | status',
      '  The source database (source.engine: embedded SQLite in the lake by default, mariadb run by the project,',
      '  or mysql at source.url with PINPIPE_SOURCE_PASSWORD). load: the three tables from DIR (real or generated rows).',
    ].join('\n'),
    options: { from: { type: 'string' } },
    run: async (values, [action]) => {
      const cfg = config(values);
      const mariadbDir = path.join(cfg.lakeRoot, '_mariadb');
      if (action === 'stop') return void (await stopMariadb(mariadbDir, log));
      if (action === 'start') {
        if (cfg.source.engine !== 'mariadb') usageError(`pinpipe source start: source.engine is ${cfg.source.engine}; only the project's MariaDB is started (USAGE).`);
        const server = await ensureMariadb(mariadbDir, log);
        process.stdout.write(`${server.url}\n`);
        return;
      }
      if (action !== 'load' && action !== 'status') usageError('pinpipe source: say load, start, stop or status (USAGE).');
      const db = await openSource(cfg, log);
      try {
        if (action === 'load') {
          const from = path.resolve(str(values['from']) ?? defaultRealDir());
          for (const t of TABLES) {
            const n = await db.load(t, readSourceTable(from, t));
            log(`source: loaded ${n} rows into ${SOURCE_TABLES[t].name} (${db.describe()})`);
          }
        }
        const counts = Object.fromEntries(await Promise.all(TABLES.map(async (t) => [SOURCE_TABLES[t].name, await db.count(t)] as const)));
        process.stdout.write(`${JSON.stringify({ source: db.describe(), rows: counts })}\n`);
      } finally {
        await db.close();
      }
    },
  },
  emulate: {
    help: [
      'pinpipe emulate [--mode batch] [--count N] [--rate R] [--concurrency C] [--batch-size B] [--seed S] [--api URL]',
      '  Posts rows of the source database to the ingestion API like the original script (Python random with the',
      '  seed, one ind for the three tables), retrying 429/5xx with backoff; progress, then a summary per table.',
    ].join('\n'),
    options: {
      mode: { type: 'string' }, count: { type: 'string' }, rate: { type: 'string' }, concurrency: { type: 'string' },
      'batch-size': { type: 'string' }, seed: { type: 'string' }, api: { type: 'string' },
    },
    run: async (values) => {
      const cfg = config(values);
      const mode = str(values['mode']) ?? 'batch';
      if (mode !== 'batch' && mode !== 'stream') usageError(`pinpipe emulate: --mode ${mode} is not valid (USAGE); expected batch or stream.`);
      const whole = (n: number) => Number.isInteger(n) && n > 0;
      const db = await openSource(cfg, log);
      try {
        if ((await db.count('geo')) === 0) throw new PinpipeError('SOURCE_UNAVAILABLE', `emulate: the source database (${db.describe()}) is empty (SOURCE_UNAVAILABLE). Load it first: npx pinpipe source load.`);
        const summary = await emulate(cfg, db, {
          mode,
          count: number(values, 'count', 500, whole, 'a whole number of rows above 0'),
          rate: number(values, 'rate', 0, (n) => n >= 0, 'requests a second, 0 for no limit'),
          concurrency: number(values, 'concurrency', 4, (n) => whole(n) && n <= 256, 'a whole number from 1 to 256'),
          batchSize: number(values, 'batch-size', 1, (n) => whole(n) && n <= 500, 'records a request, 1 to 500'),
          seed: number(values, 'seed', 100, Number.isInteger, 'an integer'),
          apiUrl: (str(values['api']) ?? `http://127.0.0.1:${cfg.api.port}`).replace(/\/$/, ''),
          ...(process.env['PINPIPE_API_KEY'] ? { apiKey: process.env['PINPIPE_API_KEY'] } : {}),
          log,
        });
        const rows = TABLES.map((t) => ({ table: t, ...summary.tables[t] }));
        log(formatTable({ columns: ['table', 'selected', 'sent', 'acknowledged', 'failed'].map((name) => ({ name, type: 'string' })), rows, rowCount: rows.length, truncated: false }));
        log(`emulate: ${summary.requests} requests, ${summary.retries} retries in ${summary.seconds.toFixed(1)}s`);
        process.stdout.write(`${JSON.stringify({ tables: summary.tables, requests: summary.requests, retries: summary.retries, seconds: summary.seconds })}\n`);
        if (TABLES.some((t) => summary.tables[t].failed > 0)) return 1;
      } finally {
        await db.close();
      }
    },
  },
  pipeline: {
    help: [
      'pinpipe pipeline [--count N] [--from DIR] [--concurrency C] [--batch-size B] [--seed S]',
      '  The whole pipeline here: source database, Kafka, ingestion API, emulator, sink, clean job and queries,',
      '  then a reconciliation per table (selected, posted, acknowledged, landed, cleaned); services stop at the end.',
    ].join('\n'),
    options: { count: { type: 'string' }, from: { type: 'string' }, concurrency: { type: 'string' }, 'batch-size': { type: 'string' }, seed: { type: 'string' } },
    run: async (values) => {
      const cfg = config(values);
      if (cfg.target.kind !== 'local') usageError('pinpipe pipeline: runs on the local target (USAGE).');
      const whole = (n: number) => Number.isInteger(n) && n > 0;
      installSpark(log);
      installKafka(log);
      const result = await withSpark(cfg, (session) => runPipeline(cfg, {
        from: path.resolve(str(values['from']) ?? defaultRealDir()),
        count: number(values, 'count', 1000, whole, 'a whole number of rows above 0'),
        concurrency: number(values, 'concurrency', 4, whole, 'a whole number above 0'),
        batchSize: number(values, 'batch-size', 1, (n) => whole(n) && n <= 500, 'records a request, 1 to 500'),
        seed: number(values, 'seed', 100, Number.isInteger, 'an integer'),
        spark: session.client,
        log,
      }));
      for (const [name, cell] of result.job.results) process.stdout.write(`== ${name}\n${formatTable(cell.result)}\n\n`);
      const rows = result.reconciliation as unknown as Record<string, unknown>[];
      process.stdout.write(`${formatTable({ columns: Object.keys(rows[0]!).map((name) => ({ name, type: 'string' })), rows, rowCount: rows.length, truncated: false })}\n`);
      process.stdout.write(`reconciliation: ${result.exact ? 'exact' : 'NOT exact'}\n`);
      if (!result.exact) throw new PinpipeError('RUN_FAILED', 'pipeline: the reconciliation is not exact (RUN_FAILED); see the table above.');
    },
  },
  spark: {
    help: 'pinpipe spark start|stop|status\n  A shared local Spark server for the lake: later commands use it instead of starting their own.',
    options: {},
    run: async (values, [action]) => {
      const cfg = config(values);
      if (action === 'start') await startDaemon(cfg.lakeRoot, cfg.spark, log);
      else if (action === 'stop') await stopDaemon(log);
      else usageError('pinpipe spark: say start or stop (USAGE).');
    },
  },
  quickstart: {
    help: [
      'pinpipe quickstart [--from DIR]',
      '  Lands the real rows (../shared/data/real), deploys the notebooks, dashboard and jobs to the local workspace,',
      '  runs the clean job there (cleaning, then the nine queries) and prints the reports and the nine results.',
    ].join('\n'),
    options: { from: { type: 'string' } },
    run: async (values) => {
      const cfg = config(values);
      if (cfg.target.kind !== 'local') usageError('pinpipe quickstart: runs on the local target (USAGE); use deploy and run-job for a workspace.');
      const from = path.resolve(str(values['from']) ?? defaultRealDir());
      installSpark(log);
      await landFromDir(cfg, { from, order: 'original', duplicates: 0, malformed: 0, seed: '100', flushSize: 1000 }, log);
      const wasRunning = await findWorkspace(cfg.lakeRoot);
      const ws = await connectWorkspace(cfg, log);
      try {
        await deployNotebooks(cfg, ws, { log });
        await deployDashboard(cfg, ws, { log });
        const summary = await runJob(cfg, ws, JOBS['clean']!, { params: {}, log });
        printRunSummary(summary);
        if (summary.resultState !== 'SUCCESS') throw new PinpipeError('RUN_FAILED', `quickstart: the clean job ended ${summary.resultState} (RUN_FAILED): ${summary.message}`);
        log(`quickstart: done in ${summary.seconds.toFixed(1)}s. Next: npx pinpipe query all, npm run dashboard.`);
      } finally {
        if (!wasRunning) await stopWorkspace(log);
      }
    },
  },
  bench: {
    help: [
      'pinpipe bench batch [--sizes 11154,1000000] | ingest | sink',
      '  batch: the clean job and each query on generated data, cold and warm, beside the original notebooks\' way.',
      '  ingest: API records/s and p50/p99 by records a request and concurrency, beside Kafka\'s ProducerPerformance.',
      '  sink: landed records/s beside Kafka\'s ConsumerPerformance.',
    ].join('\n'),
    options: { sizes: { type: 'string' } },
    run: async (values, [what]) => {
      const out = (l: string) => process.stdout.write(`${l}\n`);
      if (what === 'batch') await runBench(config(values), str(values['sizes']), log);
      else if (what === 'ingest') await benchIngest(out, log);
      else if (what === 'sink') await benchSink(out, log);
      else usageError('pinpipe bench: say batch, ingest or sink (USAGE).');
    },
  },

};

export function usage(): string {
  return `pinpipe: Pinterest's data pipeline as Databricks notebooks, with a local Spark + Delta runtime.\n\nCommands:\n${Object.values(COMMANDS).map((c) => c.help).join('\n\n')}\n\nCommon options: --config FILE (default ./pinpipe.yaml), --lake DIR (lake root), --target NAME.\n`;
}
