// Local schedules on a real workspace server and the local Spark: a job scheduled every 10 seconds (Quartz,
// unpaused) is triggered by the server itself, its run (trigger PERIODIC) runs the notebook to SUCCESS; paused,
// it is not triggered; the server stopped past a fire time and started again reports the missed trigger and
// does not catch it up; a job scheduled a minute ahead on a cron in Kathmandu's time fires at that second. About
// three minutes, most of it waiting for fire times.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { jobs } from '@databricks/sdk-experimental';
import { loadConfig } from '../../src/config/index.ts';
import { installSpark } from '../../src/local/spark/index.ts';
import { generateToken, startWorkspaceServer, type WorkspaceServer } from '../../src/local/workspace/server.ts';
import type { MissedTriggers, ScheduleView } from '../../src/local/workspace/scheduler.ts';
import { WorkspaceStore } from '../../src/local/workspace/store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('local schedules fire on the workspace server', function () {
  this.timeout(300_000);
  let lake: string;
  let server: WorkspaceServer;
  let token: string;
  let jobId: number;

  const start = async () => {
    const config = loadConfig({ lake, env: {}, cwd: lake });
    server = await startWorkspaceServer({ stateDir: path.join(lake, '_workspace'), lakeRoot: lake, spark: { ...config.spark, memory: '1g' }, token, maxParallelTasks: 1 });
  };
  const api = async <T>(method: 'GET' | 'POST', url: string, body?: unknown): Promise<T> => {
    const res = await fetch(`${server.url}${url}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const json = (await res.json()) as T;
    if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const periodicRuns = async () => ((await api<{ runs?: jobs.Run[] }>('GET', `/api/2.2/jobs/runs/list?job_id=${jobId}&limit=25`)).runs ?? []).filter((r) => r.trigger === 'PERIODIC');
  const schedules = () => api<{ schedules: ScheduleView[]; missed: MissedTriggers[] }>('GET', '/pinpipe/schedules');
  const schedule = (pause: 'PAUSED' | 'UNPAUSED') => ({ quartz_cron_expression: '0/10 * * * * ?', timezone_id: 'UTC', pause_status: pause });

  before(async () => {
    installSpark(() => {});
    lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-sched-'));
    token = generateToken();
    await start();
    await api('POST', '/api/2.0/workspace/mkdirs', { path: '/Shared/sched' });
    await api('POST', '/api/2.0/workspace/import', { path: '/Shared/sched/tick', format: 'SOURCE', language: 'SQL', content: Buffer.from('-- Databricks notebook source\nSELECT 1\n').toString('base64') });
    jobId = (await api<{ job_id: number }>('POST', '/api/2.2/jobs/create', {
      name: 'every ten seconds',
      tasks: [{ task_key: 'tick', notebook_task: { notebook_path: '/Shared/sched/tick' } }],
      schedule: schedule('UNPAUSED'),
      max_concurrent_runs: 1,
    })).job_id;
  });

  after(async () => {
    await server?.close();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('triggers the unpaused job on its cron; the PERIODIC run succeeds', async () => {
    const view = (await schedules()).schedules.find((s) => s.job_id === jobId)!;
    expect(view.pause_status).to.equal('UNPAUSED');
    expect(view.next_trigger! - Date.now()).to.be.within(-1000, 10_000);
    let done: jobs.Run | undefined;
    for (let i = 0; i < 240 && !done; i++) {
      await sleep(500);
      done = (await periodicRuns()).find((r) => r.state?.life_cycle_state === 'TERMINATED');
    }
    expect(done, 'a scheduled run ended within 2 minutes').to.not.equal(undefined);
    expect(done!.state?.result_state, done!.state?.state_message).to.equal('SUCCESS');
    // Triggered at the scheduler's first tick after the fire time (ticks are a second apart; timers run late
    // on a loaded machine).
    expect(done!.start_time! % 10_000, 'started at its fire time').to.be.below(2000);
    expect((await schedules()).schedules.find((s) => s.job_id === jobId)!.last_trigger).to.be.a('number');
  });

  it('does not trigger a paused job', async () => {
    await api('POST', '/api/2.2/jobs/update', { job_id: jobId, new_settings: { schedule: schedule('PAUSED') } });
    await sleep(1500);
    const before = (await periodicRuns()).length;
    await sleep(12_000);
    expect((await periodicRuns()).length).to.equal(before);
    expect((await schedules()).schedules.find((s) => s.job_id === jobId)!.next_trigger).to.equal(null);
  });

  it('reports the triggers missed while stopped after a restart, and does not catch them up', async () => {
    // Wait for runs to end, so a restart fails none of them.
    for (let i = 0; i < 120 && (await periodicRuns()).some((r) => r.state?.life_cycle_state !== 'TERMINATED' && r.state?.life_cycle_state !== 'SKIPPED'); i++) await sleep(500);
    // Unpaused only once the server is stopped (in its store, offline): unpaused while it runs, a trigger could
    // land before the close and its run be cut by it.
    // The scheduler stops (and records until when it was alive) first thing in close(); stopping Spark after it
    // takes a while, which the stopped time includes.
    const closing = Date.now();
    await server.close();
    const stoppedAt = Date.now();
    const store = new WorkspaceStore(path.join(lake, '_workspace'));
    try {
      const job = store.job(jobId)!;
      store.putJob({ ...job, settings: { ...job.settings, schedule: schedule('UNPAUSED') } });
    } finally {
      store.close();
    }
    await sleep(21_000);
    await start();
    const restartedAt = Date.now();
    const missed = (await schedules()).missed.find((m) => m.job_id === jobId);
    expect(missed, 'missed triggers reported').to.not.equal(undefined);
    // Every fire time from the first after the scheduler stopped to the last before it started again: at least
    // the two of the 21 s it was surely stopped, on the 10 s boundaries of the cron.
    expect(missed!.first % 10_000, 'a fire time').to.equal(0);
    expect(missed!.last % 10_000, 'a fire time').to.equal(0);
    expect(missed!.first).to.be.greaterThan(closing - 10_000);
    expect(missed!.first).to.be.at.most(stoppedAt + 10_000);
    expect(missed!.last).to.be.at.most(restartedAt);
    expect(missed!.count, 'each fire time between counted').to.equal((missed!.last - missed!.first) / 10_000 + 1);
    expect(missed!.count).to.be.at.least(2);
    const caughtUp = (await periodicRuns()).filter((r) => r.start_time! > stoppedAt && r.start_time! < restartedAt);
    expect(caughtUp, 'no run for a missed fire time').to.deep.equal([]);
  });

  it('fires a job scheduled a minute ahead at that minute, on a cron in a time zone of its own (Asia/Kathmandu, UTC+05:45)', async () => {
    // One fire time a year: second, minute, hour, day and month of a moment about a minute ahead, as a wall
    // clock in Kathmandu reads it (a quarter-hour offset, so a zone read as UTC or as a whole-hour offset misses it).
    await api('POST', '/api/2.2/jobs/update', { job_id: jobId, new_settings: { schedule: schedule('PAUSED') } });
    const zone = 'Asia/Kathmandu';
    const fireAt = Math.ceil((Date.now() + 60_000) / 1000) * 1000;
    const wall = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' })
      .formatToParts(new Date(fireAt)).map((p) => [p.type, Number(p.value)]));
    const cron = `${wall['second']} ${wall['minute']} ${wall['hour']} ${wall['day']} ${wall['month']} ?`;
    const ahead = (await api<{ job_id: number }>('POST', '/api/2.2/jobs/create', {
      name: 'a minute ahead',
      tasks: [{ task_key: 'tick', notebook_task: { notebook_path: '/Shared/sched/tick' } }],
      schedule: { quartz_cron_expression: cron, timezone_id: zone, pause_status: 'UNPAUSED' },
    })).job_id;
    const view = (await schedules()).schedules.find((s) => s.job_id === ahead)!;
    expect(view.next_trigger, `next trigger of ${cron} in ${zone}`).to.equal(fireAt);
    const runsOfAhead = async () => ((await api<{ runs?: jobs.Run[] }>('GET', `/api/2.2/jobs/runs/list?job_id=${ahead}&limit=25`)).runs ?? []);
    await sleep(fireAt - Date.now() - 2000);
    expect(await runsOfAhead(), 'no run before its fire time').to.deep.equal([]);
    let done: jobs.Run | undefined;
    for (let i = 0; i < 240 && !done; i++) {
      await sleep(500);
      done = (await runsOfAhead()).find((r) => r.state?.life_cycle_state === 'TERMINATED');
    }
    expect(done, 'the run ended within 2 minutes of its fire time').to.not.equal(undefined);
    expect(done!.trigger).to.equal('PERIODIC');
    expect(done!.state?.result_state, done!.state?.state_message).to.equal('SUCCESS');
    expect(done!.start_time! - fireAt, 'started at its fire time').to.be.within(0, 2000);
    expect((await runsOfAhead()).length, 'fired once').to.equal(1);
  });
});
