// Jobs API 2.2 (and 2.1, the same routes), runs: submit, get, get-output, list, cancel, cancel-all, delete,
// export, repair; and how a run starts (shared with run-now). runs/submit takes the multi-task payload
// (`tasks`) and the single-task one Airflow's DatabricksSubmitRunOperator sends (`notebook_task`, a cluster,
// `run_name` at the top level), which becomes a run of one task; cluster fields are kept and ignored here.
import type { jobs } from '@databricks/sdk-experimental';
import { int, intField, invalid, listing, LOCAL_USER, type RouteContext, type Routes } from '../api.ts';
import { checkPath, isObject, MAX_IDEMPOTENCY_TOKEN_CHARS, MAX_JOB_NAME_CHARS, MAX_PATH_CHARS, MAX_TAGS, MAX_TASK_KEY_CHARS, MAX_TASKS, optionalString, stringMap } from '../limits.ts';
import type { JobRecord, RunRecord } from '../store.ts';
import { repairRun } from './repair.ts';
import { runEnded } from '../../../databricks/runs.ts';
import { admission, endQueued, isQueued, launch, markQueued, queuedRuns, recordSkippedRun, startQueued } from '../queue.ts';
import { quartzSchedule, QuartzError } from '../quartz.ts';

/** Integer fields (each with its least value) stored as numbers, whether sent as numbers or as strings. */
function normaliseInts(o: Record<string, unknown>, fields: Record<string, number>, at: string): void {
  for (const [k, min] of Object.entries(fields)) {
    const n = intField(o[k], `${at}${k}`, min);
    if (n !== undefined) o[k] = n;
  }
}

/** Checks the shape of a job's settings, as far as the local workspace stores them, naming the field. */
function checkShape(s: jobs.JobSettings, prefix: string): void {
  if (!isObject(s)) throw invalid(`Invalid value for field ${prefix || 'settings'}: must be an object.`);
  normaliseInts(s as Record<string, unknown>, { timeout_seconds: 0, max_concurrent_runs: 0 }, prefix);
  optionalString(s.name, `${prefix}name`, MAX_JOB_NAME_CHARS);
  stringMap(s.tags, `${prefix}tags`, MAX_TAGS);
  if (s.tasks !== undefined && !Array.isArray(s.tasks)) throw invalid(`Invalid value for field ${prefix}tasks: must be an array.`);
  if ((s.tasks?.length ?? 0) > MAX_TASKS) throw invalid(`Invalid value for field ${prefix}tasks: ${s.tasks!.length} tasks; at most ${MAX_TASKS} are allowed.`);
  (s.tasks ?? []).forEach((t, i) => {
    const at = `${prefix}tasks[${i}]`;
    if (!isObject(t)) throw invalid(`Invalid value for field ${at}: must be an object.`);
    normaliseInts(t as Record<string, unknown>, { timeout_seconds: 0, max_retries: -1, min_retry_interval_millis: 0 }, `${at}.`);
    optionalString(t.task_key, `${at}.task_key`, MAX_TASK_KEY_CHARS);
    if (t.depends_on !== undefined && (!Array.isArray(t.depends_on) || !t.depends_on.every((d) => isObject(d) && typeof d.task_key === 'string'))) {
      throw invalid(`Invalid value for field ${at}.depends_on: must be an array of {"task_key": ...}.`);
    }
    if (t.notebook_task !== undefined) {
      if (!isObject(t.notebook_task)) throw invalid(`Invalid value for field ${at}.notebook_task: must be an object.`);
      optionalString(t.notebook_task.notebook_path, `${at}.notebook_task.notebook_path`, MAX_PATH_CHARS);
      if (t.notebook_task.notebook_path) checkPath(t.notebook_task.notebook_path as string, `${at}.notebook_task.notebook_path`);
      stringMap(t.notebook_task.base_parameters, `${at}.notebook_task.base_parameters`);
    }
  });
  if (s.parameters !== undefined && (!Array.isArray(s.parameters) || !s.parameters.every((d) => isObject(d) && typeof d.name === 'string' && typeof d.default === 'string'))) {
    throw invalid(`Invalid value for field ${prefix}parameters: must be an array of {"name": ..., "default": ...} strings.`);
  }
  if (s.schedule !== undefined && !isObject(s.schedule)) throw invalid(`Invalid value for field ${prefix}schedule: must be an object.`);
}

/** Checks a job's settings as the Jobs API does for what the local workspace runs: notebook tasks. */
export function validateSettings(s: jobs.JobSettings, prefix = ''): void {
  checkShape(s, prefix);
  const tasks = s.tasks ?? [];
  const keys = new Set<string>();
  for (const t of tasks) {
    if (!t.task_key) throw invalid(`Missing required field: ${prefix}tasks.task_key`);
    if (keys.has(t.task_key)) throw invalid(`Duplicate task key: ${t.task_key}`);
    keys.add(t.task_key);
    if (!t.notebook_task?.notebook_path) throw invalid(`Task ${t.task_key}: the local workspace runs notebook tasks; notebook_task.notebook_path is required.`);
  }
  for (const t of tasks) {
    for (const d of t.depends_on ?? []) if (!keys.has(d.task_key)) throw invalid(`Task ${t.task_key} depends on ${d.task_key}, which is not a task of the job.`);
  }
  if (s.schedule) {
    // Checked as the scheduler will read it, so a job that is stored can be scheduled.
    if (typeof s.schedule.quartz_cron_expression !== 'string') throw invalid(`Missing required field: ${prefix}schedule.quartz_cron_expression`);
    if (typeof s.schedule.timezone_id !== 'string') throw invalid(`Missing required field: ${prefix}schedule.timezone_id`);
    // The scheduler fires every schedule that is not PAUSED, so anything else stored would fire.
    const pause: unknown = s.schedule.pause_status;
    if (pause !== undefined && pause !== 'PAUSED' && pause !== 'UNPAUSED') {
      throw invalid(`Invalid value for field ${prefix}schedule.pause_status: ${JSON.stringify(pause)}; must be PAUSED or UNPAUSED.`);
    }
    try {
      quartzSchedule(s.schedule.quartz_cron_expression, s.schedule.timezone_id);
    } catch (e) {
      if (e instanceof QuartzError) throw invalid(e.message);
      throw e;
    }
  }
}

/**
 * A POST's idempotency_token, and the run it already started if any: as on Databricks, a token already used
 * answers with that run instead of starting another (the provider retries POSTs). runs/submit and run-now.
 */
export function idempotentRun(ctx: RouteContext, b: Record<string, unknown>): { token?: string; earlier?: RunRecord } {
  optionalString(b['idempotency_token'], 'idempotency_token', MAX_IDEMPOTENCY_TOKEN_CHARS);
  const token = typeof b['idempotency_token'] === 'string' ? b['idempotency_token'] : undefined;
  if (token === undefined) return {};
  const earlier = ctx.store.allRuns().find((x) => x.idempotency_token === token);
  return earlier ? { token, earlier } : { token };
}

export interface StartRun {
  job?: JobRecord;
  /** The job id of a one-time run (runs/submit), which Databricks gives its runs too. */
  jobId?: number;
  idempotencyToken?: string;
  trigger?: jobs.TriggerType;
  runName: string;
  tasks: jobs.Task[];
  params: Record<string, string>;
  timeout: number;
  runType: jobs.RunType;
  jobParameters?: jobs.JobParameter[];
}

/**
 * Records a new run with its tasks PENDING (or BLOCKED behind their dependencies) and starts executing it; a
 * run of a job at its max_concurrent_runs is queued or skipped instead (queue.ts). A one-time run has no limit.
 */
export function startRun(ctx: RouteContext, opts: StartRun): RunRecord {
  const { store } = ctx;
  const baseUrl = ctx.baseUrl();
  const now = Date.now();
  const admit = opts.job ? admission(ctx, opts.job) : 'start';
  if (admit === 'skip') {
    return recordSkippedRun(ctx, opts.job!, now, {
      trigger: opts.trigger ?? 'ONE_TIME',
      ...(opts.idempotencyToken !== undefined ? { idempotencyToken: opts.idempotencyToken } : {}),
      ...(opts.jobParameters ? { jobParameters: opts.jobParameters } : {}),
    });
  }
  const runId = store.nextId();
  const jobId = opts.job?.job_id ?? opts.jobId;
  const runTasks: jobs.RunTask[] = opts.tasks.map((t) => {
    const id = store.nextId();
    return {
      run_id: id,
      task_key: t.task_key,
      ...(t.description ? { description: t.description } : {}),
      ...(t.notebook_task ? { notebook_task: t.notebook_task } : {}),
      ...(t.depends_on ? { depends_on: t.depends_on } : {}),
      ...(t.existing_cluster_id ? { existing_cluster_id: t.existing_cluster_id } : {}),
      ...(t.job_cluster_key ? { job_cluster_key: t.job_cluster_key } : {}),
      ...(t.new_cluster ? { new_cluster: t.new_cluster } : {}),
      ...(t.libraries ? { libraries: t.libraries } : {}),
      run_if: t.run_if ?? 'ALL_SUCCESS',
      attempt_number: 0,
      start_time: 0,
      setup_duration: 0,
      execution_duration: 0,
      cleanup_duration: 0,
      run_page_url: `${baseUrl}/#job/${jobId ?? 0}/run/${id}`,
      state: { life_cycle_state: t.depends_on?.length ? 'BLOCKED' : 'PENDING', state_message: '' },
      status: { state: t.depends_on?.length ? 'BLOCKED' : 'PENDING' },
    } as jobs.RunTask;
  });
  const numberInJob = opts.job ? store.allRuns().filter((r) => r.run.job_id === jobId).length + 1 : runId;
  const run: jobs.Run = {
    ...(jobId !== undefined ? { job_id: jobId } : {}),
    run_id: runId,
    number_in_job: numberInJob,
    original_attempt_run_id: runId,
    creator_user_name: LOCAL_USER,
    run_name: opts.runName,
    run_type: opts.runType,
    trigger: opts.trigger ?? 'ONE_TIME',
    start_time: now,
    setup_duration: 0,
    execution_duration: 0,
    cleanup_duration: 0,
    run_page_url: `${baseUrl}/#job/${jobId ?? 0}/run/${runId}`,
    state: { life_cycle_state: 'PENDING', state_message: 'Waiting for the local Spark.' },
    status: { state: 'PENDING' },
    tasks: runTasks,
    ...(opts.jobParameters ? { job_parameters: opts.jobParameters } : {}),
  };
  const record: RunRecord = { run, outputs: {}, ...(opts.idempotencyToken ? { idempotency_token: opts.idempotencyToken } : {}) };
  if (admit === 'queue') {
    markQueued(record, opts.job!, opts);
    store.putRun(record);
    // Queued behind older runs while a slot was free (at a restart, or max_concurrent_runs just raised): the
    // oldest take the free slots now.
    startQueued(ctx, { jobId: opts.job!.job_id });
    return store.run(runId) ?? record;
  }
  store.putRun(record);
  launch(ctx, record, opts.tasks, opts.params, opts.timeout);
  return record;
}

/** The task fields of the single-task runs/submit format, each of which makes the payload one task. */
const SINGLE_TASK_FIELDS = ['notebook_task', 'spark_python_task', 'spark_jar_task', 'spark_submit_task', 'python_wheel_task', 'pipeline_task', 'dbt_task', 'sql_task', 'run_job_task'];
/** Cluster and library fields of a single-task payload, kept on its task (the local Spark runs it). */
const SINGLE_TASK_EXTRAS = ['existing_cluster_id', 'new_cluster', 'libraries', 'environment_key', 'timeout_seconds'];
export const PAGE_SIZE = 100;

/**
 * The tasks of a runs/submit payload: its `tasks`, or the one task of the single-task format, keyed by the run
 * name made a valid task key (Databricks keys such a task by the run; clients read it back from runs/get).
 */
export function submittedTasks(b: Record<string, unknown>, runName: string): jobs.Task[] {
  const single = SINGLE_TASK_FIELDS.filter((f) => b[f] !== undefined);
  if (b['tasks'] !== undefined) {
    if (single.length) throw invalid(`Invalid request: tasks cannot be given with ${single.join(', ')} (the single-task format); put the task in tasks.`);
    if (!Array.isArray(b['tasks']) || !b['tasks'].length) throw invalid('Missing required field: tasks');
    return b['tasks'] as jobs.Task[];
  }
  if (!single.length) throw invalid('Missing required field: tasks');
  if (single.length > 1) throw invalid(`Invalid request: one task type a run; got ${single.join(', ')}.`);
  const key = runName.replace(/[^\w-]/g, '_').slice(0, MAX_TASK_KEY_CHARS) || 'task';
  const task: Record<string, unknown> = { task_key: key, [single[0]!]: b[single[0]!] };
  for (const f of SINGLE_TASK_EXTRAS) if (b[f] !== undefined) task[f] = b[f];
  return [task as unknown as jobs.Task];
}

/** One page of a run for runs/get 2.2: at most PAGE_SIZE tasks and job clusters, and the token of the next. */
export function runPage(run: jobs.Run, pageToken: string | null): jobs.Run & { next_page_token?: string } {
  const offset = Number(pageToken ?? 0) || 0;
  const tasks = run.tasks ?? [];
  const clusters = run.job_clusters ?? [];
  if (offset === 0 && tasks.length <= PAGE_SIZE && clusters.length <= PAGE_SIZE) return run;
  const more = offset + PAGE_SIZE < Math.max(tasks.length, clusters.length);
  return {
    ...run,
    ...(run.tasks ? { tasks: tasks.slice(offset, offset + PAGE_SIZE) } : {}),
    ...(run.job_clusters ? { job_clusters: clusters.slice(offset, offset + PAGE_SIZE) } : {}),
    ...(more ? { next_page_token: String(offset + PAGE_SIZE) } : {}),
  };
}

export function runsRoutes(ctx: RouteContext): Routes {
  const { store, executor } = ctx;
  return {
    'POST /api/2.2/jobs/runs/submit': (b) => {
      optionalString(b['run_name'], 'run_name', MAX_JOB_NAME_CHARS);
      const { token, earlier } = idempotentRun(ctx, b);
      if (earlier) return { run_id: earlier.run.run_id };
      const runName = typeof b['run_name'] === 'string' ? b['run_name'] : 'Untitled';
      const timeout = intField(b['timeout_seconds'], 'timeout_seconds') ?? 0;
      const tasks = submittedTasks(b, runName);
      validateSettings({ tasks });
      const record = startRun(ctx, {
        jobId: store.nextId(),
        runName,
        tasks,
        params: {},
        timeout,
        runType: 'SUBMIT_RUN',
        ...(token !== undefined ? { idempotencyToken: token } : {}),
      });
      return { run_id: record.run.run_id };
    },
    // 2.2 pages a run's tasks and job clusters 100 at a time (next_page_token); 2.1 answers with all of them.
    'GET /api/2.2/jobs/runs/get': (_b, q, params) => {
      const id = int(q.get('run_id'), 'run_id');
      const r = store.run(id);
      if (!r) throw invalid(`Run ${id} does not exist.`);
      return params['api_version'] === '2.1' ? r.run : runPage(r.run, q.get('page_token'));
    },
    'GET /api/2.2/jobs/runs/get-output': (_b, q) => {
      const id = int(q.get('run_id'), 'run_id');
      const whole = store.run(id);
      if (whole && (whole.run.tasks?.length ?? 0) > 1) {
        throw invalid('Retrieving the output of runs with multiple tasks is not supported. Please retrieve the output of each individual task run instead.');
      }
      const found = whole ? { record: whole, task: whole.run.tasks![0]! } : store.taskRun(id);
      if (!found) throw invalid(`Run ${id} does not exist.`);
      const out = found.record.outputs[String(found.task.run_id)] ?? {};
      const { tasks: _tasks, ...runFields } = found.record.run;
      const metadata = { ...runFields, ...found.task };
      return {
        metadata,
        ...(out.result !== undefined ? { notebook_output: { result: out.result, truncated: out.truncated ?? false } } : found.task.notebook_task ? { notebook_output: {} } : {}),
        ...(out.error ? { error: out.error, error_trace: out.error_trace } : {}),
      };
    },
    'GET /api/2.2/jobs/runs/list': (_b, q) => {
      const jobId = q.get('job_id');
      const active = q.get('active_only') === 'true';
      const completed = q.get('completed_only') === 'true';
      const runs = store.allRuns()
        .map((r) => r.run)
        .filter((r) => !jobId || String(r.job_id) === jobId)
        // As the Jobs API defines them: active is QUEUED, PENDING, RUNNING or TERMINATING; completed, a terminal state.
        .filter((r) => !active || !runEnded(r.state?.life_cycle_state))
        .filter((r) => !completed || runEnded(r.state?.life_cycle_state));
      return listing(q.get('expand_tasks') === 'true' ? runs : runs.map(({ tasks: _t, ...rest }) => rest), q, 'runs', 25);
    },
    'POST /api/2.2/jobs/runs/cancel-all': async (b) => {
      const jobId = b['job_id'] === undefined ? null : int(b['job_id'], 'job_id');
      if (jobId === null && b['all_queued_runs'] !== true) throw invalid('Either job_id or all_queued_runs must be set.');
      if (jobId !== null && !store.job(jobId)) throw invalid(`Job ${jobId} does not exist.`);
      // A job's active runs, its queued ones included (the Jobs API counts QUEUED as active); without job_id,
      // all_queued_runs cancels every queued run of the workspace and leaves executing runs alone. Queued runs
      // go first, so none of them takes the slot of a run being cancelled.
      for (const r of queuedRuns(ctx, jobId ?? undefined)) endQueued(ctx, r, 'cancelled');
      if (jobId !== null) for (const r of store.allRuns()) if (r.run.job_id === jobId && executor.isActive(r.run.run_id!)) await executor.cancel(r.run.run_id!);
      return {};
    },
    'POST /api/2.2/jobs/runs/delete': (b) => {
      const id = int(b['run_id'], 'run_id');
      const r = store.run(id);
      if (!r) throw invalid(`Run ${id} does not exist.`);
      if (executor.isActive(id) || isQueued(r)) throw invalid(`Run ${id} is active; cancel it before deleting it.`);
      store.deleteRun(id);
      return {};
    },
    'GET /api/2.2/jobs/runs/export': (_b, q) => {
      const id = int(q.get('run_id'), 'run_id');
      const whole = store.run(id);
      if (whole && (whole.run.tasks?.length ?? 0) > 1) throw invalid('Exporting runs with multiple tasks is not supported. Please export each individual task run instead.');
      const found = whole ? { record: whole, task: whole.run.tasks![0]! } : store.taskRun(id);
      if (!found) throw invalid(`Run ${id} does not exist.`);
      const views = q.get('views_to_export') ?? 'CODE';
      const path = found.task.notebook_task?.notebook_path;
      const o = path ? store.object(path) : undefined;
      if (views === 'DASHBOARDS' || !o) return { views: [] };
      const name = o.path.slice(o.path.lastIndexOf('/') + 1);
      const source = store.content(o).toString('utf8').replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
      return { views: [{ type: 'NOTEBOOK', name, content: `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${name}</title></head><body><pre>${source}</pre></body></html>\n` }] };
    },
    'POST /api/2.2/jobs/runs/repair': (b) => repairRun(ctx, b),
    'POST /api/2.2/jobs/runs/cancel': async (b) => {
      const id = int(b['run_id'], 'run_id');
      const r = store.run(id);
      if (!r) throw invalid(`Run ${id} does not exist.`);
      // A queued run ends without running; an executing one is stopped; an ended one is left as it is.
      if (isQueued(r)) endQueued(ctx, r, 'cancelled');
      else await executor.cancel(id);
      return {};
    },
  };
}
