// Runs Apache Airflow standalone for a test: an AIRFLOW_HOME of its own (SQLite, no examples, no web server),
// a DAG folder, and the connection databricks_default to a workspace (host, port, http, the token as its
// password, as a user sets it up for the local workspace). Commands run asynchronously, so a workspace served
// by the test's own process keeps answering while Airflow calls it.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';

export interface Airflow {
  /** The venv's `airflow` command. */
  bin: string;
  home: string;
  dags: string;
  env: NodeJS.ProcessEnv;
}

export function airflowFor(bin: string, home: string, dags: string, workspace: { url: string; token: string }): Airflow {
  mkdirSync(home, { recursive: true });
  mkdirSync(dags, { recursive: true });
  const url = new URL(workspace.url);
  const connection = { conn_type: 'databricks', host: url.hostname, port: Number(url.port), schema: url.protocol.replace(':', ''), password: workspace.token };
  return {
    bin,
    home,
    dags,
    env: {
      ...process.env,
      AIRFLOW_HOME: home,
      AIRFLOW__CORE__LOAD_EXAMPLES: 'False',
      AIRFLOW__CORE__DAGS_FOLDER: dags,
      AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: `sqlite:///${path.join(home, 'airflow.db')}`,
      AIRFLOW_CONN_DATABRICKS_DEFAULT: JSON.stringify(connection),
    },
  };
}

export interface Ran {
  code: number | null;
  output: string;
}

/** Runs a command of the venv (airflow, or python with a script) and gives its exit code and output. */
export function runIn(a: Airflow, command: string, args: string[], timeoutMs = 600_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: a.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => { output += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { output += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export const airflowCli = (a: Airflow, ...args: string[]) => runIn(a, a.bin, args);

/** The Python of the venv the `airflow` command belongs to. */
export const pythonOf = (a: Airflow) => path.join(path.dirname(a.bin), 'python');
