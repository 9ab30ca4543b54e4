// Real clients against the local workspace and warehouse, as a user points them: the commands that start
// them and print what a client needs, a TLS client trusting only the CA file printed, SQL through the
// Databricks SQL driver for Node, then the Databricks SDK for Python and the Databricks SQL Connector for
// Python from PyPI (the project's venv) running tests/clients/*.py.
import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../src/project.ts';
import { Warehouse } from '../../src/warehouse/warehouse.ts';
import { installPython } from '../../src/local/python/install.ts';

const run = promisify(execFile);
const pinpipe = async (...args: string[]) => (await run(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'pinpipe.js'), ...args], { cwd: PROJECT_ROOT, maxBuffer: 1 << 24 })).stdout;

describe('real clients on the local workspace and warehouse', function () {
  this.timeout(600_000);
  let lake: string;

  before(() => { lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-clients-')); });
  after(async () => {
    await pinpipe('warehouse', 'stop', '--lake', lake).catch(() => '');
    rmSync(lake, { recursive: true, force: true });
  });

  it('starts the warehouse with the workspace and prints what a client needs; TLS verifies against the CA file alone', async () => {
    const started = JSON.parse(await pinpipe('warehouse', 'start', '--json', '--lake', lake)) as Record<string, unknown>;
    const status = JSON.parse(await pinpipe('warehouse', 'status', '--json', '--lake', lake)) as Record<string, unknown>;
    expect(status).to.deep.equal(started);
    expect(Object.keys(status)).to.deep.equal(['server_hostname', 'port', 'http_path', 'token_file', 'ca_file']);
    for (const k of ['token_file', 'ca_file']) expect(path.isAbsolute(String(status[k])), k).to.equal(true);
    const ws = JSON.parse(await pinpipe('workspace', 'status', '--json', '--lake', lake)) as Record<string, unknown>;
    expect(Object.keys(ws)).to.deep.equal(['host', 'token_file', 'schedules', 'missed']);
    expect(ws['schedules'], 'the deployed schedules (none here)').to.be.an('array');
    expect(ws['token_file']).to.equal(status['token_file']);
    const token = readFileSync(String(status['token_file']), 'utf8').trim();
    const me = await fetch(`${String(ws['host'])}/api/2.0/preview/scim/v2/Me`, { headers: { authorization: `Bearer ${token}` } });
    expect(me.status).to.equal(200);
    // A client that trusts the printed CA file and nothing else accepts the certificate for 127.0.0.1.
    const authorized = await new Promise<boolean>((resolve, reject) => {
      const socket = tls.connect({ host: String(status['server_hostname']), port: Number(status['port']), ca: readFileSync(String(status['ca_file'])) }, () => {
        resolve(socket.authorized);
        socket.end();
      });
      socket.on('error', reject);
    });
    expect(authorized).to.equal(true);
    const wh = new Warehouse({ host: String(status['server_hostname']), port: Number(status['port']), warehouseId: String(status['http_path']).split('/').pop()!, token });
    try {
      expect((await wh.run('SELECT 1 AS one', {})).rows).to.deep.equal([{ one: 1 }]);
    } finally {
      await wh.close();
    }
    // The Databricks SDK for Python, from PyPI, against the workspace: the calls of tests/clients/sdk_client.py.
    const python = installPython(() => {});
    const sdk = await run(python, [path.join(PROJECT_ROOT, 'tests', 'clients', 'sdk_client.py'), String(ws['host']), String(status['token_file']), String(status['port'])], { maxBuffer: 1 << 24 })
      .catch((e: { stdout?: string; stderr?: string }) => { throw new Error(`sdk_client.py failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`); });
    console.log(sdk.stdout.trim().split('\n').map((l) => `      ${l}`).join('\n'));
    expect(sdk.stdout).to.include('ok no warning in the whole session');
    // The Databricks SQL Connector for Python against the warehouse: tests/clients/sql_client.py.
    const connector = await run(python, [path.join(PROJECT_ROOT, 'tests', 'clients', 'sql_client.py'), JSON.stringify(status)], { maxBuffer: 1 << 24 })
      .catch((e: { stdout?: string; stderr?: string }) => { throw new Error(`sql_client.py failed:\n${e.stdout ?? ''}\n${e.stderr ?? ''}`); });
    console.log(connector.stdout.trim().split('\n').map((l) => `      ${l}`).join('\n'));
    expect(connector.stdout).to.include('ok a SQL error is raised');
    await pinpipe('warehouse', 'stop', '--lake', lake);
    expect((await pinpipe('warehouse', 'status', '--json', '--lake', lake)).trim()).to.equal('null');
  });
});
