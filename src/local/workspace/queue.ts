// A job's runs at its max_concurrent_runs, as Databricks documents it (Jobs queueing and concurrency settings,
// https://docs.gcp.databricks.com/en/jobs/advanced.html, the same page on every cloud): a new run of a job
// (run-now, a schedule's trigger) that finds max_concurrent_runs of its runs executing waits QUEUED when the
// job's queue is enabled, for up to 48 hours, and starts when a run of the job ends, oldest first; without a
// queue it is recorded SKIPPED. A queued run holds no slot. It is stored with what the executor needs to start
// it later (its tasks, parameters and timeout), so it outlives a restart of the server.
import type { jobs } from '@databricks/sdk-experimental';
import { LOCAL_USER, type RouteContext } from './api.ts';
import type { JobRecord, RunRecord } from './store.ts';

/** "When queueing is enabled, the run is queued for up to 48 hours" (the page above). */
export const MAX_QUEUED_MS = 48 * 60 * 60 * 1000;


export function isQueued(r: RunRecord): boolean {
  return r.run.state?.life_cycle_state === 'QUEUED';
}

/** Runs of a job that hold one of its max_concurrent_runs slots: those executing (a QUEUED run holds none). */
export function activeRuns(ctx: RouteContext, jobId: number): number {
  return ctx.store.allRuns().filter((r) => r.run.job_id === jobId && ctx.executor.isActive(r.run.run_id!)).length;
}

/** The queued runs (of one job, or of all), oldest first: run ids grow with each trigger, restarts included. */
export function queuedRuns(ctx: RouteContext, jobId?: number): RunRecord[] {
  return ctx.store.allRuns()
    .filter((r) => isQueued(r) && (jobId === undefined || r.run.job_id === jobId))
    .sort((a, b) => a.run.run_id! - b.run.run_id!);
}

/**
 * What happens to a new run of the job now: it starts, waits in the job's queue, or is skipped. A job with
 * max_concurrent_runs 0 skips every run, queue or not ("Setting this value to 0 causes all new runs to be
 * skipped", Jobs API); queued runs already waiting go first, so a new run never overtakes them.
 */
export function admission(ctx: RouteContext, job: JobRecord): 'start' | 'queue' | 'skip' {
  const max = job.settings.max_concurrent_runs ?? 1;
  const queue = job.settings.queue?.enabled === true && max > 0;
  if (activeRuns(ctx, job.job_id) < max && !(queue && queuedRuns(ctx, job.job_id).length)) return 'start';
  return queue ? 'queue' : 'skip';
}

/** Marks a new run (not yet stored) QUEUED, keeping what its execution needs once it leaves the queue. */
export function markQueued(record: RunRecord, job: JobRecord, start: { tasks: jobs.Task[]; params: Record<string, string>; timeout: number }): void {
  const max = job.settings.max_concurrent_runs ?? 1;
  // The local wording: Databricks documents the fields, not its message.
  const message = `Queued: job ${job.job_id} has reached its limit of ${max} maximum concurrent runs; the run starts when one of them ends.`;
  record.run.state = { life_cycle_state: 'QUEUED', state_message: message, queue_reason: message };
  record.run.status = { state: 'QUEUED', queue_details: { code: 'MAX_CONCURRENT_RUNS_REACHED', message } };
  record.queued = { tasks: start.tasks, params: start.params, timeout_seconds: start.timeout };
}

/**
 * Executes a stored run; when a run of a job ends, the job's queued runs take the freed slot, oldest first.
 * Every start of a job's run goes through here (run-now, schedules, a queued run leaving the queue, repair).
 */
export function launch(ctx: RouteContext, record: RunRecord, tasks: jobs.Task[], params: Record<string, string>, timeout: number, done?: Map<string, jobs.RunResultState>): void {
  const ended = ctx.executor.start(record, tasks, params, timeout, done);
  const jobId = record.run.job_id;
  if (record.run.run_type === 'JOB_RUN' && jobId !== undefined) void ended.then(() => startQueued(ctx, { jobId }));
}

/**
 * Starts the queued runs (of one job, or of all) that have a slot, oldest first; ends those queued 48 hours
 * or more, and those of a deleted job. Called when a run of a job ends, when a job's settings change, at the
 * server's start (runs queued before a restart) and every minute (the 48 hours). Never throws: a run that
 * ends must not fail because the next one could not be stored; the next call tries again.
 */
export function startQueued(ctx: RouteContext, options: { jobId?: number; now?: number } = {}): void {
  // A server that stops cancels its runs: their ends must not start queued runs, which stay queued on disk.
  if (ctx.executor.closed) return;
  const now = options.now ?? Date.now();
  let queued: RunRecord[] = [];
  try {
    queued = queuedRuns(ctx, options.jobId);
  } catch (e) {
    ctx.log(`workspace: could not list the queued runs: ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const r of queued) {
    try {
      const job = r.run.job_id !== undefined ? ctx.store.job(r.run.job_id) : undefined;
      if (!job) endQueued(ctx, r, 'deleted', now);
      else if (now - (r.run.start_time ?? now) >= MAX_QUEUED_MS) endQueued(ctx, r, 'expired', now);
      else if (activeRuns(ctx, job.job_id) < (job.settings.max_concurrent_runs ?? 1)) dequeue(ctx, r, now);
    } catch (e) {
      // The run stays queued (a failed write changes nothing); the next call tries again.
      ctx.log(`workspace: could not start queued run ${r.run.run_id} of job ${r.run.job_id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** A queued run leaves the queue: PENDING, then executed as a run started now (its trigger time kept). */
function dequeue(ctx: RouteContext, found: RunRecord, now: number): void {
  const record = structuredClone(found);
  const start = record.queued;
  if (!start) throw new Error(`run ${found.run.run_id} is queued without its tasks (a state written by another version?)`);
  delete record.queued;
  const run = record.run;
  run.queue_duration = now - (run.start_time ?? now);
  run.state = { life_cycle_state: 'PENDING', state_message: 'Waiting for the local Spark.' };
  run.status = { state: 'PENDING' };
  ctx.store.putRun(record);
  ctx.log(`workspace: run ${run.run_id} of job ${run.job_id} leaves the queue after ${Math.round(run.queue_duration / 1000)} s`);
  launch(ctx, record, start.tasks, start.params, start.timeout_seconds);
}

/**
 * Ends a queued run without running it: cancelled (runs/cancel, runs/cancel-all), queued 48 hours, or its job
 * deleted. Databricks does not document how a run that waited 48 hours ends; it is recorded here as a skipped
 * run (never executed, a terminal state clients know), with the reason in its state message.
 */
export function endQueued(ctx: RouteContext, found: RunRecord, why: 'cancelled' | 'expired' | 'deleted', now = Date.now()): void {
  const record = structuredClone(found);
  delete record.queued;
  const run = record.run;
  run.end_time = now;
  run.queue_duration = now - (run.start_time ?? now);
  run.run_duration = 0;
  run.execution_duration = 0;
  if (why === 'expired') {
    const message = `Skipping this run because it was queued for ${MAX_QUEUED_MS / 3_600_000} hours without a free slot.`;
    run.state = { life_cycle_state: 'SKIPPED', state_message: message };
    run.status = { state: 'TERMINATED', termination_details: { code: 'SKIPPED', type: 'CLIENT_ERROR', message } };
  } else {
    const message = why === 'cancelled' ? 'The run was cancelled while it was queued.' : `Job ${run.job_id} was deleted while the run was queued.`;
    run.state = { life_cycle_state: 'TERMINATED', result_state: 'CANCELED', state_message: message, user_cancelled_or_timedout: why === 'cancelled' };
    run.status = { state: 'TERMINATED', termination_details: why === 'cancelled' ? { code: 'USER_CANCELED', type: 'SUCCESS', message } : { code: 'CANCELED', type: 'CLIENT_ERROR', message } };
  }
  // Its tasks never started, as the runner records tasks a cancelled run did not reach.
  for (const t of run.tasks ?? []) {
    const message = why === 'expired' ? 'The run was skipped before this task started.' : 'The run was cancelled before this task started.';
    t.state = { life_cycle_state: 'SKIPPED', ...(why === 'expired' ? {} : { result_state: 'CANCELED' as const }), state_message: message };
    t.status = { state: 'TERMINATED', termination_details: { code: why === 'expired' ? 'SKIPPED' : 'USER_CANCELED', type: 'CLIENT_ERROR', message } };
  }
  ctx.store.putRun(record);
  ctx.log(`workspace: queued run ${run.run_id} of job ${run.job_id} ended (${why})`);
}

/**
 * A run of a job that found it at its max_concurrent_runs without a queue: recorded SKIPPED with Databricks'
 * message, its tasks not run; run-now answers with its run_id, as Databricks does.
 */
export function recordSkippedRun(ctx: RouteContext, job: JobRecord, at: number, given: { trigger?: jobs.TriggerType; idempotencyToken?: string; jobParameters?: jobs.JobParameter[] } = {}): RunRecord {
  const runId = ctx.store.nextId();
  const max = job.settings.max_concurrent_runs ?? 1;
  const message = `Skipping this run because the limit of ${max} maximum concurrent runs has been reached.`;
  const run: jobs.Run = {
    job_id: job.job_id,
    run_id: runId,
    number_in_job: ctx.store.allRuns().filter((r) => r.run.job_id === job.job_id).length + 1,
    original_attempt_run_id: runId,
    creator_user_name: LOCAL_USER,
    run_name: job.settings.name ?? `job-${job.job_id}`,
    run_type: 'JOB_RUN',
    trigger: given.trigger ?? 'PERIODIC',
    start_time: at,
    end_time: at,
    setup_duration: 0,
    execution_duration: 0,
    cleanup_duration: 0,
    run_page_url: `${ctx.baseUrl()}/#job/${job.job_id}/run/${runId}`,
    state: { life_cycle_state: 'SKIPPED', state_message: message },
    status: { state: 'TERMINATED', termination_details: { code: 'MAX_CONCURRENT_RUNS_EXCEEDED', type: 'CLIENT_ERROR', message } },
    tasks: [],
    ...(given.jobParameters ? { job_parameters: given.jobParameters } : {}),
  };
  const record: RunRecord = { run, outputs: {}, ...(given.idempotencyToken !== undefined ? { idempotency_token: given.idempotencyToken } : {}) };
  ctx.store.putRun(record);
  return record;
}
