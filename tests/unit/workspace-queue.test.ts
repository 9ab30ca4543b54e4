// A job's runs at its max_concurrent_runs, as Databricks does: with the job's queue enabled a run-now (or a
// schedule's trigger) waits QUEUED and starts when a run of the job ends, oldest first; without a queue it is
// recorded SKIPPED with Databricks' message; a queued run can be cancelled (runs/cancel, runs/cancel-all), ends
// after 48 hours, and outlives a restart of the server. Runs are held by a stand-in for the runner (no Spark),
// which keeps each run RUNNING until the test ends it; the restart uses the real server and runner on a missing
// notebook, which fails as on Databricks without starting Spark.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { jobs } from '@databricks/sdk-experimental';
import { localTargetSchema } from '../../src/config/schema.ts';
import type { RouteContext } from '../../src/local/workspace/api.ts';
import { activeRuns, MAX_QUEUED_MS, startQueued } from '../../src/local/workspace/queue.ts';
import { runJob } from '../../src/local/workspace/routes/jobs.ts';
import { RunExecutor as RealRunExecutor, type RunExecutor } from '../../src/local/workspace/runner.ts';
import { Scheduler } from '../../src/local/workspace/scheduler.ts';
import { startWorkspaceServer, workspaceApp } from '../../src/local/workspace/server.ts';
import { WorkspaceStore, type RunRecord } from '../../src/local/workspace/store.ts';
import { loadConfig } from '../../src/config/index.ts';
import { workspaceWithToken } from '../../src/databricks/client.ts';
import { runJob as runJobCommand } from '../../src/deploy/run.ts';
import { JOBS } from '../../jobs/index.ts';

const token = 'dapi0123456789abcdef0123456789abcdef';
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
const TASKS = [{ task_key: 'clean', notebook_task: { notebook_path: '/Shared/none/missing' } }];

/** Keeps each run it starts RUNNING (active) until the test ends it, as the runner would on the local Spark. */
class HeldExecutor {
  readonly started: { runId: number; tasks: jobs.Task[]; params: Record<string, string>; timeoutSeconds: number }[] = [];
  private readonly held = new Map<number, () => void>();
  constructor(private readonly store: WorkspaceStore) {}
  start(record: RunRecord, tasks: jobs.Task[], params: Record<string, string>, timeoutSeconds: number): Promise<void> {
    const runId = record.run.run_id!;
    this.started.push({ runId, tasks, params, timeoutSeconds });
    const run = structuredClone(record.run);
    run.state = { life_cycle_state: 'RUNNING', state_message: '' };
    run.status = { state: 'RUNNING' };
    this.store.putRun({ ...record, run });
    return new Promise((resolve) => this.held.set(runId, resolve));
  }
  /** Ends a held run as the runner's finish does; resolves once what its end set off (the queue) has run. */
  async end(runId: number, result: jobs.RunResultState = 'SUCCESS'): Promise<void> {
    const resolve = this.held.get(runId);
    if (!resolve) throw new Error(`run ${runId} is not held`);
    const r = structuredClone(this.store.run(runId)!);
    r.run.state = { life_cycle_state: 'TERMINATED', result_state: result, state_message: '' };
    r.run.status = { state: 'TERMINATED' };
    r.run.end_time = Date.now();
    this.store.putRun(r);
    this.held.delete(runId);
    resolve();
    await new Promise((done) => setImmediate(done));
  }
  isActive(runId: number): boolean {
    return this.held.has(runId);
  }
  async cancel(runId: number): Promise<void> {
    if (this.held.has(runId)) await this.end(runId, 'CANCELED');
  }
  async close(): Promise<void> {}
}

describe('local workspace: runs at max_concurrent_runs (the job queue)', () => {
  let dir: string;
  let store: WorkspaceStore;
  let held: HeldExecutor;
  let ctx: RouteContext;
  let app: FastifyInstance;

  const call = async (method: 'GET' | 'POST', url: string, body?: unknown) => {
    const res = await app.inject({ method, url, headers, ...(body === undefined ? {} : { payload: JSON.stringify(body) }) });
    return { status: res.statusCode, body: res.json() as Record<string, unknown> };
  };
  const createJob = async (settings: Partial<jobs.JobSettings>): Promise<number> => {
    const res = await call('POST', '/api/2.2/jobs/create', { name: 'clean', tasks: TASKS, ...settings });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body['job_id'] as number;
  };
  const runNow = async (jobId: number, body: Record<string, unknown> = {}): Promise<number> => {
    const res = await call('POST', '/api/2.2/jobs/run-now', { job_id: jobId, ...body });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body['run_id'] as number;
  };
  const getRun = async (runId: number) => (await call('GET', `/api/2.2/jobs/runs/get?run_id=${runId}`)).body as jobs.Run;
  const startedIds = () => held.started.map((s) => s.runId);

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-ws-queue-'));
    store = new WorkspaceStore(dir);
    held = new HeldExecutor(store);
    ctx = { store, executor: held as unknown as RunExecutor, baseUrl: () => 'http://127.0.0.1:8080', warehouse: () => null, log: () => {} };
    app = workspaceApp(ctx, { token, lakeRoot: dir });
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('queues a run-now that finds the job at max_concurrent_runs when its queue is enabled, and starts the queued runs oldest first as slots free', async () => {
    const jobId = await createJob({ max_concurrent_runs: 1, queue: { enabled: true }, timeout_seconds: 600, parameters: [{ name: 'run_date', default: 'today' }] });
    const first = await runNow(jobId);
    const second = await runNow(jobId, { job_parameters: { run_date: 'second' } });
    const third = await runNow(jobId);
    expect(startedIds(), 'only the first runs').to.deep.equal([first]);
    for (const id of [second, third]) {
      const run = await getRun(id);
      expect(run.state?.life_cycle_state).to.equal('QUEUED');
      expect(run.status?.state).to.equal('QUEUED');
      expect(run.status?.queue_details?.code).to.equal('MAX_CONCURRENT_RUNS_REACHED');
      expect(run.status?.queue_details?.message).to.match(/limit of 1 maximum concurrent runs/);
      expect(run.tasks!.map((t) => t.state?.life_cycle_state), 'its tasks not started').to.deep.equal(['PENDING']);
      expect(run).to.not.have.property('end_time');
    }
    // Queued runs are active runs to the Jobs API (runs/list active_only), though they hold no slot.
    const active = (await call('GET', `/api/2.2/jobs/runs/list?job_id=${jobId}&active_only=true`)).body['runs'] as jobs.BaseRun[];
    expect(active.map((r) => r.run_id).sort()).to.deep.equal([first, second, third].sort());
    expect(activeRuns(ctx, jobId), 'slots held').to.equal(1);

    await held.end(first);
    expect(startedIds(), 'the oldest queued run takes the freed slot').to.deep.equal([first, second]);
    // It starts as it was triggered: the job's tasks, its parameters, the job's timeout.
    expect(held.started[1]).to.deep.include({ params: { run_date: 'second' }, timeoutSeconds: 600 });
    expect(held.started[1]!.tasks.map((t) => t.task_key)).to.deep.equal(['clean']);
    const dequeued = await getRun(second);
    expect(dequeued.state?.life_cycle_state).to.equal('RUNNING');
    expect(dequeued.queue_duration).to.be.a('number').and.to.be.at.least(0);
    expect(dequeued.status).to.not.have.property('queue_details');
    expect((await getRun(third)).state?.life_cycle_state).to.equal('QUEUED');

    // A new run-now queues behind the one already waiting.
    const fourth = await runNow(jobId);
    await held.end(second);
    expect(startedIds()).to.deep.equal([first, second, third]);
    expect((await getRun(fourth)).state?.life_cycle_state).to.equal('QUEUED');
    await held.end(third);
    expect(startedIds()).to.deep.equal([first, second, third, fourth]);
  });

  it('runs max_concurrent_runs runs at once (the default being 1) and queues the next', async () => {
    const two = await createJob({ max_concurrent_runs: 2, queue: { enabled: true } });
    const [a, b, c] = [await runNow(two), await runNow(two), await runNow(two)];
    expect(startedIds()).to.deep.equal([a, b]);
    expect((await getRun(c!)).state?.life_cycle_state).to.equal('QUEUED');
    await held.end(b!);
    expect(startedIds()).to.deep.equal([a, b, c]);
    const dflt = await createJob({ queue: { enabled: true } });
    const [d, e] = [await runNow(dflt), await runNow(dflt)];
    expect(startedIds().slice(3)).to.deep.equal([d]);
    expect((await getRun(e!)).state?.life_cycle_state).to.equal('QUEUED');
  });

  it('records a run-now that finds the job at max_concurrent_runs without a queue as SKIPPED with Databricks\' message, answering 200 with its run_id', async () => {
    for (const settings of [{ max_concurrent_runs: 1 }, { max_concurrent_runs: 1, queue: { enabled: false } }]) {
      const jobId = await createJob(settings);
      const first = await runNow(jobId);
      const before = held.started.length;
      const skipped = await runNow(jobId, { idempotency_token: `skip-${jobId}` });
      expect(held.started.length, 'nothing started').to.equal(before);
      const run = await getRun(skipped);
      expect(run).to.deep.include({ job_id: jobId, run_type: 'JOB_RUN', trigger: 'ONE_TIME' });
      expect(run.state).to.deep.equal({ life_cycle_state: 'SKIPPED', state_message: 'Skipping this run because the limit of 1 maximum concurrent runs has been reached.' });
      expect(run.status?.termination_details?.code).to.equal('MAX_CONCURRENT_RUNS_EXCEEDED');
      // The provider retries run-now with its token: the same skipped run, not a new one.
      expect(await runNow(jobId, { idempotency_token: `skip-${jobId}` })).to.equal(skipped);
      // A skipped run has ended: completed, not active.
      const list = async (flag: string) => ((await call('GET', `/api/2.2/jobs/runs/list?job_id=${jobId}&${flag}=true`)).body['runs'] as jobs.BaseRun[]).map((r) => r.run_id);
      expect(await list('active_only')).to.deep.equal([first]);
      expect(await list('completed_only')).to.deep.equal([skipped]);
      await held.end(first);
      expect(held.started.length, 'a skipped run never starts').to.equal(before);
    }
    // max_concurrent_runs 0 skips every run, queue or not, as the Jobs API documents.
    const none = await createJob({ max_concurrent_runs: 0, queue: { enabled: true } });
    expect((await getRun(await runNow(none))).state?.life_cycle_state).to.equal('SKIPPED');
  });

  it('cancels a queued run without running it (runs/cancel), and refuses to delete or repair it', async () => {
    const jobId = await createJob({ max_concurrent_runs: 1, queue: { enabled: true } });
    const first = await runNow(jobId);
    const second = await runNow(jobId);
    const third = await runNow(jobId);
    const deleted = await call('POST', '/api/2.2/jobs/runs/delete', { run_id: second });
    expect([deleted.status, deleted.body['message']]).to.deep.equal([400, `Run ${second} is active; cancel it before deleting it.`]);
    const repaired = await call('POST', '/api/2.2/jobs/runs/repair', { run_id: second, rerun_all_failed_tasks: true });
    expect([repaired.status, repaired.body['message']]).to.deep.equal([400, `Run ${second} is still active; it can be repaired once it has ended.`]);
    expect((await call('POST', '/api/2.2/jobs/runs/cancel', { run_id: second })).status).to.equal(200);
    const run = await getRun(second);
    expect(run.state).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
    expect(run.status?.termination_details?.code).to.equal('USER_CANCELED');
    expect(run.end_time).to.be.a('number');
    expect(run.tasks![0]!.state).to.deep.include({ life_cycle_state: 'SKIPPED', result_state: 'CANCELED' });
    await held.end(first);
    expect(startedIds(), 'the cancelled run is passed over').to.deep.equal([first, third]);
    expect((await call('POST', '/api/2.2/jobs/runs/delete', { run_id: second })).status, 'ended: it can be deleted').to.equal(200);
  });

  it('cancels the queued runs of every job with runs/cancel-all all_queued_runs, and a job\'s queued and running runs with its job_id', async () => {
    const a = await createJob({ max_concurrent_runs: 1, queue: { enabled: true } });
    const b = await createJob({ max_concurrent_runs: 1, queue: { enabled: true } });
    const [a1, a2, b1, b2] = [await runNow(a), await runNow(a), await runNow(b), await runNow(b)];
    expect((await call('POST', '/api/2.2/jobs/runs/cancel-all', { all_queued_runs: true })).status).to.equal(200);
    for (const id of [a2, b2]) expect((await getRun(id!)).state).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
    expect([held.isActive(a1!), held.isActive(b1!)], 'running runs are left alone').to.deep.equal([true, true]);
    const a3 = await runNow(a);
    expect((await call('POST', '/api/2.2/jobs/runs/cancel-all', { job_id: a })).status).to.equal(200);
    expect((await getRun(a1!)).state).to.deep.include({ result_state: 'CANCELED' });
    expect((await getRun(a3)).state, 'the queued run does not take the cancelled run\'s slot').to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'CANCELED' });
    expect(startedIds()).to.deep.equal([a1, b1]);
    expect(held.isActive(b1!), 'another job\'s run').to.equal(true);
  });

  it('ends a run queued for 48 hours as skipped, never run', async () => {
    const jobId = await createJob({ max_concurrent_runs: 1, queue: { enabled: true } });
    const first = await runNow(jobId);
    const second = await runNow(jobId);
    const queuedAt = (await getRun(second)).start_time!;
    startQueued(ctx, { now: queuedAt + MAX_QUEUED_MS - 1 });
    expect((await getRun(second)).state?.life_cycle_state).to.equal('QUEUED');
    startQueued(ctx, { now: queuedAt + MAX_QUEUED_MS });
    const run = await getRun(second);
    expect(run.state).to.deep.equal({ life_cycle_state: 'SKIPPED', state_message: 'Skipping this run because it was queued for 48 hours without a free slot.' });
    expect(run.status?.state).to.equal('TERMINATED');
    expect(run.queue_duration).to.equal(MAX_QUEUED_MS);
    await held.end(first);
    expect(startedIds()).to.deep.equal([first]);
  });

  it('queues a schedule\'s trigger that finds the job at max_concurrent_runs when its queue is enabled (trigger PERIODIC)', async () => {
    const jobId = await createJob({ max_concurrent_runs: 1, queue: { enabled: true }, schedule: { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' } });
    const first = await runNow(jobId);
    let now = Date.parse('2026-12-04T13:00:30Z');
    const skipped: number[] = [];
    // Wired as the server wires it.
    const scheduler = new Scheduler({
      store,
      stateDir: dir,
      now: () => now,
      trigger: (job) => runJob(ctx, job, { trigger: 'PERIODIC' }),
      skip: (job) => skipped.push(job.job_id),
      activeRuns: (id) => activeRuns(ctx, id),
      log: () => {},
    });
    scheduler.tick();
    now = Date.parse('2026-12-04T13:01:00.200Z');
    scheduler.tick();
    expect(skipped).to.deep.equal([]);
    const queued = store.allRuns().filter((r) => r.run.job_id === jobId && r.run.run_id !== first);
    expect(queued.map((r) => [r.run.trigger, r.run.state?.life_cycle_state])).to.deep.equal([['PERIODIC', 'QUEUED']]);
    await held.end(first);
    expect(startedIds()).to.deep.equal([first, queued[0]!.run.run_id]);
  });

  it('keeps runs queued across a restart of the server, which starts them as slots free, oldest first', async () => {
    const jobId = await createJob({ max_concurrent_runs: 1, queue: { enabled: true }, timeout_seconds: 600, parameters: [{ name: 'run_date', default: 'today' }] });
    const first = await runNow(jobId);
    const second = await runNow(jobId, { job_parameters: { run_date: 'second' } });
    const third = await runNow(jobId);
    expect(startedIds()).to.deep.equal([first]);
    // The server stops with the first run executing and two queued.
    await app.close();
    store.close();
    // (afterEach closes these: a store the restarted server does not use.)
    store = new WorkspaceStore(path.join(dir, 'unused'));
    app = workspaceApp({ ...ctx, store }, { token, lakeRoot: dir });
    // What a queued run needs to start is on disk.
    const reopened = new WorkspaceStore(dir);
    expect(reopened.run(second)!.queued).to.deep.equal({ tasks: TASKS, params: { run_date: 'second' }, timeout_seconds: 600 });
    reopened.close();
    // Restarted with the real runner: the notebook is missing, so each run fails at once, without Spark.
    const server = await startWorkspaceServer({ stateDir: dir, lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, token, schedules: false });
    try {
      const ended = (id: number) => ['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR'].includes(server.store.run(id)?.run.state?.life_cycle_state ?? '');
      for (let i = 0; i < 250 && !ended(third); i++) await new Promise((r) => setTimeout(r, 20));
      const [r1, r2, r3] = [first, second, third].map((id) => server.store.run(id)!.run);
      expect(r1!.state?.life_cycle_state, 'executing when the server stopped: ended as before').to.equal('INTERNAL_ERROR');
      for (const r of [r2!, r3!]) {
        expect(r.state, `run ${r.run_id}`).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'FAILED' });
        expect(r.tasks![0]!.status?.termination_details?.code, 'it ran: its notebook is missing').to.equal('RESOURCE_NOT_FOUND');
        expect(r.queue_duration).to.be.a('number');
      }
      expect(r3!.tasks![0]!.start_time, 'the third started once the second had ended').to.be.at.least(r2!.end_time!);
    } finally {
      await server.close();
    }
  });

  it('run-job says its run is queued behind another run of the job (the deployed jobs queue, one run at a time)', async () => {
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address() as { port: number };
    const ws = workspaceWithToken(`http://127.0.0.1:${address.port}`, token, { local: true, identity: `local:${dir}` });
    const config = loadConfig({ lake: dir, env: {}, cwd: dir });
    const logs: string[][] = [[], []];
    const run = (i: number) => runJobCommand(config, ws, JOBS['clean']!, { params: {}, log: (l) => logs[i]!.push(l), pollMs: 20 }).catch((e: unknown) => e);
    const first = run(0);
    for (let i = 0; i < 500 && held.started.length < 1; i++) await new Promise((r) => setTimeout(r, 10));
    const second = run(1);
    for (let i = 0; i < 500 && !logs[1]!.some((l) => l.includes('queued')); i++) await new Promise((r) => setTimeout(r, 10));
    expect(logs[1]!.filter((l) => l.includes('queued')), logs[1]!.join('\n')).to.have.length(1);
    expect(logs[1]!.find((l) => l.includes('queued'))).to.match(/^run-job: run \d+ queued: Queued: job \d+ has reached its limit of 1 maximum concurrent runs/);
    expect(logs[0]!.some((l) => l.includes('queued')), 'the first run was not queued').to.equal(false);
    await held.end(held.started[0]!.runId);
    for (let i = 0; i < 500 && held.started.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    await held.end(held.started[1]!.runId);
    await Promise.all([first, second]);
  });

  it('starts no run (and no Spark) once its executor is closing: the run ends at once, saying why', async () => {
    const own = new WorkspaceStore(path.join(dir, 'closing'));
    const executor = new RealRunExecutor(own, { lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, maxParallel: 1, baseUrl: () => 'http://x', log: () => {} });
    try {
      await executor.close();
      const record: RunRecord = { run: { run_id: 1, run_name: 'late', start_time: Date.now(), tasks: [], state: { life_cycle_state: 'PENDING' } }, outputs: {} };
      own.putRun(record);
      await executor.start(record, [], {}, 0);
      expect(executor.isActive(1)).to.equal(false);
      expect(own.run(1)!.run.state).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'FAILED', state_message: 'The local workspace was stopping; the run did not start.' });
      expect(await (executor as unknown as { spark: Promise<unknown> | null }).spark, 'no Spark was started').to.equal(null);
    } finally {
      own.close();
    }
  });
});
