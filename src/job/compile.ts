// Compiles the typed jobs of jobs/ into Jobs API 2.2 settings (the SDK's own JobSettings type) for a
// target: notebook paths in the target's folder, job parameters pushed to the notebook widgets, compute,
// retries, timeouts, the daily schedule and notifications. The same payload goes to jobs/create, jobs/reset
// and, as YAML, into databricks.yml.
import type { jobs } from '@databricks/sdk-experimental';
import type { Config } from '../config/index.ts';
import { jobParameters, streamParameters, streamTrigger, tasksFor, type JobSpec } from './model.ts';

/** The tag that marks a job as managed by pinpipe; its value is the job's name in jobs/. */
export const JOB_TAG = 'pinpipe_job';

export function jobName(spec: JobSpec, config: Config): string {
  return `pinpipe ${spec.name} (${config.userId})`;
}

/** The workspace folder of a target (the local workspace's or the Databricks target's). */
export function workspaceFolder(config: Config): string {
  return config.target.kind === 'databricks' ? config.target.folder : config.target.workspace.folder;
}

export function notebookPath(config: Config, notebook: string): string {
  return `${workspaceFolder(config).replace(/\/$/, '')}/notebooks/${notebook}`;
}

/** The setup task's widgets: how the landing data is reached (notebooks/setup/access.py). */
function accessParameters(config: Config): Record<string, string> {
  if (config.target.kind !== 'databricks') return {};
  const a = config.target.access;
  const bucket = a.bucket ?? config.names.bucket;
  return {
    access_mode: a.mode,
    bucket,
    mount_point: a.mount_point ?? `/mnt/${bucket}`,
    credentials_table: a.credentials_table,
    secret_scope: a.secret_scope,
    access_key_secret: a.access_key_secret,
    secret_key_secret: a.secret_key_secret,
  };
}

export function compileJob(spec: JobSpec, config: Config): jobs.JobSettings {
  const target = config.target;
  const j = config.jobs;
  const params: Record<string, string> = spec.stream
    ? { user_id: config.userId, ...streamParameters(config) }
    : {
      user_id: config.userId,
      ...jobParameters(config, config.landingRoot),
      run_date: '{{job.start_time.iso_date}}',
      // The cleaning notebooks record their reports under the run's id, where run-job reads them.
      run_id: '{{job.run_id}}',
    };
  const continuous = spec.stream === true && streamTrigger(config) === 'continuous';
  const paused = target.kind === 'databricks' ? target.development : true;
  const compute: Partial<jobs.Task> = {};
  let jobClusters: jobs.JobCluster[] | undefined;
  if (target.kind === 'databricks') {
    if (target.compute.existing_cluster_id) compute.existing_cluster_id = target.compute.existing_cluster_id;
    else if (target.compute.job_cluster) {
      compute.job_cluster_key = 'pinpipe';
      jobClusters = [{ job_cluster_key: 'pinpipe', new_cluster: target.compute.job_cluster as jobs.JobCluster['new_cluster'] }];
    }
  }
  const tasks: jobs.Task[] = tasksFor(spec, config).map((t) => ({
    task_key: t.key,
    ...(t.dependsOn.length ? { depends_on: t.dependsOn.map((d) => ({ task_key: d })) } : {}),
    notebook_task: {
      notebook_path: notebookPath(config, t.notebook),
      source: 'WORKSPACE',
      ...(t.setup ? { base_parameters: accessParameters(config) } : {}),
    },
    ...compute,
    // A continuous job restarts a failed run itself (Databricks refuses task retries and timeouts there).
    ...(continuous ? {} : { max_retries: j.max_retries, min_retry_interval_millis: j.retry_interval_seconds * 1000, retry_on_timeout: false, timeout_seconds: j.task_timeout_seconds }),
  }));
  const settings: jobs.JobSettings = {
    name: jobName(spec, config),
    description: spec.description,
    tags: { [JOB_TAG]: spec.name, pinpipe_user: config.userId },
    parameters: Object.entries(params).map(([name, value]) => ({ name, default: value })),
    tasks,
    ...(jobClusters ? { job_clusters: jobClusters } : {}),
    max_concurrent_runs: 1,
    ...(continuous ? {} : { timeout_seconds: j.job_timeout_seconds }),
    queue: { enabled: true },
    ...(j.notify_on_failure.length ? { email_notifications: { on_failure: j.notify_on_failure, no_alert_for_skipped_runs: true } } : {}),
    ...(spec.daily || spec.maintenance
      ? { schedule: { quartz_cron_expression: spec.maintenance ? j.maintain_schedule : j.schedule, timezone_id: j.timezone, pause_status: target.development ? 'PAUSED' : 'UNPAUSED' } }
      : {}),
    ...(continuous ? { continuous: { pause_status: paused ? 'PAUSED' : 'UNPAUSED' } } : {}),
    ...(spec.stream && !continuous
      ? { schedule: { quartz_cron_expression: config.stream.schedule, timezone_id: j.timezone, pause_status: paused ? 'PAUSED' : 'UNPAUSED' } }
      : {}),
  };
  return settings;
}
