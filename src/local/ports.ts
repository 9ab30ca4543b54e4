// One port allocator for every local service: distinct free ports on 127.0.0.1, never the same port twice
// in this process (the kernel may hand a just-closed port out again, and two services on one port make a
// Kafka config invalid), and a re-check just before a service starts on a port it was given.
import net from 'node:net';
import { PinpipeError } from '../errors.ts';

const handed = new Set<number>();

function listenOnAnyPort(): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => resolve(s));
  });
}

/**
 * `count` distinct free ports, none handed before by this process and none in `avoid`. Each listener
 * stays open until all are chosen, so the kernel cannot give the same one twice meanwhile.
 */
export async function allocatePorts(count: number, avoid: readonly number[] = []): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    for (let tries = 0; ports.length < count; tries++) {
      if (tries > count + 1000) throw new PinpipeError('IO_FAILED', `ports: no ${count} free ports on 127.0.0.1 (IO_FAILED).`);
      const s = await listenOnAnyPort();
      servers.push(s);
      const p = (s.address() as net.AddressInfo).port;
      if (!handed.has(p) && !avoid.includes(p)) {
        handed.add(p);
        ports.push(p);
      }
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export async function allocatePort(): Promise<number> {
  return (await allocatePorts(1))[0]!;
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

/** Fails clearly when a port a service is about to take is taken already (by whom is in the message's advice). */
export async function ensurePortFree(port: number, service: string): Promise<void> {
  if (await portOpen(port)) throw new PinpipeError('IO_FAILED', `${service}: port ${port} on 127.0.0.1 is already taken (IO_FAILED); is another copy running? Stop it, or remove the service's data folder to take a new port.`);
}
