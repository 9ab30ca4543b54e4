// Quartz cron expressions, as Databricks reads a job's schedule (quartz_cron_expression in timezone_id):
// seconds minutes hours day-of-month month day-of-week [year], `?` in exactly one of the two day fields,
// weekdays 1-7 from Sunday, `a/b` steps, L, W, LW and # (nth weekday). Evaluated by croner (Quartz weekday
// numbering, its lenient `a/b` steps, IANA time zones with daylight saving), after the Quartz rules croner
// does not check itself are checked here. `L-n` (n days before the last) is refused: croner has no form of it.
import { Cron } from 'croner';

export class QuartzError extends Error {}

export interface QuartzSchedule {
  /** The first fire time strictly after `after` (ms), or null when there is none (a year in the past). */
  next(after: number): number | null;
}

export function quartzSchedule(expression: string, timezone: string): QuartzSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length < 6 || fields.length > 7) throw new QuartzError(`Invalid quartz cron expression: ${expression} (6 or 7 fields: seconds minutes hours day-of-month month day-of-week [year])`);
  const dom = fields[3]!;
  const dow = fields[5]!;
  // Quartz: "Support for specifying both a day-of-week and a day-of-month value is not complete": one is '?'.
  if ((dom === '?') === (dow === '?')) throw new QuartzError(`Invalid quartz cron expression: ${expression} ('?' must be in exactly one of day-of-month and day-of-week)`);
  if (/L-\d/.test(dom)) throw new QuartzError(`Invalid quartz cron expression: ${expression} (L-n in day-of-month is not supported by the local workspace)`);
  // Quartz's `L` alone in day-of-week is Saturday (7); `nL` (last weekday n of the month) is croner's n#L.
  fields[5] = dow === 'L' ? '7' : dow.replace(/^(\w+)L$/, '$1#L');
  let cron: Cron;
  try {
    cron = new Cron(fields.join(' '), { timezone, mode: '6-or-7-parts', alternativeWeekdays: true, sloppyRanges: true, paused: true });
    cron.nextRun(new Date(0));
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new QuartzError(/timezone/i.test(message) ? `Invalid timezone_id: ${timezone}` : `Invalid quartz cron expression: ${expression} (${message})`);
  }
  return {
    next: (after) => {
      const d = cron.nextRun(new Date(after));
      return d ? d.getTime() : null;
    },
  };
}
