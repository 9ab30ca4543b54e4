// A Python environment of the project's own (.pinpipe/python, a venv from the machine's python3) with the
// real Databricks clients from PyPI (requirements.txt, pinned): the Databricks SDK for Python and the
// Databricks SQL Connector. The tests run them against the local workspace and warehouse. Idempotent: a
// fingerprint of requirements.txt says whether to install again.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';

const REQUIREMENTS = 'src/local/python/requirements.txt';
const SITECUSTOMIZE = 'src/local/python/sitecustomize.py';

export function pythonHome(): string {
  return projectPath('.pinpipe', 'python');
}

function fingerprint(): string {
  return createHash('sha256').update(readFileSync(projectPath(REQUIREMENTS))).digest('hex').slice(0, 16);
}

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    const detail = (r.stderr || r.stdout || (r.error?.message ?? '')).trim().split('\n').slice(-8).join('\n');
    throw new PinpipeError('IO_FAILED', `python: ${what} failed (IO_FAILED):\n${detail}\nbin/setup installs python3-venv; PyPI must be reachable.`);
  }
}

/** Short Spark Connect retries where PINPIPE_CONNECT_RETRIES=short says so (see the file), kept current. */
function installSiteCustomize(home: string): void {
  const lib = path.join(home, 'lib');
  const version = readdirSync(lib).find((d) => /^python3\.\d+$/.test(d));
  if (!version) throw new PinpipeError('IO_FAILED', `python: no site-packages under ${lib} (IO_FAILED); remove ${home} to install it again.`);
  const target = path.join(lib, version, 'site-packages', 'sitecustomize.py');
  const want = readFileSync(projectPath(SITECUSTOMIZE));
  if (!existsSync(target) || !readFileSync(target).equals(want)) writeFileSync(target, want);
}

/** The venv's python, installing the environment when missing or when requirements.txt changed. */
export function installPython(log: (line: string) => void): string {
  const home = pythonHome();
  const python = path.join(home, 'bin', 'python');
  const stamp = path.join(home, 'installed.txt');
  if (existsSync(python) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint()) {
    installSiteCustomize(home);
    return python;
  }
  log(`python: creating ${path.relative(process.cwd(), home) || home} with pyspark-client, the Databricks SDK and SQL Connector from PyPI (once)`);
  rmSync(home, { recursive: true, force: true });
  run('python3', ['-m', 'venv', home], 'creating the venv');
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', projectPath(REQUIREMENTS)], `pip install -r ${REQUIREMENTS}`);
  installSiteCustomize(home);
  writeFileSync(stamp, `${fingerprint()}\n`);
  log('python: ready');
  return python;
}
