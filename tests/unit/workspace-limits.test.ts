// The local workspace refuses request shapes it could not store safely, with Databricks' 400
// INVALID_PARAMETER_VALUE naming the field and never a 5xx: deep JSON (a 20,000-deep `tags` once gave 500 and
// broke every later save), long and deep workspace paths, long strings, and settings of the wrong type.
// After a refusal the workspace still works, and what it answers is what it reads back from disk.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { localTargetSchema } from '../../src/config/schema.ts';
import { RunExecutor } from '../../src/local/workspace/runner.ts';
import { workspaceApp } from '../../src/local/workspace/server.ts';
import { WorkspaceStore } from '../../src/local/workspace/store.ts';

const token = 'dapi0123456789abcdef0123456789abcdef';
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

/** A workspace app over the state in `dir` (read from disk, as a restarted server would). */
function openWorkspace(dir: string): { store: WorkspaceStore; app: FastifyInstance } {
  const store = new WorkspaceStore(dir);
  const executor = new RunExecutor(store, { lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, maxParallel: 1, baseUrl: () => 'http://x', log: () => {} });
  return { store, app: workspaceApp({ store, executor, baseUrl: () => 'http://x', warehouse: () => null, log: () => {} }, { token, lakeRoot: dir }) };
}

async function post(app: FastifyInstance, url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await app.inject({ method: 'POST', url, headers, payload: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

async function get(app: FastifyInstance, url: string): Promise<unknown> {
  const res = await app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json() as unknown };
}

/** What a workspace answers about its jobs and its whole folder tree. */
async function view(app: FastifyInstance): Promise<unknown> {
  const tree: unknown[] = [];
  const walk = async (p: string): Promise<void> => {
    const res = (await get(app, `/api/2.0/workspace/list?path=${encodeURIComponent(p)}`)) as { body: { objects?: { path: string; object_type: string }[] } };
    for (const o of res.body.objects ?? []) {
      tree.push(o);
      if (o.object_type === 'DIRECTORY') await walk(o.path);
      else if (o.object_type !== 'DASHBOARD') tree.push(await get(app, `/api/2.0/workspace/export?path=${encodeURIComponent(o.path)}`));
    }
  };
  await walk('/');
  return { jobs: await get(app, '/api/2.2/jobs/list?expand_tasks=true&limit=100'), tree };
}

/** `{"a":{"a":...1...}}`, `depth` objects deep. */
const deepObject = (depth: number) => `${'{"a":'.repeat(depth - 1)}{"a":1}${'}'.repeat(depth - 1)}`;

describe('local workspace request limits', () => {
  let dir: string;
  let app: FastifyInstance;

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-ws-limits-'));
    app = openWorkspace(dir).app;
    await app.ready();
  });

  afterEach(async () => {
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a 20,000-deep tags object with 400 naming tags; a later valid create works and persists', async () => {
    const deep = await post(app, '/api/2.2/jobs/create', `{"name":"deep","tags":${deepObject(20_000)}}`);
    expect(deep.status).to.equal(400);
    expect(deep.body['error_code']).to.equal('INVALID_PARAMETER_VALUE');
    expect(deep.body['message']).to.match(/\btags\b/);
    // A deep value inside an array is named through it.
    const inArray = await post(app, '/api/2.2/jobs/create', `{"name":"deep","tasks":[{"task_key":"t","notebook_task":{"base_parameters":${deepObject(40)}}}]}`);
    expect([inArray.status, inArray.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    expect(inArray.body['message']).to.contain('tasks[].notebook_task.base_parameters');

    const ok = await post(app, '/api/2.2/jobs/create', { name: 'after', tags: { team: 'data' } });
    expect(ok.status).to.equal(200);
    const again = openWorkspace(dir).app;
    const [mine, disk] = [await view(app), await view(again)];
    expect(disk).to.deep.equal(mine);
    expect(JSON.stringify(disk)).to.contain('"after"');
    await again.close();
  });

  it('accepts settings nested to the bound and refuses one level more', async () => {
    // The body is level 1 and `tags` level 2: a tags value may nest 30 more levels.
    const at = await post(app, '/api/2.2/jobs/create', `{"name":"n","environments":[${deepObject(30)}]}`);
    expect(at.status).to.equal(200);
    const past = await post(app, '/api/2.2/jobs/create', `{"name":"n","environments":[${deepObject(31)}]}`);
    expect([past.status, past.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    // Brackets inside strings are text, not nesting.
    expect((await post(app, '/api/2.2/jobs/create', { name: '[[[', description: '{"'.repeat(5000), tags: { k: '[\\"'.repeat(100) } })).status).to.equal(200);
  });

  it('bounds mkdirs to 64 folders and 4,096 characters (400 past either), one change for all ancestors', async () => {
    const at = await post(app, '/api/2.0/workspace/mkdirs', { path: '/d'.repeat(64) });
    expect(at.status).to.equal(200);
    const deeper = await post(app, '/api/2.0/workspace/mkdirs', { path: '/d'.repeat(65) });
    expect(deeper).to.deep.equal({ status: 400, body: { error_code: 'INVALID_PARAMETER_VALUE', message: 'Invalid value for field path: the path is 65 folders deep; at most 64 are allowed.' } });
    const long = await post(app, '/api/2.0/workspace/mkdirs', { path: `/${'x'.repeat(4096)}` });
    expect([long.status, long.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    expect(long.body['message']).to.contain('field path');
    expect((await post(app, '/api/2.0/workspace/mkdirs', { path: `/${'x'.repeat(4095)}` })).status).to.equal(200);
    const wide = await post(app, '/api/2.0/workspace/mkdirs', { path: '/w'.repeat(100_000) });
    expect([wide.status, wide.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    // Other routes that take a path apply the same bounds.
    const imp = await post(app, '/api/2.0/workspace/import', { path: '/d'.repeat(65), format: 'AUTO', content: Buffer.from('x').toString('base64') });
    expect([imp.status, imp.body['error_code']]).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
    const status = await get(app, `/api/2.0/workspace/get-status?path=${'/d'.repeat(65)}`);
    expect(status).to.have.nested.property('status', 400);
  });

  it('refuses long strings, too many tags and settings of the wrong type with 400 naming the field, never 5xx', async () => {
    const cases: [string, unknown, string][] = [
      ['/api/2.2/jobs/create', { name: 'x'.repeat(4097) }, 'name'],
      ['/api/2.2/jobs/create', { name: 'n', description: 'x'.repeat(70_000) }, 'description'],
      ['/api/2.2/jobs/create', { name: 'n', tags: Object.fromEntries(Array.from({ length: 26 }, (_, i) => [`k${i}`, 'v'])) }, 'tags'],
      ['/api/2.2/jobs/create', { name: 'n', tags: { a: { b: 1 } } }, 'tags.a'],
      ['/api/2.2/jobs/create', { name: 'n', tags: 'x' }, 'tags'],
      ['/api/2.2/jobs/create', { name: 'n', tasks: 5 }, 'tasks'],
      ['/api/2.2/jobs/create', { name: 'n', tasks: [null] }, 'tasks[0]'],
      ['/api/2.2/jobs/create', { name: 'n', tasks: [{ task_key: 't', depends_on: 'x', notebook_task: { notebook_path: '/n' } }] }, 'tasks[0].depends_on'],
      ['/api/2.2/jobs/create', { name: 'n', tasks: [{ task_key: 't', notebook_task: { notebook_path: '/n', base_parameters: { a: [1] } } }] }, 'base_parameters.a'],
      ['/api/2.2/jobs/create', { name: 'n', tasks: [{ task_key: 'k'.repeat(101), notebook_task: { notebook_path: '/n' } }] }, 'task_key'],
      ['/api/2.2/jobs/create', { name: 'n', parameters: 'p' }, 'parameters'],
      ['/api/2.2/jobs/create', { name: 'n', schedule: 7 }, 'schedule'],
      ['/api/2.2/jobs/runs/submit', { tasks: 'abc' }, 'tasks'],
      ['/api/2.2/jobs/runs/submit', { tasks: [{ task_key: 't', notebook_task: { notebook_path: '/n' } }], run_name: 'r'.repeat(5000) }, 'run_name'],
      ['/api/2.0/lakeview/dashboards', { display_name: 'd'.repeat(5000), parent_path: '/', serialized_dashboard: '{"pages":[]}' }, 'display_name'],
    ];
    for (const [url, body, field] of cases) {
      const res = await post(app, url, body);
      expect([res.status, res.body['error_code']], `${url} ${JSON.stringify(body).slice(0, 80)}`).to.deep.equal([400, 'INVALID_PARAMETER_VALUE']);
      expect(res.body['message'], url).to.contain(field);
    }
    const created = await post(app, '/api/2.2/jobs/create', { name: 'n', parameters: [{ name: 'p', default: 'd' }] });
    const reset = await post(app, '/api/2.2/jobs/reset', { job_id: created.body['job_id'], new_settings: { tasks: {} } });
    expect([reset.status, reset.body['message']]).to.deep.equal([400, 'Invalid value for field new_settings.tasks: must be an array.']);
    const runNow = await post(app, '/api/2.2/jobs/run-now', { job_id: created.body['job_id'], job_parameters: { p: { deep: [] } } });
    expect([runNow.status, runNow.body['message']]).to.deep.equal([400, 'Invalid value for field job_parameters: must be an object of strings.']);
    const big = await post(app, '/api/2.2/jobs/create', { name: 'n', description: 'x'.repeat(11 * 1024 * 1024) });
    expect([big.status, big.body['error_code']]).to.deep.equal([413, 'REQUEST_LIMIT_EXCEEDED']);
    // Nothing refused was stored.
    expect(JSON.stringify(await view(app))).not.to.contain('xxxxxxxx');
  });
});
