// Starts, finds and stops the local workspace: a background process (`pinpipe workspace serve`) serving the
// Databricks REST API for one lake. Its state and its token live in <lake>/_workspace; the running
// process is recorded in .pinpipe/run/workspace.json. Commands on the local target start it when needed.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../../config/index.ts';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';
import { generateToken } from './auth.ts';
import type { WarehouseEndpoint } from './server.ts';
import type { MissedTriggers, ScheduleView } from './scheduler.ts';
import { alive, startService, terminate } from '../service.ts';

export interface WorkspaceEndpoint {
  url: string;
  token: string;
  lake: string;
  pid: number;
  /** The SQL warehouse the workspace serves beside its API (HTTPS). */
  warehouse?: WarehouseEndpoint | null;
}

/** The workspace token's file (mode 600): what scripts and clients are pointed at. */
export function tokenFile(lakeRoot: string): string {
  return path.resolve(workspaceStateDir(lakeRoot), 'token');
}

/** Where the local warehouse's CA and certificate are kept. */
export function tlsDir(lakeRoot: string): string {
  return path.join(workspaceStateDir(lakeRoot), 'tls');
}

export function workspaceStateDir(lakeRoot: string): string {
  return path.join(lakeRoot, '_workspace');
}

/** The local workspace's personal access token, created on first use (readable by the owner only). */
export function localToken(lakeRoot: string): string {
  const dir = workspaceStateDir(lakeRoot);
  const file = path.join(dir, 'token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(dir, { recursive: true });
  const token = generateToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return token;
}

function runFile(): string {
  return projectPath('.pinpipe', 'run', 'workspace.json');
}

export function recordRunning(e: WorkspaceEndpoint): void {
  mkdirSync(path.dirname(runFile()), { recursive: true });
  writeFileSync(runFile(), JSON.stringify({ url: e.url, lake: e.lake, pid: e.pid, warehouse: e.warehouse ?? null }));
}

export function forgetRunning(pid: number): void {
  const cur = readRunning();
  if (cur && cur.pid === pid) rmSync(runFile(), { force: true });
}

function readRunning(): Omit<WorkspaceEndpoint, 'token'> | null {
  if (!existsSync(runFile())) return null;
  try {
    return JSON.parse(readFileSync(runFile(), 'utf8')) as Omit<WorkspaceEndpoint, 'token'>;
  } catch {
    return null;
  }
}

async function healthy(url: string): Promise<string | null> {
  try {
    const res = await fetch(`${url}/pinpipe/health`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) return null;
    return ((await res.json()) as { lake: string }).lake;
  } catch {
    return null;
  }
}

/** The running local workspace for this lake, or null. */
export async function findWorkspace(lakeRoot: string): Promise<WorkspaceEndpoint | null> {
  const cur = readRunning();
  if (!cur || !alive(cur.pid)) return null;
  const lake = await healthy(cur.url);
  if (lake === null) return null;
  if (path.resolve(lake) !== path.resolve(lakeRoot)) {
    throw new PinpipeError('WORKSPACE_START_FAILED', `workspace: the local workspace (pid ${cur.pid}, ${cur.url}) serves the lake ${lake}, not ${lakeRoot} (WORKSPACE_START_FAILED). Stop it with \`npx pinpipe workspace stop\`, then run the command again.`);
  }
  return { ...cur, token: localToken(lakeRoot) };
}

/** The local workspace for the configured lake, started in the background when it is not running. */
export async function ensureWorkspace(config: Config, log: (l: string) => void): Promise<WorkspaceEndpoint> {
  const found = await findWorkspace(config.lakeRoot);
  if (found) return found;
  const token = localToken(config.lakeRoot);
  const logFile = projectPath('.pinpipe', 'run', 'workspace.log');
  mkdirSync(path.dirname(logFile), { recursive: true });
  const args = [projectPath('bin', 'pinpipe.js'), 'workspace', 'serve', '--lake', config.lakeRoot, '--target', 'local'];
  if (config.file) args.push('--config', config.file);
  log(`workspace: starting the local workspace for ${config.lakeRoot} (log: ${path.relative(process.cwd(), logFile)})`);
  // A daemon: it outlives this command and serves the later ones on the lake until `workspace stop`.
  const service = await startService({
    name: 'workspace',
    command: process.execPath,
    args,
    logFile,
    detached: true,
    timeoutMs: 60_000,
    code: 'WORKSPACE_START_FAILED',
    ready: { check: async () => { const cur = readRunning(); return cur !== null && alive(cur.pid) && (await healthy(cur.url)) !== null && path.resolve(cur.lake) === path.resolve(config.lakeRoot); } },
  });
  const cur = readRunning()!;
  log(`workspace: local workspace ready at ${cur.url} (pid ${service.pid})`);
  return { ...cur, token };
}

/** The running workspace's schedules (next triggers) and the triggers it missed while stopped; null from a workspace started by a version without schedules. */
export async function workspaceSchedules(ws: WorkspaceEndpoint): Promise<{ schedules: ScheduleView[]; missed: MissedTriggers[] } | null> {
  const res = await fetch(`${ws.url}/pinpipe/schedules`, { headers: { authorization: `Bearer ${ws.token}` }, signal: AbortSignal.timeout(5000) });
  if (res.status === 404) return null;
  if (!res.ok) throw new PinpipeError('API_ERROR', `workspace: ${ws.url}/pinpipe/schedules answered ${res.status} (API_ERROR). Restart the workspace (npx pinpipe workspace stop, then start).`);
  return (await res.json()) as { schedules: ScheduleView[]; missed: MissedTriggers[] };
}

export async function stopWorkspace(log: (l: string) => void): Promise<void> {
  const cur = readRunning();
  if (!cur || !alive(cur.pid)) {
    rmSync(runFile(), { force: true });
    log('workspace: not running');
    return;
  }
  await terminate(cur.pid, 30_000);
  rmSync(runFile(), { force: true });
  log(`workspace: stopped (pid ${cur.pid})`);
}
