// Reads pinpipe.yaml (js-yaml), validates it (zod) and resolves it with the environment and CLI flags:
// defaults < YAML < environment < flags. The only module that reads process.env.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import type { z } from 'zod';
import { PinpipeError } from '../errors.ts';
import { configSchema, localTargetSchema, type ApiSettings, type DagSettings, type JobsSettings, type KafkaSettings, type KinesisSettings, type SourceSettings, type StreamSettings, type SparkSettings, type Target } from './schema.ts';

export const TABLES = ['pin', 'geo', 'user'] as const;
export type TableKey = (typeof TABLES)[number];

export interface Names {
  topic: Record<TableKey, string>;
  stream: Record<TableKey, string>;
  table: Record<TableKey, string>;
  rejects: Record<TableKey, string>;
  /** Per table, the Delta table where each run's report is recorded (a SQL notebook has no exit value). */
  reports: Record<TableKey, string>;
  /** Per table, the bronze Delta table: the landed lines as loaded, with their file and load number. */
  bronze: Record<TableKey, string>;
  /** Per table, the Delta table of the last run's changes (staged by the clean notebook before its merge). */
  changes: Record<TableKey, string>;
  bucket: string;
}

export interface Config {
  /** The YAML file read, or null when none exists and defaults apply. */
  file: string | null;
  userId: string;
  lakeRoot: string;
  names: Names;
  targetName: string;
  target: Target;
  /** Where the clean job reads the landed topics on this target: the lake (local) or the bucket. */
  landingRoot: string;
  /** The local Spark settings (targets.local.spark), used by every local command whatever the target. */
  spark: SparkSettings;
  jobs: JobsSettings;
  /** The Airflow DAG; deploy_to resolved (a folder made absolute against the YAML's folder; PINPIPE_DAG_DEPLOY_TO overrides). */
  dag: DagSettings;
  kafka: KafkaSettings;
  api: ApiSettings;
  source: SourceSettings;
  kinesis: KinesisSettings;
  stream: StreamSettings;
  /** The source database password for engine mysql (PINPIPE_SOURCE_PASSWORD). */
  sourcePassword: string | undefined;
  /** API keys the ingestion API accepts (PINPIPE_API_KEYS), never read from the YAML. */
  apiKeys: string[];
}

export interface ConfigOverrides {
  configFile?: string | undefined;
  lake?: string | undefined;
  target?: string | undefined;
  cwd?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
}

/** The names of spec/wire.md for a user id; table names may be overridden in the YAML. */
export function namesFor(userId: string, tables: Partial<Record<TableKey, string | undefined>> = {}): Names {
  const per = (f: (t: TableKey) => string) =>
    Object.fromEntries(TABLES.map((t) => [t, f(t)])) as Record<TableKey, string>;
  return {
    topic: per((t) => `${userId}.${t}`),
    stream: per((t) => `streaming-${userId}-${t}`),
    table: per((t) => tables[t] ?? `${userId}_${t}_table`),
    rejects: per((t) => `${userId}_${t}_rejects`),
    reports: per((t) => `${userId}_${t}_reports`),
    bronze: per((t) => `${userId}_${t}_bronze`),
    changes: per((t) => `${userId}_${t}_changes`),
    bucket: `user-${userId}-bucket`,
  };
}

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, keyPath: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of keyPath) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** One line per zod issue: the file, the key path, the bad value and what is allowed. */
export function formatConfigIssues(file: string, input: unknown, error: z.ZodError): string {
  const lines = error.issues.map((issue) => {
    const keyPath = issue.path.map(String).join('.') || '(top level)';
    if (issue.code === 'unrecognized_keys') {
      const where = issue.path.length ? `under "${keyPath}"` : 'at the top level';
      return `  - ${file}: unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')} ${where}; remove it or check its spelling`;
    }
    const got = describeValue(valueAt(input, issue.path));
    return `  - ${file}: key "${keyPath}" has ${got}; expected ${issue.message.replace(/^Invalid option: expected /, '')}`;
  });
  return `config: ${file} is not valid (CONFIG_INVALID).\n${lines.join('\n')}\nFix the file and run the command again.`;
}

export function loadConfig(overrides: ConfigOverrides = {}): Config {
  const env = overrides.env ?? process.env;
  const cwd = overrides.cwd ?? process.cwd();
  const explicit = overrides.configFile ?? env['PINPIPE_CONFIG'];
  const file = explicit ? path.resolve(cwd, explicit) : path.resolve(cwd, 'pinpipe.yaml');
  let input: unknown = {};
  let used: string | null = null;
  if (existsSync(file)) {
    const shown = path.relative(cwd, file) || file;
    try {
      input = yaml.load(readFileSync(file, 'utf8'), { filename: shown }) ?? {};
    } catch (cause) {
      const reason = cause instanceof Error ? cause.message : String(cause);
      throw new PinpipeError('CONFIG_INVALID', `config: ${shown} is not valid YAML (CONFIG_INVALID): ${reason}. Fix the file and run again.`, { cause });
    }
    used = file;
  } else if (explicit) {
    throw new PinpipeError('CONFIG_INVALID', `config: ${explicit} does not exist (CONFIG_INVALID). Pass an existing file with --config or PINPIPE_CONFIG.`);
  }
  const shown = used ? path.relative(cwd, used) || used : 'pinpipe.yaml';
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new PinpipeError('CONFIG_INVALID', `config: ${shown} must hold a mapping of keys (CONFIG_INVALID); found ${describeValue(input)}.`);
  }
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    throw new PinpipeError('CONFIG_INVALID', formatConfigIssues(shown, input, parsed.error), { cause: parsed.error });
  }
  const raw = parsed.data;
  const userId = env['PINPIPE_USER_ID'] ?? raw.user_id;
  const lake = overrides.lake ?? env['PINPIPE_LAKE_ROOT'] ?? raw.lake_root;
  const base = used ? path.dirname(used) : cwd;
  const targetName = overrides.target ?? env['PINPIPE_TARGET'] ?? raw.default_target;
  const target = raw.targets[targetName];
  if (!target) {
    const known = Object.keys(raw.targets).join(', ');
    throw new PinpipeError('CONFIG_INVALID', `config: target "${targetName}" is not defined in ${shown} (CONFIG_INVALID); known targets: ${known}. Pass one of them with --target.`);
  }
  const names = namesFor(userId, raw.tables);
  const lakeRoot = path.resolve(base, lake);
  const localTarget = raw.targets['local']?.kind === 'local' ? raw.targets['local'] : localTargetSchema.parse({ kind: 'local' });
  const spark = target.kind === 'local' ? target.spark : localTarget.spark;
  let landingRoot = lakeRoot;
  if (target.kind === 'databricks') {
    const bucket = target.access.bucket ?? names.bucket;
    landingRoot = target.landing_root ?? (target.access.mode === 'mount' ? target.access.mount_point ?? `/mnt/${bucket}` : `s3://${bucket}`);
  }
  const deployTo = env['PINPIPE_DAG_DEPLOY_TO'] ?? raw.dag.deploy_to;
  const dag = { ...raw.dag, ...(deployTo !== undefined ? { deploy_to: deployTo.startsWith('s3://') ? deployTo : path.resolve(base, deployTo) } : {}) };
  const apiKeys = (env['PINPIPE_API_KEYS'] ?? '').split(',').map((k) => k.trim()).filter(Boolean);
  return { file: used, userId, lakeRoot, names, targetName, target, landingRoot, spark, jobs: raw.jobs, dag, kafka: raw.kafka, api: raw.api, apiKeys, source: raw.source, kinesis: raw.kinesis, stream: raw.stream, sourcePassword: env['PINPIPE_SOURCE_PASSWORD'] };
}
