// The control plane end to end through the real Databricks SDK against the local workspace: deploy twice
// (the second imports nothing), workspace edits and stale notebooks, jobs deployed idempotently, the clean
// job run to the hand-checked tables and results, and the failure paths: a failing statement with
// retries, a missing table, a bad token, an unreachable host, a cancelled run, a timeout, a restart.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config as SdkConfig, WorkspaceClient } from '@databricks/sdk-experimental';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { call, type Workspace } from '../../src/databricks/client.ts';
import { deployNotebooks, planDeploy } from '../../src/deploy/notebooks.ts';
import { deployJobs } from '../../src/deploy/jobs.ts';
import { deployDashboard } from '../../src/deploy/dashboard.ts';
import { runJob } from '../../src/deploy/run.ts';
import { PinpipeError } from '../../src/errors.ts';
import { installSpark, openSpark } from '../../src/local/spark/index.ts';
import { quoteIdentifier } from '../../src/notebook/index.ts';
import { clearTopic, PartitionWriter } from '../../src/sink/landing.ts';
import { generateToken, startWorkspaceServer, type WorkspaceServer } from '../../src/local/workspace/server.ts';
import { JOBS } from '../../jobs/index.ts';
import { readRunResults } from '../../src/deploy/results.ts';
import { firstRunReport, hand, type TableKey } from '../fixtures/index.ts';

const TABLES: TableKey[] = ['pin', 'geo', 'user'];
const quiet = () => {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('control plane: the SDK against the local workspace', function () {
  this.timeout(600_000);
  let lake: string;
  let config: Config;
  let server: WorkspaceServer;
  let ws: Workspace;
  let token: string;

  const sdk = (url: string, tok: string): Workspace => ({
    client: new WorkspaceClient(new SdkConfig({ host: url, token: tok, authType: 'pat' })),
    host: url,
    local: true,
    identity: `local:${lake}`,
  });

  async function start(): Promise<void> {
    server = await startWorkspaceServer({
      stateDir: path.join(lake, '_workspace'),
      lakeRoot: lake,
      spark: { ...config.spark, memory: '2g' },
      token,
      maxParallelTasks: 3,
    });
    ws = sdk(server.url, token);
  }

  before(async () => {
    installSpark(quiet);
    lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-ws-'));
    config = loadConfig({ lake, env: {}, cwd: lake });
    config = { ...config, jobs: { ...config.jobs, retry_interval_seconds: 0 } };
    token = generateToken();
    await start();
    for (const t of TABLES) {
      clearTopic(lake, config.names.topic[t]);
      const w = new PartitionWriter(lake, config.names.topic[t], 0, 3);
      for (const l of hand.landed[t]) w.write(l);
      w.flush();
    }
  });

  after(async () => {
    await server?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('deploys the notebooks, and a second deploy imports nothing', async () => {
    const first = await deployNotebooks(config, ws, { log: quiet });
    expect(first.imported).to.equal(6);
    expect(first.plan.map((p) => p.path).sort()).to.deep.equal([
      '/Shared/pinpipe/notebooks/clean/geo', '/Shared/pinpipe/notebooks/clean/pin', '/Shared/pinpipe/notebooks/clean/user', '/Shared/pinpipe/notebooks/maintain', '/Shared/pinpipe/notebooks/queries',
      '/Shared/pinpipe/notebooks/stream/kinesis',
    ]);
    const py = await ws.client.workspace.getStatus({ path: '/Shared/pinpipe/notebooks/stream/kinesis' });
    expect([py.object_type, py.language]).to.deep.equal(['NOTEBOOK', 'PYTHON']);
    const st = await ws.client.workspace.getStatus({ path: '/Shared/pinpipe/notebooks/clean/pin' });
    expect(st.object_type).to.equal('NOTEBOOK');
    expect(st.language).to.equal('SQL');
    const exported = await ws.client.workspace.export({ path: '/Shared/pinpipe/notebooks/queries', format: 'SOURCE' });
    expect(Buffer.from(exported.content!, 'base64').toString('utf8')).to.equal(first.plan.find((p) => p.path.endsWith('/queries'))!.notebook!.content.toString('utf8'));
    const second = await deployNotebooks(config, ws, { log: quiet });
    expect(second.imported).to.equal(0);
    expect(second.plan.every((p) => p.action === 'unchanged')).to.equal(true);
  });

  it('deploys the dashboard with the notebooks: created once, then unchanged', async () => {
    expect(await deployDashboard(config, ws, { log: quiet })).to.equal('created');
    expect(await deployDashboard(config, ws, { log: quiet })).to.equal('unchanged');
    const st = await ws.client.workspace.getStatus({ path: '/Shared/pinpipe/pinpipe analytics.lvdash.json' });
    expect(st.object_type).to.equal('DASHBOARD');
    const d = await ws.client.lakeview.get({ dashboard_id: st.resource_id! });
    const def = JSON.parse(d.serialized_dashboard!) as { datasets: { queryLines: string[]; parameters: { keyword: string; defaultSelection: { values: { values: { value: string }[] } } }[] }[] };
    expect(def.datasets).to.have.length(9);
    expect(def.datasets[0]!.queryLines.join('')).to.include('IDENTIFIER(:pin_table)');
    const pin = def.datasets[0]!.parameters.find((p) => p.keyword === 'pin_table')!;
    expect(pin.defaultSelection.values.values).to.deep.equal([{ value: `\`${config.names.table.pin}\`` }]);
  });

  it('re-imports a notebook edited in the workspace and reports objects it did not deploy', async () => {
    await ws.client.workspace.import({ path: '/Shared/pinpipe/notebooks/clean/geo', format: 'SOURCE', language: 'SQL', content: Buffer.from('-- Databricks notebook source\nSELECT 1').toString('base64'), overwrite: true });
    await ws.client.workspace.import({ path: '/Shared/pinpipe/notebooks/scratch', format: 'SOURCE', language: 'SQL', content: Buffer.from('-- Databricks notebook source\nSELECT 2').toString('base64') });
    await sleep(5);
    const plan = await planDeploy(config, ws);
    expect(plan.find((p) => p.path.endsWith('/clean/geo'))).to.include({ action: 'update', reason: 'edited in the workspace' });
    expect(plan.find((p) => p.path.endsWith('/scratch'))).to.include({ action: 'unmanaged' });
    const again = await deployNotebooks(config, ws, { log: quiet });
    expect(again.imported).to.equal(1);
    expect((await ws.client.workspace.getStatus({ path: '/Shared/pinpipe/notebooks/scratch' })).object_type).to.equal('NOTEBOOK');
  });

  it('lists each failed import with its reason, imports the rest, and finishes on a re-run', async () => {
    await ws.client.workspace.delete({ path: '/Shared/pinpipe/notebooks', recursive: true });
    // A folder where a notebook belongs makes that one import fail.
    await ws.client.workspace.mkdirs({ path: '/Shared/pinpipe/notebooks/queries' });
    try {
      await deployNotebooks(config, ws, { log: quiet });
      expect.fail('the deploy should report the failed import');
    } catch (e) {
      expect((e as PinpipeError).code).to.equal('DEPLOY_FAILED');
      expect((e as Error).message).to.include('/Shared/pinpipe/notebooks/queries: databricks: importing /Shared/pinpipe/notebooks/queries failed (RESOURCE_ALREADY_EXISTS');
    }
    expect((await ws.client.workspace.getStatus({ path: '/Shared/pinpipe/notebooks/clean/pin' })).object_type).to.equal('NOTEBOOK');
    await ws.client.workspace.delete({ path: '/Shared/pinpipe/notebooks/queries', recursive: true });
    const rerun = await deployNotebooks(config, ws, { log: quiet });
    expect(rerun.imported).to.equal(1);
    expect(rerun.plan.filter((p) => p.action === 'create').map((p) => p.path)).to.deep.equal(['/Shared/pinpipe/notebooks/queries']);
  });

  it('answers with Databricks error shapes: missing parent, existing object, unknown job', async () => {
    const err = async (fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (e) {
        return e as { errorCode: string; statusCode: number; message: string };
      }
      throw new Error('expected a failure');
    };
    const noParent = await err(() => ws.client.workspace.import({ path: '/nope/x', format: 'SOURCE', language: 'SQL', content: 'LS0=' }));
    expect([noParent.statusCode, noParent.errorCode]).to.deep.equal([404, 'RESOURCE_DOES_NOT_EXIST']);
    const exists = await err(() => ws.client.workspace.import({ path: '/Shared/pinpipe/notebooks/queries', format: 'SOURCE', language: 'SQL', content: 'LS0=' }));
    expect([exists.statusCode, exists.errorCode]).to.deep.equal([400, 'RESOURCE_ALREADY_EXISTS']);
    const noJob = await err(() => ws.client.jobs.get({ job_id: 987654 }));
    expect([noJob.statusCode, noJob.errorCode, noJob.message]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE', 'Job 987654 does not exist.']);
  });

  it('deploys the jobs idempotently: created, then unchanged, then reset when the settings change', async () => {
    const first = await deployJobs(config, ws, Object.values(JOBS), { log: quiet });
    expect(first.map((r) => r.action)).to.deep.equal(['created', 'created', 'created', 'created']);
    const second = await deployJobs(config, ws, Object.values(JOBS), { log: quiet });
    expect(second.map((r) => r.action)).to.deep.equal(['unchanged', 'unchanged', 'unchanged', 'unchanged']);
    expect(second.map((r) => r.jobId)).to.deep.equal(first.map((r) => r.jobId));
    const changed = { ...config, jobs: { ...config.jobs, max_retries: 1 } };
    const third = await deployJobs(changed, ws, [JOBS['clean']!], { log: quiet });
    expect(third[0]).to.include({ action: 'reset', jobId: first[0]!.jobId });
    const job = await ws.client.jobs.get({ job_id: first[0]!.jobId });
    expect(job.settings!.tasks!.map((t) => t.max_retries)).to.deep.equal([1, 1, 1, 1]);
    expect(job.settings!.schedule).to.include({ quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' });
  });

  it('runs the clean job: cleaning in parallel, then the queries; tables, reports and results as hand-checked', async () => {
    const summary = await runJob(config, ws, JOBS['clean']!, { params: {}, log: quiet, pollMs: 200 });
    expect(summary.resultState).to.equal('SUCCESS');
    expect(summary.tasks.map((t) => [t.taskKey, t.state])).to.deep.equal([
      ['clean_pin', 'SUCCESS'], ['clean_geo', 'SUCCESS'], ['clean_user', 'SUCCESS'], ['queries', 'SUCCESS'],
    ]);
    const run = await ws.client.jobs.getRun({ run_id: summary.runId });
    const t = (k: string) => run.tasks!.find((x) => x.task_key === k)!;
    // The three cleaning tasks overlapped in time; the queries started after all three ended.
    const cleans = ['clean_pin', 'clean_geo', 'clean_user'].map(t);
    expect(Math.max(...cleans.map((c) => c.start_time!))).to.be.below(Math.min(...cleans.map((c) => c.end_time!)));
    expect(t('queries').start_time).to.be.at.least(Math.max(...cleans.map((c) => c.end_time!)));
    // As on Databricks, a SQL notebook has no exit value: runs/get-output gives no notebook_output.result.
    for (const task of summary.tasks) expect(task.result, task.taskKey).to.equal(undefined);
    const output = await ws.client.jobs.getRunOutput({ run_id: summary.tasks.find((x) => x.taskKey === 'clean_pin')!.runId });
    expect(output.notebook_output ?? {}).to.not.have.property('result');
    // The Delta tables the workspace wrote are the hand-checked ones; the reports and results, read back
    // from them as run-job reads them, are too.
    await server.close();
    const spark = await openSpark(lake, { ...config.spark, memory: '1g' }, quiet);
    try {
      const read = await readRunResults(config, { where: 'test', run: (sql, args) => spark.client.sql(sql, args), close: async () => {} }, JOBS['clean']!, String(summary.runId));
      expect(read.reports).to.deep.equal(TABLES.map((tk) => firstRunReport(hand.expected.reports[tk], { pin: 5, geo: 3, user: 3 }[tk], false)));
      expect(Object.fromEntries([...read.results].map(([n, r]) => [n, r.rows]))).to.deep.equal(hand.expected.queries);
      // Another run's id has no report.
      expect((await readRunResults(config, { where: 'test', run: (sql, args) => spark.client.sql(sql, args), close: async () => {} }, JOBS['clean']!, 'another')).reports).to.deep.equal([]);
      for (const tk of TABLES) {
        const r = await spark.client.sql('SELECT * FROM IDENTIFIER(:t) ORDER BY ind', { t: quoteIdentifier(config.names.table[tk]) }, { maxRows: 100000 });
        expect(r.rows, `${tk} table`).to.deep.equal(hand.expected.tables[tk]);
      }
    } finally {
      await spark.stop();
      await start();
    }
  });

  it('keeps jobs and runs across a restart of the workspace', async () => {
    const runs = [];
    for await (const r of ws.client.jobs.listRuns({})) runs.push(r);
    expect(runs.length).to.be.at.least(1);
    expect(runs[0]!.state).to.include({ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' });
    const jobs = [];
    for await (const j of ws.client.jobs.list({})) jobs.push(j.settings!.name);
    expect(jobs.sort()).to.deep.equal([`pinpipe clean (${config.userId})`, `pinpipe maintain (${config.userId})`, `pinpipe queries (${config.userId})`, `pinpipe stream (${config.userId})`]);
  });

  it('fails a run on a missing table, retries the task, and gives the error output', async () => {
    const bad = { ...config, jobs: { ...config.jobs, max_retries: 1 } };
    const summary = await runJob(bad, ws, JOBS['queries']!, { params: { pin_table: '`no_such_table`' }, log: quiet, pollMs: 200 });
    expect(summary.resultState).to.equal('FAILED');
    const task = summary.tasks[0]!;
    expect(task.state).to.equal('FAILED');
    expect(task.attempt).to.equal(1);
    expect(task.error).to.include('/Shared/pinpipe/notebooks/queries cell 6');
    expect(task.errorTrace).to.include('TABLE_OR_VIEW_NOT_FOUND');
    await deployJobs(config, ws, [JOBS['queries']!], { log: quiet });
  });

  async function scratch(name: string, sql: string): Promise<string> {
    const p = `/Shared/tests/${name}`;
    await ws.client.workspace.mkdirs({ path: '/Shared/tests' });
    await ws.client.workspace.import({ path: p, format: 'SOURCE', language: 'SQL', overwrite: true, content: Buffer.from(`-- Databricks notebook source\n${sql}\n`).toString('base64') });
    return p;
  }

  async function waitRun(runId: number) {
    for (;;) {
      const r = await ws.client.jobs.getRun({ run_id: runId });
      // Every end state (a SKIPPED or INTERNAL_ERROR run would otherwise be waited for until the timeout).
      if (['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'].includes(r.state?.life_cycle_state ?? '')) return r;
      await sleep(200);
    }
  }

  it('deploys missing notebooks before a run, saying so; a task whose notebook is missing fails once with RESOURCE_NOT_FOUND, never retried', async () => {
    await ws.client.workspace.delete({ path: '/Shared/pinpipe/notebooks', recursive: true });
    const logs: string[] = [];
    const summary = await runJob(config, ws, JOBS['queries']!, { params: {}, log: (l) => logs.push(l), pollMs: 200 });
    expect(summary.resultState, logs.join('\n')).to.equal('SUCCESS');
    expect(logs.join('\n')).to.include('run-job: deployed the notebooks first');
    const quietRun: string[] = [];
    await runJob(config, ws, JOBS['queries']!, { params: {}, log: (l) => quietRun.push(l), pollMs: 200 });
    expect(quietRun.join('\n')).to.not.include('deployed the notebooks');
    const job = await ws.client.jobs.create({
      name: 'missing notebook',
      tasks: [{ task_key: 'gone', notebook_task: { notebook_path: '/Shared/nowhere/nb', source: 'WORKSPACE' }, max_retries: 2, min_retry_interval_millis: 0 }],
    });
    const started = await ws.client.jobs.runNow({ job_id: job.job_id! });
    const run = await waitRun(started.run_id!);
    await ws.client.jobs.delete({ job_id: job.job_id! });
    expect(run.state!.result_state).to.equal('FAILED');
    expect(run.tasks!.map((t) => t.attempt_number ?? 0)).to.deep.equal([0]);
    expect(run.tasks![0]!.status?.termination_details?.code).to.equal('RESOURCE_NOT_FOUND');
    expect(run.tasks![0]!.state!.state_message).to.include('/Shared/nowhere/nb');
  });

  const SLOW = 'SELECT count(*) FROM range(0, 5000000000, 1, 2) WHERE sha2(CAST(id AS STRING), 256) = \'x\'';

  it('fails a task on a failing statement (ANSI division by zero) with the cell and Spark\'s error class', async () => {
    const nb = await scratch('divide', 'SELECT 1 / 0 AS boom');
    const { run_id } = await ws.client.jobs.submit({ run_name: 'divide', tasks: [{ task_key: 'divide', notebook_task: { notebook_path: nb } }] });
    const run = await waitRun(run_id!);
    expect(run.state).to.include({ result_state: 'FAILED' });
    const out = await ws.client.jobs.getRunOutput({ run_id: run.tasks![0]!.run_id! });
    expect(out.error).to.include('/Shared/tests/divide cell 1');
    expect(out.error_trace).to.include('DIVIDE_BY_ZERO');
  });

  it('cancels a run: the statement stops and the run ends CANCELED', async () => {
    const nb = await scratch('slow', SLOW);
    const { run_id } = await ws.client.jobs.submit({ run_name: 'slow', tasks: [{ task_key: 'slow', notebook_task: { notebook_path: nb } }] });
    await sleep(1500);
    const asked = Date.now();
    await ws.client.jobs.cancelRun({ run_id: run_id! });
    const run = await waitRun(run_id!);
    expect(run.state).to.include({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
    expect(run.tasks![0]!.state!.result_state).to.equal('CANCELED');
    expect(Date.now() - asked).to.be.below(30_000);
  });

  it('times a task out after its timeout_seconds', async () => {
    const nb = await scratch('slow', SLOW);
    const { run_id } = await ws.client.jobs.submit({ run_name: 'timeout', tasks: [{ task_key: 'slow', timeout_seconds: 2, notebook_task: { notebook_path: nb } }] });
    const run = await waitRun(run_id!);
    expect(run.state!.result_state).to.equal('TIMEDOUT');
    expect(run.tasks![0]!.state!.result_state).to.equal('TIMEDOUT');
  });

  it('cancels the run when the client is interrupted (run-job Ctrl-C) and says so', async () => {
    // A one-off job whose notebook lives in another folder of the workspace.
    const local = config.target.kind === 'local' ? config.target : null;
    const cfg: Config = { ...config, target: { ...local!, workspace: { ...local!.workspace, folder: '/Shared/tests/x' } } };
    await ws.client.workspace.mkdirs({ path: '/Shared/tests/x/notebooks' });
    await ws.client.workspace.import({ path: '/Shared/tests/x/notebooks/slow', format: 'SOURCE', language: 'SQL', overwrite: true, content: Buffer.from(`-- Databricks notebook source\n${SLOW}\n`).toString('base64') });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 1500);
    try {
      await runJob(cfg, ws, { name: 'slow', description: 'slow', tasks: [{ key: 'slow', notebook: 'slow', dependsOn: [] }] }, { params: {}, submit: true, log: quiet, pollMs: 200, signal: controller.signal });
      expect.fail('the run should have been cancelled');
    } catch (e) {
      expect((e as PinpipeError).code).to.equal('RUN_CANCELLED');
    }
  });

  it('tells a bad token and an unreachable host apart, with their own codes', async () => {
    const badToken = sdk(server.url, 'dapi-not-the-token');
    try {
      await call(badToken, 'listing jobs', async () => { for await (const _ of badToken.client.jobs.list({})) break; });
      expect.fail('a bad token should be refused');
    } catch (e) {
      expect((e as PinpipeError).code).to.equal('AUTH_FAILED');
      expect((e as Error).message).to.include('Invalid access token');
    }
    const closed = sdk('http://127.0.0.1:9', token);
    try {
      await call(closed, 'listing jobs', async () => { for await (const _ of closed.client.jobs.list({})) break; });
      expect.fail('a closed port should be unreachable');
    } catch (e) {
      expect((e as PinpipeError).code).to.equal('HOST_UNREACHABLE');
    }
  });
});
