// Incremental cleaning on the real local Spark + Delta: a landing (real rows, copies that clean to different
// rows, exact duplicates, malformed and blank lines) split into random runs gives, after every run, the
// tables of the independent reference implementation over everything landed so far; a run with nothing new
// changes nothing; a full refresh gives the same tables and rejects; a run stopped before any of its
// statements, or killed with its JVM, and run again gives the same tables and no duplicate rejects.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { jobParameters } from '../../src/job/index.ts';
import { runLocalJob } from '../../src/local/batch.ts';
import { localSourceStatements } from '../../src/local/bind.ts';
import { runNotebook } from '../../src/local/notebook-runner.ts';
import { installSpark, openSpark, type SparkSession } from '../../src/local/spark/index.ts';
import { quoteIdentifier, sqlNotebook } from '../../src/notebook/index.ts';
import { topicDir } from '../../src/sink/landing.ts';
import type { TableReport } from '../../src/sql/result.ts';
import { JOBS } from '../../jobs/index.ts';
import { cleanLines, type Row } from '../reference/transform.ts';
import { COPIES, hand, realLines, seeded, shuffle, type TableKey } from '../fixtures/index.ts';

const TABLES: TableKey[] = ['pin', 'geo', 'user'];
const quiet = () => {};
const SEED = Number(process.env['PINPIPE_TEST_SEED'] ?? Date.now() % 100_000);

interface LandedFile { table: TableKey; name: string; lines: string[] }

/** What the reference implementation gives for lines: the table, and the rejects as `reason|record` sorted. */
function reference(t: TableKey, lines: string[]): { rows: Row[]; rejects: string[]; rowsIn: number; keys: Set<number> } {
  const out = cleanLines(t, lines);
  return { rows: out.rows, rejects: out.rejected.map((r) => `${r.reason}|${r.line}`).sort(), rowsIn: out.rowsIn, keys: new Set(out.rows.map((r) => r['ind'] as number)) };
}

describe('incremental cleaning on local Spark + Delta', function () {
  this.timeout(1_800_000);
  let lake: string;
  let config: Config;
  let spark: SparkSession;

  before(async () => {
    installSpark(quiet);
    lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-incr-'));
    config = loadConfig({ lake, env: {}, cwd: lake });
    spark = await openSpark(lake, { ...config.spark, memory: '2g' }, quiet);
    console.log(`      incremental: seed ${SEED} (PINPIPE_TEST_SEED=${SEED} repeats it)`);
  });

  after(async () => {
    await spark?.stop();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  let offset = 0;
  /**
   * A table's landing, cut into files of 1 to 30 lines over two partitions: the hand fixture (malformed and
   * blank lines), 150 real rows, a fifth of them again as exact copies, shuffled; and the pairs of copies
   * that clean to different rows, one of each pair in the first files and the other in the last ones (in
   * both orders across pairs), so that smaller copies arrive after larger ones and the reverse.
   */
  async function stage(t: TableKey, rand: () => number): Promise<LandedFile[]> {
    const real = (await realLines(t)).slice(0, 150);
    const copies = COPIES[t];
    const early: string[] = [];
    const late: string[] = [];
    for (let i = 0; i + 1 < copies.length; i += 2) {
      const [a, b] = (i / 2) % 2 === 0 ? [copies[i]!, copies[i + 1]!] : [copies[i + 1]!, copies[i]!];
      early.push(a);
      late.push(b);
    }
    const body = shuffle([...hand.landed[t], ...real, ...real.filter(() => rand() < 0.2)], rand);
    const lines = [...early, ...body, ...late];
    const files: LandedFile[] = [];
    for (let i = 0; i < lines.length;) {
      const n = 1 + Math.floor(rand() * 30);
      const partition = Math.floor(rand() * 2);
      files.push({ table: t, name: `partition=${partition}/${config.names.topic[t]}+${partition}+${String(offset).padStart(10, '0')}.json`, lines: lines.slice(i, i + n) });
      offset += n;
      i += n;
    }
    return files;
  }

  function land(files: LandedFile[]): void {
    for (const f of files) {
      const file = path.join(topicDir(lake, config.names.topic[f.table]), f.name);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, f.lines.map((l) => `${l}\n`).join(''));
    }
  }

  async function table(t: TableKey): Promise<Row[]> {
    return (await spark.client.sql('SELECT * FROM IDENTIFIER(:t) ORDER BY ind', { t: quoteIdentifier(config.names.table[t]) }, { maxRows: 1_000_000 })).rows;
  }

  async function rejects(t: TableKey): Promise<string[]> {
    const r = await spark.client.sql('SELECT reason, record FROM IDENTIFIER(:t)', { t: quoteIdentifier(config.names.rejects[t]) }, { maxRows: 1_000_000 });
    return r.rows.map((x) => `${x['reason']}|${x['record']}`).sort();
  }

  async function version(t: TableKey): Promise<number> {
    const r = await spark.client.sql(`DESCRIBE HISTORY ${quoteIdentifier(config.names.table[t])}`, {}, { maxRows: 1 });
    return Number(r.rows[0]!['version']);
  }

  async function clean(params: Record<string, string> = {}): Promise<TableReport[]> {
    return (await runLocalJob(JOBS['clean']!, config, spark.client, { skipTasks: ['queries'], params })).reports;
  }

  const landed = { pin: [], geo: [], user: [] } as Record<TableKey, string[]>;

  it('gives, after each of random runs, the reference tables over all landed so far; nothing new changes nothing; a full refresh gives the same', async () => {
    const rand = seeded(SEED);
    const staged: LandedFile[] = [];
    for (const t of TABLES) staged.push(...await stage(t, rand));
    // Files land in the order of their offsets within a table; the tables interleave at random. 3 to 5 runs.
    const runs = 3 + Math.floor(rand() * 3);
    const cuts = [0, ...[...new Set(Array.from({ length: runs - 1 }, () => 1 + Math.floor(rand() * (staged.length - 1))))].sort((a, b) => a - b), staged.length];
    const queues = TABLES.map((t) => staged.filter((f) => f.table === t));
    const order: LandedFile[] = [];
    while (queues.some((q) => q.length)) {
      const open = queues.filter((q) => q.length);
      order.push(open[Math.floor(rand() * open.length)]!.shift()!);
    }
    let updated = 0;
    for (let r = 0; r + 1 < cuts.length; r++) {
      const batch = order.slice(cuts[r], cuts[r + 1]);
      const before = Object.fromEntries(TABLES.map((t) => [t, reference(t, landed[t]).rows])) as Record<TableKey, Row[]>;
      land(batch);
      const reports = await clean();
      for (const t of TABLES) {
        const mine = batch.filter((f) => f.table === t);
        const fresh = mine.flatMap((f) => f.lines);
        landed[t].push(...fresh);
        const all = reference(t, landed[t]);
        const now = reference(t, fresh);
        expect(await table(t), `${t} after run ${r + 1}`).to.deep.equal(all.rows);
        const report = reports.find((x) => x.table_name === t)!;
        // Inserted: keys the table lacked; updated: held keys whose row changed; unchanged: the others.
        const held = new Map(before[t].map((row) => [row['ind'] as number, JSON.stringify(row)]));
        const after = new Map(all.rows.map((row) => [row['ind'] as number, JSON.stringify(row)]));
        const keys = [...now.keys];
        expect(report, `${t} report, run ${r + 1}`).to.deep.equal({
          table_name: t,
          full_refresh: false,
          files_in: mine.length,
          rows_in: now.rowsIn,
          inserted: keys.filter((k) => !held.has(k)).length,
          updated: keys.filter((k) => held.has(k) && held.get(k) !== after.get(k)).length,
          unchanged: keys.filter((k) => held.has(k) && held.get(k) === after.get(k)).length,
          duplicates_dropped: now.rowsIn - now.rejects.length - keys.filter((k) => !held.has(k) || held.get(k) !== after.get(k)).length,
          rejected: now.rejects.length,
          rows_out: all.rows.length,
        });
        updated += report.updated;
      }
    }
    console.log(`      incremental: ${runs} runs over ${staged.length} files; ${updated} keys updated by a later, smaller copy`);
    expect(updated, 'a smaller copy arriving after a larger one updates the row').to.be.greaterThan(0);
    const incremental = {} as Record<TableKey, { rows: Row[]; rejects: string[]; version: number }>;
    for (const t of TABLES) {
      const ref = reference(t, landed[t]);
      incremental[t] = { rows: await table(t), rejects: await rejects(t), version: await version(t) };
      expect(incremental[t].rejects, `${t} rejects, each once`).to.deep.equal(ref.rejects);
    }
    // Nothing new landed: the run reports nothing new and writes no table file.
    const idle = await clean();
    for (const t of TABLES) {
      expect(idle.find((x) => x.table_name === t), `${t} idle report`).to.include({ files_in: 0, rows_in: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0 });
      expect(await version(t), `${t}: no commit when nothing is new`).to.equal(incremental[t].version);
    }
    // A bronze table of the first incremental version (no file markers): the local load marks its files once,
    // from its rows, and loads nothing again.
    const markers = async (t: TableKey) => Number((await spark.client.sql(`SELECT count(*) AS n FROM ${quoteIdentifier(config.names.bronze[t])} WHERE load_id < 0`)).rows[0]!['n']);
    const marked = {} as Record<TableKey, number>;
    for (const t of TABLES) {
      marked[t] = await markers(t);
      expect(marked[t], `${t}: one marker a loaded file`).to.equal(staged.filter((f) => f.table === t).length);
      await spark.client.sql(`DELETE FROM ${quoteIdentifier(config.names.bronze[t])} WHERE load_id < 0`);
    }
    const upgraded = await clean();
    for (const t of TABLES) {
      expect(upgraded.find((x) => x.table_name === t), `${t} report after the markers were written again`).to.include({ files_in: 0, rows_in: 0 });
      expect(await markers(t), `${t}: markers written again`).to.equal(marked[t]);
      expect(await version(t), `${t}: no commit`).to.equal(incremental[t].version);
    }
    // The maintain job after the incremental runs: clustered on ind (the bronze tables on load_id), compacted
    // to one file each, contents unchanged.
    const detail = async (name: string) => (await spark.client.sql(`DESCRIBE DETAIL ${quoteIdentifier(name)}`)).rows[0]!;
    let filesBefore = 0;
    for (const t of TABLES) filesBefore += Number((await detail(config.names.bronze[t]))['numFiles']);
    expect(filesBefore, 'the runs appended several files to a bronze table (each run has files of some table)').to.be.greaterThan(3);
    // Tables of an earlier version keep statistics of every column: the maintain job limits them to the key.
    for (const t of TABLES) {
      for (const name of [config.names.table[t], config.names.bronze[t]]) await spark.client.sql(`ALTER TABLE ${quoteIdentifier(name)} UNSET TBLPROPERTIES ('delta.dataSkippingStatsColumns')`);
    }
    const maintained = await runLocalJob(JOBS['maintain']!, config, spark.client);
    for (const t of TABLES) {
      expect(await table(t), `${t} after maintenance`).to.deep.equal(incremental[t].rows);
      expect(await rejects(t), `${t} rejects after maintenance`).to.deep.equal(incremental[t].rejects);
      for (const [name, column] of [[config.names.table[t], 'ind'], [config.names.bronze[t], 'load_id']] as const) {
        const d = await detail(name);
        expect(d['clusteringColumns'], `${name} clustering`).to.deep.equal([column]);
        expect((d['properties'] as Record<string, string>)['delta.dataSkippingStatsColumns'], `${name} statistics columns`).to.equal(column);
        expect(Number(d['numFiles']), `${name} files after OPTIMIZE`).to.equal(1);
      }
    }
    console.log(`      incremental: maintain job ${maintained.seconds.toFixed(1)} s: the bronze tables ${filesBefore} files before OPTIMIZE, 3 after`);
    // A full refresh over the same files gives the same tables and rejects.
    const full = await clean({ full_refresh: 'true' });
    for (const t of TABLES) {
      expect(await table(t), `${t} after a full refresh`).to.deep.equal(incremental[t].rows);
      expect(await rejects(t), `${t} rejects after a full refresh`).to.deep.equal(incremental[t].rejects);
      const report = full.find((x) => x.table_name === t)!;
      expect(report).to.include({ full_refresh: true, inserted: incremental[t].rows.length, updated: 0, unchanged: 0, rows_out: incremental[t].rows.length, rows_in: reference(t, landed[t]).rowsIn });
    }
    // A table parameter that is not a table name is refused before anything runs.
    try {
      await runLocalJob(JOBS['maintain']!, config, spark.client, { params: { pin_table: '`a`; DROP TABLE `b`' } });
      expect.fail('a table parameter that is not a name should be refused');
    } catch (e) {
      expect((e as Error).message).to.include('is not a table name');
    }
  });

  /**
   * The pin notebook run directly, stopped before the statement `stop.at` (1-based) or before the first
   * statement `stop.before` matches: the statements started, and whether the stop was reached.
   */
  async function runPin(stop: { at?: number; before?: RegExp }, runId: string, params: Record<string, string> = {}): Promise<{ started: number; stopped: boolean }> {
    const { file, text } = sqlNotebook('clean/pin');
    let n = 0;
    try {
      await runNotebook({
        client: spark.client, file, text, params: { ...jobParameters(config, lake), run_id: runId, ...params },
        bindSource: (binding, topic, query) => localSourceStatements(binding, lake, topic, query),
        shouldStop: (statement) => ++n >= (stop.at ?? Infinity) || (stop.before?.test(statement) ?? false),
      });
    } catch (e) {
      if (!(e as Error).message.includes('stopped before')) throw e;
      return { started: n, stopped: true };
    }
    return { started: n, stopped: false };
  }

  /**
   * Lines no earlier run has seen, for a crash round: real rows under new keys, a copy of the key the last
   * round landed that is smaller (so it must update the row), a key the next round updates, and two
   * records that are set aside (so a lost or doubled reject shows).
   */
  let round = 0;
  async function freshLines(t: TableKey): Promise<string[]> {
    const key = t === 'pin' ? 'index' : 'ind';
    const r = ++round;
    const real = (await realLines(t)).slice(r * 5 % 100, r * 5 % 100 + 5).map((l) => JSON.stringify({ ...JSON.parse(l) as object, [key]: 100_000 * r + (JSON.parse(l) as Record<string, number>)[key]! }));
    const text = t === 'pin' ? 'title' : t === 'geo' ? 'country' : 'first_name';
    return [
      ...real,
      JSON.stringify({ [key]: 900_000 + r - 1, [text]: 'A' }),
      JSON.stringify({ [key]: 900_000 + r, [text]: 'Z' }),
      JSON.stringify({ [key]: `x${r}` }),
      `not json ${r}`,
    ];
  }

  async function landFresh(t: TableKey, r: number): Promise<number> {
    const lines = await freshLines(t);
    const files = [lines.slice(0, 4), lines.slice(4)].map((chunk, j) => ({ table: t, name: `partition=${j}/${config.names.topic[t]}+${j}+8${String(r).padStart(5, '0')}${String(SEED % 10_000).padStart(4, '0')}.json`, lines: chunk }));
    land(files);
    landed[t].push(...lines);
    return files.length;
  }

  async function reportedFiles(runIds: string[]): Promise<number> {
    const r = await spark.client.sql('SELECT coalesce(sum(files_in), 0) AS n FROM IDENTIFIER(:t) WHERE array_contains(split(:ids, \',\'), run_id)', { t: quoteIdentifier(config.names.reports.pin), ids: runIds.join(',') });
    return Number(r.rows[0]!['n']);
  }

  it('gives, when a run stops before any write or its JVM is killed, and runs again, the same table and each reject once', async () => {
    const rand = seeded(SEED + 1);
    // Crash points: before each statement that writes, and before the statement after it (a crash between
    // two statements; each statement's own commit is atomic), incremental and full refresh; and one at random.
    const writes = [/^INSERT INTO IDENTIFIER\(pin_bronze\)/, /^EXECUTE IMMEDIATE pin_landed_view_sql/,
      /^CREATE OR REPLACE TABLE IDENTIFIER\(:pin_changes_table\)/, /^SET VAR \(pin_rows_in/,
      /^CREATE OR REPLACE TABLE IDENTIFIER\(:pin_changes_table\)[^\n]*\nWITH winners/,
      /^MERGE INTO IDENTIFIER\(:pin_table\)/, /^DECLARE OR REPLACE VARIABLE pin_rejects /, /^INSERT INTO IDENTIFIER\(:pin_rejects_table\)/,
      /^MERGE INTO IDENTIFIER\(:pin_reports_table\)/, /^SELECT report\.\*/];
    await landFresh('pin', 0);
    const total = (await runPin({}, 'count')).started;
    const points: { stop: { at?: number; before?: RegExp }; full: boolean }[] = [
      ...writes.map((before) => ({ stop: { before }, full: false })),
      { stop: { before: /^EXECUTE IMMEDIATE pin_refresh_sql/ }, full: true },
      { stop: { before: /^INSERT INTO IDENTIFIER\(pin_bronze\)/ }, full: true },
      { stop: { before: /^EXECUTE IMMEDIATE pin_replace_sql/ }, full: true },
      { stop: { before: /^EXECUTE IMMEDIATE pin_rejects_sql/ }, full: true },
      { stop: { before: /^CREATE OR REPLACE TABLE IDENTIFIER\(:pin_changes_table\)[^\n]*\nWITH winners/ }, full: true },
      { stop: { at: 1 + Math.floor(rand() * total) }, full: false },
    ];
    let updated = 0;
    for (const [i, point] of points.entries()) {
      const files = await landFresh('pin', i + 1);
      const what = `stopped before ${point.stop.before ?? `statement ${point.stop.at}`}${point.full ? ' of a full refresh' : ''}`;
      expect((await runPin(point.stop, `stopped-${i}`, point.full ? { full_refresh: 'true' } : {})).stopped, `${what}: the stop was reached`).to.equal(true);
      await runPin({}, `again-${i}`);
      const ref = reference('pin', landed.pin);
      expect(await table('pin'), `pin table, ${what}`).to.deep.equal(ref.rows);
      expect(await rejects('pin'), `pin rejects, ${what}`).to.deep.equal(ref.rejects);
      // The round's files were reported as cleaned once (by the stopped run, if it got as far as its report,
      // or by the next); a full refresh reports every file.
      if (!point.full) expect(await reportedFiles([`stopped-${i}`, `again-${i}`]), `files reported, ${what}`).to.equal(files);
      updated += Number((await spark.client.sql('SELECT coalesce(sum(updated), 0) AS n FROM IDENTIFIER(:t) WHERE run_id LIKE \'again-%\'', { t: quoteIdentifier(config.names.reports.pin) })).rows[0]!['n']);
    }
    expect(updated, 'smaller copies of held keys updated rows after the stops').to.be.greaterThan(0);
    // The JVM killed (SIGKILL) while the job runs, at a random moment, then the job run again on a new one;
    // again with half the delay when the run had finished before the kill.
    let delay = 1000 + Math.floor(rand() * 6000);
    let outcome = 'finished';
    for (let attempt = 0; attempt < 4 && outcome === 'finished'; attempt++) {
      for (const t of TABLES) await landFresh(t, 100 + attempt);
      const running = clean().then(() => 'finished', (e: Error) => e.message);
      await new Promise((r) => setTimeout(r, delay));
      process.kill(spark.pid!, 'SIGKILL');
      outcome = await running;
      spark = await openSpark(lake, { ...config.spark, memory: '2g' }, quiet);
      if (outcome === 'finished') delay = Math.floor(delay / 2);
    }
    expect(outcome, 'the JVM was killed during a run').to.not.equal('finished');
    console.log(`      incremental: stopped at ${points.length} points (${total} statements a run) and run again; JVM killed ${delay} ms into a run`);
    await clean();
    for (const t of TABLES) {
      const ref = reference(t, landed[t]);
      expect(await table(t), `${t} table after the kill`).to.deep.equal(ref.rows);
      expect(await rejects(t), `${t} rejects after the kill`).to.deep.equal(ref.rejects);
    }
  });
});
