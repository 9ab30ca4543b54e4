// Jobs API 2.2 (and 2.1), jobs: create, reset, update, get, list, delete, run-now (job_parameters or
// notebook_params); how a job's run starts, for run-now and the schedules (queued or skipped at the job's
// max_concurrent_runs: queue.ts).
import type { jobs } from '@databricks/sdk-experimental';
import { int, invalid, listing, LOCAL_USER, type RouteContext, type Routes } from '../api.ts';
import { isObject } from '../limits.ts';
import { startQueued } from '../queue.ts';
import type { JobRecord, RunRecord } from '../store.ts';
import { idempotentRun, startRun, validateSettings } from './runs.ts';

export { recordSkippedRun } from '../queue.ts';

export function jobsRoutes(ctx: RouteContext): Routes {
  const { store } = ctx;
  const mustJob = (v: unknown): JobRecord => {
    const id = int(v, 'job_id');
    const j = store.job(id);
    if (!j) throw invalid(`Job ${id} does not exist.`);
    return j;
  };
  return {
    'POST /api/2.2/jobs/create': (b) => {
      const settings = b as jobs.JobSettings;
      validateSettings(settings);
      const job: JobRecord = { job_id: store.nextId(), created_time: Date.now(), creator_user_name: LOCAL_USER, settings };
      store.putJob(job);
      return { job_id: job.job_id };
    },
    'POST /api/2.2/jobs/reset': (b) => {
      const job = mustJob(b['job_id']);
      const settings = b['new_settings'] as jobs.JobSettings | undefined;
      if (!settings || typeof settings !== 'object') throw invalid('Missing required field: new_settings');
      validateSettings(settings, 'new_settings.');
      store.putJob({ ...job, settings });
      // A higher max_concurrent_runs frees slots for the runs waiting in the job's queue.
      startQueued(ctx, { jobId: job.job_id });
      return {};
    },
    // Partial update: top-level fields of new_settings replace the job's; tasks and job_clusters are merged by
    // key; fields_to_remove names top-level fields or `tasks/<task_key>`, `job_clusters/<key>`.
    'POST /api/2.2/jobs/update': (b) => {
      const job = mustJob(b['job_id']);
      const changes = (b['new_settings'] ?? {}) as jobs.JobSettings;
      if (!isObject(changes)) throw invalid('Invalid value for field new_settings: must be an object.');
      const remove = b['fields_to_remove'] ?? [];
      if (!Array.isArray(remove) || !remove.every((f) => typeof f === 'string')) throw invalid('Invalid value for field fields_to_remove: must be an array of strings.');
      const settings = { ...job.settings } as Record<string, unknown>;
      const merge = <T extends Record<string, unknown>>(current: T[] | undefined, next: T[] | undefined, key: string): T[] | undefined => {
        if (!next) return current;
        const out = [...(current ?? [])];
        for (const item of next) {
          const i = out.findIndex((c) => c[key] === item[key]);
          if (i >= 0) out[i] = item; else out.push(item);
        }
        return out;
      };
      for (const [k, v] of Object.entries(changes)) {
        if (k === 'tasks') settings['tasks'] = merge(job.settings.tasks as never, v as never, 'task_key');
        else if (k === 'job_clusters') settings['job_clusters'] = merge(job.settings.job_clusters as never, v as never, 'job_cluster_key');
        else settings[k] = v;
      }
      for (const f of remove as string[]) {
        const [field, key] = f.split('/', 2) as [string, string | undefined];
        if (key === undefined) delete settings[field];
        else if (field === 'tasks' || field === 'job_clusters') {
          const keyName = field === 'tasks' ? 'task_key' : 'job_cluster_key';
          const list = (settings[field] as Record<string, unknown>[] | undefined) ?? [];
          if (!list.some((x) => x[keyName] === key)) throw invalid(`fields_to_remove: ${f} names no ${field === 'tasks' ? 'task' : 'job cluster'} of job ${job.job_id}.`);
          settings[field] = list.filter((x) => x[keyName] !== key);
        } else throw invalid(`fields_to_remove: ${f} is not a field of the job's settings.`);
      }
      validateSettings(settings as jobs.JobSettings, 'new_settings.');
      store.putJob({ ...job, settings: settings as jobs.JobSettings });
      startQueued(ctx, { jobId: job.job_id });
      return {};
    },
    'GET /api/2.2/jobs/get': (_b, q) => {
      const j = mustJob(q.get('job_id'));
      return { job_id: j.job_id, creator_user_name: j.creator_user_name, run_as_user_name: j.creator_user_name, created_time: j.created_time, settings: j.settings };
    },
    'GET /api/2.2/jobs/list': (_b, q) => {
      const name = q.get('name');
      const expand = q.get('expand_tasks') === 'true';
      const items = store.allJobs()
        // The exact name, case-insensitively, as the Jobs API documents its name filter.
        .filter((j) => !name || j.settings.name?.toLowerCase() === name.toLowerCase())
        .map((j) => {
          const { tasks: _tasks, job_clusters: _clusters, ...rest } = j.settings;
          return { job_id: j.job_id, creator_user_name: j.creator_user_name, created_time: j.created_time, settings: expand ? j.settings : rest };
        });
      return listing(items, q, 'jobs', 100);
    },
    'POST /api/2.2/jobs/delete': (b) => {
      const j = mustJob(b['job_id']);
      store.deleteJob(j.job_id);
      // Its queued runs can never start: they end, cancelled.
      startQueued(ctx, { jobId: j.job_id });
      return {};
    },
    'POST /api/2.2/jobs/run-now': (b) => {
      const job = mustJob(b['job_id']);
      const { token, earlier } = idempotentRun(ctx, b);
      if (earlier) return { run_id: earlier.run.run_id, number_in_job: earlier.run.number_in_job };
      const record = runJob(ctx, job, { jobParameters: b['job_parameters'], notebookParams: b['notebook_params'], trigger: 'ONE_TIME', ...(token !== undefined ? { idempotencyToken: token } : {}) });
      return { run_id: record.run.run_id, number_in_job: record.run.number_in_job };
    },
  };
}

/**
 * Starts a run of a job with its parameters' defaults, over which job_parameters (or, for a job that defines
 * none, the older notebook_params) are given: run-now, and the schedules' triggers (PERIODIC, no parameters).
 */
export function runJob(ctx: RouteContext, job: JobRecord, given: { jobParameters?: unknown; notebookParams?: unknown; trigger: jobs.TriggerType; idempotencyToken?: string }): RunRecord {
  const defs = job.settings.parameters ?? [];
  const values = (given.jobParameters ?? {}) as Record<string, unknown>;
  if (!isObject(values) || !Object.values(values).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
    throw invalid('Invalid value for field job_parameters: must be an object of strings.');
  }
  for (const k of Object.keys(values)) {
    if (!defs.some((d) => d.name === k)) throw invalid(`Job parameter ${k} is not defined in job ${job.job_id}; defined: ${defs.map((d) => d.name).join(', ') || 'none'}.`);
  }
  const params: Record<string, string> = {};
  const jobParameters: jobs.JobParameter[] = [];
  for (const d of defs) {
    const value = values[d.name] !== undefined ? String(values[d.name]) : d.default;
    params[d.name] = value;
    jobParameters.push({ name: d.name, default: d.default, value });
  }
  // notebook_params (the older form): widget values for the notebook tasks, over their base_parameters.
  // A job that defines job parameters takes those instead, as on Databricks.
  const notebookParams = given.notebookParams;
  if (notebookParams !== undefined) {
    if (!isObject(notebookParams) || !Object.values(notebookParams).every((v) => typeof v === 'string')) throw invalid('Invalid value for field notebook_params: must be an object of strings.');
    if (defs.length) throw invalid(`Job ${job.job_id} defines job parameters (${defs.map((d) => d.name).join(', ')}): pass job_parameters, not notebook_params.`);
    Object.assign(params, notebookParams);
  }
  return startRun(ctx, {
    job,
    runName: job.settings.name ?? `job-${job.job_id}`,
    tasks: job.settings.tasks ?? [],
    params,
    timeout: job.settings.timeout_seconds ?? 0,
    runType: 'JOB_RUN',
    trigger: given.trigger,
    jobParameters,
    ...(given.idempotencyToken !== undefined ? { idempotencyToken: given.idempotencyToken } : {}),
  });
}
