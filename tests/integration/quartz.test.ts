// The local workspace's Quartz fire times against the real Quartz 2.3.2 (org.quartz.CronExpression, the scheduler
// Databricks runs jobs with) as an independent oracle: thousands of seeded cases (expressions × time zones with and
// without daylight saving × start times at and around the changes of 2026-2028 and 2040, and random ones), the
// next fire times of each compared one by one. Quartz comes from Maven Central into .pinpipe/quartz/ once; the
// oracle is a single Java source file run by the JDK. A few seconds after that first fetch.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Random } from '../../src/emulator/random.ts';
import { projectPath } from '../../src/project.ts';
import { copyDependencies, requireMaven } from '../../src/local/runtime/maven.ts';
import { checkJava } from '../../src/local/spark/install.ts';
import { quartzSchedule } from '../../src/local/workspace/quartz.ts';

const POM = 'tests/integration/quartz-oracle/pom.xml';
const ORACLE = projectPath('tests/integration/quartz-oracle/QuartzOracle.java');
const FIRE_TIMES = 6;
const CASES = 5000;
// The years tested, and one past 2037, where the JDK's zone data turns from a table of changes into rules.
const WINDOWS: [number, number][] = [[Date.UTC(2026, 0, 1), Date.UTC(2029, 0, 1)], [Date.UTC(2040, 0, 1), Date.UTC(2041, 0, 1)]];
const HOUR = 3_600_000;

// Zones whose clocks change in the years tested, each in its own way, and two that do not.
const ZONES = [
  'America/New_York', // 02:00 -> 03:00, 02:00 -> 01:00
  'Europe/London', // 01:00 -> 02:00, 02:00 -> 01:00
  'Europe/Berlin',
  'Australia/Sydney', // southern hemisphere
  'Australia/Lord_Howe', // a 30-minute change: 02:00 -> 02:30, 02:00 -> 01:30
  'Pacific/Chatham', // a change off the hour: 02:45 -> 03:45, 03:45 -> 02:45
  'America/Santiago', // at midnight: 00:00 -> 01:00, 00:00 -> 23:00 the day before
  'America/Havana', // 00:00 -> 01:00, 01:00 -> 00:00
  'America/Nuuk', // 23:00 -> 00:00 the next day (Saturday evening), 00:00 -> 23:00
  'Antarctica/Troll', // a two-hour change: 01:00 -> 03:00, 03:00 -> 01:00
  'Asia/Kolkata', // no daylight saving
  'UTC',
];

// Time of day: values in and around the hours that the changes skip or repeat, steps that do and do not divide
// an hour, lists.
const SECONDS = ['0', '0', '0', '0', '30', '0/15', '10,40', '5/20', '0/7', '*'];
const MINUTES = ['0', '0', '0', '30', '15', '45', '0/30', '0/15', '*/10', '10,35', '15/20', '5/20', '0/7', '5-50/9', '59', '*'];
const HOURS = ['*', '*', '*', '0', '1', '2', '3', '23', '1-3', '0/2', '2,3', '1,2', '22-23', '0-4', '*/3', '12', '0,23'];
const DAYS: [string, string][] = [
  ['*', '?'], ['*', '?'], ['*', '?'], ['?', '*'], ['1', '?'], ['15', '?'], ['31', '?'], ['29', '?'], ['1-7', '?'], ['L', '?'],
  ['LW', '?'], ['15W', '?'], ['1W', '?'], ['?', 'SUN'], ['?', '1'], ['?', '7'], ['?', '2-6'], ['?', 'MON-FRI'],
  ['?', 'SAT,SUN'], ['?', '6L'], ['?', '1L'], ['?', 'L'], ['?', '1#2'], ['?', '7#1'], ['?', '6#5'],
];
const DAILY: [string, string][] = [['*', '?'], ['?', '*']];
const MONTHS = ['*', '*', '*', '*', '3', '11', '3,4,9,10,11', 'JAN-JUN', '*/2', '10-12'];
const YEARS = ['', '', '', '', '', '2027', '2026-2027', '2028', '2025'];

// The daylight-saving cases of the unit tests (the Databricks-documented hourly job among them).
const FIXED: [string, string, string][] = [
  ['0 30 2 * * ?', 'America/New_York', '2027-03-12T12:00:00Z'],
  ['0 0 * * * ?', 'America/New_York', '2027-03-14T05:00:00Z'],
  ['0 30 1 * * ?', 'America/New_York', '2027-11-05T12:00:00Z'],
  ['0 0 * * * ?', 'America/New_York', '2027-11-07T04:00:00Z'],
  ['0 0/30 * * * ?', 'America/New_York', '2027-11-07T04:45:00Z'],
  ['* * * * * ?', 'America/New_York', '2027-11-07T05:10:00Z'],
  ['0 30 1 * * ?', 'Europe/London', '2026-03-28T12:00:00Z'],
  ['0 30 1 * * ?', 'Europe/London', '2026-10-24T12:00:00Z'],
  ['0 0 * * * ?', 'Europe/London', '2026-10-24T23:30:00Z'],
  ['0 10,35 * * * ?', 'Australia/Lord_Howe', '2026-10-03T14:30:00Z'],
  ['0 10,35 2 * * ?', 'Australia/Lord_Howe', '2026-10-03T00:00:00Z'],
  ['0 45 1 * * ?', 'Australia/Lord_Howe', '2026-04-03T00:00:00Z'],
  ['0 0 3 * * ?', 'Pacific/Chatham', '2026-09-26T12:00:00Z'],
  ['0 0 0 * * ?', 'America/Santiago', '2026-09-04T12:00:00Z'],
  ['0 30 23 * * ?', 'America/Santiago', '2026-04-03T12:00:00Z'],
  ['0 0 23 * * ?', 'America/Nuuk', '2026-03-27T12:00:00Z'],
  ['0 0 * * * ?', 'Antarctica/Troll', '2026-03-28T23:00:00Z'],
  ['0 0 6 * * ?', 'Asia/Kolkata', '2026-03-28T23:00:00Z'],
];

interface Case {
  expression: string;
  zone: string;
  after: number;
}

type Answer = (number | null)[] | { error: string };

function installQuartz(): string {
  const home = projectPath('.pinpipe', 'quartz');
  const jar = path.join(home, 'jars', 'quartz-2.3.2.jar');
  const stamp = path.join(home, 'installed.txt');
  const fingerprint = createHash('sha256').update(readFileSync(projectPath(POM))).update(readFileSync(projectPath('src/local/spark/settings.xml'))).digest('hex').slice(0, 16);
  if (existsSync(jar) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint) return jar;
  rmSync(home, { recursive: true, force: true });
  mkdirSync(home, { recursive: true });
  requireMaven('quartz', 'IO_FAILED', 'the Quartz jar');
  copyDependencies(POM, path.join(home, 'jars'), 'fetching Quartz 2.3.2 from Maven Central (0.7 MB, once)', 'quartz', 'IO_FAILED', 'Check that Maven Central is reachable.', () => {});
  writeFileSync(stamp, `${fingerprint}\n`);
  return jar;
}

function askQuartz(jar: string, lines: string[]): string[] {
  const { java } = checkJava();
  const out = spawnSync(java, ['-cp', jar, ORACLE], { input: `${lines.join('\n')}\n`, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (out.error || out.status !== 0) throw new Error(`quartz oracle: ${java} -cp ${jar} ${ORACLE} failed (exit ${out.status ?? out.signal}): ${out.stderr || out.error}`);
  const answers = out.stdout.trim().split('\n');
  if (answers.length !== lines.length) throw new Error(`quartz oracle: ${lines.length} questions, ${answers.length} answers`);
  return answers;
}

const offsetFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset at an instant, from Node's own time zone data (ICU), independently of quartz.ts. */
function intlOffset(zone: string, at: number): number {
  let f = offsetFormats.get(zone);
  if (!f) offsetFormats.set(zone, (f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })));
  const name = f.formatToParts(at).find((p) => p.type === 'timeZoneName')!.value;
  const m = /GMT(?:([+-])(\d\d):(\d\d)(?::(\d\d))?)?/.exec(name)!;
  return m[1] ? (m[1] === '-' ? -1 : 1) * ((Number(m[2]) * 60 + Number(m[3])) * 60 + Number(m[4] ?? 0)) * 1000 : 0;
}

function ours(c: Case): Answer {
  try {
    const schedule = quartzSchedule(c.expression, c.zone);
    const times: (number | null)[] = [];
    let t: number | null = c.after;
    for (let i = 0; i < FIRE_TIMES; i++) times.push((t = t === null ? null : schedule.next(t)));
    return times;
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

const show = (a: Answer) => ('error' in a ? `refused: ${a.error}` : a.map((t) => (t === null ? 'null' : new Date(t).toISOString())).join(' '));

describe('Quartz schedules: the local workspace against the real Quartz 2.3.2', function () {
  this.timeout(600_000);
  let jar: string;
  let transitions: Map<string, number[]>;

  before(() => {
    jar = installQuartz();
  });

  it('reads the same time zone data as the JDK for the zones and years tested, or the comparison would be of data', () => {
    const questions = WINDOWS.flatMap(([from, to]) => ZONES.map((zone) => ({ zone, from, to })));
    const answers = askQuartz(jar, questions.map((q) => `#zone\t${q.zone}\t${q.from}\t${q.to}`));
    transitions = new Map(ZONES.map((z) => [z, []]));
    const differences: string[] = [];
    questions.forEach(({ zone, from, to }, i) => {
      const java = JSON.parse(answers[i]!) as { offset: number; transitions: [number, number][] };
      transitions.get(zone)!.push(...java.transitions.map(([t]) => t));
      // The JDK's offsets, piece by piece, against Node's every three hours (no offset in these zones lasts less).
      let offset = java.offset;
      let next = 0;
      for (let t = from; t < to; t += 3 * HOUR) {
        while (next < java.transitions.length && java.transitions[next]![0] <= t) offset = java.transitions[next++]![1];
        if (intlOffset(zone, t) !== offset) {
          differences.push(`${zone} at ${new Date(t).toISOString()}: JDK ${offset / 60000} min, Node ${intlOffset(zone, t) / 60000} min`);
          break;
        }
      }
      for (const [t, after] of java.transitions) {
        if (intlOffset(zone, t) !== after || intlOffset(zone, t - 1000) === after) differences.push(`${zone}: the JDK changes to ${after / 60000} min at ${new Date(t).toISOString()}, Node does not`);
      }
    });
    expect(differences, 'time zone data of the JDK and of Node (update one, or leave the zone out)').to.deep.equal([]);
    expect(transitions.get('America/New_York'), 'two changes a year').to.have.length(8);
  });

  it(`gives Quartz's next ${FIRE_TIMES} fire times for ${CASES} cases`, function () {
    if (!transitions) this.skip();
    const random = new Random('quartz-oracle');
    const cases: Case[] = FIXED.map(([expression, zone, start]) => ({ expression, zone, after: Date.parse(start) }));
    while (cases.length < CASES) {
      const zone = random.pick(ZONES);
      const changes = transitions.get(zone)!;
      const near = changes.length > 0 && random.chance(0.7);
      // Near a change, mostly every day of every month: fire times on the day of the change.
      const [dom, dow] = near && random.chance(0.6) ? random.pick(DAILY) : random.pick(DAYS);
      const month = near && random.chance(0.8) ? '*' : random.pick(MONTHS);
      const year = near && random.chance(0.8) ? '' : random.pick(YEARS);
      const expression = [random.pick(SECONDS), random.pick(MINUTES), random.pick(HOURS), dom, month, dow, ...(year ? [year] : [])].join(' ');
      let after: number;
      if (near) {
        // Just before, at, or after a change, to the second, the minute, the half hour and the hour.
        const offset = random.pick([0, 1, -1, 60, -60, 1800, -1800, 3599, 3600, -3600, -3601, 7200, -7200, -10800, -86400, 86400]);
        after = random.pick(changes) + offset * 1000;
      } else {
        const [from, to] = random.chance(0.8) ? WINDOWS[0]! : WINDOWS[1]!;
        after = from + random.int(0, (to - from) / 1000) * 1000;
      }
      // Quartz ignores the milliseconds of a start time: some starts have them.
      if (random.chance(0.1)) after += random.int(1, 999);
      cases.push({ expression, zone, after });
    }

    const answers = askQuartz(jar, cases.map((c) => `${c.expression}\t${c.zone}\t${c.after}\t${FIRE_TIMES}`));
    const mismatches: string[] = [];
    let compared = 0;
    let aroundChanges = 0;
    cases.forEach((c, i) => {
      const quartz = JSON.parse(answers[i]!) as Answer;
      const local = ours(c);
      // Both refuse, or both give the same fire times; the words of a refusal differ.
      const same = 'error' in quartz ? 'error' in local : !('error' in local) && quartz.every((t, k) => t === local[k]);
      if (!('error' in quartz)) {
        compared++;
        // A case tells something about daylight saving when one of its fire times is within hours of a change.
        const changes = transitions.get(c.zone)!;
        if (quartz.some((t) => t !== null && changes.some((x) => Math.abs(t - x) <= 3 * HOUR))) aroundChanges++;
      }
      if (!same) mismatches.push(`${c.expression} in ${c.zone} after ${new Date(c.after).toISOString()}:\n    quartz ${show(quartz)}\n    local  ${show(local)}`);
    });
    expect(mismatches.length, `${mismatches.length} of ${cases.length} cases differ from Quartz:\n  ${mismatches.slice(0, 15).join('\n  ')}`).to.equal(0);
    expect(compared, 'cases Quartz gives fire times for').to.be.above(CASES * 0.9);
    expect(aroundChanges, 'cases with a fire time within 3 hours of a change').to.be.above(CASES * 0.2);
  });
});
