// Runs a Python notebook task of the local workspace: notebook_runner.py in the project's venv, talking to
// the local Spark's Spark Connect endpoint in a session of its own (a fresh session id). Cancelling (a
// cancelled or timed-out run) sends SIGTERM and, after a grace period, SIGKILL; whatever ended the runner,
// the session is then released, which stops the streaming queries the notebook started (they run in the
// Spark JVM, not in the runner). The runner dies with this process (the watchdog of supervise.ts).
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { childEnvironment } from '../../config/env.ts';
import { PinpipeError } from '../../errors.ts';
import { projectPath } from '../../project.ts';
import { spawnWatched } from '../supervise.ts';
import { installPython } from './install.ts';

export interface PythonNotebookOptions {
  /** The notebook's workspace path, in messages. */
  notebookPath: string;
  source: Buffer;
  params: Record<string, string>;
  lake: string;
  connectPort: number;
  token: string;
  log: (line: string) => void;
  shouldStop: () => boolean;
  /** Seconds between SIGTERM and SIGKILL when stopping. */
  graceSeconds?: number;
}

export interface PythonNotebookResult {
  /** What dbutils.notebook.exit gave, or null. */
  exit: string | null;
  /** Ended because shouldStop said so (a cancel, a timeout, the end of a pipeline's stream). */
  stopped: boolean;
}

interface RunnerResult {
  status: 'success' | 'failed' | 'cancelled';
  exit?: string | null;
  cell?: number;
  error?: string;
  trace?: string;
}

const RUNNER = 'src/local/python/notebook_runner.py';

/** The lake's local secret scopes (mode 600) and mount table, which dbutils reads. */
export function secretsFile(lake: string): string {
  return path.join(lake, '_workspace', 'secrets.json');
}

/**
 * The lake's secret scopes file, created on first use with the scope the stream job reads by default
 * (`pinpipe`: the keys kinesalite accepts, which are no secret). Users add their own scopes to it (mode 600).
 */
export function ensureLocalSecretScope(lake: string, log: (line: string) => void): void {
  const file = secretsFile(lake);
  if (existsSync(file)) return;
  mkdirSync(path.dirname(file), { recursive: true });
  writePrivate(file, `${JSON.stringify({ pinpipe: { aws_access_key_id: 'local', aws_secret_access_key: 'local' } }, null, 2)}\n`);
  log(`workspace: created the local secret scopes file ${file} (scope pinpipe, the local Kinesis keys)`);
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 });
}

function spawnRunner(python: string, mode: 'run' | 'release', spec: object, dir: string, token: string, log: (l: string) => void) {
  const specFile = path.join(dir, `${mode}-${randomBytes(6).toString('hex')}.json`);
  writePrivate(specFile, JSON.stringify(spec));
  const child = spawnWatched(python, ['-u', projectPath(RUNNER), mode, specFile], ['ignore', 'pipe', 'pipe'], 10, childEnvironment({ SPARK_CONNECT_AUTHENTICATE_TOKEN: token, PYTHONUNBUFFERED: '1', PINPIPE_CONNECT_RETRIES: 'short' }));
  for (const stream of [child.stdout, child.stderr]) {
    if (stream) readline.createInterface({ input: stream }).on('line', (l) => log(l));
  }
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(signal ? null : code)));
  return { child, exited, specFile };
}

export async function runPythonNotebook(o: PythonNotebookOptions): Promise<PythonNotebookResult> {
  const python = installPython(o.log);
  const dir = path.join(o.lake, '_workspace', 'tmp');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const id = randomBytes(6).toString('hex');
  const notebookFile = path.join(dir, `notebook-${id}.py`);
  const resultFile = path.join(dir, `result-${id}.json`);
  writePrivate(notebookFile, o.source.toString('utf8'));
  const remote = `sc://localhost:${o.connectPort}/;session_id=${randomUUID()};user_id=pinpipe`;
  const spec = {
    remote,
    notebook_file: notebookFile,
    notebook_path: o.notebookPath,
    params: o.params,
    lake: o.lake,
    mounts_file: path.join(o.lake, '_workspace', 'mounts.json'),
    secrets_file: secretsFile(o.lake),
    result_file: resultFile,
  };
  const run = spawnRunner(python, 'run', spec, dir, o.token, o.log);
  let stopping: NodeJS.Timeout | undefined;
  const watch = setInterval(() => {
    if (!o.shouldStop() || stopping) return;
    run.child.kill('SIGTERM');
    stopping = setTimeout(() => run.child.kill('SIGKILL'), (o.graceSeconds ?? 10) * 1000);
  }, 250);
  let code: number | null;
  try {
    code = await run.exited;
  } finally {
    clearInterval(watch);
    clearTimeout(stopping);
    rmSync(run.specFile, { force: true });
    rmSync(notebookFile, { force: true });
  }
  // Whatever ended the notebook, its streaming queries must not outlive it.
  const release = spawnRunner(python, 'release', spec, dir, o.token, (l) => o.log(l));
  const released = await release.exited;
  rmSync(release.specFile, { force: true });
  if (released !== 0) o.log(`workspace: releasing the Spark Connect session of ${o.notebookPath} ended with ${released ?? 'a signal'}`);
  let result: RunnerResult | null = null;
  try {
    result = JSON.parse(readFileSync(resultFile, 'utf8')) as RunnerResult;
  } catch {
    result = null;
  } finally {
    rmSync(resultFile, { force: true });
  }
  if (o.shouldStop()) return { exit: null, stopped: true };
  if (result?.status === 'success' && code === 0) return { exit: result.exit ?? null, stopped: false };
  if (result?.status === 'failed') {
    throw new PinpipeError('STATEMENT_FAILED', `run: ${o.notebookPath} cell ${result.cell} failed (STATEMENT_FAILED):\n${result.error ?? ''}`, { details: { file: o.notebookPath, cell: result.cell, trace: result.trace } });
  }
  throw new PinpipeError('STATEMENT_FAILED', `run: ${o.notebookPath} ended without a result (exit ${code ?? 'by a signal'}); its output is in the workspace log.`);
}
