// Quartz cron expressions, as Databricks reads a job's schedule (quartz_cron_expression in timezone_id):
// seconds minutes hours day-of-month month day-of-week [year], `?` in exactly one of the two day fields,
// weekdays 1-7 from Sunday, `a/b` steps, L, W, LW and # (nth weekday), with Quartz 2.3.2's fire times across
// daylight-saving changes. croner reads the expression (Quartz weekday numbering, its lenient `a/b` steps) and
// says which wall-clock times match, on a clock without daylight saving (UTC); the Quartz rules croner does not
// check itself are checked here. `L-n` (n days before the last) is refused: croner has no form of it.
import { Cron, CronPattern, type CronOptions } from 'croner';

export class QuartzError extends Error {}

export interface QuartzSchedule {
  /** The first fire time strictly after `after` (ms), or null when there is none (a year in the past). */
  next(after: number): number | null;
}

const CRONER: CronOptions = { mode: '6-or-7-parts', alternativeWeekdays: true, sloppyRanges: true };
const DAY = 86_400_000;
// Quartz's CronExpression.MAX_YEAR: it gives no fire time in a year more than 100 after the one it was loaded in.
const MAX_YEAR = new Date().getUTCFullYear() + 100;
// The walk below takes a handful of steps per fire time (a few per field, one per daylight-saving change), and a
// few a year up to MAX_YEAR for a schedule whose every time falls in a spring-forward gap (0 30 2 ? 3 1#2 in
// America/New_York: no fire time, as Quartz answers). The bound, 20 a year, only turns a bug into an error
// instead of a hung scheduler.
const MAX_STEPS = 20 * (MAX_YEAR - new Date().getUTCFullYear() + 2);

export function quartzSchedule(expression: string, timezone: string): QuartzSchedule {
  // As Quartz reads it: upper-cased (mon, jan and l are MON, JAN and L), fields apart by spaces and tabs only.
  const fields = expression.toUpperCase().replace(/^[ \t]+|[ \t]+$/g, '').split(/[ \t]+/);
  if (fields.length < 6 || fields.length > 7) throw new QuartzError(`Invalid quartz cron expression: ${expression} (6 or 7 fields: seconds minutes hours day-of-month month day-of-week [year])`);
  // croner reads '?' as '*' anywhere; Quartz only in the two day fields.
  if (fields.some((f, i) => i !== 3 && i !== 5 && f.includes('?'))) throw new QuartzError(`Invalid quartz cron expression: ${expression} ('?' can only be specified for day-of-month or day-of-week)`);
  const dom = fields[3]!;
  const dow = fields[5]!;
  // Quartz: "Support for specifying both a day-of-week and a day-of-month value is not complete": one is '?'.
  if ((dom === '?') === (dow === '?')) throw new QuartzError(`Invalid quartz cron expression: ${expression} ('?' must be in exactly one of day-of-month and day-of-week)`);
  if (/L-\d/.test(dom)) throw new QuartzError(`Invalid quartz cron expression: ${expression} (L-n in day-of-month is not supported by the local workspace)`);
  // Quartz's `L` alone in day-of-week is Saturday (7); `nL` (last weekday n of the month) is croner's n#L.
  fields[5] = dow === 'L' ? '7' : dow.replace(/^(\w+)L$/, '$1#L');
  const clock = zoneClock(timezone);
  let cron: Cron;
  let pattern: CronPattern;
  try {
    cron = new Cron(fields.join(' '), { ...CRONER, utcOffset: 0, paused: true });
    cron.nextRun(new Date(0));
    pattern = new CronPattern(fields.join(' '), 'UTC', CRONER);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new QuartzError(`Invalid quartz cron expression: ${expression} (${message})`);
  }
  const seconds = members(pattern.second);
  const minutes = members(pattern.minute);
  const hours = members(pattern.hour);
  // Fire times come a day at a time, mostly many in one day: the last day's answer is kept.
  let asked = Number.NaN;
  let answer: number | null = null;
  /** The first day on or after the wall-clock day `day` (ms at its midnight) that croner matches, or null. */
  const matchingDay = (day: number): number | null => {
    if (day !== asked) {
      const first = cron.nextRun(new Date(day - 1));
      asked = day;
      answer = first === null ? null : Date.UTC(first.getUTCFullYear(), first.getUTCMonth(), first.getUTCDate());
    }
    return answer;
  };
  return {
    next: (after) => nextFireTime({ seconds, minutes, hours, matchingDay }, clock, after, () => `${expression} in ${timezone}`),
  };
}

interface Matcher {
  seconds: number[];
  minutes: number[];
  hours: number[];
  matchingDay(day: number): number | null;
}

/**
 * Quartz 2.3.2's CronExpression.getTimeAfter, step for step for the time of day (how it lands on an hour that
 * daylight saving skips or repeats decides its fire times there), with the day-level rules (day of month, day of
 * week, month, year) asked of croner. Quartz moves a lenient java.util.GregorianCalendar field by field; an
 * hour skipped in spring is read as the hour after it, a repeated one as its second (standard-time) pass, so a
 * skipped fire time does not fire that day and a repeated one fires once, at the later instant, as Databricks
 * documents for its schedules.
 */
function nextFireTime(f: Matcher, clock: ZoneClock, after: number, what: () => string): number | null {
  // "move ahead one second, since we're computing the time *after* the given time"; Quartz drops the milliseconds.
  const cal = new LenientCalendar(clock, Math.floor((after + 1000) / 1000) * 1000);
  for (let step = 0; step < MAX_STEPS; step++) {
    let sec = cal.get('second');
    let min = cal.get('minute');
    let found = ceiling(f.seconds, sec);
    if (found === undefined) {
      found = f.seconds[0]!;
      min++;
      cal.set('minute', min);
    }
    sec = found;
    cal.set('second', sec);

    min = cal.get('minute');
    let hr = cal.get('hour');
    found = ceiling(f.minutes, min);
    if (found === undefined) {
      found = f.minutes[0]!;
      hr++;
    }
    if (found !== min) {
      cal.set('second', 0);
      cal.set('minute', found);
      setCalendarHour(cal, hr);
      continue;
    }
    cal.set('minute', min);

    hr = cal.get('hour');
    let day = cal.get('day');
    found = ceiling(f.hours, hr);
    if (found === undefined) {
      found = f.hours[0]!;
      day++;
    }
    if (found !== hr) {
      cal.set('second', 0);
      cal.set('minute', 0);
      cal.set('day', day);
      setCalendarHour(cal, found);
      continue;
    }
    cal.set('hour', hr);

    const today = Date.UTC(cal.get('year'), cal.get('month'), cal.get('day'));
    const matching = f.matchingDay(today);
    if (matching === null || new Date(matching).getUTCFullYear() > MAX_YEAR) return null;
    if (matching === today) return cal.getTime();
    // Quartz, too, starts a later day at midnight and looks for its time of day again.
    const d = new Date(matching);
    cal.set('second', 0);
    cal.set('minute', 0);
    cal.set('hour', 0);
    cal.set('day', d.getUTCDate());
    cal.set('month', d.getUTCMonth());
    cal.set('year', d.getUTCFullYear());
  }
  throw new QuartzError(`Quartz cron expression ${what()}: no fire time found after ${new Date(after).toISOString()} within ${MAX_STEPS} steps`);
}

// Quartz's CronExpression.setCalendarHour: an hour that daylight saving skips is read as the next hour.
function setCalendarHour(cal: LenientCalendar, hour: number): void {
  cal.set('hour', hour);
  if (cal.get('hour') !== hour && hour !== 24) cal.set('hour', hour + 1);
}

function members(flags: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 0; i < flags.length; i++) if (flags[i]) out.push(i);
  return out;
}

function ceiling(sorted: number[], value: number): number | undefined {
  for (const v of sorted) if (v >= value) return v;
  return undefined;
}

type Field = 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second';

/**
 * The part of a lenient java.util.GregorianCalendar that Quartz uses: fields set one by one, out of range or not,
 * and made into an instant (and read back) only when one is read, with the zone's offset taken as Java takes it.
 */
class LenientCalendar {
  private f: Record<Field, number> = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0 };
  private time = 0;
  // Quartz sets MILLISECOND right after setTime: the fields are made into an instant again at the first read.
  private dirty = true;

  constructor(private readonly clock: ZoneClock, time: number) {
    this.setTime(time);
    this.dirty = true;
  }

  get(field: Field): number {
    this.complete();
    return this.f[field];
  }

  set(field: Field, value: number): void {
    this.f[field] = value;
    this.dirty = true;
  }

  getTime(): number {
    this.complete();
    return this.time;
  }

  private complete(): void {
    if (!this.dirty) return;
    const { year, month, day, hour, minute, second } = this.f;
    this.setTime(this.clock.instant(Date.UTC(year, month, day, hour, minute, second)));
  }

  private setTime(time: number): void {
    const w = new Date(this.clock.wall(time));
    this.f = { year: w.getUTCFullYear(), month: w.getUTCMonth(), day: w.getUTCDate(), hour: w.getUTCHours(), minute: w.getUTCMinutes(), second: w.getUTCSeconds() };
    this.time = time;
    this.dirty = false;
  }
}

/** A zone's wall clock, as milliseconds read as UTC, from the ICU time zone data through Intl. */
interface ZoneClock {
  wall(instant: number): number;
  /**
   * The instant java.util.GregorianCalendar gives a wall time: on the zone's offset after a change from the
   * wall time that change starts at, on the offset before it until then. A wall time that a change skips is
   * thereby read on the old offset (an instant after the change, whose wall time is that much later); one that a
   * change repeats is its second occurrence.
   */
  instant(wall: number): number;
}

const clocks = new Map<string, ZoneClock>();

function zoneClock(timezone: string): ZoneClock {
  const cached = clocks.get(timezone);
  if (cached) return cached;
  let format: Intl.DateTimeFormat;
  try {
    format = new Intl.DateTimeFormat('en-US', { timeZone: timezone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
  } catch {
    throw new QuartzError(`Invalid timezone_id: ${timezone}`);
  }
  const intlOffset = (instant: number): number => {
    const whole = Math.floor(instant / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of format.formatToParts(whole)) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!) - whole;
  };
  // Intl takes microseconds a call and a fire time takes a dozen offsets: each UTC day's offsets are asked once,
  // at its two ends, and a change between them found to the second (a zone changes at most once a day).
  const days = new Map<number, { change: number; before: number; after: number }>();
  const offset = (instant: number): number => {
    const day = Math.floor(instant / DAY);
    let known = days.get(day);
    if (!known) {
      let lo = day * DAY;
      let hi = lo + DAY;
      const before = intlOffset(lo);
      const after = intlOffset(hi);
      if (before !== after) {
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (intlOffset(mid) === before) lo = mid;
          else hi = mid;
        }
      }
      known = { change: hi, before, after };
      if (days.size >= 4096) days.clear();
      days.set(day, known);
    }
    return instant < known.change ? known.before : known.after;
  };
  const clock: ZoneClock = {
    wall: (instant) => instant + offset(instant),
    instant: (wall) => {
      // The offsets a day either side: no zone changes its offset twice within two days (in the years that matter).
      const before = offset(wall - DAY);
      const later = offset(wall + DAY);
      if (before === later) return wall - before;
      return offset(wall - later) === later ? wall - later : wall - before;
    },
  };
  // One clock a zone name; names that are not zones are refused above, so this holds a few hundred at most.
  clocks.set(timezone, clock);
  return clock;
}
