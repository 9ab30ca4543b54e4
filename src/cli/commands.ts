// The commands of the pinpipe CLI and their options.
import { existsSync, mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { ParseArgsConfig } from 'node:util';
import { loadConfig, type Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { landFromDir } from '../emulator/land.ts';
import { generateData } from '../emulator/generator.ts';
import { runLocalJob, type TableReport } from '../local/batch.ts';
import { installSpark, openSpark, startDaemon, stopDaemon, type SparkSession } from '../local/spark/index.ts';
import { isQueryName, QUERY_NAMES, renderAllNotebooks } from '../notebook/index.ts';
import { projectPath, readProjectFile, PROJECT_ROOT } from '../project.ts';
import { JOBS } from '../../jobs/index.ts';
import { formatResult, formatTable, type OutputFormat } from './format.ts';
import { runBench } from './bench.ts';

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
  const session = await openSpark(cfg.lakeRoot, cfg.target.spark, log);
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

function parseParams(values: Values): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of (values['param'] as string[] | undefined) ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) usageError(`pinpipe: --param ${p} is not valid (USAGE); expected key=value.`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

async function runQueries(cfg: Config, session: SparkSession, names: string[], format: OutputFormat): Promise<void> {
  const { results } = await runLocalJob(JOBS['queries']!, cfg, session.client, { onlyResults: names, progress: log });
  const out: string[] = [];
  const json: Record<string, unknown> = {};
  for (const name of names) {
    const cell = results.get(name)!;
    if (format === 'json' && names.length > 1) json[name] = cell.result.rows;
    else out.push(names.length > 1 && format !== 'json' ? `== ${name}\n${formatResult(cell.result, format)}\n` : formatResult(cell.result, format));
  }
  process.stdout.write(format === 'json' && names.length > 1 ? `${JSON.stringify(json, null, 2)}\n` : `${out.join('\n')}\n`);
}

function defaultRealDir(): string {
  return path.resolve(PROJECT_ROOT, '..', 'shared', 'data', 'real');
}

export const COMMANDS: Record<string, CommandSpec> = {
  setup: {
    help: 'pinpipe setup [spark]\n  Installs the local runtime: Spark 4 + Delta Lake jars from Maven Central into .pinpipe/spark (idempotent).',
    options: {},
    run: async () => {
      installSpark(log);
      log('setup: local Spark runtime ready');
    },
  },
  notebooks: {
    help: 'pinpipe notebooks build|check\n  build: renders notebooks/ from sql/.  check: fails when notebooks/ is not what sql/ renders to.',
    options: {},
    run: async (_values, [action]) => {
      if (action !== 'build' && action !== 'check') usageError('pinpipe notebooks: say build or check (USAGE).');
      const stale: string[] = [];
      for (const nb of renderAllNotebooks(readProjectFile)) {
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
      if (stale.length) throw new PinpipeError('NOTEBOOKS_STALE', `notebooks: ${stale.join(', ')} not current with sql/ (NOTEBOOKS_STALE). Run npm run build-notebooks and commit the result.`);
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
  'run-job': {
    help: `pinpipe run-job <${Object.keys(JOBS).join('|')}> [--target T] [--param key=value ...]\n  Runs a job's notebooks (local target: on the local Spark) and reports per table.`,
    options: { param: { type: 'string', multiple: true } },
    run: async (values, [name]) => {
      const job = name ? JOBS[name] : undefined;
      if (!job) usageError(`pinpipe run-job: name a job: ${Object.keys(JOBS).join(', ')} (USAGE).`);
      const cfg = config(values);
      const params = parseParams(values);
      await withSpark(cfg, async (session) => {
        const run = await runLocalJob(job, cfg, session.client, { params, progress: log });
        if (run.reports.length) printReports(run.reports);
        for (const [resultName, cell] of run.results) process.stdout.write(`== ${resultName}\n${formatTable(cell.result)}\n\n`);
        log(`run-job: ${job.name} succeeded in ${run.seconds.toFixed(1)}s`);
        if (run.reports.length) process.stdout.write(`${JSON.stringify(run.reports)}\n`);
      });
    },
  },
  query: {
    help: `pinpipe query <name|all> [--format table|json|csv]\n  Runs one of the nine queries on the cleaned tables: ${QUERY_NAMES.join(', ')}.`,
    options: { format: { type: 'string' } },
    run: async (values, [name]) => {
      const format = (str(values['format']) ?? 'table') as OutputFormat;
      if (!['table', 'json', 'csv'].includes(format)) usageError(`pinpipe query: --format ${format} is not valid (USAGE); expected table, json or csv.`);
      if (!name || (name !== 'all' && !isQueryName(name))) {
        throw new PinpipeError('QUERY_UNKNOWN', `pinpipe query: ${name ? `"${name}" is not a query` : 'name a query'} (QUERY_UNKNOWN); expected all or one of: ${QUERY_NAMES.join(', ')}.`);
      }
      const cfg = config(values);
      await withSpark(cfg, (session) => runQueries(cfg, session, name === 'all' ? [...QUERY_NAMES] : [name], format));
    },
  },
  spark: {
    help: 'pinpipe spark start|stop|status\n  A shared local Spark server for the lake: later commands use it instead of starting their own.',
    options: {},
    run: async (values, [action]) => {
      const cfg = config(values);
      if (action === 'start') await startDaemon(cfg.lakeRoot, cfg.target.spark, log);
      else if (action === 'stop') await stopDaemon(log);
      else usageError('pinpipe spark: say start or stop (USAGE).');
    },
  },
  quickstart: {
    help: 'pinpipe quickstart [--from DIR]\n  Lands the real rows (../shared/data/real), runs the clean job and prints the nine query results.',
    options: { from: { type: 'string' } },
    run: async (values) => {
      const cfg = config(values);
      const from = path.resolve(str(values['from']) ?? defaultRealDir());
      installSpark(log);
      await landFromDir(cfg, { from, order: 'original', duplicates: 0, malformed: 0, seed: '100', flushSize: 1000 }, log);
      await withSpark(cfg, async (session) => {
        const run = await runLocalJob(JOBS['clean']!, cfg, session.client, { progress: log });
        printReports(run.reports);
        await runQueries(cfg, session, [...QUERY_NAMES], 'table');
      });
    },
  },
  bench: {
    help: 'pinpipe bench batch [--sizes 11154,1000000]\n  Times the clean job and each query on generated data, cold and warm, beside the original notebooks\' way.',
    options: { sizes: { type: 'string' } },
    run: async (values, [what]) => {
      if (what !== 'batch') usageError('pinpipe bench: say batch (USAGE).');
      await runBench(config(values), str(values['sizes']), log);
    },
  },
};

export function usage(): string {
  return `pinpipe: Pinterest's data pipeline as Databricks notebooks, with a local Spark + Delta runtime.\n\nCommands:\n${Object.values(COMMANDS).map((c) => c.help).join('\n\n')}\n\nCommon options: --config FILE (default ./pinpipe.yaml), --lake DIR (lake root), --target NAME.\n`;
}
