// The generated notebooks on the real local Spark + Delta: hand fixture, real rows against the reference
// implementation, and duplicated / shuffled / partly malformed landings giving the same tables.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { landFromDir } from '../../src/emulator/land.ts';
import { runLocalJob } from '../../src/local/batch.ts';
import { installSpark, openSpark, type SparkSession, type SparkStatementError } from '../../src/local/spark/index.ts';
import { clearTopic, PartitionWriter } from '../../src/sink/landing.ts';
import { namedParameters, parseNotebook, QUERY_NAMES, quoteIdentifier, splitStatements, sqlString } from '../../src/notebook/index.ts';
import { sqlStringExpr } from '../../src/notebook/sql-lexer.ts';
import { databricksSourceSql } from '../../src/notebook/render.ts';
import { localSourceStatements } from '../../src/local/bind.ts';
import { PinpipeError } from '../../src/errors.ts';
import { tableFromIPC } from 'apache-arrow';
import { resultToArrowFile } from '../../src/warehouse/arrow.ts';
import { startLocalWarehouse } from '../../src/local/warehouse/endpoint.ts';
import { runWarehouseQueries, Warehouse } from '../../src/warehouse/warehouse.ts';
import { PROJECT_ROOT as PROJECT } from '../../src/project.ts';
import { JOBS } from '../../jobs/index.ts';
import { cleanLines, runQueries, type Row } from '../reference/transform.ts';
import { edges, firstRunReport, hand, realLines, REAL_DIR, SPEC_COLUMNS, type TableKey } from '../fixtures/index.ts';
import { jobParameters } from '../../src/job/index.ts';
import { queryCellStatements } from '../../src/notebook/files.ts';

const TABLES: TableKey[] = ['pin', 'geo', 'user'];
const quiet = () => {};

describe('batch notebooks on local Spark + Delta', function () {
  this.timeout(600_000);
  let lake: string;
  let config: Config;
  let spark: SparkSession;

  before(async () => {
    installSpark(quiet);
    lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-it-'));
    config = loadConfig({ lake, env: {}, cwd: lake });
    spark = await openSpark(lake, { ...config.spark, memory: '2g' }, quiet);
  });

  after(async () => {
    await spark?.stop();
    if (lake) rmSync(lake, { recursive: true, force: true });
  });

  it('quotes hostile parameter values into SQL text by one rule, on Spark as in TypeScript (the Databricks source cell)', async () => {
    const hostile = ["x'; DROP TABLE t; --", 'ends in a backslash\\', "\\'); SELECT 1; --", "'\\''", 'line\nbreak', '\\u0027', '`back`ticks`', "s3://b/p?x=1&y='2'"];
    for (const v of hostile) {
      // The run-time rule gives exactly the TypeScript literal, and Spark reads that literal back as the value.
      const lit = (await spark.client.sql(`SELECT ${sqlStringExpr(':v')} AS lit`, { v })).rows[0]!['lit'] as string;
      expect(lit, v).to.equal(sqlString(v));
      expect((await spark.client.sql(`SELECT ${lit} AS back`)).rows[0]!['back'], v).to.equal(v);
    }
    // The generated cell, run up to EXECUTE IMMEDIATE (COPY INTO exists on Databricks only): the statement it
    // builds holds the landing path as one literal, whatever the job parameters say; the view over the bronze
    // table (run on both targets) holds the table's name as one literal, whatever the parameter says.
    const binding = { view: 'pin_source', topicWidget: 'pin_topic', bronzeVariable: 'pin_bronze', loadVariable: 'pin_load_id', afterVariable: 'pin_load_from' };
    const [declare, setVar, , declareView, setView] = splitStatements(databricksSourceSql(binding).split('\n').filter((l) => !l.startsWith('--')).join('\n'));
    await spark.client.sql(declare!);
    await spark.client.sql(declareView!);
    await spark.client.sql('DECLARE OR REPLACE VARIABLE pin_bronze STRING');
    await spark.client.sql('DECLARE OR REPLACE VARIABLE pin_load_id BIGINT DEFAULT 7');
    for (const v of hostile) {
      await spark.client.sql(setVar!, { landing_root: v, pin_topic: 't' });
      const built = (await spark.client.sql('SELECT pin_source_sql AS s')).rows[0]!['s'] as string;
      expect(built).to.equal(`COPY INTO IDENTIFIER(:bronze) FROM (SELECT value, _metadata.file_path AS source_file, CAST('7' AS BIGINT) AS load_id FROM ${sqlString(`${v}/topics/t/`)}) FILEFORMAT = TEXT PATTERN = 'partition=*/*.json'`);
      await spark.client.sql('SET VAR pin_bronze = :v', { v });
      await spark.client.sql(setView!);
      const view = (await spark.client.sql('SELECT pin_source_view_sql AS s')).rows[0]!['s'] as string;
      expect(view).to.equal(`CREATE OR REPLACE TEMPORARY VIEW pin_source AS SELECT value, source_file FROM IDENTIFIER(${sqlString(v)}) WHERE load_id > pin_load_from`);
    }
    // The local target takes a topic parameter only as a Kafka topic name.
    const none = async () => [];
    for (const topic of ["x` UNION SELECT 1 --", '../../etc']) {
      try {
        await localSourceStatements(binding, lake, topic, none);
        expect.fail(`${topic} should be refused`);
      } catch (e) {
        expect((e as Error).message).to.match(/is not a Kafka topic name/);
      }
    }
  });

  it('serves SQL only to a caller with its token: no token 401, a web page (Origin) 403, a text/plain POST 415, GET /shutdown 405', async () => {
    const url = `http://127.0.0.1:${spark.client.port}`;
    const auth = { authorization: `Bearer ${spark.token}` };
    const sql = JSON.stringify({ statement: 'SELECT 1 AS one' });
    expect((await fetch(`${url}/sql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sql })).status).to.equal(401);
    expect((await fetch(`${url}/sql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: 'Bearer wrong' }, body: sql })).status).to.equal(401);
    expect((await fetch(`${url}/health`)).status).to.equal(401);
    expect((await fetch(`${url}/sql`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example', ...auth }, body: sql })).status).to.equal(403);
    expect((await fetch(`${url}/sql`, { method: 'POST', headers: { 'content-type': 'text/plain', ...auth }, body: sql })).status).to.equal(415);
    expect((await fetch(`${url}/shutdown`, { headers: auth })).status).to.equal(405);
    expect((await fetch(`${url}/shutdown`)).status).to.equal(401);
    const ok = await fetch(`${url}/sql`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: sql });
    expect([ok.status, ((await ok.json()) as { rows: unknown[] }).rows]).to.deep.equal([200, [{ one: 1 }]]);
    // The driver's own ports listen on the loopback address only (IPv4, or IPv4-mapped on a dual-stack socket).
    const listening = execFileSync('ss', ['-Hltnp'], { encoding: 'utf8' }).split('\n').filter((l) => l.includes(`pid=${spark.pid},`));
    expect(listening.length, 'ports of the Spark JVM').to.be.above(1);
    for (const l of listening) expect(l, l).to.match(/\s(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+\s/);
  });

  async function table(t: TableKey): Promise<Row[]> {
    const r = await spark.client.sql('SELECT * FROM IDENTIFIER(:t) ORDER BY ind', { t: quoteIdentifier(config.names.table[t]) }, { maxRows: 1_000_000 });
    return r.rows;
  }

  async function queries(): Promise<Record<string, Row[]>> {
    const run = await runLocalJob(JOBS['queries']!, config, spark.client);
    return Object.fromEntries([...run.results].map(([name, cell]) => [name, cell.result.rows]));
  }

  function landLines(t: TableKey, lines: string[], flushSize: number): void {
    clearTopic(lake, config.names.topic[t]);
    const w = new PartitionWriter(lake, config.names.topic[t], 0, flushSize);
    for (const l of lines) w.write(l);
    w.flush();
  }

  it('cleans the hand fixture to the hand-checked tables, reports and rejects, and answers the nine queries', async () => {
    const files = { pin: 5, geo: 3, user: 3 };
    for (const t of TABLES) landLines(t, hand.landed[t], 3);
    // The first run on an empty lake: incremental (the default), every landed file new.
    const run = await runLocalJob(JOBS['clean']!, config, spark.client, { skipTasks: ['queries'] });
    for (const t of TABLES) {
      expect(await table(t), `${t} table`).to.deep.equal(hand.expected.tables[t]);
      expect(run.reports.find((r) => r.table_name === t), `${t} report`).to.deep.equal(firstRunReport(hand.expected.reports[t], files[t], false));
      const rejects = await spark.client.sql('SELECT reason FROM IDENTIFIER(:t)', { t: quoteIdentifier(config.names.rejects[t]) });
      expect(rejects.rows.map((r) => r['reason']).sort(), `${t} rejects`).to.deep.equal([...hand.expected.reject_reasons[t]].sort());
    }
    expect(await queries()).to.deep.equal(hand.expected.queries);
  });

  it('answers the nine queries alike through @databricks/sql on a warehouse endpoint over the same tables, and tells a SQL error apart', async () => {
    // The HiveServer2 Thrift protocol of SQL warehouses, served by src/local/warehouse/endpoint.ts on this
    // Spark: the driver's session, named parameters, typed columns and error path run for real.
    const certs = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-wh-tls-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', path.join(certs, 'key.pem'), '-out', path.join(certs, 'cert.pem')], { stdio: 'ignore' });
    const wh = await startLocalWarehouse({ spark: spark.client, token: 'dapi-test', tls: { key: readFileSync(path.join(certs, 'key.pem')), cert: readFileSync(path.join(certs, 'cert.pem')) } });
    const target = { host: wh.host, port: wh.port, warehouseId: wh.warehouseId, token: 'dapi-test', checkServerCertificate: false };
    try {
      const results = await runWarehouseQueries(config, [...QUERY_NAMES], target);
      expect(Object.fromEntries([...results].map(([name, r]) => [name, r.rows]))).to.deep.equal(hand.expected.queries);
      const client = new Warehouse(target);
      try {
        const typed = await client.run('SELECT :who AS who, 7 AS n, 12345678901 AS big, 2.5D AS d, CAST(NULL AS STRING) AS nothing', { who: 'pinpipe' });
        expect(typed.rows).to.deep.equal([{ who: 'pinpipe', n: 7, big: 12345678901, d: 2.5, nothing: null }]);
        expect(typed.columns.map((c) => c.type)).to.deep.equal(['string_type', 'int_type', 'bigint_type', 'double_type', 'string_type']);
        const arrow = tableFromIPC(resultToArrowFile(typed));
        expect(arrow.schema.fields.map((f) => String(f.type))).to.deep.equal(['Utf8', 'Int32', 'Int64', 'Float64', 'Utf8']);
        const failed = await client.run('SELECT * FROM no_such_table', {}).then(() => null, (e: unknown) => e as PinpipeError);
        expect(failed?.code).to.equal('SQL_FAILED');
        expect(failed?.message).to.include('TABLE_OR_VIEW_NOT_FOUND').and.include('no_such_table');
      } finally {
        await client.close();
      }
      const refused = await runWarehouseQueries(config, ['top_user_by_country'], { ...target, token: 'wrong' }).then(() => null, (e: unknown) => e as PinpipeError);
      expect(refused?.code).to.equal('AUTH_FAILED');
    } finally {
      await wh.stop();
      rmSync(certs, { recursive: true, force: true });
    }
  });

  let realTables: Record<TableKey, Row[]>;

  it('cleans the edge-value fixture to the hand-checked tables and results, with the spec\'s column order and types, whatever the session\'s time zone and parser policy', async () => {
    const files = { pin: 14, geo: 7, user: 5 };
    for (const t of TABLES) landLines(t, edges.landed[t], 4);
    // A cluster in another time zone, with Spark 3.5's default parser policy (EXCEPTION raises on text that
    // the pre-3.0 parser read differently, such as 2020-1-1 1:1:1): the notebooks set UTC themselves and
    // check the format before parsing, so neither changes a result.
    await spark.client.sql("SET TIME ZONE 'Pacific/Kiritimati'");
    await spark.client.sql('SET spark.sql.legacy.timeParserPolicy=EXCEPTION');
    try {
      // Another landing in place of the last one: a full refresh rebuilds the tables from it alone.
      const run = await runLocalJob(JOBS['clean']!, config, spark.client, { skipTasks: ['queries'], params: { full_refresh: 'true' } });
      await spark.client.sql("SET TIME ZONE 'Pacific/Kiritimati'");
      const results = await queries();
      await spark.client.sql("SET TIME ZONE 'UTC'");
      for (const t of TABLES) {
        expect(await table(t), `${t} table`).to.deep.equal(edges.expected.tables[t]);
        expect(run.reports.find((r) => r.table_name === t), `${t} report`).to.deep.equal(firstRunReport(edges.expected.reports[t], files[t], true));
        const rejects = await spark.client.sql('SELECT reason FROM IDENTIFIER(:t)', { t: quoteIdentifier(config.names.rejects[t]) });
        expect(rejects.rows.map((r) => r['reason']).sort(), `${t} rejects`).to.deep.equal([...edges.expected.reject_reasons[t]].sort());
        const described = await spark.client.sql('DESCRIBE TABLE IDENTIFIER(:t)', { t: quoteIdentifier(config.names.table[t]) });
        expect(described.rows.filter((r) => !String(r['col_name']).startsWith('#') && r['col_name'] !== '').map((r) => [r['col_name'], r['data_type']]), `${t} columns`).to.deep.equal(SPEC_COLUMNS[t]);
        // The files the full refresh wrote carry statistics of the key only (what a merge skips files by),
        // not the minimum and maximum of every text column.
        const detail = await spark.client.sql(`DESCRIBE DETAIL ${quoteIdentifier(config.names.table[t])}`);
        const log = path.join(fileURLToPath(String(detail.rows[0]!['location'])), '_delta_log');
        const last = readdirSync(log).filter((f) => /^\d{20}\.json$/.test(f)).sort().at(-1)!;
        const stats = readFileSync(path.join(log, last), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { add?: { stats: string } })
          .flatMap((a) => (a.add ? [JSON.parse(a.add.stats) as { numRecords: number; minValues: Record<string, unknown> }] : []));
        expect(stats.reduce((n, st) => n + st.numRecords, 0), `${t} rows in the written files`).to.equal(edges.expected.tables[t].length);
        for (const st of stats) expect(Object.keys(st.minValues), `${t} file statistics`).to.deep.equal(['ind']);
      }
      expect(results).to.deep.equal(edges.expected.queries);
      const params = jobParameters(config, config.landingRoot);
      for (const name of QUERY_NAMES) {
        const sql = queryCellStatements(name).at(-1)!;
        const described = await spark.client.sql(`DESCRIBE QUERY ${sql}`, Object.fromEntries(namedParameters(sql).map((n) => [n, params[n]])));
        expect(described.rows.map((r) => [r['col_name'], r['data_type']]), `${name} columns`).to.deep.equal(SPEC_COLUMNS[name]);
      }
    } finally {
      await spark.client.sql("SET TIME ZONE 'UTC'");
      await spark.client.sql('RESET spark.sql.legacy.timeParserPolicy');
    }
  });

  it('gives, on the real rows, the tables and nine results of the independent reference implementation', async () => {
    await landFromDir(config, { from: REAL_DIR, order: 'original', duplicates: 0, malformed: 0, seed: '1', flushSize: 1000 });
    await runLocalJob(JOBS['clean']!, config, spark.client, { skipTasks: ['queries'], params: { full_refresh: 'true' } });
    const ref = {} as Record<TableKey, Row[]>;
    realTables = {} as Record<TableKey, Row[]>;
    for (const t of TABLES) {
      ref[t] = cleanLines(t, await realLines(t)).rows;
      realTables[t] = await table(t);
      expect(realTables[t], `${t} table`).to.deep.equal(ref[t]);
    }
    const expected = runQueries(ref.pin, ref.geo, ref.user);
    const actual = await queries();
    for (const name of Object.keys(expected)) expect(actual[name], name).to.deep.equal(expected[name]);
    expect(expected['users_joined_by_year']!.map((r) => r['post_year'])).to.deep.equal([2015, 2016, 2017]);
  });

  it('gives the same tables from a shuffled landing with duplicates and malformed lines, setting those aside', async () => {
    const reports = await landFromDir(config, { from: REAL_DIR, order: 'shuffled', duplicates: 0.7, malformed: 0.01, seed: '7', flushSize: 997 });
    const run = await runLocalJob(JOBS['clean']!, config, spark.client, { skipTasks: ['queries'], params: { full_refresh: 'true' } });
    for (const t of TABLES) {
      expect(await table(t), `${t} table`).to.deep.equal(realTables[t]);
      const report = run.reports.find((r) => r.table_name === t)!;
      const landed = reports.find((r) => r.table === t)!;
      expect(report.rows_in).to.equal(landed.lines);
      expect(report.rows_out).to.equal(realTables[t].length);
      expect(report.rejected).to.be.greaterThan(0);
      expect(report.rows_in - report.rejected - report.duplicates_dropped).to.equal(report.rows_out);
    }
  });

  it('names the notebook, the cell and Spark\'s message when a statement fails', async () => {
    const bad = { ...config, names: { ...config.names, table: { ...config.names.table, pin: 'no_such_table' } } };
    try {
      await runLocalJob(JOBS['queries']!, bad, spark.client, { onlyResults: ['popular_category_by_country'] });
      expect.fail('the query should have failed');
    } catch (e) {
      const msg = (e as Error).message;
      expect(msg).to.include('notebooks/queries.sql cell 6');
      expect(msg).to.include('TABLE_OR_VIEW_NOT_FOUND');
    }
  });

  it('runs the Databricks loading cell as far as open-source Spark allows: only COPY INTO is missing', async () => {
    // The cell that loads the landed files on Databricks (DECLARE, SET VAR, EXECUTE IMMEDIATE COPY INTO ...
    // USING, then the view over the bronze table) is valid SQL for Spark 4: the variable is built from the
    // named parameters; what fails is COPY INTO itself, a Databricks statement.
    const text = readFileSync(path.join(PROJECT, 'notebooks', 'clean', 'pin.sql'), 'utf8');
    const cell = parseNotebook('notebooks/clean/pin.sql', text).find((c) => c.kind === 'source')!;
    const statements = splitStatements(cell.text);
    expect(statements.map((s) => s.replace(/^--.*\n/gm, '').trim().split(/\s+/)[0])).to.deep.equal(['DECLARE', 'SET', 'EXECUTE', 'DECLARE', 'SET', 'EXECUTE']);
    const widgets = { landing_root: "/tmp/it's", pin_topic: config.names.topic.pin };
    await spark.client.sql('DECLARE OR REPLACE VARIABLE pin_bronze STRING DEFAULT \'`it_bronze`\'');
    await spark.client.sql('DECLARE OR REPLACE VARIABLE pin_load_id BIGINT DEFAULT 1');
    for (const s of statements.slice(0, 2)) {
      await spark.client.sql(s, Object.fromEntries(namedParameters(s).map((n) => [n, widgets[n as keyof typeof widgets]])));
    }
    const built = await spark.client.sql('SELECT pin_landed_sql AS q');
    expect(built.rows[0]!['q']).to.equal(
      `COPY INTO IDENTIFIER(:bronze) FROM (SELECT value, _metadata.file_path AS source_file, CAST('1' AS BIGINT) AS load_id FROM '/tmp/it\\'s/topics/${config.names.topic.pin}/') FILEFORMAT = TEXT PATTERN = 'partition=*/*.json'`,
    );
    try {
      await spark.client.sql(statements[2]!);
      expect.fail('COPY INTO should be unknown to open-source Spark');
    } catch (e) {
      expect((e as SparkStatementError).errorClass).to.equal('PARSE_SYNTAX_ERROR');
      expect((e as Error).message).to.include("'COPY'");
    }
  });
});
