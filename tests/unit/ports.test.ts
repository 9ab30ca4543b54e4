import { expect } from 'chai';
import { freePorts } from '../../src/local/runtime/process.ts';

describe('free ports for local services', () => {
  it('hands out distinct ports, never one to avoid, even when asked for many at once', async () => {
    // Closing each listener before opening the next lets the kernel hand a port out twice; a broker given
    // one port for its client and controller listeners refuses to format its storage.
    const ports = await freePorts(300);
    expect(new Set(ports).size).to.equal(300);
    const [first] = ports;
    const again = await freePorts(100, [first!]);
    expect(again).to.not.include(first);
    expect(new Set(again).size).to.equal(100);
  });
});
