// Jobs API 2.2, jobs: create, reset, get, list, delete, run-now.
import type { jobs } from '@databricks/sdk-experimental';
import { int, invalid, listing, LOCAL_USER, type RouteContext, type Routes } from '../api.ts';
import { isObject } from '../limits.ts';
import type { JobRecord } from '../store.ts';
import { startRun, validateSettings } from './runs.ts';

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
        .filter((j) => !name || j.settings.name === name)
        .map((j) => {
          const { tasks: _tasks, job_clusters: _clusters, ...rest } = j.settings;
          return { job_id: j.job_id, creator_user_name: j.creator_user_name, created_time: j.created_time, settings: expand ? j.settings : rest };
        });
      return listing(items, q, 'jobs', 100);
    },
    'POST /api/2.2/jobs/delete': (b) => {
      const j = mustJob(b['job_id']);
      store.deleteJob(j.job_id);
      return {};
    },
    'POST /api/2.2/jobs/run-now': (b) => {
      const job = mustJob(b['job_id']);
      const defs = job.settings.parameters ?? [];
      const given = (b['job_parameters'] ?? {}) as Record<string, unknown>;
      if (!isObject(given) || !Object.values(given).every((v) => ['string', 'number', 'boolean'].includes(typeof v))) {
        throw invalid('Invalid value for field job_parameters: must be an object of strings.');
      }
      for (const k of Object.keys(given)) {
        if (!defs.some((d) => d.name === k)) throw invalid(`Job parameter ${k} is not defined in job ${job.job_id}; defined: ${defs.map((d) => d.name).join(', ') || 'none'}.`);
      }
      const params: Record<string, string> = {};
      const jobParameters: jobs.JobParameter[] = [];
      for (const d of defs) {
        const value = given[d.name] !== undefined ? String(given[d.name]) : d.default;
        params[d.name] = value;
        jobParameters.push({ name: d.name, default: d.default, value });
      }
      const record = startRun(ctx, {
        job,
        runName: job.settings.name ?? `job-${job.job_id}`,
        tasks: job.settings.tasks ?? [],
        params,
        timeout: job.settings.timeout_seconds ?? 0,
        runType: 'JOB_RUN',
        jobParameters,
      });
      return { run_id: record.run.run_id, number_in_job: record.run.number_in_job };
    },
  };
}
