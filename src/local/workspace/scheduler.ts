// The local workspace's schedules: a job whose schedule is not PAUSED is triggered at each fire time of its
// Quartz cron in its time zone (a run with trigger PERIODIC), while the workspace runs. A trigger that finds
// the job at its max_concurrent_runs queues its run when the job's queue is enabled, and is otherwise recorded
// as a SKIPPED run, as Databricks does. Fire times that passed while the workspace was stopped (or the process
// was suspended) are not caught up, as on Databricks: they are counted, logged and shown by `workspace
// status`. What the next start needs to count them (until when the scheduler was alive, each job's last
// trigger) is kept in <state>/scheduler.json, replaced atomically at each trigger and every heartbeat.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { JobRecord, WorkspaceStore } from './store.ts';
import { replaceFile } from './journal.ts';
import { quartzSchedule, type QuartzSchedule } from './quartz.ts';

export interface ScheduleView {
  job_id: number;
  name: string;
  quartz_cron_expression: string;
  timezone_id: string;
  pause_status: 'PAUSED' | 'UNPAUSED';
  /** The next trigger (ms), null when paused or when the cron has no more fire times. */
  next_trigger: number | null;
  last_trigger: number | null;
}

export interface MissedTriggers {
  job_id: number;
  name: string;
  count: number;
  first: number;
  last: number;
}

interface Persisted {
  alive_until: number;
  last_trigger: Record<string, number>;
}

interface Plan {
  signature: string;
  schedule: QuartzSchedule;
  next: number | null;
}

export interface SchedulerOptions {
  store: WorkspaceStore;
  /** Where scheduler.json is kept (the workspace's state folder). */
  stateDir: string;
  /** Starts a scheduled run of the job (trigger PERIODIC), or queues it when the job is at its limit. */
  trigger: (job: JobRecord, at: number) => void;
  /** Records a trigger skipped because the job has max_concurrent_runs active runs and no queue. */
  skip: (job: JobRecord, at: number, active: number) => void;
  /** Active runs of a job. */
  activeRuns: (jobId: number) => number;
  log: (line: string) => void;
  now?: () => number;
  /** Milliseconds between checks (1 s: a trigger fires within a second of its time). */
  tickMs?: number;
  heartbeatMs?: number;
  /** How a schedule is read (quartz.ts; a test gives one that fails). */
  quartz?: (expression: string, timezone: string) => QuartzSchedule;
}

/** Missed fire times counted at most this far (a schedule every second over a long stop). */
const MAX_COUNTED = 100_000;

export class Scheduler {
  private readonly plans = new Map<number, Plan>();
  private readonly persisted: Persisted;
  private readonly file: string;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private lastBeat = 0;
  /** Fire times missed while the workspace was stopped, counted at start. */
  readonly missed: MissedTriggers[] = [];

  constructor(private readonly o: SchedulerOptions) {
    this.now = o.now ?? Date.now;
    this.file = path.join(o.stateDir, 'scheduler.json');
    let previous: Persisted | null = null;
    try {
      if (existsSync(this.file)) previous = JSON.parse(readFileSync(this.file, 'utf8')) as Persisted;
    } catch (e) {
      o.log(`workspace: scheduler: ${this.file} unreadable (${e instanceof Error ? e.message : String(e)}); missed triggers are not counted this time`);
    }
    this.persisted = { alive_until: previous?.alive_until ?? 0, last_trigger: { ...(previous?.last_trigger ?? {}) } };
    if (previous) this.countMissed(previous);
    this.persist();
  }

  /** Checks every second until stopped; the first check plans each schedule from now. */
  start(): void {
    this.tick();
    this.timer = setInterval(() => this.tick(), this.o.tickMs ?? 1000);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.persist();
  }

  /** The schedules of the workspace's jobs with their next and last triggers. */
  schedules(): ScheduleView[] {
    const out: ScheduleView[] = [];
    for (const job of this.o.store.allJobs()) {
      const s = job.settings.schedule;
      if (!s) continue;
      const paused = s.pause_status === 'PAUSED';
      out.push({
        job_id: job.job_id,
        name: job.settings.name ?? `job-${job.job_id}`,
        quartz_cron_expression: s.quartz_cron_expression,
        timezone_id: s.timezone_id,
        pause_status: paused ? 'PAUSED' : 'UNPAUSED',
        next_trigger: paused ? null : this.plan(job)?.next ?? null,
        last_trigger: this.persisted.last_trigger[String(job.job_id)] ?? null,
      });
    }
    return out;
  }

  /** One check: every unpaused schedule whose fire time has come triggers once. */
  tick(): void {
    const now = this.now();
    const live = new Set<number>();
    for (const job of this.o.store.allJobs()) {
      const s = job.settings.schedule;
      if (!s || s.pause_status === 'PAUSED') continue;
      live.add(job.job_id);
      const plan = this.plan(job);
      if (!plan || plan.next === null || plan.next > now) continue;
      const due = plan.next;
      let passed = 0;
      for (let t: number | null = due; t !== null && t <= now && passed < MAX_COUNTED; t = plan.schedule.next(t)) passed++;
      if (passed > 1) this.o.log(`workspace: scheduler: job ${job.job_id} (${job.settings.name ?? ''}) had ${passed} fire times since ${new Date(due).toISOString()} (the process was suspended?); triggering once, not catching up`);
      plan.next = plan.schedule.next(now);
      this.fire(job, due);
    }
    for (const id of this.plans.keys()) if (!live.has(id)) this.plans.delete(id);
    if (now - this.lastBeat >= (this.o.heartbeatMs ?? 30_000)) this.persist();
  }

  private fire(job: JobRecord, at: number): void {
    this.persisted.last_trigger[String(job.job_id)] = at;
    this.persist();
    const max = job.settings.max_concurrent_runs ?? 1;
    const active = this.o.activeRuns(job.job_id);
    // With a queue the run waits for a slot (max_concurrent_runs 0 skips every run, queue or not).
    const queue = job.settings.queue?.enabled === true && max > 0;
    try {
      if (active >= max && queue) {
        this.o.log(`workspace: scheduler: job ${job.job_id} (${job.settings.name ?? ''}) queues its trigger of ${new Date(at).toISOString()}: ${active} active run(s), max_concurrent_runs ${max}`);
        this.o.trigger(job, at);
      } else if (active >= max) {
        this.o.log(`workspace: scheduler: job ${job.job_id} (${job.settings.name ?? ''}) skipped its trigger of ${new Date(at).toISOString()}: ${active} active run(s), max_concurrent_runs ${max}`);
        this.o.skip(job, at, active);
      } else {
        this.o.log(`workspace: scheduler: triggering job ${job.job_id} (${job.settings.name ?? ''}) for ${new Date(at).toISOString()}`);
        this.o.trigger(job, at);
      }
    } catch (e) {
      this.o.log(`workspace: scheduler: job ${job.job_id} could not be triggered: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  /** The job's plan, made anew (next fire time after now) when its schedule changed or it has none. */
  private plan(job: JobRecord): Plan | null {
    const s = job.settings.schedule!;
    const signature = `${s.quartz_cron_expression}\u0000${s.timezone_id}\u0000${s.pause_status ?? ''}`;
    const current = this.plans.get(job.job_id);
    if (current?.signature === signature) return current;
    let schedule: QuartzSchedule;
    try {
      schedule = this.guarded(job, (this.o.quartz ?? quartzSchedule)(s.quartz_cron_expression, s.timezone_id));
    } catch (e) {
      // Checked when the job was stored; a state written by an older version may still hold one.
      this.o.log(`workspace: scheduler: job ${job.job_id} has a schedule the scheduler cannot read (${e instanceof Error ? e.message : String(e)}); it is not triggered`);
      this.plans.delete(job.job_id);
      return null;
    }
    // From the last trigger when the clock is behind it (stepped back, by NTP or by hand): the same fire time
    // is never triggered twice, across a restart or a changed schedule.
    const from = Math.max(this.now(), this.persisted.last_trigger[String(job.job_id)] ?? 0);
    const plan = { signature, schedule, next: schedule.next(from) };
    this.plans.set(job.job_id, plan);
    return plan;
  }

  /**
   * The schedule with its next() unable to throw: a fire time it cannot compute (quartz.ts bounds its search and
   * throws past the bound) is logged and read as none, so one job's schedule never stops the ticks (an error in
   * a timer would end the workspace process) or the server's start.
   */
  private guarded(job: JobRecord, schedule: QuartzSchedule): QuartzSchedule {
    return {
      next: (after) => {
        try {
          return schedule.next(after);
        } catch (e) {
          this.o.log(`workspace: scheduler: job ${job.job_id}: no next fire time after ${new Date(after).toISOString()} (${e instanceof Error ? e.message : String(e)}); it is not triggered`);
          return null;
        }
      },
    };
  }

  /** Counts, per unpaused job, the fire times after the scheduler was last alive (or last triggered it) and now. */
  private countMissed(previous: Persisted): void {
    const now = this.now();
    for (const job of this.o.store.allJobs()) {
      const s = job.settings.schedule;
      if (!s || s.pause_status === 'PAUSED') continue;
      const since = Math.max(previous.alive_until, previous.last_trigger[String(job.job_id)] ?? 0, job.created_time);
      let schedule: QuartzSchedule;
      try {
        schedule = this.guarded(job, (this.o.quartz ?? quartzSchedule)(s.quartz_cron_expression, s.timezone_id));
      } catch {
        continue;
      }
      let count = 0;
      let first = 0;
      let last = 0;
      for (let t = schedule.next(since); t !== null && t <= now && count < MAX_COUNTED; t = schedule.next(t)) {
        if (!count) first = t;
        last = t;
        count++;
      }
      if (!count) continue;
      const name = job.settings.name ?? `job-${job.job_id}`;
      this.missed.push({ job_id: job.job_id, name, count, first, last });
      this.o.log(`workspace: scheduler: job ${job.job_id} (${name}) missed ${count}${count >= MAX_COUNTED ? '+' : ''} trigger(s) while the workspace was stopped (${new Date(first).toISOString()} .. ${new Date(last).toISOString()}); not caught up, as on Databricks`);
    }
  }

  private persist(): void {
    const now = this.now();
    this.lastBeat = now;
    this.persisted.alive_until = Math.max(this.persisted.alive_until, now);
    try {
      replaceFile(this.file, JSON.stringify(this.persisted));
    } catch (e) {
      this.o.log(`workspace: scheduler: could not write ${this.file}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}
