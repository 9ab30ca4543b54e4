import { expect } from 'chai';
import net from 'node:net';
import { allocatePort, allocatePorts, ensurePortFree } from '../../src/local/ports.ts';

describe('port allocator for local services', () => {
  it('hands out distinct ports, never one to avoid, even when asked for many at once', async () => {
    // Closing each listener before opening the next lets the kernel hand a port out twice; a broker given
    // one port for its client and controller listeners refuses to format its storage.
    const ports = await allocatePorts(300);
    expect(new Set(ports).size).to.equal(300);
    const avoid = (await allocatePorts(1))[0]!;
    const again = await allocatePorts(100, [avoid]);
    expect(again).to.not.include(avoid);
    expect(new Set(again).size).to.equal(100);
  });

  it('never hands the same port twice in a process, over many separate calls', async () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) {
      const p = await allocatePort();
      expect(seen.has(p), `port ${p} handed twice`).to.equal(false);
      seen.add(p);
    }
  });

  it('re-checks a port before a service takes it', async () => {
    const port = await allocatePort();
    await ensurePortFree(port, 'test');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
    try {
      let error: Error | null = null;
      await ensurePortFree(port, 'test').catch((e: Error) => { error = e; });
      expect(String(error)).to.include(`test: port ${port} on 127.0.0.1 is already taken`);
    } finally {
      server.close();
    }
  });
});
