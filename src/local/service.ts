// One lifecycle for every local service (Spark server, Kafka broker, kinesalite, s3rver, MariaDB, the local
// workspace): start a process with its log, wait until it is ready (a port opens, a line is printed, or a
// health call answers) with a timeout and an error that names the service and quotes its log, health,
// stop (SIGTERM, a grace period, SIGKILL) and kill (SIGKILL, as a crash). A service attached to this
// process dies with it; a detached one (a shared daemon) outlives it. Every process started is recorded
// under .pinpipe/run/services with its owner: a later start of the same service stops the ones whose
// owner died without stopping them (a kill -9 of a command), so none is left running for nobody.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PinpipeError, type ErrorCode } from '../errors.ts';
import { projectPath } from '../project.ts';
import { ensurePortFree, portOpen } from './ports.ts';

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

interface ServiceRecord {
  name: string;
  pid: number;
  /** The process that started it and must stop it; 0 for a detached daemon. */
  owner: number;
  cmdline: string;
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

function recordsDir(): string {
  return projectPath('.pinpipe', 'run', 'services');
}

function cmdlineOf(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
}

/** Stops the processes of this service whose owner died without stopping them; forgets the records of ended ones. */
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
    const running = alive(r.pid) && cmdlineOf(r.pid) === r.cmdline;
    if (!running) rmSync(file, { force: true });
    else if (r.name === name && r.owner !== 0 && !alive(r.owner)) {
      log(`${name}: stopping pid ${r.pid}, left running by pid ${r.owner}, which ended without stopping it`);
      await terminate(r.pid, 10_000);
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
  const child: ChildProcess = spawn(spec.command, spec.args, {
    detached: spec.detached === true,
    stdio: ['ignore', byLine ? 'pipe' : (out ?? 'pipe'), out ?? 'pipe'],
  });
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
  writeFileSync(record, JSON.stringify({ name: spec.name, pid, owner: spec.detached ? 0 : process.pid, cmdline: cmdlineOf(pid) ?? '' } satisfies ServiceRecord));
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
