// One lifecycle for every local service (Spark server, Kafka broker, kinesalite, s3rver, MariaDB, the local
// workspace): start a process with its log, wait until it is ready (a port opens, a line is printed, or a
// health call answers) with a timeout and an error that names the service and quotes its log, health,
// stop (SIGTERM, a grace period, SIGKILL) and kill (SIGKILL, as a crash).
//
// Dying with the parent. A detached service (a shared daemon) outlives this process. An attached one dies
// with it, and not only on a clean exit (the 'exit' hook): it is spawned through a watchdog
// (supervise.ts) that holds a pipe from this process. When that pipe reaches end of file, because this
// process died even by kill -9, the watchdog sends the service SIGTERM and, after ORPHAN_GRACE_S, SIGKILL.
// The watchdog execs the service in its own place, so Service.pid is the service's own pid, kill()
// SIGKILLs the service itself, and stdout (the ready line), the log file and the exit code are as a direct
// spawn gives them.
//
// Records. Every process started is recorded under .pinpipe/run/services with its pid, command line and
// start time (/proc/<pid>/stat field 22), and its owner's pid and start time (owner 0 for a detached
// daemon). A later start of the same service stops the processes whose owner ended without stopping them
// (the fallback, should the watchdog die too). Before any signal, it checks that the pid still names the
// recorded process (same command line and same start time), so a reused pid is never signalled
// (sameProcess, for other stops to reuse). A Service's own stop() and kill() signal through the child
// handle, which Node never uses after it reaped the child, so they cannot reach a reused pid either.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PinpipeError, type ErrorCode } from '../errors.ts';
import { childEnvironment } from '../config/env.ts';
import { projectPath } from '../project.ts';
import { ensurePortFree, portOpen } from './ports.ts';
import { identify, running, sameProcess, spawnWatched, terminateProcess, type StdioEntry } from './supervise.ts';

export { identify, sameProcess, terminateProcess, type ProcessIdentity } from './supervise.ts';

/** Seconds an attached service has to end on SIGTERM, once its parent died, before its watchdog SIGKILLs it. */
export const ORPHAN_GRACE_S = 10;

export type Readiness = { port: number } | { line: RegExp } | { check: () => Promise<boolean> };

export interface ServiceSpec {
  /** Names the service in messages and in its record: `kafka broker`, `kinesalite`, `spark`. */
  name: string;
  command: string;
  args: string[];
  /** Output is appended here; without it, stdout is read for the ready line and stderr kept for errors. */
  logFile?: string;
  ready: Readiness;
  timeoutMs: number;
  /** Outlives this process (a shared daemon); otherwise it is killed when this process exits. */
  detached?: boolean;
  /** The error code of a start that fails. */
  code?: ErrorCode;
  /** What to do when the start fails, said after the log's last lines. */
  hint?: string;
  /** Variables added to this process's environment for the service (secrets go here, never in args). */
  env?: Record<string, string>;
}

export interface Service {
  name: string;
  pid: number;
  /** The ready line's match, for a service ready on a line. */
  match: RegExpExecArray | null;
  /** Ends when the process exits. */
  exited: Promise<void>;
  health(): Promise<boolean>;
  /** SIGTERM, then SIGKILL after graceMs; waits for the process to end. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL (a crash); waits for the process to end. */
  kill(): Promise<void>;
}

export interface ServiceRecord {
  name: string;
  pid: number;
  cmdline: string;
  /** The service's start time, /proc/<pid>/stat field 22; a record without one is never signalled. */
  started?: number;
  /** The process that started it and must stop it; 0 for a detached daemon. */
  owner: number;
  /** The owner's start time: an owner pid reused by another process is an owner that ended. */
  ownerStarted?: number;
}

/** True while the process runs (an unreaped zombie has ended). */
export function alive(pid: number): boolean {
  return running(pid);
}

function ownerAlive(r: ServiceRecord): boolean {
  if (typeof r.ownerStarted !== 'number') return alive(r.owner);
  return identify(r.owner)?.started === r.ownerStarted;
}

/**
 * Sends SIGTERM, waits up to graceMs for the process to end, then SIGKILL. The process is identified when
 * called, so the SIGKILL never reaches another process that got the pid meanwhile. A caller that kept a
 * command line and start time should prefer terminateProcess, which checks before the first signal too.
 */
export async function terminate(pid: number, graceMs: number): Promise<void> {
  const id = identify(pid);
  if (id) await terminateProcess(id, graceMs);
}

function recordsDir(): string {
  return projectPath('.pinpipe', 'run', 'services');
}

/**
 * Stops the processes of this service whose owner died without stopping them; forgets the records of
 * ended ones, and of any whose pid now names another process (another command line or start time).
 */
export async function cleanOrphans(name: string, log: (line: string) => void = () => {}): Promise<number> {
  const dir = recordsDir();
  if (!existsSync(dir)) return 0;
  let stopped = 0;
  for (const f of readdirSync(dir)) {
    const file = path.join(dir, f);
    let r: ServiceRecord;
    try {
      r = JSON.parse(readFileSync(file, 'utf8')) as ServiceRecord;
    } catch {
      rmSync(file, { force: true });
      continue;
    }
    if (!sameProcess(r)) rmSync(file, { force: true });
    else if (r.name === name && r.owner !== 0 && !ownerAlive(r)) {
      log(`${name}: stopping pid ${r.pid}, left running by pid ${r.owner}, which ended without stopping it`);
      await terminateProcess({ pid: r.pid, cmdline: r.cmdline, started: r.started! }, 10_000);
      rmSync(file, { force: true });
      stopped++;
    }
  }
  return stopped;
}

function tailOf(logFile: string | undefined, kept: string[]): string {
  const lines = logFile && existsSync(logFile) ? readFileSync(logFile, 'utf8').split('\n') : kept;
  return lines.filter((l) => l.trim() && !/^\s+at /.test(l)).slice(-8).join('\n');
}

export async function startService(spec: ServiceSpec): Promise<Service> {
  const code = spec.code ?? 'IO_FAILED';
  await cleanOrphans(spec.name);
  if ('port' in spec.ready) await ensurePortFree(spec.ready.port, spec.name);
  const out = spec.logFile ? openSync(spec.logFile, 'a') : null;
  const byLine = 'line' in spec.ready;
  // A service ready on a line prints it on stdout; everything else goes to the log file when there is one.
  const stdio: StdioEntry[] = ['ignore', byLine ? 'pipe' : (out ?? 'pipe'), out ?? 'pipe'];
  const env = spec.env ? childEnvironment(spec.env) : undefined;
  const child: ChildProcess = spec.detached ? spawn(spec.command, spec.args, { detached: true, stdio, ...(env ? { env } : {}) }) : spawnWatched(spec.command, spec.args, stdio, ORPHAN_GRACE_S, env);
  if (!byLine) child.stdout?.resume();
  const kept: string[] = [];
  if (!out && child.stderr) readline.createInterface({ input: child.stderr }).on('line', (l) => { kept.push(l); if (kept.length > 40) kept.shift(); });
  const killOnExit = () => child.kill('SIGKILL');
  if (!spec.detached) process.on('exit', killOnExit);
  const exited = new Promise<void>((r) => child.once('exit', () => { process.off('exit', killOnExit); r(); }));
  const fail = (why: string): never => {
    child.kill('SIGKILL');
    throw new PinpipeError(code, `${spec.name}: ${why} (${code}).${spec.logFile ? ` ${spec.logFile}` : ' Its output'} ends with:\n${tailOf(spec.logFile, kept)}${spec.hint ? `\n${spec.hint}` : ''}`);
  };
  let match: RegExpExecArray | null = null;
  const deadline = Date.now() + spec.timeoutMs;
  if ('line' in spec.ready) {
    const re = spec.ready.line;
    match = await new Promise<RegExpExecArray | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), spec.timeoutMs);
      if (child.stdout) readline.createInterface({ input: child.stdout }).on('line', (l) => {
        const m = re.exec(l);
        if (m) { clearTimeout(timer); resolve(m); }
      });
      child.once('exit', () => { clearTimeout(timer); resolve(null); });
    });
    if (!match) fail(child.exitCode !== null ? `exited with code ${child.exitCode} before it was ready` : `was not ready within ${spec.timeoutMs / 1000}s`);
    child.stdout?.resume();
  } else {
    const ready = 'port' in spec.ready ? ((p: number) => () => portOpen(p))(spec.ready.port) : spec.ready.check;
    while (!(await ready())) {
      if (child.exitCode !== null || child.signalCode !== null) fail(`exited with code ${child.exitCode ?? child.signalCode} before it was ready`);
      if (Date.now() > deadline) fail(`was not ready within ${spec.timeoutMs / 1000}s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const pid = child.pid!;
  const record = path.join(recordsDir(), `${spec.name.replace(/[^A-Za-z0-9_-]/g, '_')}-${pid}.json`);
  mkdirSync(recordsDir(), { recursive: true });
  const id = identify(pid) ?? { cmdline: '', started: -1 };
  const owner = spec.detached ? { owner: 0 } : { owner: process.pid, ownerStarted: identify(process.pid)?.started ?? -1 };
  writeFileSync(record, JSON.stringify({ name: spec.name, pid, cmdline: id.cmdline, started: id.started, ...owner } satisfies ServiceRecord));
  if (spec.detached) {
    child.stdout?.destroy();
    child.stderr?.destroy();
    child.unref();
  }
  const end = async (signal: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(t);
    rmSync(record, { force: true });
  };
  const health = 'check' in spec.ready ? spec.ready.check : 'port' in spec.ready ? ((p: number) => () => portOpen(p))(spec.ready.port) : async () => child.exitCode === null;
  return {
    name: spec.name,
    pid,
    match,
    exited,
    health: async () => child.exitCode === null && child.signalCode === null && (await health()),
    stop: (graceMs = 30_000) => end('SIGTERM', graceMs),
    kill: () => end('SIGKILL', 0),
  };
}
