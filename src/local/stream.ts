// The streaming notebook on the local runtime without the workspace API (pipeline --mode stream, run-job
// stream --direct, tests and bench:stream): notebooks/stream/kinesis.py, exactly as deployed, run by the
// Python notebook runner on the local Spark's Spark Connect endpoint, with the local target's stream
// parameters (the lake's kinesalite, checkpoints under the lake) and any overrides.
import { readFileSync } from 'node:fs';
import type { Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { LOCAL_KINESIS_REFERENCE, streamParameters } from '../job/index.ts';
import { projectPath } from '../project.ts';
import { localKinesisEndpoint } from './kinesis.ts';
import { ensureLocalSecretScope, runPythonNotebook } from './python/notebook.ts';
import type { SparkSession } from './spark/index.ts';

export const STREAM_NOTEBOOK_FILE = 'notebooks/stream/kinesis.py';

export interface LocalStreamOptions {
  params?: Record<string, string>;
  log: (line: string) => void;
  /** Polled: true stops the streams (as runs/cancel does) and ends the run. */
  shouldStop?: () => boolean;
}

/** The stream notebook's parameters on the local target, the lake's kinesalite endpoint resolved. */
export function localStreamParameters(config: Config, overrides: Record<string, string> = {}): Record<string, string> {
  const params = { ...streamParameters(config), ...overrides };
  for (const [k, v] of Object.entries(params)) {
    if (v !== LOCAL_KINESIS_REFERENCE) continue;
    const endpoint = localKinesisEndpoint(config.lakeRoot);
    if (!endpoint) throw new PinpipeError('USAGE', `stream: the lake's local Kinesis has never run (parameter ${k}): start it with npx pinpipe api, or pass --param endpoint=URL (USAGE).`);
    params[k] = endpoint;
  }
  return params;
}

/** Runs the stream notebook until it ends (available_now) or is stopped; returns its exit value. */
export async function runLocalStream(config: Config, session: SparkSession, options: LocalStreamOptions): Promise<string | null> {
  ensureLocalSecretScope(config.lakeRoot, options.log);
  const out = await runPythonNotebook({
    notebookPath: STREAM_NOTEBOOK_FILE,
    source: readFileSync(projectPath(STREAM_NOTEBOOK_FILE)),
    params: localStreamParameters(config, options.params),
    lake: config.lakeRoot,
    connectPort: session.connectPort,
    token: session.token,
    log: options.log,
    shouldStop: options.shouldStop ?? (() => false),
  });
  return out.exit;
}
