// Starts tests/helpers/api-process.ts in a process of its own and resolves once it listens.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PROJECT_ROOT } from '../../src/project.ts';

export function startApiProcess(options: { bootstrap: string; port: number; settings?: Record<string, unknown>; tables?: Record<string, string> }): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'tests', 'helpers', 'api-process.ts'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { child.kill('SIGKILL'); reject(new Error('the API process did not listen within 60 s')); }, 60_000);
    readline.createInterface({ input: child.stdout! }).on('line', (l) => { if (l.startsWith('API ')) { clearTimeout(t); resolve(child); } });
    child.once('exit', (code) => { clearTimeout(t); reject(new Error(`the API process exited with ${code}`)); });
  });
}

/** The peak resident memory of a process (VmHWM), in MiB. */
export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process exited. */
export async function stopApiProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(t);
}
