// `npm run run-job <name>`: runs a job on the target's workspace through the SDK (run-now on the deployed
// job, or runs/submit with --submit), waits with per-task progress, prints the run page URL and each task's
// state, duration and error output (runs/get-output), and fails when the run does. An aborted signal (the
// CLI aborts it on Ctrl-C) cancels the run.
import type { jobs } from '@databricks/sdk-experimental';
import type { Config } from '../config/index.ts';
import { runEnded } from '../databricks/runs.ts';
import { PinpipeError } from '../errors.ts';
import type { JobSpec } from '../job/index.ts';
import { compileJob } from '../job/compile.ts';
import { call, type Workspace } from '../databricks/client.ts';
import { deployJobs } from './jobs.ts';
import { deployNotebooks } from './notebooks.ts';

export interface TaskOutcome {
  taskKey: string;
  runId: number;
  state: string;
  seconds: number;
  attempt: number;
  error?: string;
  errorTrace?: string;
  /** A notebook's exit value (dbutils.notebook.exit in a Python notebook); a SQL notebook has none, on Databricks as locally. */
  result?: string;
}

export interface RunSummary {
  runId: number;
  runPageUrl: string;
  resultState: string;
  message: string;
  tasks: TaskOutcome[];
  seconds: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function taskState(t: jobs.RunTask): string {
  const s = t.state;
  return s?.result_state ?? s?.life_cycle_state ?? 'PENDING';
}

/** Submit payload: the compiled tasks, with the job parameters given to each notebook as base parameters. */
export function submitPayload(spec: JobSpec, config: Config, params: Record<string, string>): jobs.SubmitRun {
  const settings = compileJob(spec, config);
  const values: Record<string, string> = Object.fromEntries((settings.parameters ?? []).map((p) => [p.name, p.default]));
  Object.assign(values, params);
  const clusters = new Map((settings.job_clusters ?? []).map((c) => [c.job_cluster_key, c.new_cluster]));
  return {
    run_name: `${settings.name} (submitted)`,
    timeout_seconds: settings.timeout_seconds ?? 0,
    ...(settings.email_notifications ? { email_notifications: settings.email_notifications } : {}),
    tasks: (settings.tasks ?? []).map(({ job_cluster_key, ...t }) => ({
      ...t,
      ...(job_cluster_key ? { new_cluster: clusters.get(job_cluster_key)! } : {}),
      notebook_task: { ...t.notebook_task!, base_parameters: { ...t.notebook_task!.base_parameters, ...values } },
    })),
  };
}

export async function runJob(
  config: Config,
  ws: Workspace,
  spec: JobSpec,
  options: { params: Record<string, string>; submit?: boolean; log: (l: string) => void; pollMs?: number; signal?: AbortSignal },
): Promise<RunSummary> {
  const { log } = options;
  const started = Date.now();
  // What the run needs is deployed first when missing or stale: the notebooks (here), the job (below).
  const lines: string[] = [];
  const notebooks = await deployNotebooks(config, ws, { log: (l) => lines.push(l) });
  if (notebooks.imported || notebooks.deleted) {
    for (const l of lines) if (!l.startsWith('deploy: ?')) log(l);
    log(`run-job: deployed the notebooks first (${notebooks.imported} missing or changed)`);
  }
  let runId: number;
  if (options.submit) {
    const payload = submitPayload(spec, config, options.params);
    runId = (await call(ws, 'submitting the run', () => ws.client.jobs.submit(payload))).run_id!;
  } else {
    const [deployed] = await deployJobs(config, ws, [spec], { log });
    const jobId = deployed!.jobId;
    const defined = new Set((compileJob(spec, config).parameters ?? []).map((p) => p.name));
    for (const k of Object.keys(options.params)) {
      if (!defined.has(k)) throw new PinpipeError('USAGE', `run-job: --param ${k} is not a parameter of job ${spec.name} (USAGE); its parameters: ${[...defined].join(', ')}.`);
    }
    runId = (await call(ws, `starting job ${jobId}`, () => ws.client.jobs.runNow({ job_id: jobId, job_parameters: options.params }))).run_id!;
  }
  let run = await call(ws, `reading run ${runId}`, () => ws.client.jobs.getRun({ run_id: runId }));
  log(`run-job: run ${runId} started: ${run.run_page_url ?? ''}`);

  let cancelling = false;
  const cancel = () => {
    if (cancelling) return;
    cancelling = true;
    log(`run-job: cancelling run ${runId} ...`);
    void ws.client.jobs.cancelRun({ run_id: runId }).catch((e: unknown) => log(`run-job: cancel failed: ${e instanceof Error ? e.message : String(e)}`));
  };
  if (options.signal?.aborted) cancel();
  options.signal?.addEventListener('abort', cancel);
  const seen = new Map<string, string>();
  let queuedSaid = false;
  try {
    for (;;) {
      // The job's runs are one at a time with a queue: a run behind another (the schedule's, Airflow's) waits.
      if (run.state?.life_cycle_state === 'QUEUED' && !queuedSaid) {
        queuedSaid = true;
        log(`run-job: run ${runId} queued: ${run.state.state_message ?? 'waiting for a run of the job to end'}`);
      }
      for (const t of run.tasks ?? []) {
        const state = `${taskState(t)}#${t.attempt_number ?? 0}`;
        if (seen.get(t.task_key) === state) continue;
        seen.set(t.task_key, state);
        const s = taskState(t);
        const took = t.end_time && t.start_time ? ` in ${((t.end_time - t.start_time) / 1000).toFixed(1)}s` : '';
        const attempt = t.attempt_number ? ` (retry ${t.attempt_number})` : '';
        if (s !== 'PENDING' && s !== 'BLOCKED') log(`run-job: ${t.task_key.padEnd(16)} ${s}${attempt}${took}`);
      }
      const life = run.state?.life_cycle_state;
      if (runEnded(life)) break;
      await sleep(options.pollMs ?? (ws.local ? 500 : 5000));
      run = await call(ws, `reading run ${runId}`, () => ws.client.jobs.getRun({ run_id: runId }));
    }
  } finally {
    options.signal?.removeEventListener('abort', cancel);
  }

  const tasks: TaskOutcome[] = [];
  for (const t of run.tasks ?? []) {
    const o: TaskOutcome = {
      taskKey: t.task_key,
      runId: t.run_id!,
      state: taskState(t),
      seconds: t.end_time && t.start_time ? (t.end_time - t.start_time) / 1000 : 0,
      attempt: t.attempt_number ?? 0,
    };
    if (t.state?.life_cycle_state === 'TERMINATED') {
      const out = await call(ws, `reading the output of task run ${t.run_id}`, () => ws.client.jobs.getRunOutput({ run_id: t.run_id! }));
      if (out.error) o.error = out.error;
      if (out.error_trace) o.errorTrace = out.error_trace;
      if (out.notebook_output?.result !== undefined) o.result = out.notebook_output.result;
    } else if (t.state?.state_message) {
      o.error = t.state.state_message;
    }
    tasks.push(o);
  }
  const summary: RunSummary = {
    runId,
    runPageUrl: run.run_page_url ?? '',
    resultState: run.state?.result_state ?? run.state?.life_cycle_state ?? 'UNKNOWN',
    message: run.state?.state_message ?? '',
    tasks,
    seconds: (Date.now() - started) / 1000,
  };
  if (cancelling && summary.resultState === 'CANCELED') {
    throw new PinpipeError('RUN_CANCELLED', `run-job: run ${runId} was cancelled (RUN_CANCELLED). ${summary.runPageUrl}`, { details: { summary } });
  }
  return summary;
}
