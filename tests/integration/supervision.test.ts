// `pinpipe api` as users run it (a process of its own, with the broker and kinesalite it starts): kill -9 of
// its broker is survived (the broker is started again and requests succeed again, /health says so), and
// kill -9 of the API takes its children with it, so that the next start on the same lake works.
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { PROJECT_ROOT } from '../../src/project.ts';
import { running } from '../../src/local/supervise.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function startApiProcess(lake: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [path.join(PROJECT_ROOT, 'bin', 'pinpipe.js'), 'api', '--lake', lake, '--port', '0'], { stdio: ['ignore', 'pipe', 'ignore'] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('pinpipe api did not print its URL within 180 s')), 180_000);
    readline.createInterface({ input: child.stdout! }).on('line', (l) => {
      if (/^http:\/\/127\.0\.0\.1:\d+$/.test(l.trim())) { clearTimeout(t); resolve({ child, url: l.trim() }); }
    });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`pinpipe api exited with ${code}`)); });
  });
}

const health = async (url: string) => {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as { supervised?: { broker: string; restarts: number; pid: number } } };
  } catch {
    return { status: 0, body: {} };
  }
};

const post = async (url: string, topic: string) => (await fetch(`${url}/topics/${topic}`, {
  method: 'POST', headers: { 'content-type': 'application/vnd.kafka.json.v2+json' }, body: JSON.stringify({ records: [{ value: { ind: 1, first_name: 'A', last_name: 'B', age: 20, date_joined: '2020-01-01 00:00:00' } }] }),
})).status;

describe('pinpipe api supervises its broker, and its children die with it', function () {
  this.timeout(600_000);
  let lake: string;
  let api: { child: ChildProcess; url: string } | null = null;

  before(() => { lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-supervise-')); });
  after(async () => {
    api?.child.kill('SIGTERM');
    await sleep(3000);
    rmSync(lake, { recursive: true, force: true });
  });

  it('starts the broker again after kill -9, and a kill -9 of the API ends the broker and kinesalite it started', async () => {
    api = await startApiProcess(lake);
    const topic = (await (await fetch(`${api.url}/topics`)).json() as string[]).find((t) => t.endsWith('.user'))!;
    expect(await post(api.url, topic)).to.equal(200);
    const first = (await health(api.url)).body.supervised!;
    expect(first).to.deep.include({ broker: 'up', restarts: 0 });
    process.kill(first.pid, 'SIGKILL');
    let back = false;
    for (let i = 0; i < 120 && !back; i++) {
      await sleep(1000);
      const h = await health(api.url);
      back = h.status === 200 && h.body.supervised?.restarts === 1 && h.body.supervised.broker === 'up';
    }
    expect(back, 'the broker is back and /health says so').to.equal(true);
    let accepted = 0;
    for (let i = 0; i < 30 && accepted !== 200; i++) { accepted = await post(api.url, topic); if (accepted !== 200) await sleep(1000); }
    expect(accepted, 'a request after the restart').to.equal(200);

    // kill -9 of the API: its broker and kinesalite end within the watchdog's grace.
    const brokerPid = (await health(api.url)).body.supervised!.pid;
    const kids = (await import('node:child_process')).execFileSync('pgrep', ['-P', String(api.child.pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
    api.child.kill('SIGKILL');
    await new Promise((r) => api!.child.once('exit', r));
    let gone = false;
    for (let i = 0; i < 30 && !gone; i++) { await sleep(1000); gone = !running(brokerPid) && kids.every((k) => !running(k)); }
    expect(gone, `broker ${brokerPid} and children ${kids.join(',')} ended`).to.equal(true);
    // The next start on the same lake works (no port left taken), and the record is still there.
    api = await startApiProcess(lake);
    expect(await post(api.url, topic)).to.equal(200);
  });
});
