// The live tier (`npm run test:live`): the real thing on a real Databricks workspace. It deploys the
// notebooks and jobs under a folder of its own, lands the hand-checked fixture in a Unity Catalog volume of
// its own, runs `clean` (the three cleaning tasks, then the queries) and `queries`, reads the reports and
// the nine results through the SQL warehouse as run-job does, compares them with the hand-worked fixture,
// and deletes everything it created (jobs, folder, tables, volume), whatever happened.
//
// It needs a workspace and a SQL warehouse: DATABRICKS_HOST (and a token, a profile or OAuth through the
// SDK's chain: DATABRICKS_TOKEN, DATABRICKS_CONFIG_PROFILE, ...) and DATABRICKS_WAREHOUSE_ID; optionally
// PINPIPE_LIVE_CATALOG (default main) and PINPIPE_LIVE_SCHEMA (default default), where it may create a
// volume and tables. Without them it is skipped, with one line saying what to set.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { connectDatabricks, type Workspace } from '../../src/databricks/client.ts';
import { deployNotebooks } from '../../src/deploy/notebooks.ts';
import { deployJobs } from '../../src/deploy/jobs.ts';
import { runJob } from '../../src/deploy/run.ts';
import { readRunResults } from '../../src/deploy/results.ts';
import { objectKey } from '../../src/sink/landing.ts';
import { quoteIdentifier } from '../../src/notebook/index.ts';
import { targetOf, type SqlRunner } from '../../src/target.ts';
import { JOBS } from '../../jobs/index.ts';
import { firstRunReport, hand, type TableKey } from '../fixtures/index.ts';

const env = process.env;
const missing = ['DATABRICKS_HOST', 'DATABRICKS_WAREHOUSE_ID'].filter((k) => !env[k]);
const TABLES: TableKey[] = ['pin', 'geo', 'user'];

describe('live: a real Databricks workspace', function () {
  this.timeout(3_600_000);
  if (missing.length) {
    it(`is skipped: set ${missing.join(' and ')} (and a token or profile) to run it against a workspace`, () => {});
    return;
  }
  const uid = randomBytes(6).toString('hex');
  const catalog = env['PINPIPE_LIVE_CATALOG'] ?? 'main';
  const schema = env['PINPIPE_LIVE_SCHEMA'] ?? 'default';
  const volume = `pinpipe_live_${uid}`;
  const log = (l: string) => console.log(`      ${l}`);
  let config: Config;
  let ws: Workspace;
  let sql: SqlRunner;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-live-'));
    writeFileSync(path.join(dir, 'pinpipe.yaml'), [
      `user_id: ${uid}`,
      'targets:',
      '  live:',
      '    kind: databricks',
      `    folder: /Shared/pinpipe-live-${uid}`,
      `    catalog: ${catalog}`,
      `    schema: ${schema}`,
      `    warehouse_id: ${env['DATABRICKS_WAREHOUSE_ID']}`,
      `    landing_root: /Volumes/${catalog}/${schema}/${volume}`,
      '    development: true',
      '',
    ].join('\n'));
    config = loadConfig({ cwd: dir, env, target: 'live' });
    if (config.target.kind !== 'databricks') throw new Error('the live target is not a Databricks target');
    ws = await connectDatabricks(config.target, 'live');
    sql = await targetOf(config).sql(log);
    log(`workspace ${ws.host}, folder /Shared/pinpipe-live-${uid}, volume ${catalog}.${schema}.${volume}`);
    await sql.run(`CREATE VOLUME IF NOT EXISTS ${[catalog, schema, volume].map(quoteIdentifier).join('.')}`, {});
    // The landing, as the sink writes it: topics/<topic>/partition=0/<topic>+0+<offset>.json.
    for (const t of TABLES) {
      const topic = config.names.topic[t];
      const file = `/Volumes/${catalog}/${schema}/${volume}/${objectKey(topic, 0, 0)}`;
      await ws.client.files.upload({ file_path: file, contents: new Blob([`${hand.landed[t].join("\n")}\n`]).stream() as never, overwrite: true });
    }
  });

  after(async () => {
    // Whatever happened: the jobs, the folder, the tables and the volume this run created.
    const jobs = ws ? await (async () => { const out = []; for await (const j of ws.client.jobs.list({})) out.push(j); return out; })() : [];
    for (const j of jobs) if (j.settings?.tags?.['pinpipe_user'] === uid && j.job_id) await ws.client.jobs.delete({ job_id: j.job_id }).catch(() => {});
    await ws?.client.workspace.delete({ path: `/Shared/pinpipe-live-${uid}`, recursive: true }).catch(() => {});
    for (const t of TABLES) {
      for (const name of [config.names.table[t], config.names.rejects[t], config.names.reports[t], config.names.bronze[t], config.names.changes[t]]) {
        await sql?.run(`DROP TABLE IF EXISTS ${[catalog, schema, name].map(quoteIdentifier).join('.')}`, {}).catch(() => {});
      }
    }
    await sql?.run(`DROP VOLUME IF EXISTS ${[catalog, schema, volume].map(quoteIdentifier).join('.')}`, {}).catch(() => {});
    await sql?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deploys, runs clean and queries, and gives the hand-checked reports and nine results', async () => {
    await deployNotebooks(config, ws, { log });
    await deployJobs(config, ws, Object.values(JOBS), { log });
    const clean = await runJob(config, ws, JOBS['clean']!, { params: {}, log });
    expect(clean.resultState, `${clean.message} ${clean.runPageUrl}`).to.equal('SUCCESS');
    const read = await readRunResults(config, sql, JOBS['clean']!, String(clean.runId));
    expect(read.reports).to.deep.equal(TABLES.map((t) => firstRunReport(hand.expected.reports[t], 1, false)));
    expect(Object.fromEntries([...read.results].map(([n, r]) => [n, r.rows]))).to.deep.equal(hand.expected.queries);
    const queries = await runJob(config, ws, JOBS['queries']!, { params: {}, log });
    expect(queries.resultState, `${queries.message} ${queries.runPageUrl}`).to.equal('SUCCESS');
  });
});
