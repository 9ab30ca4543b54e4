// Runs the local workspace's job runs: the tasks of a run in dependency order (independent tasks in
// parallel, up to a limit), each a notebook imported into the workspace executed on the local Spark, with
// retries, task and run timeouts, cancellation and outputs, keeping the run's Jobs API 2.2 state current.
import type { jobs } from '@databricks/sdk-experimental';
import type { SparkSettings } from '../../config/index.ts';
import { PinpipeError } from '../../errors.ts';
import { localSourceStatements } from '../bind.ts';
import { runNotebook } from '../notebook-runner.ts';
import { ensureLocalSecretScope, runPythonNotebook } from '../python/notebook.ts';
import { localKinesisEndpoint } from '../kinesis.ts';
import { LOCAL_KINESIS_REFERENCE } from '../../job/index.ts';
import { openSpark, shareSession, type SparkSession } from '../spark/index.ts';
import type { RunRecord, WorkspaceStore } from './store.ts';
import { normalizePath } from './paths.ts';

export interface RunnerOptions {
  lakeRoot: string;
  spark: SparkSettings;
  maxParallel: number;
  baseUrl: () => string;
  log: (line: string) => void;
  /** Offer the Spark this workspace starts to other commands on the lake (the background workspace does). */
  shareSpark?: boolean;
}

interface ActiveRun {
  cancelled: boolean;
  timedOut: boolean;
  groups: Set<string>;
}

type Terminal = { result: jobs.RunResultState; message: string; code: jobs.TerminationCodeCode; type: jobs.TerminationTypeType };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves the dynamic value references the project uses ({{job.run_id}}, {{job.start_time.iso_date}}, ...). */
export function resolveReferences(value: string, ctx: { jobId: number | undefined; runId: number; start: number; taskKey: string; params: Record<string, string> }): string {
  const start = new Date(ctx.start);
  return value.replace(/\{\{\s*([a-z_.]+)\s*\}\}/g, (whole, ref: string) => {
    if (ref === 'job.id') return String(ctx.jobId ?? '');
    if (ref === 'job.run_id') return String(ctx.runId);
    if (ref === 'job.start_time.iso_date') return start.toISOString().slice(0, 10);
    if (ref === 'job.start_time.iso_datetime') return start.toISOString().slice(0, 19);
    if (ref === 'job.start_time.timestamp') return String(ctx.start);
    if (ref === 'task.name') return ctx.taskKey;
    if (ref.startsWith('job.parameters.')) return ctx.params[ref.slice('job.parameters.'.length)] ?? whole;
    return whole;
  });
}

export class RunExecutor {
  private readonly store: WorkspaceStore;
  private readonly options: RunnerOptions;
  private spark: Promise<SparkSession> | null = null;
  private unshare: () => void = () => {};
  private readonly active = new Map<number, ActiveRun>();
  private closing = false;

  constructor(store: WorkspaceStore, options: RunnerOptions) {
    this.store = store;
    this.options = options;
  }

  /** The local Spark the runs use, started on first use (the warehouse endpoint shares it). */
  async session(): Promise<SparkSession> {
    if (this.spark) {
      const s = await this.spark;
      if (await s.client.health()) return s;
      this.options.log('workspace: local Spark went away; starting it again');
    }
    this.spark = openSpark(this.options.lakeRoot, this.options.spark, this.options.log);
    this.spark.catch(() => { this.spark = null; });
    const session = await this.spark;
    if (this.options.shareSpark) this.unshare = shareSession(session, this.options.lakeRoot);
    return session;
  }

  /** Set once close() began: the runs it cancels end, and no queued run may take their slots. */
  get closed(): boolean {
    return this.closing;
  }

  async close(): Promise<void> {
    this.closing = true;
    for (const id of this.active.keys()) await this.cancel(id);
    this.unshare();
    if (this.spark) await (await this.spark.catch(() => null))?.stop();
  }

  isActive(runId: number): boolean {
    return this.active.has(runId);
  }

  async cancel(runId: number): Promise<void> {
    const a = this.active.get(runId);
    if (!a) return;
    a.cancelled = true;
    await this.cancelGroups(a);
  }

  private async cancelGroups(a: ActiveRun): Promise<void> {
    if (!this.spark || !a.groups.size) return;
    const s = await this.spark.catch(() => null);
    for (const g of a.groups) await s?.client.cancel(g).catch(() => {});
  }

  /**
   * Starts executing a stored run in the background; its state in the store is kept current. Resolves (never
   * rejects) once the run has ended and no longer counts as active, so its job's queued runs can take the slot.
   */
  start(record: RunRecord, tasks: jobs.Task[], params: Record<string, string>, timeoutSeconds: number, done: Map<string, jobs.RunResultState> = new Map()): Promise<void> {
    if (this.closing) {
      // A request that arrived while the server was stopping: no new Spark for a run nobody will wait for.
      this.finish(record, { result: 'FAILED', message: 'The local workspace was stopping; the run did not start.', code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR' });
      return Promise.resolve();
    }
    const a: ActiveRun = { cancelled: false, timedOut: false, groups: new Set() };
    this.active.set(record.run.run_id!, a);
    return this.execute(record, tasks, params, timeoutSeconds, a, done)
      .catch((e) => {
        this.options.log(`workspace: run ${record.run.run_id} failed internally: ${e instanceof Error ? e.stack : String(e)}`);
        this.finish(record, { result: 'FAILED', message: `internal error: ${e instanceof Error ? e.message : String(e)}`, code: 'INTERNAL_ERROR', type: 'INTERNAL_ERROR' });
      })
      .finally(() => this.active.delete(record.run.run_id!));
  }

  /** Stores the run's state; a failed write is logged (the store is unchanged) and the run goes on. */
  private update(record: RunRecord): void {
    try {
      this.store.putRun(record);
    } catch (e) {
      this.options.log(`workspace: could not store the state of run ${record.run.run_id}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  private finish(record: RunRecord, t: Terminal): void {
    const run = record.run;
    const end = Date.now();
    run.end_time = end;
    // A run that waited in its job's queue started executing when it left it (start_time is its trigger).
    run.run_duration = end - (run.start_time ?? end) - (run.queue_duration ?? 0);
    run.execution_duration = run.run_duration;
    run.state = { life_cycle_state: 'TERMINATED', result_state: t.result, state_message: t.message, user_cancelled_or_timedout: t.result === 'CANCELED' || t.result === 'TIMEDOUT' };
    run.status = { state: 'TERMINATED', termination_details: { code: t.code, type: t.type, message: t.message } };
    this.update(record);
  }

  /** Runs the tasks not in `done` (a repair keeps the results of the tasks it does not run again). */
  private async execute(record: RunRecord, tasks: jobs.Task[], params: Record<string, string>, timeoutSeconds: number, a: ActiveRun, done: Map<string, jobs.RunResultState>): Promise<void> {
    const run = record.run;
    const byKey = new Map(tasks.map((t) => [t.task_key, t]));
    const runTask = (key: string) => run.tasks!.find((t) => t.task_key === key)!;
    let runTimer: NodeJS.Timeout | undefined;
    if (timeoutSeconds > 0) {
      runTimer = setTimeout(() => { a.timedOut = true; void this.cancelGroups(a); }, timeoutSeconds * 1000);
    }
    run.state = { life_cycle_state: 'RUNNING', state_message: '' };
    run.status = { state: 'RUNNING' };
    this.update(record);
    const outcome = new Map<string, jobs.RunResultState>(done);
    const running = new Map<string, Promise<void>>();
    try {
      for (;;) {
        for (const t of tasks) {
          if (outcome.has(t.task_key) || running.has(t.task_key)) continue;
          const deps = (t.depends_on ?? []).map((d) => d.task_key);
          if (!deps.every((d) => outcome.has(d))) continue;
          const failed = deps.find((d) => outcome.get(d) !== 'SUCCESS');
          if (failed || a.cancelled || a.timedOut) {
            const rt = runTask(t.task_key);
            const upstream = failed ? outcome.get(failed)! : null;
            const result: jobs.RunResultState = a.cancelled ? 'CANCELED' : a.timedOut ? 'TIMEDOUT' : upstream === 'CANCELED' ? 'UPSTREAM_CANCELED' : 'UPSTREAM_FAILED';
            rt.state = { life_cycle_state: 'SKIPPED', result_state: result, state_message: failed ? `Upstream task ${failed} did not succeed.` : 'The run was cancelled before this task started.' };
            rt.status = { state: 'TERMINATED', termination_details: { code: failed ? 'RUN_EXECUTION_ERROR' : 'USER_CANCELED', type: 'CLIENT_ERROR', message: rt.state.state_message! } };
            outcome.set(t.task_key, result);
            this.update(record);
            continue;
          }
          if (running.size >= this.options.maxParallel) continue;
          running.set(t.task_key, this.runTask(record, byKey.get(t.task_key)!, params, a).then((r) => {
            outcome.set(t.task_key, r);
            running.delete(t.task_key);
          }));
        }
        if (outcome.size === tasks.length) break;
        if (!running.size) throw new Error('no task can start: the dependencies form a cycle');
        await Promise.race(running.values());
      }
    } finally {
      clearTimeout(runTimer);
    }
    const results = [...outcome.values()];
    const failedKeys = tasks.filter((t) => outcome.get(t.task_key) !== 'SUCCESS').map((t) => t.task_key);
    if (a.timedOut) this.finish(record, { result: 'TIMEDOUT', message: `The run timed out after ${timeoutSeconds} seconds.`, code: 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR' });
    else if (a.cancelled) this.finish(record, { result: 'CANCELED', message: 'The run was cancelled.', code: 'USER_CANCELED', type: 'SUCCESS' });
    else if (results.every((r) => r === 'SUCCESS')) this.finish(record, { result: 'SUCCESS', message: '', code: 'SUCCESS', type: 'SUCCESS' });
    else if (results.includes('TIMEDOUT') && !results.includes('FAILED')) this.finish(record, { result: 'TIMEDOUT', message: `Task ${failedKeys.join(', ')} timed out.`, code: 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR' });
    else this.finish(record, { result: 'FAILED', message: `Task ${failedKeys.join(', ')} failed.`, code: 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR' });
  }

  /** One task with its retries; returns its final result state. */
  private async runTask(record: RunRecord, task: jobs.Task, params: Record<string, string>, a: ActiveRun): Promise<jobs.RunResultState> {
    const rt = record.run.tasks!.find((t) => t.task_key === task.task_key)!;
    const maxRetries = task.max_retries === -1 ? Number.POSITIVE_INFINITY : task.max_retries ?? 0;
    for (let attempt = 0; ; attempt++) {
      if (attempt > 0) {
        rt.run_id = this.store.nextId();
        rt.run_page_url = `${this.options.baseUrl()}/#job/${record.run.job_id ?? 0}/run/${rt.run_id}`;
      }
      const start = Date.now();
      rt.attempt_number = attempt;
      rt.start_time = start;
      delete rt.end_time;
      rt.state = { life_cycle_state: 'RUNNING', state_message: '' };
      rt.status = { state: 'RUNNING' };
      this.update(record);
      const group = `run-${rt.run_id}`;
      a.groups.add(group);
      let taskTimedOut = false;
      const stopping = () => a.cancelled || a.timedOut || taskTimedOut;
      const only = { ...a, groups: new Set([group]) };
      const timer = task.timeout_seconds ? setTimeout(() => { taskTimedOut = true; void this.cancelGroups(only); }, task.timeout_seconds * 1000) : undefined;
      // A statement may reach Spark just after a cancel: keep cancelling its group until the task ends.
      const watch = setInterval(() => { if (stopping()) void this.cancelGroups(only); }, 1000);
      let error: unknown = null;
      let exitValue: string | null = null;
      try {
        exitValue = await this.runNotebookTask(record, task, params, group, stopping);
        if (stopping()) error = new Error('stopped');
      } catch (e) {
        error = e;
      } finally {
        clearTimeout(timer);
        clearInterval(watch);
        a.groups.delete(group);
      }
      const end = Date.now();
      rt.end_time = end;
      rt.execution_duration = end - start;
      rt.run_duration = end - start;
      rt.setup_duration = 0;
      rt.cleanup_duration = 0;
      const output: RunRecord['outputs'][string] = {};
      const missing = error instanceof PinpipeError && error.code === 'NOTEBOOK_MISSING';
      let result: jobs.RunResultState;
      let message = '';
      if (!error) {
        // As on Databricks, a SQL notebook has no exit value: runs/get-output gives no notebook_output.result.
        // A Python notebook's dbutils.notebook.exit value is kept, cut at Databricks' 5 MB.
        result = 'SUCCESS';
        if (exitValue !== null) {
          const limit = 5 * 1024 * 1024;
          output.result = exitValue.length > limit ? exitValue.slice(0, limit) : exitValue;
          if (exitValue.length > limit) output.truncated = true;
        }
      } else {
        result = a.cancelled ? 'CANCELED' : taskTimedOut || a.timedOut ? 'TIMEDOUT' : 'FAILED';
        if (result !== 'FAILED') error = null;
        message = result === 'CANCELED' ? 'The run was cancelled.' : result === 'TIMEDOUT' ? `The task timed out after ${task.timeout_seconds ?? 0} seconds.` : error instanceof Error ? error.message : String(error);
        output.error = message.split('\n')[0]!;
        output.error_trace = error === null ? message : error instanceof Error ? `${error.message}${error.cause instanceof Error ? `\n\ncaused by: ${error.cause.stack ?? error.cause.message}` : ''}` : String(error);
      }
      record.outputs[String(rt.run_id)] = output;
      rt.state = { life_cycle_state: 'TERMINATED', result_state: result, state_message: message.split('\n')[0]!, user_cancelled_or_timedout: result === 'CANCELED' || result === 'TIMEDOUT' };
      rt.status = {
        state: 'TERMINATED',
        termination_details: result === 'SUCCESS'
          ? { code: 'SUCCESS', type: 'SUCCESS', message: '' }
          : { code: result === 'CANCELED' ? 'USER_CANCELED' : missing ? 'RESOURCE_NOT_FOUND' : 'RUN_EXECUTION_ERROR', type: 'CLIENT_ERROR', message: message.split('\n')[0]! },
      };
      this.update(record);
      const retryable = (result === 'FAILED' && !missing) || (result === 'TIMEDOUT' && taskTimedOut && task.retry_on_timeout === true);
      if (!retryable || attempt >= maxRetries || a.cancelled || a.timedOut) return result;
      const wait = task.min_retry_interval_millis ?? 0;
      this.options.log(`workspace: run ${record.run.run_id} task ${task.task_key} failed (attempt ${attempt + 1}); retrying in ${wait} ms`);
      rt.state = { life_cycle_state: 'PENDING', state_message: `Waiting ${wait} ms before retry ${attempt + 1} of ${maxRetries}.` };
      rt.status = { state: 'PENDING' };
      this.update(record);
      const until = Date.now() + wait;
      while (Date.now() < until && !a.cancelled && !a.timedOut) await sleep(Math.min(200, until - Date.now()));
      if (a.cancelled || a.timedOut) return a.cancelled ? 'CANCELED' : 'TIMEDOUT';
    }
  }

  /** Runs a task's notebook; returns its exit value (a Python notebook's dbutils.notebook.exit), or null. */
  private async runNotebookTask(record: RunRecord, task: jobs.Task, params: Record<string, string>, group: string, stopping: () => boolean): Promise<string | null> {
    const nt = task.notebook_task;
    if (!nt) throw new PinpipeError('NOTEBOOK_INVALID', `Task ${task.task_key} is not a notebook task; the local workspace runs notebook tasks only.`);
    const nbPath = normalizePath(nt.notebook_path);
    const obj = this.store.object(nbPath);
    if (!obj || obj.object_type !== 'NOTEBOOK') {
      // As on Databricks: a client error (RESOURCE_NOT_FOUND) that no retry can mend.
      throw new PinpipeError('NOTEBOOK_MISSING', `Unable to access the notebook "${nt.notebook_path}" in the workspace: it does not exist. Deploy the notebooks (npm run deploy-notebooks; run-job deploys them when missing).`);
    }
    if (obj.language !== 'SQL' && obj.language !== 'PYTHON') {
      throw new PinpipeError('NOTEBOOK_INVALID', `The notebook "${nt.notebook_path}" is ${obj.language}; the local workspace runs SQL and Python notebooks.`);
    }
    const ctx = { jobId: record.run.job_id, runId: record.run.run_id!, start: record.run.start_time!, taskKey: task.task_key, params };
    const widgets: Record<string, string> = {};
    for (const [k, v] of Object.entries(nt.base_parameters ?? {})) widgets[k] = resolveReferences(v, ctx);
    for (const [k, v] of Object.entries(params)) widgets[k] = resolveReferences(v, ctx);
    if (obj.language === 'PYTHON') {
      for (const [k, v] of Object.entries(widgets)) {
        if (v !== LOCAL_KINESIS_REFERENCE) continue;
        const endpoint = localKinesisEndpoint(this.options.lakeRoot);
        if (!endpoint) throw new PinpipeError('NOTEBOOK_INVALID', `The parameter ${k} names the lake's local Kinesis, which has never run: start it with npx pinpipe api (it starts kinesalite), then run the job again.`);
        widgets[k] = endpoint;
      }
      ensureLocalSecretScope(this.options.lakeRoot, this.options.log);
      const session = await this.session();
      const out = await runPythonNotebook({
        notebookPath: nbPath,
        source: this.store.content(obj),
        params: widgets,
        lake: this.options.lakeRoot,
        connectPort: session.connectPort,
        token: session.token,
        shouldStop: stopping,
        log: (l) => this.options.log(`workspace: run ${record.run.run_id} ${l}`),
      });
      return out.exit;
    }
    const landingRoot = widgets['landing_root'] ?? this.options.lakeRoot;
    if (!landingRoot.startsWith('/') || /^[a-z0-9]+:\//i.test(landingRoot)) {
      throw new PinpipeError('NOTEBOOK_INVALID', `landing_root "${landingRoot}" is not a local folder; the local workspace reads landed topics from the lake (${this.options.lakeRoot}).`);
    }
    const session = await this.session();
    await runNotebook({
      client: session.client,
      file: nbPath,
      text: this.store.content(obj).toString('utf8'),
      params: widgets,
      bindSource: (binding, topic, query) => localSourceStatements(binding, landingRoot, topic, query),
      group,
      shouldStop: stopping,
      progress: (l) => this.options.log(`workspace: run ${record.run.run_id} ${l}`),
    });
    return null;
  }
}
