// The local workspace's schedules on a fake clock: Quartz expressions evaluated in their time zone (and the
// ones Databricks refuses refused), an unpaused job triggered once at each fire time, a paused one never, a
// changed schedule planned anew, a trigger at max_concurrent_runs recorded SKIPPED, fire times passed while the
// process was suspended triggered once, and those passed while the workspace was stopped counted and not
// caught up; a trigger at the limit of a job with a queue triggered (its run queues: workspace-queue.test.ts);
// /pinpipe/schedules and the SKIPPED run as the API answers them.
import { expect } from 'chai';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { jobs } from '@databricks/sdk-experimental';
import { localTargetSchema } from '../../src/config/schema.ts';
import { quartzSchedule } from '../../src/local/workspace/quartz.ts';
import { RunExecutor } from '../../src/local/workspace/runner.ts';
import { recordSkippedRun } from '../../src/local/workspace/routes/jobs.ts';
import { Scheduler } from '../../src/local/workspace/scheduler.ts';
import { startWorkspaceServer, workspaceApp } from '../../src/local/workspace/server.ts';
import { WorkspaceStore, type JobRecord } from '../../src/local/workspace/store.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

describe('local workspace schedules', () => {
  describe('Quartz expressions', () => {
    const next = (expr: string, tz: string, from: string) => iso(quartzSchedule(expr, tz).next(at(from)));

    it('gives the next fire time strictly after a time, in the schedule\'s time zone', () => {
      expect(next('0 0 6 * * ?', 'UTC', '2026-12-04T13:00:00Z')).to.equal('2026-12-05T06:00:00.000Z');
      expect(next('0 0 6 * * ?', 'UTC', '2026-12-05T06:00:00Z'), 'at a fire time: the next one').to.equal('2026-12-06T06:00:00.000Z');
      expect(next('0 0 6 * * ?', 'Europe/London', '2026-07-01T00:00:00Z'), 'summer time').to.equal('2026-07-01T05:00:00.000Z');
      expect(next('0 0 6 * * ?', 'Europe/London', '2026-12-01T00:00:00Z'), 'winter').to.equal('2026-12-01T06:00:00.000Z');
      expect(next('0 0 3 ? * SUN', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2026-12-06T03:00:00.000Z');
      expect(next('0 0 3 ? * 1', 'UTC', '2026-12-04T00:00:00Z'), 'Quartz weekdays: 1 is Sunday').to.equal('2026-12-06T03:00:00.000Z');
      expect(next('0 0/15 * * * ?', 'UTC', '2026-12-04T13:07:00Z')).to.equal('2026-12-04T13:15:00.000Z');
      expect(next('0 0 6 L * ?', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2026-12-31T06:00:00.000Z');
      expect(next('0 0 6 LW * ?', 'UTC', '2027-01-01T00:00:00Z'), 'last weekday of January 2027').to.equal('2027-01-29T06:00:00.000Z');
      expect(next('0 0 6 ? * 6L', 'UTC', '2026-12-01T00:00:00Z'), 'last Friday').to.equal('2026-12-25T06:00:00.000Z');
      expect(next('0 0 6 ? * 6#3', 'UTC', '2026-12-01T00:00:00Z'), 'third Friday').to.equal('2026-12-18T06:00:00.000Z');
      expect(next('0 0 6 15W * ?', 'UTC', '2026-08-01T00:00:00Z'), 'the weekday nearest the 15th (a Saturday)').to.equal('2026-08-14T06:00:00.000Z');
      expect(next('0 0 6 * * ? 2025', 'UTC', '2026-01-01T00:00:00Z'), 'a year past').to.equal(null);
    });

    // Daylight saving: the expected fire times are the real Quartz 2.3.2's (CronExpression.setTimeZone and
    // getNextValidTimeAfter, JDK 17), checked by hand against it; tests/integration/quartz.test.ts compares
    // thousands more. A wall time that a change skips does not fire that day; one that it repeats fires once, at
    // its second (standard-time) occurrence; Quartz walks to them hour by hour, which decides the odd cases.
    const fires = (expr: string, tz: string, from: string, n: number) => {
      const schedule = quartzSchedule(expr, tz);
      const out: (string | null)[] = [];
      for (let t: number | null = at(from); out.length < n; ) out.push(iso((t = t === null ? null : schedule.next(t))));
      return out;
    };

    it('fires as Quartz does when daylight saving begins and ends in New York (Databricks: an hourly job skipped, or seeming not to fire for an hour)', () => {
      expect(fires('0 30 2 * * ?', 'America/New_York', '2027-03-12T12:00:00Z', 2), '02:30 does not exist on 14 March: no run that day').to.deep.equal(['2027-03-13T07:30:00.000Z', '2027-03-15T06:30:00.000Z']);
      expect(fires('0 0 * * * ?', 'America/New_York', '2027-03-14T05:00:00Z', 4), 'hourly, spring: 01:00 EST, 03:00 EDT').to.deep.equal(['2027-03-14T06:00:00.000Z', '2027-03-14T07:00:00.000Z', '2027-03-14T08:00:00.000Z', '2027-03-14T09:00:00.000Z']);
      expect(fires('0 30 1 * * ?', 'America/New_York', '2027-11-05T12:00:00Z', 2), '01:30 twice on 7 November: once, in EST').to.deep.equal(['2027-11-06T05:30:00.000Z', '2027-11-07T06:30:00.000Z']);
      expect(fires('0 0 * * * ?', 'America/New_York', '2027-11-07T04:00:00Z', 3), 'hourly, fall: 01:00 EDT never').to.deep.equal(['2027-11-07T06:00:00.000Z', '2027-11-07T07:00:00.000Z', '2027-11-07T08:00:00.000Z']);
      expect(fires('0 0/30 * * * ?', 'America/New_York', '2027-11-07T04:45:00Z', 3)).to.deep.equal(['2027-11-07T06:00:00.000Z', '2027-11-07T06:30:00.000Z', '2027-11-07T07:00:00.000Z']);
      expect(fires('* * * * * ?', 'America/New_York', '2027-11-07T05:10:00Z', 2), 'from inside the EDT pass of 01:00-02:00: on to its EST pass').to.deep.equal(['2027-11-07T06:10:01.000Z', '2027-11-07T06:10:02.000Z']);
    });

    it('fires as Quartz does where clocks change otherwise: by 30 minutes, off the hour, at midnight, late in the evening, by two hours', () => {
      expect(fires('0 30 1 * * ?', 'Europe/London', '2026-03-28T12:00:00Z', 2), '01:30 skipped on 29 March').to.deep.equal(['2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
      expect(fires('0 30 1 * * ?', 'Europe/London', '2026-10-24T12:00:00Z', 1), '01:30 GMT, not BST').to.deep.equal(['2026-10-25T01:30:00.000Z']);
      expect(fires('0 0 * * * ?', 'Europe/London', '2026-10-24T23:30:00Z', 2), 'hourly: 01:00 BST never').to.deep.equal(['2026-10-25T01:00:00.000Z', '2026-10-25T02:00:00.000Z']);
      // Lord Howe Island: 02:00 -> 02:30 in October. Coming from 01:35, Quartz tries 02:10, lands on 02:40 and
      // goes on to 03:10: 02:35 is passed over although it exists; asked for hour 2 only, it finds 02:35.
      expect(fires('0 10,35 * * * ?', 'Australia/Lord_Howe', '2026-10-03T14:30:00Z', 4)).to.deep.equal(['2026-10-03T14:40:00.000Z', '2026-10-03T15:05:00.000Z', '2026-10-03T16:10:00.000Z', '2026-10-03T16:35:00.000Z']);
      expect(fires('0 10,35 2 * * ?', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z', 2)).to.deep.equal(['2026-10-03T15:35:00.000Z', '2026-10-04T15:10:00.000Z']);
      expect(fires('0 45 1 * * ?', 'Australia/Lord_Howe', '2026-04-03T00:00:00Z', 2), '01:45 twice on 5 April: the +10:30 one').to.deep.equal(['2026-04-03T14:45:00.000Z', '2026-04-04T15:15:00.000Z']);
      expect(fires('0 0 3 * * ?', 'Pacific/Chatham', '2026-09-26T12:00:00Z', 1), '02:45 -> 03:45: 03:00 skipped').to.deep.equal(['2026-09-27T13:15:00.000Z']);
      expect(fires('0 0 0 * * ?', 'America/Santiago', '2026-09-04T12:00:00Z', 2), 'midnight does not exist on Sunday 6 September').to.deep.equal(['2026-09-05T04:00:00.000Z', '2026-09-07T03:00:00.000Z']);
      expect(fires('0 30 23 * * ?', 'America/Santiago', '2026-04-03T12:00:00Z', 2), '23:00-24:00 twice on 4 April: the -04 pass').to.deep.equal(['2026-04-04T02:30:00.000Z', '2026-04-05T03:30:00.000Z']);
      // Nuuk: Saturday 23:00 -> Sunday 00:00. Quartz reads 23:00 as Sunday 00:00, sets hour 24 and is on Monday:
      // Sunday's 23:00 does not fire either.
      expect(fires('0 0 23 * * ?', 'America/Nuuk', '2026-03-27T12:00:00Z', 2)).to.deep.equal(['2026-03-28T01:00:00.000Z', '2026-03-31T00:00:00.000Z']);
      // Troll (Antarctica): 01:00 -> 03:00; hourly, Quartz goes from 00:00 to 04:00.
      expect(fires('0 0 * * * ?', 'Antarctica/Troll', '2026-03-28T23:00:00Z', 3)).to.deep.equal(['2026-03-29T00:00:00.000Z', '2026-03-29T02:00:00.000Z', '2026-03-29T03:00:00.000Z']);
      expect(fires('0 0 6 * * ?', 'Asia/Kolkata', '2026-03-28T23:00:00Z', 1), 'no daylight saving, +05:30').to.deep.equal(['2026-03-29T00:30:00.000Z']);
    });

    it('gives no fire time after the last year of the expression, nor more than 100 years ahead, as Quartz', () => {
      expect(fires('0 0 6 * * ? 2026', 'UTC', '2026-12-31T05:00:00Z', 2)).to.deep.equal(['2026-12-31T06:00:00.000Z', null]);
      // Quartz's CronExpression.MAX_YEAR: the current year + 100.
      expect(next('0 0 6 1 1 ? 2500', 'America/New_York', '2026-01-01T00:00:00Z')).to.equal(null);
      // Every fire time in a spring-forward gap (the second Sunday of March, 02:30 in New York; the last Sunday
      // of March, 02:30 in Berlin): none, up to that limit (Quartz 2.3.2 answers null for both).
      expect(next('0 30 2 ? 3 1#2', 'America/New_York', '2026-12-04T00:00:00Z')).to.equal(null);
      expect(next('0 30 2 ? 3 1L', 'Europe/Berlin', '2026-12-04T00:00:00Z')).to.equal(null);
    });

    it('refuses what Quartz (and so Databricks) refuses, naming the expression', () => {
      for (const expr of ['0 6 * * *', '0 0 6 * * *', '0 0 6 ? * ?', '0 0 6 L-3 * ?', '0 0 25 * * ?', '0 0 6 * * ? 2026 1']) {
        expect(() => quartzSchedule(expr, 'UTC'), expr).to.throw(/Invalid quartz cron expression/);
      }
      expect(() => quartzSchedule('0 0 6 * * ?', 'Mars/Olympus')).to.throw('Invalid timezone_id: Mars/Olympus');
      // Quartz 2.3.2 refuses '?' outside the day fields (croner alone would read it as '*'), and a field apart
      // by a newline.
      for (const expr of ['? 0 6 * * ?', '0 ? 6 ? * *', '0 0 6 * ? ? 2027', '0 0 6 * *\n?']) {
        expect(() => quartzSchedule(expr, 'UTC'), JSON.stringify(expr)).to.throw(/Invalid quartz cron expression/);
      }
    });

    it('reads an expression as Quartz does: in any case, fields apart by spaces or tabs (answers of Quartz 2.3.2)', () => {
      expect(next('0 0 6 ? * mon', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2026-12-07T06:00:00.000Z');
      expect(next('0 0 6 ? * l', 'UTC', '2026-12-04T00:00:00Z'), 'l alone: Saturday').to.equal('2026-12-05T06:00:00.000Z');
      expect(next('0 0 6 l * ?', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2026-12-31T06:00:00.000Z');
      expect(next('0 0 6 * jan ?', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2027-01-01T06:00:00.000Z');
      expect(next('0\t0 6 * * ?', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2026-12-04T06:00:00.000Z');
      expect(next(' 0 0 6 * * ? ', 'UTC', '2026-12-04T00:00:00Z')).to.equal('2026-12-04T06:00:00.000Z');
    });
  });

  describe('the scheduler', () => {
    let dir: string;
    let store: WorkspaceStore;
    let now: number;
    let triggered: { job: number; at: string }[];
    let skipped: { job: number; at: string }[];
    let active: Record<number, number>;
    let logs: string[];

    const job = (id: number, schedule: jobs.CronSchedule | undefined, extra: Partial<jobs.JobSettings> = {}): JobRecord => {
      const j: JobRecord = { job_id: id, created_time: at('2026-01-01T00:00:00Z'), creator_user_name: 'u', settings: { name: `job ${id}`, tasks: [], ...(schedule ? { schedule } : {}), ...extra } };
      store.putJob(j);
      return j;
    };
    const scheduler = () => new Scheduler({
      store,
      stateDir: dir,
      now: () => now,
      trigger: (j, t) => triggered.push({ job: j.job_id, at: new Date(t).toISOString() }),
      skip: (j, t) => skipped.push({ job: j.job_id, at: new Date(t).toISOString() }),
      activeRuns: (id) => active[id] ?? 0,
      log: (l) => logs.push(l),
    });

    beforeEach(() => {
      dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-sched-'));
      store = new WorkspaceStore(dir);
      now = at('2026-12-04T13:00:30Z');
      triggered = [];
      skipped = [];
      active = {};
      logs = [];
    });
    afterEach(() => {
      store.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('triggers an unpaused job once at each fire time, never a paused one, and plans a changed schedule anew', () => {
      job(1, { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' });
      job(2, { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' });
      job(3, { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC' });
      job(4, undefined);
      const s = scheduler();
      s.tick();
      expect(triggered).to.deep.equal([]);
      now = at('2026-12-04T13:00:59.900Z');
      s.tick();
      expect(triggered).to.deep.equal([]);
      now = at('2026-12-04T13:01:00.400Z');
      s.tick();
      s.tick();
      expect(triggered).to.deep.equal([{ job: 1, at: '2026-12-04T13:01:00.000Z' }]);
      now = at('2026-12-04T13:02:00.100Z');
      s.tick();
      expect(triggered.map((t) => t.at)).to.deep.equal(['2026-12-04T13:01:00.000Z', '2026-12-04T13:02:00.000Z']);
      // Paused: no more; the daily job (no pause_status: unpaused, as on Databricks) waits for 06:00.
      store.putJob({ ...store.job(1)!, settings: { ...store.job(1)!.settings, schedule: { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' } } });
      now = at('2026-12-04T13:03:00.100Z');
      s.tick();
      expect(triggered).to.have.length(2);
      const views = s.schedules();
      expect(views.map((v) => [v.job_id, v.pause_status, iso(v.next_trigger)])).to.deep.equal([[1, 'PAUSED', null], [2, 'PAUSED', null], [3, 'UNPAUSED', '2026-12-05T06:00:00.000Z']]);
      expect(iso(views[0]!.last_trigger)).to.equal('2026-12-04T13:02:00.000Z');
      // A new schedule is planned from now: its first fire time after the change, not one before it.
      store.putJob({ ...store.job(3)!, settings: { ...store.job(3)!.settings, schedule: { quartz_cron_expression: '0 0/5 * * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' } } });
      s.tick();
      expect(iso(s.schedules()[2]!.next_trigger)).to.equal('2026-12-04T13:05:00.000Z');
      now = at('2026-12-04T13:05:00.000Z');
      s.tick();
      expect(triggered.at(-1)).to.deep.equal({ job: 3, at: '2026-12-04T13:05:00.000Z' });
    });

    it('records a trigger that finds the job at max_concurrent_runs as skipped', () => {
      job(1, { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC' }, { max_concurrent_runs: 1 });
      const s = scheduler();
      s.tick();
      active[1] = 1;
      now = at('2026-12-04T13:01:00.200Z');
      s.tick();
      expect([triggered, skipped]).to.deep.equal([[], [{ job: 1, at: '2026-12-04T13:01:00.000Z' }]]);
    });

    it('triggers (which queues) instead of skipping at max_concurrent_runs when the job\'s queue is enabled, and skips at max_concurrent_runs 0', () => {
      job(1, { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC' }, { max_concurrent_runs: 1, queue: { enabled: true } });
      job(2, { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC' }, { max_concurrent_runs: 0, queue: { enabled: true } });
      const s = scheduler();
      s.tick();
      active[1] = 1;
      now = at('2026-12-04T13:01:00.200Z');
      s.tick();
      expect([triggered, skipped]).to.deep.equal([[{ job: 1, at: '2026-12-04T13:01:00.000Z' }], [{ job: 2, at: '2026-12-04T13:01:00.000Z' }]]);
      expect(logs.some((l) => /job 1 \(job 1\) queues its trigger of 2026-12-04T13:01:00\.000Z: 1 active run\(s\), max_concurrent_runs 1/.test(l))).to.equal(true);
    });

    it('logs a schedule whose next fire time cannot be computed and goes on with the others (no error out of a tick)', () => {
      job(1, { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' });
      job(2, { quartz_cron_expression: '0 0 7 * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' });
      const failing = (expression: string, timezone: string) => {
        const real = quartzSchedule(expression, timezone);
        return { next: (after: number) => { if (expression.includes(' 6 ')) throw new Error('no fire time found within the bound'); return real.next(after); } };
      };
      const s = new Scheduler({ store, stateDir: dir, now: () => now, trigger: (j, t) => triggered.push({ job: j.job_id, at: new Date(t).toISOString() }), skip: () => {}, activeRuns: () => 0, log: (l) => logs.push(l), quartz: failing });
      s.tick();
      now = at('2026-12-05T07:00:00.500Z');
      s.tick();
      expect(triggered).to.deep.equal([{ job: 2, at: '2026-12-05T07:00:00.000Z' }]);
      expect(logs.join('\n')).to.match(/job 1: no next fire time after .*no fire time found within the bound/);
    });

    it('triggers once, not once per fire time, after the process was suspended past several', () => {
      job(1, { quartz_cron_expression: '0 * * * * ?', timezone_id: 'UTC' });
      const s = scheduler();
      s.tick();
      now = at('2026-12-04T13:05:10Z');
      s.tick();
      expect(triggered).to.deep.equal([{ job: 1, at: '2026-12-04T13:01:00.000Z' }]);
      expect(logs.some((l) => /had 5 fire times since 2026-12-04T13:01:00\.000Z[\s\S]*triggering once/.test(l))).to.equal(true);
      expect(iso(s.schedules()[0]!.next_trigger)).to.equal('2026-12-04T13:06:00.000Z');
    });

    it('does not trigger a fire time twice when the clock steps back behind the last trigger', () => {
      job(1, { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC' });
      now = at('2026-12-05T05:59:59Z');
      const first = scheduler();
      first.tick();
      now = at('2026-12-05T06:00:00.200Z');
      first.tick();
      expect(triggered).to.deep.equal([{ job: 1, at: '2026-12-05T06:00:00.000Z' }]);
      first.stop();
      // Restarted with the clock 30 s back: 06:00 of that day was triggered already.
      now = at('2026-12-05T05:59:40Z');
      const second = scheduler();
      second.tick();
      expect(iso(second.schedules()[0]!.next_trigger)).to.equal('2026-12-06T06:00:00.000Z');
      now = at('2026-12-05T06:00:01Z');
      second.tick();
      expect(triggered).to.have.length(1);
      // A changed schedule is planned from the last trigger too.
      store.putJob({ ...store.job(1)!, settings: { ...store.job(1)!.settings, schedule: { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC', pause_status: 'UNPAUSED' } } });
      now = at('2026-12-05T05:59:50Z');
      second.tick();
      now = at('2026-12-05T06:00:02Z');
      second.tick();
      expect(triggered).to.have.length(1);
    });

    it('counts the triggers missed while the workspace was stopped, and does not catch them up', () => {
      job(1, { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC' });
      job(2, { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC', pause_status: 'PAUSED' });
      const first = scheduler();
      first.tick();
      first.stop();
      expect(first.missed, 'first start: nothing to count').to.deep.equal([]);
      now = at('2026-12-07T09:00:00Z');
      const second = scheduler();
      expect(second.missed).to.deep.equal([{ job_id: 1, name: 'job 1', count: 3, first: at('2026-12-05T06:00:00Z'), last: at('2026-12-07T06:00:00Z') }]);
      expect(logs.some((l) => /job 1 \(job 1\) missed 3 trigger\(s\) while the workspace was stopped[\s\S]*not caught up/.test(l))).to.equal(true);
      second.tick();
      expect(triggered).to.deep.equal([]);
      expect(iso(second.schedules()[0]!.next_trigger)).to.equal('2026-12-08T06:00:00.000Z');
      // A trigger made just before a stop is not counted again: the last trigger is kept with the heartbeat.
      now = at('2026-12-08T06:00:00.300Z');
      second.tick();
      expect(triggered).to.have.length(1);
      now = at('2026-12-08T06:00:20Z');
      expect(scheduler().missed).to.deep.equal([]);
    });
  });

  describe('over the API', () => {
    it('starts no scheduler when the server\'s start fails (here: its warehouse certificate folder is a file)', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-sched-start-'));
      try {
        writeFileSync(path.join(dir, 'tls'), 'not a folder');
        const stateDir = path.join(dir, 'state');
        const spark = localTargetSchema.parse({ kind: 'local' }).spark;
        let failed: unknown;
        await startWorkspaceServer({ stateDir, lakeRoot: dir, spark, token: 'dapi0123456789abcdef0123456789abcdef', warehouse: { tlsDir: path.join(dir, 'tls', 'x') } }).catch((e: unknown) => { failed = e; });
        expect(failed).to.be.instanceOf(Error);
        expect(existsSync(path.join(stateDir, 'scheduler.json')), 'no scheduler was made').to.equal(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('answers /pinpipe/schedules with the token only, and a skipped run as runs/get gives it', async () => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-sched-api-'));
      const store = new WorkspaceStore(dir);
      const executor = new RunExecutor(store, { lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, maxParallel: 1, baseUrl: () => 'http://x', log: () => {} });
      const token = 'dapi0123456789abcdef0123456789abcdef';
      const ctx = { store, executor, baseUrl: () => 'http://x', warehouse: () => null, log: () => {}, schedules: () => ({ schedules: [], missed: [{ job_id: 1, name: 'j', count: 2, first: 1, last: 2 }] }) };
      const app = workspaceApp(ctx, { token, lakeRoot: dir });
      try {
        expect((await app.inject({ method: 'GET', url: '/pinpipe/schedules' })).statusCode).to.equal(403);
        const res = await app.inject({ method: 'GET', url: '/pinpipe/schedules', headers: { authorization: `Bearer ${token}` } });
        expect(res.json()).to.deep.equal({ schedules: [], missed: [{ job_id: 1, name: 'j', count: 2, first: 1, last: 2 }] });
        const j: JobRecord = { job_id: 7, created_time: 0, creator_user_name: 'u', settings: { name: 'nightly', max_concurrent_runs: 1, tasks: [] } };
        store.putJob(j);
        const rec = recordSkippedRun(ctx, j, at('2026-12-04T06:00:00Z'));
        const run = (await app.inject({ method: 'GET', url: `/api/2.1/jobs/runs/get?run_id=${rec.run.run_id!}`, headers: { authorization: `Bearer ${token}` } })).json() as jobs.Run;
        expect(run).to.deep.include({ job_id: 7, trigger: 'PERIODIC', run_type: 'JOB_RUN' });
        expect(run.state).to.deep.equal({ life_cycle_state: 'SKIPPED', state_message: 'Skipping this run because the limit of 1 maximum concurrent runs has been reached.' });
        const refused = await app.inject({ method: 'POST', url: '/api/2.2/jobs/create', headers: { authorization: `Bearer ${token}` }, payload: JSON.stringify({ name: 'x', schedule: { quartz_cron_expression: '0 0 6 * * *', timezone_id: 'UTC' } }) });
        expect([refused.statusCode, refused.json().error_code]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
        expect(refused.json().message).to.match(/^Invalid quartz cron expression: 0 0 6 \* \* \*/);
        // A pause_status the scheduler does not know would be stored and fire: refused, named with the route's prefix.
        const schedule = { quartz_cron_expression: '0 0 6 * * ?', timezone_id: 'UTC', pause_status: 'paused' };
        const post = (route: string, body: unknown) => app.inject({ method: 'POST', url: `/api/2.2/jobs/${route}`, headers: { authorization: `Bearer ${token}` }, payload: JSON.stringify(body) });
        for (const [route, body, field] of [
          ['create', { name: 'x', schedule }, 'schedule.pause_status'],
          ['reset', { job_id: 7, new_settings: { name: 'nightly', schedule } }, 'new_settings.schedule.pause_status'],
          ['update', { job_id: 7, new_settings: { schedule } }, 'new_settings.schedule.pause_status'],
        ] as const) {
          const res = await post(route, body);
          expect([res.statusCode, res.json().error_code, res.json().message], route).to.deep.equal([400, 'INVALID_PARAMETER_VALUE', `Invalid value for field ${field}: "paused"; must be PAUSED or UNPAUSED.`]);
        }
        expect(store.job(7)!.settings.schedule).to.equal(undefined);
        expect((await post('update', { job_id: 7, new_settings: { schedule: { ...schedule, pause_status: 'PAUSED' } } })).statusCode).to.equal(200);
        expect(store.job(7)!.settings.schedule!.pause_status).to.equal('PAUSED');
      } finally {
        await app.close();
        store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
});
