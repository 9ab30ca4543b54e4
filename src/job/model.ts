// The job model shared by jobs/*.job.ts: tasks that run notebooks with parameters, in dependency order.
// Parameters are templates resolved against the configuration of the target the job runs on.
import type { Config, TableKey } from '../config/index.ts';
import { quoteIdentifier } from '../notebook/index.ts';
import { PinpipeError } from '../errors.ts';

export interface TaskSpec {
  key: string;
  /** Notebook name under notebooks/, without extension. */
  notebook: string;
  dependsOn: string[];
  /**
   * A setup task gives the job access to the landing data (notebooks/setup/access.py). It exists on
   * Databricks targets only: the local target's landing is a folder of the lake.
   */
  setup?: boolean;
}

export interface JobSpec {
  name: string;
  description: string;
  tasks: TaskSpec[];
  /** Runs daily on the schedule of pinpipe.yaml (jobs.schedule), paused on development targets. */
  daily?: boolean;
  /** Runs on jobs.maintain_schedule (weekly by default), paused on development targets. */
  maintenance?: boolean;
  /**
   * The streaming job: its notebooks get the stream parameters (streams, checkpoints, Kinesis access), and it
   * runs continuously (stream.trigger continuous) or on stream.schedule with availableNow.
   */
  stream?: boolean;
}

/**
 * The local target's Kinesis endpoint, resolved by the local workspace when a run starts (kinesalite's port
 * is chosen when it first starts for a lake); a Databricks target reads AWS Kinesis and has no endpoint.
 */
export const LOCAL_KINESIS_REFERENCE = '{{pinpipe.local_kinesis_endpoint}}';

/** The stream's trigger on a target: `auto` is available_now on serverless compute (its only trigger), else continuous. */
export function streamTrigger(config: Config): 'continuous' | 'available_now' {
  const t = config.target;
  const serverless = t.kind === 'databricks' && t.compute.serverless === true;
  const trigger = config.stream.trigger;
  if (trigger === 'continuous' && serverless) {
    throw new PinpipeError('CONFIG_INVALID', `config: stream.trigger continuous cannot run on serverless compute (target ${config.targetName}), which runs streams with availableNow only (CONFIG_INVALID). Choose stream.trigger: available_now (or auto), or run on a cluster: compute.existing_cluster_id or compute.job_cluster.`);
  }
  return trigger === 'auto' ? (serverless ? 'available_now' : 'continuous') : trigger;
}

/** Parameters of the streaming notebook for a target (notebooks/stream/kinesis.py's widgets). */
export function streamParameters(config: Config): Record<string, string> {
  const s = config.stream;
  const local = config.target.kind === 'local';
  const params: Record<string, string> = {};
  for (const t of ['pin', 'geo', 'user'] as TableKey[]) {
    params[`${t}_stream`] = config.names.stream[t];
    params[`${t}_table`] = tableRef(config, config.names.table[t]);
    params[`${t}_rejects_table`] = tableRef(config, config.names.rejects[t]);
  }
  const endpoint = config.kinesis.mode === 'endpoint' ? config.kinesis.endpoint ?? '' : config.kinesis.mode === 'local' && local ? LOCAL_KINESIS_REFERENCE : '';
  return {
    ...params,
    checkpoint_root: s.checkpoint_root ?? `${(local ? config.lakeRoot : config.landingRoot).replace(/\/$/, '')}/_checkpoints/stream`,
    region: config.kinesis.region,
    endpoint,
    initial_position: s.initial_position,
    credentials: s.credentials,
    credentials_table: s.credentials_table,
    secret_scope: s.secret_scope,
    access_key_secret: s.access_key_secret,
    secret_key_secret: s.secret_key_secret,
    service_credential: s.service_credential,
    trigger: streamTrigger(config),
    trigger_interval: s.trigger_interval,
    max_records_per_fetch: String(s.max_records_per_fetch),
    shard_fetch_interval: s.shard_fetch_interval,
    shuffle_partitions: s.shuffle_partitions ? String(s.shuffle_partitions) : '',
  };
}

/** A table name for a target: quoted, and qualified by the target's catalog and schema when it has them. */
export function tableRef(config: Config, name: string): string {
  const t = config.target;
  const parts = t.kind === 'databricks' ? [t.catalog, t.schema].filter((p): p is string => Boolean(p)) : [];
  return [...parts, name].map(quoteIdentifier).join('.');
}

/**
 * Notebook parameters for a target: the landing root, topics, quoted table names, and full_refresh (false:
 * a run cleans the files not cleaned before; true rebuilds the tables from every landed file).
 */
export function jobParameters(config: Config, landingRoot: string): Record<string, string> {
  const params: Record<string, string> = { landing_root: landingRoot, full_refresh: 'false' };
  for (const t of ['pin', 'geo', 'user'] as TableKey[]) {
    params[`${t}_topic`] = config.names.topic[t];
    params[`${t}_table`] = tableRef(config, config.names.table[t]);
    params[`${t}_rejects_table`] = tableRef(config, config.names.rejects[t]);
    params[`${t}_reports_table`] = tableRef(config, config.names.reports[t]);
    params[`${t}_bronze_table`] = tableRef(config, config.names.bronze[t]);
    params[`${t}_changes_table`] = tableRef(config, config.names.changes[t]);
  }
  return params;
}

/** The tasks that run on a target: setup tasks only where there is access to set up (Databricks). */
export function tasksFor(job: JobSpec, config: Config): TaskSpec[] {
  if (config.target.kind === 'databricks') return job.tasks;
  const setup = new Set(job.tasks.filter((t) => t.setup).map((t) => t.key));
  return job.tasks.filter((t) => !t.setup).map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => !setup.has(d)) }));
}

/** Tasks in an order that respects dependencies (stable: declaration order among ready tasks). */
export function taskOrder(job: JobSpec): TaskSpec[] {
  const done = new Set<string>();
  const out: TaskSpec[] = [];
  while (out.length < job.tasks.length) {
    const next = job.tasks.find((t) => !done.has(t.key) && t.dependsOn.every((d) => done.has(d)));
    if (!next) throw new Error(`job ${job.name}: task dependencies form a cycle or name a missing task`);
    done.add(next.key);
    out.push(next);
  }
  return out;
}
