// What Airflow's Databricks provider calls, answered by the local workspace as Databricks does, with the very
// requests the provider sends (copied from its hooks and operators): provider 7.x calls the Jobs API 2.2,
// provider 6.x (MWAA's Airflow 2.10) 2.1. Job lookup by name (jobs/list?name=, has_more on 2.1), run-now,
// runs/submit in the single-task format (notebook_task and a cluster at the top level, no tasks) made one
// task, runs/get with the fields the operator polls, runs/get-output of a failed task, idempotency tokens,
// 2.2's pages of tasks. Runs are executed by a stand-in for the runner (no Spark), or by the real runner on a
// missing notebook, which fails as on Databricks without starting Spark.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { jobs } from '@databricks/sdk-experimental';
import { localTargetSchema } from '../../src/config/schema.ts';
import { RunExecutor } from '../../src/local/workspace/runner.ts';
import { workspaceApp } from '../../src/local/workspace/server.ts';
import type { RunRecord } from '../../src/local/workspace/store.ts';
import { WorkspaceStore } from '../../src/local/workspace/store.ts';

const token = 'dapi0123456789abcdef0123456789abcdef';
// What the provider sends: a bearer token (the connection's password) and its user agent.
const headers = {
  authorization: `Bearer ${token}`,
  'user-agent': 'databricks-airflow/7.23.0 _/0.0.0 python/3.11.7 os/linux airflow/3.3.2 operator/DatabricksRunNowOperator',
  'content-type': 'application/json',
};
const JOB_NAME = 'pinpipe clean (0affe4008223)';
const NOTEBOOK = '/Shared/pinpipe/notebooks/clean/pin';

/** The provider's normalise_json_content: every number of a POST body sent as a string, booleans kept. */
function normalised(v: unknown): unknown {
  if (typeof v === 'number') return String(v);
  if (Array.isArray(v)) return v.map(normalised);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, normalised(x)]));
  return v;
}

/** Ends every run at once, each task SUCCESS (or FAILED where its notebook path ends in /fail), as the runner would. */
class StandInExecutor {
  /** What each run was started with, as the runner would get it. */
  readonly started: { tasks: jobs.Task[]; timeoutSeconds: number }[] = [];
  constructor(private readonly store: WorkspaceStore) {}
  start(record: RunRecord, tasks: jobs.Task[], _params: Record<string, string>, timeoutSeconds: number): Promise<void> {
    this.started.push({ tasks, timeoutSeconds });
    const run = structuredClone(record.run);
    const failed = (run.tasks ?? []).filter((t) => t.notebook_task?.notebook_path.endsWith('/fail')).map((t) => t.task_key);
    const outputs: RunRecord['outputs'] = {};
    for (const t of run.tasks ?? []) {
      const result: jobs.RunResultState = failed.includes(t.task_key) ? 'FAILED' : 'SUCCESS';
      t.state = { life_cycle_state: 'TERMINATED', result_state: result, state_message: '' };
      if (result === 'FAILED') outputs[String(t.run_id)] = { error: 'AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]', error_trace: 'trace' };
    }
    const result: jobs.RunResultState = failed.length ? 'FAILED' : 'SUCCESS';
    run.state = { life_cycle_state: 'TERMINATED', result_state: result, state_message: failed.length ? `Task ${failed.join(', ')} failed.` : '' };
    run.end_time = Date.now();
    this.store.putRun({ ...record, run, outputs });
    return Promise.resolve();
  }
  isActive(): boolean {
    return false;
  }
  async cancel(): Promise<void> {}
  async close(): Promise<void> {}
}

describe('local workspace: what Airflow\'s Databricks provider calls', () => {
  let dir: string;
  let store: WorkspaceStore;
  let app: FastifyInstance;
  let real: FastifyInstance;
  let standIn: StandInExecutor;

  const call = async (a: FastifyInstance, method: 'GET' | 'POST', url: string, body?: unknown, h: Record<string, string> = headers) => {
    // POST bodies as the provider sends them (numbers as strings).
    const res = await a.inject({ method, url, headers: h, ...(body === undefined ? {} : { payload: JSON.stringify(normalised(body)) }) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  // requests' encoding of the hook's GET parameters (Python's False, an empty page token, + for spaces).
  const query = (params: Record<string, string | number | boolean>) => Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v)).replace(/%20/g, '+')}`).join('&');

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-ws-airflow-'));
    store = new WorkspaceStore(dir);
    const base = { store, baseUrl: () => 'http://127.0.0.1:8080', warehouse: () => null, log: () => {} };
    app = workspaceApp({ ...base, executor: (standIn = new StandInExecutor(store)) as unknown as RunExecutor }, { token, lakeRoot: dir });
    const executor = new RunExecutor(store, { lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, maxParallel: 1, baseUrl: () => 'http://127.0.0.1:8080', log: () => {} });
    real = workspaceApp({ ...base, executor }, { token, lakeRoot: dir });
    await app.ready();
    await real.ready();
    for (const name of [JOB_NAME, 'another job']) {
      const created = await call(app, 'POST', '/api/2.2/jobs/create', {
        name,
        tasks: [{ task_key: 'clean_pin', notebook_task: { notebook_path: NOTEBOOK, source: 'WORKSPACE' }, max_retries: 2 }],
        parameters: [{ name: 'run_id', default: '{{job.run_id}}' }],
      });
      expect(created.status).to.equal(200);
    }
  });

  after(async () => {
    await app.close();
    await real.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const version of ['2.2', '2.1']) {
    it(`finds the job by name as find_job_id_by_name does, on the Jobs API ${version}`, async () => {
      const res = await call(app, 'GET', `/api/${version}/jobs/list?${query({ limit: 25, expand_tasks: false, include_user_names: false, page_token: '', name: JOB_NAME })}`);
      expect(res.status).to.equal(200);
      const jobsFound = res.body['jobs'] as { job_id: number; settings: { name: string } }[];
      expect(jobsFound.map((j) => j.settings.name)).to.deep.equal([JOB_NAME]);
      // Provider 6.x pages on has_more, 7.x on next_page_token: both say this is the last page.
      expect(res.body['has_more']).to.equal(false);
      // The name filter is exact but case-insensitive, as the Jobs API documents it.
      const upper = await call(app, 'GET', `/api/${version}/jobs/list?${query({ name: JOB_NAME.toUpperCase() })}`);
      expect((upper.body['jobs'] as { settings: { name: string } }[]).map((x) => x.settings.name)).to.deep.equal([JOB_NAME]);
      expect(res.body).to.not.have.property('next_page_token');
    });

    it(`runs the job (run-now) and answers runs/get with what the operator polls, on ${version}`, async () => {
      const list = await call(app, 'GET', `/api/${version}/jobs/list?${query({ limit: 25, expand_tasks: false, include_user_names: false, page_token: '', name: JOB_NAME })}`);
      const jobId = (list.body['jobs'] as { job_id: number }[])[0]!.job_id;
      const started = await call(app, 'POST', `/api/${version}/jobs/run-now`, { job_id: jobId });
      expect(started.status).to.equal(200);
      const runId = started.body['run_id'] as number;
      const run = await call(app, 'GET', `/api/${version}/jobs/runs/get?${query({ run_id: runId })}`);
      expect(run.status).to.equal(200);
      expect(run.body).to.include({ job_id: jobId, run_id: runId });
      expect(run.body['run_page_url']).to.equal(`http://127.0.0.1:8080/#job/${jobId}/run/${runId}`);
      expect(run.body['state']).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' });
      expect((run.body['tasks'] as jobs.RunTask[]).map((t) => t.task_key)).to.deep.equal(['clean_pin']);
    });

    it(`turns the single-task runs/submit payload of DatabricksSubmitRunOperator into one task, cluster fields kept, on ${version}`, async () => {
      // The original DAG's operator: notebook_task and existing_cluster_id as named parameters, run_name its task_id.
      const payloads = [
        { notebook_task: { notebook_path: NOTEBOOK }, existing_cluster_id: '1108-162752-8okw8dgg', run_name: 'submit_run' },
        { notebook_task: { notebook_path: NOTEBOOK, base_parameters: { pin_topic: '0affe4008223.pin' } }, new_cluster: { spark_version: '15.4.x-scala2.12', node_type_id: 'm5d.large', num_workers: 1 }, libraries: [{ pypi: { package: 'x' } }], run_name: 'clean pin (daily)', timeout_seconds: 3600 },
      ];
      for (const payload of payloads) {
        const submitted = await call(app, 'POST', `/api/${version}/jobs/runs/submit`, payload);
        expect(submitted.status, JSON.stringify(submitted.body)).to.equal(200);
        const runId = submitted.body['run_id'] as number;
        const run = (await call(app, 'GET', `/api/${version}/jobs/runs/get?run_id=${runId}`)).body as jobs.Run;
        expect(run.run_name).to.equal(payload.run_name);
        expect(run.run_type).to.equal('SUBMIT_RUN');
        expect(run.job_id, 'a one-time run has a job id, as on Databricks').to.be.a('number');
        expect(run.run_page_url).to.equal(`http://127.0.0.1:8080/#job/${run.job_id}/run/${runId}`);
        expect(run.state).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' });
        expect(run.tasks).to.have.length(1);
        const task = run.tasks![0]!;
        expect(task.task_key).to.match(/^[\w-]+$/);
        expect(task.notebook_task).to.deep.equal(payload.notebook_task);
        // timeout_seconds came as "3600": kept as the number the runner's timers need.
        const started = standIn.started.at(-1)!;
        expect(started.timeoutSeconds).to.equal('timeout_seconds' in payload ? 3600 : 0);
        expect(started.tasks[0]!.timeout_seconds).to.equal('timeout_seconds' in payload ? 3600 : undefined);
        if ('existing_cluster_id' in payload) expect(task.existing_cluster_id).to.equal(payload.existing_cluster_id);
        else expect(task.new_cluster, 'kept as sent').to.deep.equal(normalised(payload.new_cluster));
      }
    });
  }

  it('reports a failed task as the operator reads it: runs/get FAILED, the task run\'s error in runs/get-output (2.1)', async () => {
    const submitted = await call(app, 'POST', '/api/2.1/jobs/runs/submit', { notebook_task: { notebook_path: '/Shared/pinpipe/notebooks/fail' }, run_name: 'clean_pin' });
    const run = (await call(app, 'GET', `/api/2.1/jobs/runs/get?run_id=${submitted.body['run_id'] as number}`)).body as jobs.Run;
    expect(run.state).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'FAILED' });
    const failed = run.tasks!.filter((t) => t.state?.result_state === 'FAILED');
    expect(failed.map((t) => t.task_key)).to.deep.equal(['clean_pin']);
    const output = await call(app, 'GET', `/api/2.1/jobs/runs/get-output?run_id=${failed[0]!.run_id!}`);
    expect(output.status).to.equal(200);
    expect(output.body['error']).to.equal('AnalysisException: [TABLE_OR_VIEW_NOT_FOUND]');
  });

  it('runs a submitted notebook that is not in the workspace to FAILED with the reason, as Databricks does (the real runner, no Spark)', async () => {
    const submitted = await call(real, 'POST', '/api/2.1/jobs/runs/submit', { notebook_task: { notebook_path: '/Shared/none/missing' }, existing_cluster_id: 'x', run_name: 'missing' });
    const runId = submitted.body['run_id'] as number;
    let run: jobs.Run = {};
    for (let i = 0; i < 100 && run.state?.life_cycle_state !== 'TERMINATED'; i++) {
      await new Promise((r) => setTimeout(r, 20));
      run = (await call(real, 'GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).body as jobs.Run;
    }
    expect(run.state).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'FAILED' });
    const output = await call(real, 'GET', `/api/2.1/jobs/runs/get-output?run_id=${run.tasks![0]!.run_id!}`);
    expect(output.body['error']).to.match(/Unable to access the notebook "\/Shared\/none\/missing"/);
    expect(run.tasks![0]!.status?.termination_details?.code).to.equal('RESOURCE_NOT_FOUND');
  });

  it('refuses what Databricks refuses in runs/submit: tasks beside a single task, no task at all, a task type it cannot run', async () => {
    const both = await call(app, 'POST', '/api/2.1/jobs/runs/submit', { tasks: [{ task_key: 'a', notebook_task: { notebook_path: NOTEBOOK } }], notebook_task: { notebook_path: NOTEBOOK } });
    expect([both.status, both.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    const none = await call(app, 'POST', '/api/2.2/jobs/runs/submit', { run_name: 'x', existing_cluster_id: 'c' });
    expect([none.status, none.body['message']]).to.deep.equal([400, 'Missing required field: tasks']);
    const python = await call(app, 'POST', '/api/2.1/jobs/runs/submit', { spark_python_task: { python_file: 'dbfs:/x.py' }, run_name: 'x' });
    expect([python.status, python.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    expect(python.body['message']).to.match(/notebook tasks/);
  });

  it('refuses a number field that is not an integer or an integer string, naming it', async () => {
    const res = await call(app, 'POST', '/api/2.1/jobs/runs/submit', { notebook_task: { notebook_path: NOTEBOOK }, run_name: 'x', timeout_seconds: 'abc' });
    expect([res.status, res.body['error_code'], res.body['message']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE', 'Invalid value for field timeout_seconds: "abc"; must be an integer of at least 0.']);
    const task = await call(app, 'POST', '/api/2.2/jobs/create', { name: 'x', tasks: [{ task_key: 'a', notebook_task: { notebook_path: NOTEBOOK }, max_retries: '1.5' }] });
    expect([task.status, task.body['message']]).to.deep.equal([400, 'Invalid value for field tasks[0].max_retries: "1.5"; must be an integer of at least -1.']);
  });

  it('answers a repeated idempotency_token with the run it started, not a second run', async () => {
    const payload = { notebook_task: { notebook_path: NOTEBOOK }, run_name: 'once', idempotency_token: 'airflow-dag-run-1' };
    const first = await call(app, 'POST', '/api/2.1/jobs/runs/submit', payload);
    const second = await call(app, 'POST', '/api/2.2/jobs/runs/submit', payload);
    expect(second.body['run_id']).to.equal(first.body['run_id']);
    const long = await call(app, 'POST', '/api/2.2/jobs/runs/submit', { ...payload, idempotency_token: 'x'.repeat(65) });
    expect(long.status).to.equal(400);
    // run-now too (the provider retries its POST): the same token, the same run.
    const jobId = (store.allJobs().find((x) => x.settings.name === JOB_NAME))!.job_id;
    const now1 = await call(app, 'POST', '/api/2.1/jobs/run-now', { job_id: jobId, idempotency_token: 'airflow-run-now-1' });
    const now2 = await call(app, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId, idempotency_token: 'airflow-run-now-1' });
    expect(now1.status).to.equal(200);
    expect(now2.body).to.deep.equal(now1.body);
    expect((await call(app, 'POST', '/api/2.2/jobs/run-now', { job_id: jobId, idempotency_token: 'airflow-run-now-2' })).body['run_id']).to.not.equal(now1.body['run_id']);
  });

  it('pages a run\'s tasks 100 at a time on 2.2 (next_page_token, as the provider merges them) and not on 2.1', async () => {
    const tasks = Array.from({ length: 150 }, (_, i) => ({ task_key: `t${i}`, notebook_task: { notebook_path: NOTEBOOK } }));
    const runId = (await call(app, 'POST', '/api/2.2/jobs/runs/submit', { tasks, run_name: 'many' })).body['run_id'] as number;
    const first = (await call(app, 'GET', `/api/2.2/jobs/runs/get?run_id=${runId}`)).body as jobs.Run & { next_page_token?: string };
    expect(first.tasks).to.have.length(100);
    expect(first.next_page_token).to.be.a('string');
    const second = (await call(app, 'GET', `/api/2.2/jobs/runs/get?run_id=${runId}&page_token=${first.next_page_token!}`)).body as jobs.Run & { next_page_token?: string };
    expect(second.tasks).to.have.length(50);
    expect(second).to.not.have.property('next_page_token');
    expect([...first.tasks!, ...second.tasks!].map((t) => t.task_key)).to.deep.equal(tasks.map((t) => t.task_key));
    const all = (await call(app, 'GET', `/api/2.1/jobs/runs/get?run_id=${runId}`)).body as jobs.Run & { next_page_token?: string };
    expect(all.tasks).to.have.length(150);
    expect(all).to.not.have.property('next_page_token');
  });

  it('cancels a run on 2.1 (on_kill) and refuses basic auth, which the provider uses when the connection has a login', async () => {
    const runId = (await call(app, 'POST', '/api/2.1/jobs/runs/submit', { notebook_task: { notebook_path: NOTEBOOK }, run_name: 'c' })).body['run_id'] as number;
    expect((await call(app, 'POST', '/api/2.1/jobs/runs/cancel', { run_id: runId })).status).to.equal(200);
    const basic = await call(app, 'GET', '/api/2.1/jobs/list', undefined, { authorization: `Basic ${Buffer.from(`user:${token}`).toString('base64')}` });
    expect([basic.status, basic.body['error_code']]).to.deep.equal([403, '403']);
    const unknown = await call(app, 'GET', '/api/2.1/jobs/runs/get?run_id=1');
    expect([unknown.status, unknown.body]).to.deep.equal([400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Run 1 does not exist.' }]);
  });
});
