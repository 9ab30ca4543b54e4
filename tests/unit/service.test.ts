// The one lifecycle of the local services: ready on a port or on a printed line, health, stop, a start
// that fails naming the service and quoting its output, and the clean-up of a process whose owner died
// without stopping it (a kill -9 of a command). An attached service dies with its parent even when the
// parent is killed with SIGKILL; a recorded pid that now names another process (another start time) is
// never signalled; kill() SIGKILLs the service itself.
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { allocatePort, portOpen } from '../../src/local/ports.ts';
import { alive, cleanOrphans, startService } from '../../src/local/service.ts';
import { projectPath } from '../../src/project.ts';

const node = process.execPath;
const listen = (port: number) => `require('net').createServer(() => {}).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000)`;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const recordsDir = projectPath('.pinpipe', 'run', 'services');

// Read straight from /proc, apart from the module under test. A zombie (an ended process nobody reaped
// yet; PID 1 here reaps none) counts as gone.
function stat(pid: number): string[] | null {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}
const gone = (pid: number) => { const f = stat(pid); return !f || f[0] === 'Z' || f[0] === 'X'; };
const startTime = (pid: number) => Number(stat(pid)![19]);
const cmdline = (pid: number) => readFileSync(`/proc/${pid}/cmdline`, 'utf8');
async function goneWithin(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!gone(pid) && Date.now() < deadline) await sleep(50);
  return gone(pid);
}
/** Running processes whose command line holds marker. */
function runningWith(marker: string): number[] {
  return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number)
    .filter((pid) => pid !== process.pid && !gone(pid) && (() => { try { return cmdline(pid).includes(marker); } catch { return false; } })());
}

describe('local service lifecycle', function () {
  this.timeout(30_000);

  it('starts a service ready on its port, tells its health, and stops it', async () => {
    const port = await allocatePort();
    const s = await startService({ name: 'test-port', command: node, args: ['-e', listen(port)], ready: { port }, timeoutMs: 10_000 });
    expect(await s.health()).to.equal(true);
    await s.stop();
    expect(alive(s.pid)).to.equal(false);
    expect(await portOpen(port)).to.equal(false);
    expect(await s.health()).to.equal(false);
  });

  it('starts a service ready on a printed line and gives the line\'s match', async () => {
    const s = await startService({ name: 'test-line', command: node, args: ['-e', "console.log('noise'); console.log('READY port=4242'); setInterval(() => {}, 1000)"], ready: { line: /^READY port=(\d+)/ }, timeoutMs: 10_000 });
    expect(s.match?.[1]).to.equal('4242');
    await s.kill();
    expect(alive(s.pid)).to.equal(false);
  });

  it('names the service and quotes its output when it dies before it is ready', async () => {
    let error: Error | null = null;
    await startService({ name: 'test-dies', command: node, args: ['-e', "console.error('cannot bind: no such thing'); process.exit(3)"], ready: { port: await allocatePort() }, timeoutMs: 10_000, hint: 'Do something.' })
      .catch((e: Error) => { error = e; });
    expect(String(error)).to.match(/test-dies: exited with code 3 before it was ready \(IO_FAILED\)/);
    expect(String(error)).to.include('cannot bind: no such thing');
    expect(String(error)).to.include('Do something.');
  });

  it('refuses a port that is taken, before starting anything', async () => {
    const port = await allocatePort();
    const holder = await startService({ name: 'test-holder', command: node, args: ['-e', listen(port)], ready: { port }, timeoutMs: 10_000 });
    try {
      let error: Error | null = null;
      await startService({ name: 'test-second', command: node, args: ['-e', listen(port)], ready: { port }, timeoutMs: 10_000 }).catch((e: Error) => { error = e; });
      expect(String(error)).to.include(`test-second: port ${port} on 127.0.0.1 is already taken`);
    } finally {
      await holder.stop();
    }
  });

  it('stops a service left running by an owner that died without stopping it, and only such a one', async () => {
    const orphan = spawn(node, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore', detached: true });
    const kept = spawn(node, ['-e', 'setInterval(() => {}, 1000) // kept'], { stdio: 'ignore', detached: true });
    const deadOwner = spawnSync(node, ['-e', 'process.pid'], { stdio: 'ignore' }).pid!;
    await new Promise((r) => setTimeout(r, 300));
    const dir = projectPath('.pinpipe', 'run', 'services');
    mkdirSync(dir, { recursive: true });
    const record = (pid: number, owner: number) => writeFileSync(path.join(dir, `test-orphan-${pid}.json`), JSON.stringify({ name: 'test-orphan', pid, owner, cmdline: cmdline(pid), started: startTime(pid) }));
    record(orphan.pid!, deadOwner);
    record(kept.pid!, process.pid);
    try {
      expect(await cleanOrphans('test-orphan')).to.equal(1);
      await new Promise((r) => setTimeout(r, 200));
      expect(alive(orphan.pid!)).to.equal(false);
      expect(alive(kept.pid!)).to.equal(true);
    } finally {
      orphan.kill('SIGKILL');
      kept.kill('SIGKILL');
    }
  });

  it('ends an attached service within seconds when its parent dies by SIGKILL', async () => {
    const parent = spawn(node, ['--import', 'tsx', projectPath('tests', 'helpers', 'service-parent.ts')], { cwd: projectPath(), stdio: ['ignore', 'pipe', 'inherit'] });
    let pid = 0;
    try {
      pid = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the parent did not start its service within 20s')), 20_000);
        readline.createInterface({ input: parent.stdout! }).on('line', (l) => {
          const m = /^SERVICE (\d+)$/.exec(l);
          if (m) { clearTimeout(timer); resolve(Number(m[1])); }
        });
        parent.once('exit', (c, sig) => { clearTimeout(timer); reject(new Error(`the parent ended (${c ?? sig}) before its service was ready`)); });
      });
      expect(gone(pid)).to.equal(false);
      parent.kill('SIGKILL');
      expect(await goneWithin(pid, 5_000), `service pid ${pid} still runs 5s after its parent was killed`).to.equal(true);
    } finally {
      parent.kill('SIGKILL');
      if (pid && !gone(pid)) process.kill(pid, 'SIGKILL');
      await cleanOrphans('test-parent-child');
    }
  });

  it('never signals a recorded pid that now names another process (same command line, another start time)', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    const deadOwner = spawnSync(node, ['-e', 'process.pid'], { stdio: 'ignore' }).pid!;
    await sleep(100);
    mkdirSync(recordsDir, { recursive: true });
    const file = path.join(recordsDir, `test-reused-${other.pid}.json`);
    writeFileSync(file, JSON.stringify({ name: 'test-reused', pid: other.pid, owner: deadOwner, cmdline: cmdline(other.pid!), started: startTime(other.pid!) - 1 }));
    try {
      expect(await cleanOrphans('test-reused')).to.equal(0);
      await sleep(300);
      expect(gone(other.pid!)).to.equal(false);
      expect(existsSync(file)).to.equal(false);
    } finally {
      other.kill('SIGKILL');
      rmSync(file, { force: true });
    }
  });

  it('stops an orphan whose owner\'s pid now names another process (another start time)', async () => {
    const orphan = spawn(node, ['-e', 'setInterval(() => {}, 1000) // owner reused'], { stdio: 'ignore', detached: true });
    await sleep(300);
    mkdirSync(recordsDir, { recursive: true });
    const file = path.join(recordsDir, `test-owner-reused-${orphan.pid}.json`);
    writeFileSync(file, JSON.stringify({ name: 'test-owner-reused', pid: orphan.pid, cmdline: cmdline(orphan.pid!), started: startTime(orphan.pid!), owner: process.pid, ownerStarted: startTime(process.pid) - 1 }));
    try {
      expect(await cleanOrphans('test-owner-reused')).to.equal(1);
      expect(await goneWithin(orphan.pid!, 2_000)).to.equal(true);
    } finally {
      orphan.kill('SIGKILL');
      rmSync(file, { force: true });
    }
  });

  it('kill() SIGKILLs the service itself (one that ignores SIGTERM), whose record names it by command line and start time', async () => {
    const marker = `svc-kill-${process.pid}-${Date.now()}`;
    const s = await startService({ name: 'test-kill', command: node, args: ['-e', `process.on('SIGTERM', () => {}); console.log('READY pid=' + process.pid); setInterval(() => {}, 1000) // ${marker}`], ready: { line: /^READY pid=(\d+)/ }, timeoutMs: 10_000 });
    expect(s.pid).to.equal(Number(s.match![1]));
    const file = path.join(recordsDir, `test-kill-${s.pid}.json`);
    const record = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    expect(record).to.include({ pid: s.pid, cmdline: cmdline(s.pid), started: startTime(s.pid), owner: process.pid, ownerStarted: startTime(process.pid) });
    const started = Date.now();
    await s.kill();
    expect(Date.now() - started).to.be.below(2_000);
    expect(gone(s.pid)).to.equal(true);
    expect(existsSync(file)).to.equal(false);
    // Nothing started for it (a watchdog) is left behind.
    const deadline = Date.now() + 2_000;
    while (runningWith(marker).length && Date.now() < deadline) await sleep(50);
    expect(runningWith(marker)).to.deep.equal([]);
  });

  it('writes a service\'s output to its log file', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-service-'));
    const port = await allocatePort();
    const logFile = path.join(dir, 'svc.log');
    try {
      const s = await startService({ name: 'test-log', command: node, args: ['-e', `console.log('to stdout'); console.error('to stderr'); ${listen(port)}`], ready: { port }, timeoutMs: 10_000, logFile });
      await s.stop();
      const log = readFileSync(logFile, 'utf8');
      expect(log).to.include('to stdout');
      expect(log).to.include('to stderr');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
