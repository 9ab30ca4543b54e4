// `npm run bench:batch`: generated data at several sizes; times the clean job and each query on the
// local Spark, cold (Spark start included) and warm, with the JVM's peak memory and rows/s; and in the
// same run the original notebooks' way (JSON schema inference on read, every query re-reading and
// re-cleaning the raw frames instead of reading Delta tables), with the ratio. Prints figures, never fails on time.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.ts';
import { generateData } from '../emulator/generator.ts';
import { landFromDir } from '../emulator/land.ts';
import { PartitionWriter } from '../sink/landing.ts';
import { readSourceTable } from '../source/files.ts';
import { TABLES } from '../config/index.ts';
import { runLocalJob } from '../local/batch.ts';
import { openSpark, type SparkSession } from '../local/spark/index.ts';
import { QUERY_NAMES, quoteIdentifier } from '../notebook/index.ts';
import { projectPath } from '../project.ts';
import { JOBS } from '../../jobs/index.ts';

function peakMemoryMiB(pid: number | null): number | null {
  if (!pid) return null;
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 1024) : null;
  } catch {
    return null;
  }
}

/** The landing is made anew at each run of the benchmark (same file names): the tables are rebuilt from it. */
const FULL = { full_refresh: 'true' };

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = process.hrtime.bigint();
  const out = await fn();
  return [out, Number(process.hrtime.bigint() - t) / 1e9];
}

/** The original way: raw JSON read with schema inference, cleaned inline, for every query. */
async function defineBaselineViews(session: SparkSession, cfg: Config): Promise<void> {
  const glob = (t: 'pin' | 'geo' | 'user') => quoteIdentifier(path.join(cfg.lakeRoot, 'topics', cfg.names.topic[t], 'partition=*', '*.json'));
  await session.client.sql(`CREATE OR REPLACE TEMPORARY VIEW bench_pin AS SELECT CAST(\`index\` AS INT) AS ind, nullif(category, '') AS category,
    CASE WHEN poster_name = 'User Info Error' THEN NULL ELSE poster_name END AS poster_name,
    try_cast(round(try_cast(regexp_extract(follower_count, '^([0-9]+([.][0-9]+)?)', 1) AS DECIMAL(38, 9))
      * CASE upper(right(follower_count, 1)) WHEN 'K' THEN 1000 WHEN 'M' THEN 1000000 ELSE 1 END, 0) AS INT) AS follower_count
    FROM json.${glob('pin')}`);
  await session.client.sql(`CREATE OR REPLACE TEMPORARY VIEW bench_geo AS SELECT CAST(ind AS INT) AS ind, country,
    try_to_timestamp(CAST(\`timestamp\` AS STRING), 'yyyy-MM-dd HH:mm:ss') AS timestamp FROM json.${glob('geo')}`);
  await session.client.sql(`CREATE OR REPLACE TEMPORARY VIEW bench_user AS SELECT CAST(ind AS INT) AS ind,
    concat_ws(' ', first_name, last_name) AS user_name, CAST(age AS INT) AS age,
    try_to_timestamp(CAST(date_joined AS STRING), 'yyyy-MM-dd HH:mm:ss') AS date_joined FROM json.${glob('user')}`);
}

/**
 * New posts landed after a run: 1% of the rows again under new keys (key + keyShift; keyShift = rows gives
 * keys above the table's, as a day's new posts would land; 0 gives copies of keys the table holds, spread
 * over its whole key range), in new files after the landing's last offset. Returns the lines written.
 */
export async function landIncrement(cfg: Config, dataDir: string, rows: number, keyShift: number, startOffset: number, flushSize: number): Promise<number> {
  const count = Math.max(1, Math.floor(rows / 100));
  let lines = 0;
  for (const t of TABLES) {
    const key = t === 'pin' ? 'index' : 'ind';
    const writer = new PartitionWriter(cfg.lakeRoot, cfg.names.topic[t], 0, flushSize, startOffset);
    let n = 0;
    for await (const record of readSourceTable(dataDir, t)) {
      if (n++ >= count * (keyShift ? 1 : 100)) break;
      if (!keyShift && n % 100 !== 0) continue;
      writer.write(JSON.stringify({ ...record, [key]: Number(record[key]) + keyShift }));
      lines++;
    }
    writer.flush();
  }
  return lines;
}

export async function runBench(base: Config, sizes: number[], print: (l: string) => void, log: (l: string) => void, options: { cleanOnly?: boolean } = {}): Promise<void> {
  const lines: string[] = [];
  const out = (l: string) => { lines.push(l); print(l); };
  out(`bench:batch  sizes ${sizes.join(', ')} rows a table; spark ${base.spark.master}, heap ${base.spark.memory}`);
  for (const rows of sizes) {
    const dataDir = projectPath('.pinpipe', 'bench', `data-${rows}`);
    const cfg: Config = { ...base, lakeRoot: projectPath('.pinpipe', 'bench', `lake-${rows}`) };
    if (!existsSync(path.join(dataDir, 'user_data.csv'))) await generateData({ rows, seed: 'bench', out: dataDir }, log);
    await landFromDir(cfg, { from: dataDir, order: 'shuffled', duplicates: 0.2, malformed: 0.001, seed: 'bench', flushSize: 20000 }, log);
    const [session, startSeconds] = await timed(() => openSpark(cfg.lakeRoot, cfg.spark, log));
    try {
      const [cold] = await timed(() => runLocalJob(JOBS['clean']!, cfg, session.client, { skipTasks: ['queries'], params: FULL }));
      const linesIn = cold.reports.reduce((s, r) => s + r.rows_in, 0);
      out(`\n== ${rows} rows a table (${linesIn} landed lines)`);
      out(`clean cold  ${(startSeconds + cold.seconds).toFixed(2)}s (spark start ${startSeconds.toFixed(2)}s)  ${(linesIn / (startSeconds + cold.seconds)).toFixed(0)} lines/s`);
      const [warm] = await timed(() => runLocalJob(JOBS['clean']!, cfg, session.client, { skipTasks: ['queries'], params: FULL }));
      out(`clean warm  ${warm.seconds.toFixed(2)}s  ${(linesIn / warm.seconds).toFixed(0)} lines/s  (full refresh: every landed file loaded and cleaned)`);
      // The incremental column: 1% new posts landed after the last offset, then a run cleans only them.
      const added = await landIncrement(cfg, dataDir, rows, rows, 9_000_000_000, 20000);
      const [incr] = await timed(() => runLocalJob(JOBS['clean']!, cfg, session.client, { skipTasks: ['queries'] }));
      const inserted = incr.reports.reduce((s, r) => s + r.inserted, 0);
      out(`clean incremental  ${incr.seconds.toFixed(2)}s after +1% (${added} new lines, ${inserted} keys inserted): ${(100 * incr.seconds / warm.seconds).toFixed(1)}% of the full run`);
      // The same number of lines again, now copies of every hundredth key the table holds: the whole key range
      // is read by the comparison and the merge (no file skipped), as re-landed old records would.
      const copies = await landIncrement(cfg, dataDir, rows, 0, 9_100_000_000, 20000);
      const [again] = await timed(() => runLocalJob(JOBS['clean']!, cfg, session.client, { skipTasks: ['queries'] }));
      out(`clean incremental  ${again.seconds.toFixed(2)}s after +1% copies of held keys over the whole key range (${copies} lines, ${again.reports.reduce((s, r) => s + r.unchanged, 0)} keys unchanged): ${(100 * again.seconds / warm.seconds).toFixed(1)}% of the full run`);
      const [idle] = await timed(() => runLocalJob(JOBS['clean']!, cfg, session.client, { skipTasks: ['queries'] }));
      out(`clean with nothing new  ${idle.seconds.toFixed(2)}s`);
      if (options.cleanOnly) {
        out(`spark JVM peak resident memory: ${peakMemoryMiB(session.pid) ?? 'n/a'} MiB`);
        continue;
      }
      await defineBaselineViews(session, cfg);
      out(`${'query'.padEnd(46)} ${'cold'.padStart(8)} ${'warm'.padStart(8)} ${'original'.padStart(9)} ${'ratio'.padStart(7)}`);
      let sumWarm = 0;
      let sumBase = 0;
      for (const q of QUERY_NAMES) {
        const [, coldQ] = await timed(() => runLocalJob(JOBS['queries']!, cfg, session.client, { onlyResults: [q] }));
        const [, warmQ] = await timed(() => runLocalJob(JOBS['queries']!, cfg, session.client, { onlyResults: [q] }));
        const params = { pin_table: 'bench_pin', geo_table: 'bench_geo', user_table: 'bench_user' };
        const [, baseQ] = await timed(() => runLocalJob(JOBS['queries']!, cfg, session.client, { onlyResults: [q], params }));
        sumWarm += warmQ;
        sumBase += baseQ;
        out(`${q.padEnd(46)} ${coldQ.toFixed(2).padStart(7)}s ${warmQ.toFixed(2).padStart(7)}s ${baseQ.toFixed(2).padStart(8)}s ${(baseQ / warmQ).toFixed(2).padStart(6)}x`);
      }
      out(`all nine queries: warm ${sumWarm.toFixed(2)}s, original way ${sumBase.toFixed(2)}s, ratio ${(sumBase / sumWarm).toFixed(2)}x`);
      out(`spark JVM peak resident memory: ${peakMemoryMiB(session.pid) ?? 'n/a'} MiB`);
    } finally {
      await session.stop();
    }
  }
}
