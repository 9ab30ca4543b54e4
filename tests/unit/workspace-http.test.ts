// The local workspace's HTTP contract without a socket (fastify's inject): the token on every API call (403
// with Databricks' reason header), Databricks' error shapes for unknown endpoints, wrong methods, bad JSON
// and oversized bodies, and the SCIM Me route. fastify's own errors must never leak through in its shape.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { localTargetSchema } from '../../src/config/schema.ts';
import { RunExecutor } from '../../src/local/workspace/runner.ts';
import { workspaceApp } from '../../src/local/workspace/server.ts';
import { WorkspaceStore } from '../../src/local/workspace/store.ts';

describe('local workspace HTTP contract', () => {
  let dir: string;
  let app: FastifyInstance;
  const token = 'dapi0123456789abcdef0123456789abcdef';
  const auth = { authorization: `Bearer ${token}` };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-ws-http-'));
    const store = new WorkspaceStore(dir);
    const executor = new RunExecutor(store, { lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, maxParallel: 1, baseUrl: () => 'http://x', log: () => {} });
    app = workspaceApp({ store, executor, baseUrl: () => 'http://x', warehouse: () => null, log: () => {} }, { token, lakeRoot: dir });
    await app.ready();
  });

  after(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a missing or wrong token with 403 and the reason header, on known and unknown routes alike', async () => {
    for (const headers of [{}, { authorization: 'Bearer dapi-wrong' }, { authorization: token }]) {
      for (const url of ['/api/2.0/workspace/list?path=/', '/api/9.9/nothing']) {
        const res = await app.inject({ method: 'GET', url, headers });
        expect(res.statusCode, url).to.equal(403);
        expect(res.json()).to.deep.equal({ error_code: '403', message: 'Invalid access token.' });
        expect(res.headers['x-databricks-reason-phrase']).to.equal('Invalid access token.');
      }
    }
  });

  it('answers health and the run page without a token, and the API with it', async () => {
    expect((await app.inject({ method: 'GET', url: '/pinpipe/health' })).json()).to.deep.equal({ ok: true, lake: dir });
    expect((await app.inject({ method: 'GET', url: '/' })).headers['content-type']).to.match(/^text\/html/);
    const res = await app.inject({ method: 'GET', url: '/api/2.0/workspace/get-status?path=/', headers: auth });
    expect(res.statusCode).to.equal(200);
    expect(res.json()).to.include({ path: '/', object_type: 'DIRECTORY' });
  });

  it('names unknown endpoints (404 ENDPOINT_NOT_FOUND) and wrong methods (405) as Databricks does', async () => {
    const unknown = await app.inject({ method: 'GET', url: '/api/2.0/no/such/thing', headers: auth });
    expect([unknown.statusCode, unknown.json().error_code]).to.deep.equal([404, 'ENDPOINT_NOT_FOUND']);
    expect(unknown.json().message).to.equal("No API found for 'GET /api/2.0/no/such/thing'");
    const method = await app.inject({ method: 'DELETE', url: '/api/2.2/jobs/create', headers: auth });
    expect([method.statusCode, method.json().error_code]).to.deep.equal([405, 'BAD_REQUEST']);
    const dashboard = await app.inject({ method: 'GET', url: '/api/2.0/lakeview/dashboards/not-an-id', headers: auth });
    expect([dashboard.statusCode, dashboard.json().error_code]).to.deep.equal([404, 'ENDPOINT_NOT_FOUND']);
  });

  it('answers bad JSON with 400 MALFORMED_REQUEST and an oversized body with 413 REQUEST_LIMIT_EXCEEDED', async () => {
    for (const payload of ['{not json', '[1,2]', '"text"']) {
      const res = await app.inject({ method: 'POST', url: '/api/2.0/workspace/mkdirs', headers: { ...auth, 'content-type': 'application/json' }, payload });
      expect([res.statusCode, res.json().error_code], payload).to.deep.equal([400, 'MALFORMED_REQUEST']);
    }
    const big = await app.inject({ method: 'POST', url: '/api/2.0/workspace/import', headers: { ...auth, 'content-type': 'application/json' }, payload: Buffer.alloc(17 * 1024 * 1024, 0x20) });
    expect([big.statusCode, big.json().error_code]).to.deep.equal([413, 'REQUEST_LIMIT_EXCEEDED']);
    const missing = await app.inject({ method: 'POST', url: '/api/2.0/workspace/mkdirs', headers: { ...auth, 'content-type': 'application/json' }, payload: '{}' });
    expect([missing.statusCode, missing.json()]).to.deep.equal([400, { error_code: 'INVALID_PARAMETER_VALUE', message: 'Missing required field: path' }]);
  });

  it('answers the current user (SCIM Me)', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/2.0/preview/scim/v2/Me', headers: auth });
    expect(res.statusCode).to.equal(200);
    expect(res.json()).to.include({ userName: 'local-user@pinpipe.local', active: true });
  });
});
