// A Python venv of the project's own (under .pinpipe/), from the machine's python3 and a pinned requirements
// file: installed again only when the file changed (its fingerprint is kept in the venv), so a second call
// costs a file read.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { PROJECT_ROOT } from '../../project.ts';

export interface VenvSpec {
  /** The venv folder, e.g. .pinpipe/python. */
  home: string;
  /** The pinned requirements file (absolute). */
  requirements: string;
  /** What it holds, for the log line ("the Databricks SDK and SQL Connector"). */
  what: string;
  log: (line: string) => void;
  /**
   * Runs after pip installed the requirements and before the venv is marked installed: a venv whose hook failed
   * is installed again on the next call instead of being taken as complete.
   */
  afterInstall?: (home: string) => void;
}

function fingerprint(requirements: string): string {
  return createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 16);
}

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    const detail = (r.stderr || r.stdout || (r.error?.message ?? '')).trim().split('\n').slice(-8).join('\n');
    throw new PinpipeError('IO_FAILED', `python: ${what} failed (IO_FAILED):\n${detail}\nbin/setup installs python3-venv; PyPI must be reachable.`);
  }
}

/** The venv's python, creating the venv when missing or when its requirements changed. */
export function ensureVenv(spec: VenvSpec): string {
  const { home, requirements, log } = spec;
  const python = path.join(home, 'bin', 'python');
  const stamp = path.join(home, 'installed.txt');
  const want = fingerprint(requirements);
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === want) return python;
  log(`python: creating ${path.relative(process.cwd(), home) || home} with ${spec.what} from PyPI (once)`);
  rmSync(home, { recursive: true, force: true });
  run('python3', ['-m', 'venv', home], 'creating the venv');
  // The message names the file as the repository does (src/local/python/requirements.txt), not this machine's path.
  const shown = path.relative(PROJECT_ROOT, requirements);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', requirements], `pip install -r ${shown.startsWith('..') ? requirements : shown}`);
  spec.afterInstall?.(home);
  writeFileSync(stamp, `${want}\n`);
  log('python: ready');
  return python;
}
