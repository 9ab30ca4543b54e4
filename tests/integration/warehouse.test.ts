// Warehouse queries: the statements sent are the query cells with their parameters; Arrow files hold the
// results with their types; connection, authentication and configuration errors are told apart. (The
// endpoint answering 403 stands in for a workspace refusing a token: a SQL warehouse cannot run here.)
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { loadConfig } from '../../src/config/index.ts';
import { PinpipeError } from '../../src/errors.ts';
import { jobParameters } from '../../src/job/index.ts';
import { resultToArrowFile } from '../../src/warehouse/arrow.ts';
import { queryStatements, runWarehouseQueries, Warehouse, warehouseTarget } from '../../src/warehouse/warehouse.ts';

async function failure(p: Promise<unknown>): Promise<PinpipeError> {
  try {
    await p;
  } catch (e) {
    return e as PinpipeError;
  }
  throw new Error('expected a failure');
}

describe('SQL warehouse queries', function () {
  this.timeout(120_000);
  let dir: string;
  let tls: Server;
  let port: number;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-wh-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
    tls = createServer({ key: readFileSync(path.join(dir, 'key.pem')), cert: readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      req.resume();
      res.writeHead(403, { 'content-type': 'application/json', 'x-databricks-reason-phrase': 'Invalid access token.' });
      res.end('{"error_code":403,"message":"Invalid access token."}');
    });
    await new Promise<void>((r) => tls.listen(0, '127.0.0.1', () => r()));
    port = (tls.address() as AddressInfo).port;
  });

  after(() => {
    tls?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each query cell of notebooks/queries.sql with its table parameters', () => {
    const cfg = loadConfig({ env: {}, cwd: dir });
    const [s, ...rest] = queryStatements('top_user_by_country', jobParameters(cfg, cfg.landingRoot));
    expect(rest).to.have.length(0);
    expect(s!.sql).to.include('IDENTIFIER(:pin_table)');
    expect(s!.args).to.deep.equal({ pin_table: '`0affe4008223_pin_table`', geo_table: '`0affe4008223_geo_table`' });
  });

  it('writes Arrow IPC files that read back with the same rows and typed columns', () => {
    const bytes = resultToArrowFile({
      columns: [{ name: 'age_group', type: 'string' }, { name: 'post_year', type: 'int' }, { name: 'n', type: 'bigint' }, { name: 'median', type: 'double' }],
      rows: [{ age_group: '18-24', post_year: 2015, n: 841, median: 410000 }, { age_group: null, post_year: 2016, n: 2760, median: 4500.5 }],
      rowCount: 2,
      truncated: false,
    });
    const table = tableFromIPC(bytes);
    expect(table.schema.fields.map((f) => `${f.name}:${f.type}`)).to.deep.equal(['age_group:Utf8', 'post_year:Int32', 'n:Int64', 'median:Float64']);
    expect(table.toArray().map((r) => r.toJSON())).to.deep.equal([
      { age_group: '18-24', post_year: 2015, n: 841n, median: 410000 },
      { age_group: null, post_year: 2016, n: 2760n, median: 4500.5 },
    ]);
  });

  it('says HOST_UNREACHABLE when nothing listens', async () => {
    const e = await failure(new Warehouse({ host: '127.0.0.1', port: 9, warehouseId: 'abc', token: 'dapi0' }).open());
    expect(e.code).to.equal('HOST_UNREACHABLE');
    expect(e.message).to.include('127.0.0.1 (warehouse abc)');
  });

  it('says AUTH_FAILED when the workspace refuses the token', async () => {
    const wh = new Warehouse({ host: '127.0.0.1', port, warehouseId: 'abc', token: 'dapi-wrong', checkServerCertificate: false });
    const e = await failure(wh.open());
    expect(e.code).to.equal('AUTH_FAILED');
    await wh.close();
  });

  it('reaches a workspace whose URL names a port (the host and the port go to the driver apart)', async () => {
    const cfg = loadConfig({ env: {}, cwd: dir });
    const db = { ...cfg, targetName: 'dev', target: { kind: 'databricks', host: `https://127.0.0.1:${port}`, warehouse_id: 'abc', folder: '/Shared/pinpipe', compute: { serverless: true }, access: { mode: 'external_location', credentials_table: 'authentication_credentials', secret_scope: 'pinpipe', access_key_secret: 'a', secret_key_secret: 'b' }, development: true } } as never;
    const saved = process.env['DATABRICKS_TOKEN'];
    process.env['DATABRICKS_TOKEN'] = 'dapi-wrong';
    try {
      const target = await warehouseTarget(db);
      expect([target.host, target.port]).to.deep.equal(['127.0.0.1', port]);
      // It reaches the server (which refuses the token) instead of failing on an invalid URL.
      const wh = new Warehouse({ ...target, checkServerCertificate: false });
      expect((await failure(wh.open())).code).to.equal('AUTH_FAILED');
      await wh.close();
    } finally {
      if (saved === undefined) delete process.env['DATABRICKS_TOKEN'];
      else process.env['DATABRICKS_TOKEN'] = saved;
    }
  });

  it('asks for a warehouse_id when the target has none, before any connection', async () => {
    const cfg = loadConfig({ env: {}, cwd: dir });
    const db = { ...cfg, targetName: 'dev', target: { kind: 'databricks', host: 'https://dbc-1.cloud.databricks.com', folder: '/Shared/pinpipe', compute: { serverless: true }, access: { mode: 'mount', credentials_table: 'authentication_credentials', secret_scope: 'pinpipe', access_key_secret: 'a', secret_key_secret: 'b' }, development: true } } as never;
    const e = await failure(warehouseTarget(db));
    expect(e.code).to.equal('CONFIG_INVALID');
    expect(e.message).to.include('targets.dev.warehouse_id');
    const e2 = await failure(runWarehouseQueries(db, ['users_joined_by_year']));
    expect(e2.code).to.equal('CONFIG_INVALID');
  });
});
