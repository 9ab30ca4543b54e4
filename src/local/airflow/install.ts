// Apache Airflow in venvs of the project's own, from PyPI, for running the generated DAGs for real: Airflow 3
// (.pinpipe/airflow, provider 7.x on the Jobs API 2.2) and MWAA's Airflow 2.10 (.pinpipe/airflow2, provider 6.x on
// 2.1), each from a requirements file pinning every package (Airflow's constraints files are not on PyPI).
// Standalone: SQLite under an AIRFLOW_HOME the caller picks, no web server. About a minute each to install here;
// idempotent (a fingerprint of the requirements file says whether to install again).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';

export type AirflowMajor = 2 | 3;

const REQUIREMENTS: Record<AirflowMajor, string> = {
  3: 'src/local/airflow/requirements-airflow3.txt',
  2: 'src/local/airflow/requirements-airflow2.txt',
};

export function airflowHome(major: AirflowMajor): string {
  return projectPath('.pinpipe', major === 3 ? 'airflow' : 'airflow2');
}

function fingerprint(major: AirflowMajor): string {
  return createHash('sha256').update(readFileSync(projectPath(REQUIREMENTS[major]))).digest('hex').slice(0, 16);
}

function run(command: string, args: string[], what: string): void {
  const r = spawnSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 * 1024 * 1024 });
  if (r.error || r.status !== 0) {
    const detail = (r.stderr || r.stdout || (r.error?.message ?? '')).trim().split('\n').slice(-8).join('\n');
    throw new PinpipeError('IO_FAILED', `airflow: ${what} failed (IO_FAILED):\n${detail}\nbin/setup installs python3-venv; PyPI must be reachable.`);
  }
}

/** The `airflow` command of the venv for an Airflow major version, installing the venv when missing or stale. */
export function installAirflow(major: AirflowMajor, log: (line: string) => void): string {
  const home = airflowHome(major);
  const airflow = path.join(home, 'bin', 'airflow');
  const stamp = path.join(home, 'installed.txt');
  if (existsSync(airflow) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === fingerprint(major)) return airflow;
  const started = Date.now();
  log(`airflow: creating ${path.relative(process.cwd(), home) || home} with Apache Airflow ${major} and its Databricks provider from PyPI (once, about a minute)`);
  rmSync(home, { recursive: true, force: true });
  run('python3', ['-m', 'venv', home], 'creating the venv');
  run(path.join(home, 'bin', 'python'), ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-input', '-r', projectPath(REQUIREMENTS[major])], `pip install -r ${REQUIREMENTS[major]}`);
  writeFileSync(stamp, `${fingerprint(major)}\n`);
  log(`airflow: Airflow ${major} ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return airflow;
}
