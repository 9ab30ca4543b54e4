// The one lifecycle of the local services: ready on a port or on a printed line, health, stop, a start
// that fails naming the service and quoting its output, and the clean-up of a process whose owner died
// without stopping it (a kill -9 of a command).
import { expect } from 'chai';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { allocatePort, portOpen } from '../../src/local/ports.ts';
import { alive, cleanOrphans, startService } from '../../src/local/service.ts';
import { projectPath } from '../../src/project.ts';

const node = process.execPath;
const listen = (port: number) => `require('net').createServer(() => {}).listen(${port}, '127.0.0.1'); setInterval(() => {}, 1000)`;

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
    const record = (pid: number, owner: number) => writeFileSync(path.join(dir, `test-orphan-${pid}.json`), JSON.stringify({ name: 'test-orphan', pid, owner, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') }));
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
});
