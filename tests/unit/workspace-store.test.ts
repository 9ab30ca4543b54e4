// The local workspace's state on disk: a failed write changes nothing (memory and disk agree after it, and
// the next change persists), a change writes bytes in proportion to itself and not to the state (the whole
// state used to be rewritten on every change, once per ancestor folder of a mkdirs), a torn last journal
// line is ignored on reopen, the journal is folded into the snapshot, and kill -9 at any moment loses no
// acknowledged change. Write failures are injected by replacing node:fs functions, whatever module calls them.
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import fs, { appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { localTargetSchema } from '../../src/config/schema.ts';
import { RunExecutor } from '../../src/local/workspace/runner.ts';
import { workspaceApp } from '../../src/local/workspace/server.ts';
import { WorkspaceStore } from '../../src/local/workspace/store.ts';

const token = 'dapi0123456789abcdef0123456789abcdef';
const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };

function openWorkspace(dir: string, options?: ConstructorParameters<typeof WorkspaceStore>[1]): { store: WorkspaceStore; app: FastifyInstance } {
  const store = new WorkspaceStore(dir, options);
  const executor = new RunExecutor(store, { lakeRoot: dir, spark: localTargetSchema.parse({ kind: 'local' }).spark, maxParallel: 1, baseUrl: () => 'http://x', log: () => {} });
  return { store, app: workspaceApp({ store, executor, baseUrl: () => 'http://x', warehouse: () => null, log: () => {} }, { token, lakeRoot: dir }) };
}

async function post(app: FastifyInstance, url: string, body: unknown): Promise<number> {
  return (await app.inject({ method: 'POST', url, headers, payload: JSON.stringify(body) })).statusCode;
}

async function get(app: FastifyInstance, url: string): Promise<unknown> {
  const res = await app.inject({ method: 'GET', url, headers });
  return { status: res.statusCode, body: res.json() as unknown };
}

/** What a workspace answers about its jobs and its whole folder tree, with every file's content. */
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

type FsFunctions = Record<string, (...args: never[]) => unknown>;
type Wrap = (real: (...args: never[]) => unknown) => (...args: never[]) => unknown;

/** Replaces node:fs functions (for every module's named imports too) while `during` runs. */
async function withFs<T>(wrap: Record<string, Wrap>, during: () => Promise<T>): Promise<T> {
  const mod = fs as unknown as FsFunctions;
  const saved: FsFunctions = {};
  for (const [name, w] of Object.entries(wrap)) {
    saved[name] = mod[name]!;
    mod[name] = w(saved[name]!);
  }
  syncBuiltinESMExports();
  try {
    return await during();
  } finally {
    Object.assign(mod, saved);
    syncBuiltinESMExports();
  }
}

/** Bytes written to files (write, writeFile, appendFile) while `during` runs. */
async function bytesWritten(during: () => Promise<void>): Promise<number> {
  let n = 0;
  const size = (data: unknown, a?: unknown, b?: unknown): number => {
    if (typeof data === 'string') return Buffer.byteLength(data);
    const buf = data as Buffer;
    return typeof b === 'number' ? b : buf.byteLength - (typeof a === 'number' ? a : 0);
  };
  const count = (at: number) => (real: (...args: never[]) => unknown) => (...args: never[]) => {
    n += size(args[at], args[at + 1], args[at + 2]);
    return real(...args);
  };
  await withFs({ writeSync: count(1), writeFileSync: count(1), appendFileSync: count(1) }, during);
  return n;
}

/** Closes a store's journal (a no-op for a store without one). */
const close = (store: WorkspaceStore) => (store as { close?: () => void }).close?.();

const dirPath = (i: number, depth: number) => `/p${i}${'/folder'.repeat(depth - 1)}`;

describe('local workspace state on disk', () => {
  let dir: string;
  const closing: { app: FastifyInstance; store: WorkspaceStore }[] = [];

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-ws-store-'));
  });

  afterEach(async () => {
    for (const w of closing.splice(0)) {
      await w.app.close();
      close(w.store);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const open = (options?: ConstructorParameters<typeof WorkspaceStore>[1]) => {
    const w = openWorkspace(dir, options);
    closing.push(w);
    return w;
  };

  it('after a failed write at any step, memory equals disk, and the next change persists', async () => {
    const { app } = open();
    expect(await post(app, '/api/2.0/workspace/mkdirs', { path: '/Shared' })).to.equal(200);
    const source = (text: string) => ({ path: '/Shared/nb', format: 'SOURCE', language: 'SQL', overwrite: true, content: Buffer.from(text).toString('base64') });
    expect(await post(app, '/api/2.0/workspace/import', source('-- v1'))).to.equal(200);
    const eio = (): Wrap => () => () => {
      throw Object.assign(new Error('EIO: i/o error (injected)'), { code: 'EIO' });
    };
    // A write that stops half way (a full disk) before failing.
    const short = (): Wrap => (real) => (...args) => {
      const [fd, data, offset, length, position] = args as unknown as [number, Buffer | string, number?, number?, number?];
      if (typeof data !== 'string') real(...([fd, data, offset ?? 0, Math.floor((length ?? data.length) / 2), position] as unknown as never[]));
      throw Object.assign(new Error('ENOSPC: no space left on device (injected)'), { code: 'ENOSPC' });
    };
    const failures: [string, Wrap][] = [['writeSync', short()], ...['writeSync', 'writeFileSync', 'fsyncSync', 'renameSync', 'ftruncateSync', 'openSync'].map((s): [string, Wrap] => [s, eio()])];
    for (const [step, failing] of failures) {
      const changes: [string, unknown][] = [
        ['/api/2.2/jobs/create', { name: `job-${step}`, tags: { step } }],
        ['/api/2.0/workspace/mkdirs', { path: `/Shared/${step}/a/b` }],
        ['/api/2.0/workspace/import', source(`-- v2 ${step}`)],
      ];
      for (const [url, body] of changes) {
        const status = await withFs({ [step]: failing }, () => post(app, url, body));
        expect(status, `${url} with ${step} failing`).to.be.oneOf([200, 500]);
        const fromDisk = open().app;
        expect(await view(fromDisk), `${url} with ${step} failing`).to.deep.equal(await view(app));
      }
    }
    expect(await post(app, '/api/2.2/jobs/create', { name: 'last' })).to.equal(200);
    const disk = await view(open().app);
    expect(disk).to.deep.equal(await view(app));
    expect(JSON.stringify(disk)).to.contain('"last"');
  });

  it('writes bytes in proportion to the change, not to the state (mkdirs at depth 10 vs 300 before it)', async () => {
    const { app, store } = open();
    const mkdirs = (i: number) => post(app, '/api/2.0/workspace/mkdirs', { path: dirPath(i, 10) });
    const first = await bytesWritten(async () => void expect(await mkdirs(0)).to.equal(200));
    expect(first).to.be.greaterThan(0);
    const total = await bytesWritten(async () => {
      for (let i = 1; i <= 300; i++) expect(await mkdirs(i)).to.equal(200);
    });
    const last = await bytesWritten(async () => void expect(await mkdirs(301)).to.equal(200));
    expect(last, `bytes of the 302nd mkdirs vs the 1st: ${last} vs ${first}`).to.be.below(first * 2);
    // All 300, compactions of the journal into the snapshot included, cost what 300 changes cost, not 300 states.
    expect(total, `bytes of 300 mkdirs: ${total}`).to.be.below(first * 300 * 3);
    const again = new WorkspaceStore(dir);
    expect(again.document()).to.deep.equal(store.document());
    again.close();
  });

  it('keeps writes proportional with frequent compaction, and reopens to the same state', async () => {
    const { app, store } = open({ compactMinBytes: 16 * 1024 });
    const mkdirs = (i: number) => post(app, '/api/2.0/workspace/mkdirs', { path: dirPath(i, 10) });
    const first = await bytesWritten(async () => void expect(await mkdirs(0)).to.equal(200));
    const total = await bytesWritten(async () => {
      for (let i = 1; i <= 300; i++) expect(await mkdirs(i)).to.equal(200);
    });
    expect(total, `bytes of 300 mkdirs: ${total}`).to.be.below(first * 300 * 3);
    const journal = statSync(path.join(dir, 'state.journal')).size;
    expect(journal, 'the journal was folded into the snapshot').to.be.at.most(Math.max(16 * 1024, 2 * statSync(path.join(dir, 'state.json')).size));
    const again = new WorkspaceStore(dir);
    expect(again.document()).to.deep.equal(store.document());
    expect(Object.keys(again.document().objects)).to.have.length(1 + 301 * 10);
    again.close();
  });

  it('ignores a torn last journal line on reopen, and appends cleanly after it', async () => {
    const job = (id: number) => ({ job_id: id, created_time: id, creator_user_name: 'me', settings: { name: `job ${id}` } });
    const store = new WorkspaceStore(dir);
    store.putJob(job(1));
    store.putJob(job(2));
    close(store);
    const journal = path.join(dir, 'state.journal');
    expect(existsSync(journal), 'changes go to state.journal').to.equal(true);
    const lines = readFileSync(journal, 'utf8').split('\n');
    expect(lines.slice(-3).map((l) => l.length > 0)).to.deep.equal([true, true, false]);
    // A crash in the middle of writing a third change: half its line, no line end.
    const third = lines[lines.length - 2]!.replace('job 2', 'job 3').replace('"2"', '"3"');
    appendFileSync(journal, third.slice(0, Math.floor(third.length / 2)));
    const reopened = new WorkspaceStore(dir);
    expect(reopened.allJobs().map((j) => j.job_id)).to.deep.equal([1, 2]);
    reopened.putJob(job(4));
    close(reopened);
    // A whole last line that does not read (zeros where the data never reached the disk) is torn as well.
    appendFileSync(journal, Buffer.alloc(40));
    appendFileSync(journal, '\n');
    const last = new WorkspaceStore(dir);
    expect(last.allJobs().map((j) => j.job_id)).to.deep.equal([1, 2, 4]);
    close(last);
    // A bad line with lines after it is damage, not a torn write: opening says so instead of dropping changes.
    const text = readFileSync(journal, 'utf8').split('\n');
    fs.writeFileSync(journal, [text[0], '{"torn', ...text.slice(1)].join('\n'));
    expect(() => new WorkspaceStore(dir)).to.throw(/line 2 .*damaged/);
  });

  it('loses no acknowledged change when killed with SIGKILL at any moment, compaction included', async function () {
    this.timeout(60_000);
    const storeUrl = new URL('../../src/local/workspace/store.ts', import.meta.url).href;
    const script = `
      import { WorkspaceStore } from ${JSON.stringify(storeUrl)};
      const store = new WorkspaceStore(process.argv[1], { compactMinBytes: 4096 });
      const pad = 'x'.repeat(Number(process.argv[2]));
      for (let id = (store.allJobs().at(-1)?.job_id ?? 0) + 1; ; id++) {
        store.putJob({ job_id: id, created_time: id, creator_user_name: 'me', settings: { name: 'job ' + id, description: pad } });
        process.stdout.write(id + '\\n');
      }`;
    let acked = 0;
    for (let round = 0; round < 4; round++) {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, dir, String(50 + round * 700)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
      const killAt = acked + 40 + Math.floor(Math.random() * 200);
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (Number(out.trimEnd().split('\n').at(-1)) >= killAt) child.kill('SIGKILL');
        });
        child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`child exited ${code}: ${err}`))));
      });
      for (const l of out.split('\n')) if (l && /^\d+$/.test(l)) acked = Math.max(acked, Number(l));
      const store = new WorkspaceStore(dir);
      const ids = store.allJobs().map((j) => j.job_id);
      close(store);
      expect(ids.length, `round ${round}: every acknowledged change is there`).to.be.at.least(acked);
      expect(ids, `round ${round}: changes are a prefix, none lost in between`).to.deep.equal(Array.from({ length: ids.length }, (_, i) => i + 1));
      acked = ids.length;
    }
  });
});
