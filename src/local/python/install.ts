// A Python environment of the project's own (.pinpipe/python, a venv from the machine's python3) with the
// real Databricks clients from PyPI (requirements.txt, pinned): the Databricks SDK for Python and the
// Databricks SQL Connector. The tests run them against the local workspace and warehouse. Idempotent: a
// fingerprint of requirements.txt says whether to install again.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';
import { ensureVenv } from './venv.ts';

const REQUIREMENTS = 'src/local/python/requirements.txt';
const SITECUSTOMIZE = 'src/local/python/sitecustomize.py';

export function pythonHome(): string {
  return projectPath('.pinpipe', 'python');
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
  const python = ensureVenv({
    home, requirements: projectPath(REQUIREMENTS), what: 'pyspark-client, the Databricks SDK and SQL Connector', log,
    // A new venv is complete only with it...
    afterInstall: installSiteCustomize,
  });
  // ...and an existing one gets the current file.
  installSiteCustomize(home);
  return python;
}
