// Small helpers for the local services (Kafka, MariaDB, kinesalite, s3rver, the workspace): free ports, open
// ports, live pids, and child services that are ready once they listen.
import { spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import net from 'node:net';
import { PinpipeError } from '../../errors.ts';

export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * Distinct free ports: each listener stays open until all are chosen, since the kernel may hand out a port
 * that was just closed again (two listeners on one port make a Kafka config invalid). Ports in `avoid` are
 * never returned.
 */
export async function freePorts(count: number, avoid: number[] = []): Promise<number[]> {
  const servers: net.Server[] = [];
  const ports: number[] = [];
  try {
    while (ports.length < count) {
      const s = net.createServer();
      servers.push(s);
      const p = await new Promise<number>((resolve, reject) => {
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => resolve((s.address() as net.AddressInfo).port));
      });
      if (!avoid.includes(p)) ports.push(p);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Sends SIGTERM, waits up to graceMs for the process to end, then SIGKILL. */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  if (!alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (alive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (alive(pid)) process.kill(pid, 'SIGKILL');
}

export interface ChildService {
  pid: number;
  /** SIGTERM, and wait for the process to end. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), and wait for the process to end. */
  kill(): Promise<void>;
}

/**
 * Runs a service in a child process (output appended to logFile) and waits until it listens on
 * 127.0.0.1:port; it is killed if this process exits first. Fails with the log's name when it does not.
 */
export async function startChildService(options: { name: string; command: string; args: string[]; port: number; logFile: string; timeoutMs?: number }): Promise<ChildService> {
  const out = openSync(options.logFile, 'a');
  const child = spawn(options.command, options.args, { stdio: ['ignore', out, out] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  while (!(await portOpen(options.port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new PinpipeError('IO_FAILED', `${options.name} did not start on port ${options.port} (IO_FAILED); see ${options.logFile}.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    process.off('exit', killOnExit);
  };
  return { pid: child.pid!, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
