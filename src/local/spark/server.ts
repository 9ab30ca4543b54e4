// Starts and stops the local Spark server (a JVM running dev.pinpipe.SparkServer over the lake). A server
// started with `pinpipe spark start` keeps running and is shared by later commands on the same lake;
// otherwise each command starts its own and stops it when done.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import type { SparkSettings } from '../../config/index.ts';
import { projectPath } from '../../project.ts';
import { SparkClient } from './client.ts';
import { installSpark } from './install.ts';
import { startService } from '../service.ts';
import { allocatePorts } from '../ports.ts';
import { pythonHome } from '../python/install.ts';
import { identify, sameProcess, terminateProcess } from '../supervise.ts';

/** The JVM options Spark's own launcher passes on Java 17+ (from Spark's JavaModuleOptions). */
const JVM_MODULE_OPTIONS = [
  '-XX:+IgnoreUnrecognizedVMOptions',
  ...['java.lang', 'java.lang.invoke', 'java.lang.reflect', 'java.io', 'java.net', 'java.nio', 'java.util',
    'java.util.concurrent', 'java.util.concurrent.atomic', 'jdk.internal.ref', 'sun.nio.ch', 'sun.nio.cs',
    'sun.security.action', 'sun.util.calendar'].map((p) => `--add-opens=java.base/${p}=ALL-UNNAMED`),
  '-Djdk.reflect.useDirectMethodHandle=false',
  '-Dio.netty.tryReflectionSetAccessible=true',
];

export interface SparkSession {
  client: SparkClient;
  /** The server's token (every request carries it). */
  token: string;
  version: string;
  /** True when this command started the server and must stop it. */
  owned: boolean;
  /** The JVM's process id, when known. */
  pid: number | null;
  /** The Spark Connect port in the same JVM (Python notebooks), authenticated by the same token. */
  connectPort: number;
  stop(): Promise<void>;
}

interface DaemonState {
  pid: number;
  port: number;
  connectPort?: number;
  lake: string;
  /** The JVM's command line and start time: `spark stop` signals that process only, never a reused pid. */
  cmdline?: string;
  started?: number;
}

function stateFile(): string {
  return projectPath('.pinpipe', 'run', 'spark.json');
}

/** The shared server's token: a file only this user can read (mode 600), beside its state. */
function tokenFile(): string {
  return projectPath('.pinpipe', 'run', 'spark.token');
}

function newToken(): string {
  return randomBytes(24).toString('hex');
}

/** A mode-600 file holding the token, read by the JVM at start (a secret never goes on a command line). */
function tokenArgs(token: string): string[] {
  const dir = projectPath('.pinpipe', 'run');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `spark-start-${process.pid}-${randomBytes(4).toString('hex')}.token`);
  writeFileSync(file, token, { mode: 0o600 });
  return ['--token-file', file];
}

function writeState(state: DaemonState, token: string): void {
  mkdirSync(path.dirname(stateFile()), { recursive: true });
  writeFileSync(tokenFile(), token, { mode: 0o600 });
  const id = identify(state.pid);
  writeFileSync(stateFile(), JSON.stringify({ ...state, ...(id ? { cmdline: id.cmdline, started: id.started } : {}) }), { mode: 0o600 });
}

function readState(): (DaemonState & { token: string }) | null {
  try {
    const state = JSON.parse(readFileSync(stateFile(), 'utf8')) as DaemonState;
    return { ...state, token: readFileSync(tokenFile(), 'utf8').trim() };
  } catch {
    return null;
  }
}

/**
 * The JVM's environment: the Spark Connect token, and the Python its Python workers (a notebook's
 * foreachBatch) run with: the project's venv, where the notebook runner's pyspark-client lives.
 */
function javaEnv(token: string): Record<string, string> {
  // PINPIPE_CONNECT_RETRIES: the foreachBatch workers give up on a dead JVM in seconds (sitecustomize.py).
  return { SPARK_CONNECT_AUTHENTICATE_TOKEN: token, PYSPARK_PYTHON: path.join(pythonHome(), 'bin', 'python'), PINPIPE_CONNECT_RETRIES: 'short' };
}

async function javaArgs(lake: string, spark: SparkSettings, log: (l: string) => void): Promise<{ java: string; args: string[] }> {
  const install = installSpark(log);
  const [connectPort] = await allocatePorts(1);
  return {
    java: install.java,
    args: [
      `-Xmx${spark.memory}`,
      ...JVM_MODULE_OPTIONS,
      `-Dlog4j2.configurationFile=${install.log4jConfig}`,
      '-Dsun.net.httpserver.nodelay=true',
      `-Dderby.system.home=${lake}`,
      '-cp', `${install.classesDir}${path.delimiter}${install.jarsDir}/*`,
      'dev.pinpipe.SparkServer',
      '--lake', lake,
      '--port', '0',
      '--master', spark.master,
      '--shuffle-partitions', String(spark.shuffle_partitions),
      '--connect-port', String(connectPort),
    ],
  };
}

const READY = /^PINPIPE_SPARK_READY port=(\d+) version=(\S+) connect=(\d+)/;

/** Uses the shared server for this lake when one runs, else starts one for this command. */
export async function openSpark(lake: string, spark: SparkSettings, log: (l: string) => void): Promise<SparkSession> {
  const state = readState();
  if (state && state.lake === lake) {
    const client = new SparkClient(state.port, state.token);
    const health = await client.health();
    if (health?.ok) return { client, token: state.token, version: health.sparkVersion, owned: false, pid: state.pid, connectPort: state.connectPort ?? 0, stop: async () => {} };
  }
  mkdirSync(lake, { recursive: true });
  const { java, args } = await javaArgs(lake, spark, log);
  log(`spark: starting local Spark (${spark.master}, heap ${spark.memory}) on ${lake}`);
  const started = Date.now();
  const token = newToken();
  const service = await startService({ name: 'spark', command: java, args: [...args, ...tokenArgs(token)], env: javaEnv(token), ready: { line: READY }, timeoutMs: spark.start_timeout_seconds * 1000, code: 'SPARK_START_FAILED', hint: 'A slow machine: raise targets.local.spark.start_timeout_seconds.' });
  const port = Number(service.match![1]);
  const version = service.match![2]!;
  const connectPort = Number(service.match![3]);
  log(`spark: Spark ${version} ready on 127.0.0.1:${port} in ${((Date.now() - started) / 1000).toFixed(1)}s`);
  const client = new SparkClient(port, token);
  return {
    token,
    client,
    version,
    owned: true,
    pid: service.pid,
    connectPort,
    stop: async () => {
      await client.shutdown();
      await service.stop(15_000);
    },
  };
}

/**
 * Offers a server this process started to later commands on the same lake, as `pinpipe spark start`
 * does (the local workspace does this: its Spark holds the lake's metastore, which one JVM at a time may
 * open). Returns a function that withdraws the offer.
 */
export function shareSession(session: SparkSession, lake: string): () => void {
  if (!session.owned || !session.pid) return () => {};
  const state: DaemonState = { pid: session.pid, port: session.client.port, connectPort: session.connectPort, lake };
  writeState(state, session.token);
  return () => {
    const cur = readState();
    if (cur && cur.pid === state.pid && existsSync(stateFile())) { rmSync(stateFile()); rmSync(tokenFile(), { force: true }); }
  };
}

/** `pinpipe spark start`: a server that outlives the command, shared by later commands on this lake. */
export async function startDaemon(lake: string, spark: SparkSettings, log: (l: string) => void): Promise<DaemonState> {
  const state = readState();
  if (state && (await new SparkClient(state.port, state.token).health())?.ok) {
    if (state.lake !== lake) throw new PinpipeError('USAGE', `spark: a server already runs for lake ${state.lake} (USAGE). Stop it first with npx pinpipe spark stop.`);
    log(`spark: already running on port ${state.port} (pid ${state.pid})`);
    return state;
  }
  mkdirSync(lake, { recursive: true });
  mkdirSync(path.dirname(stateFile()), { recursive: true });
  const logFile = projectPath('.pinpipe', 'run', 'spark.log');
  const { java, args } = await javaArgs(lake, spark, log);
  const token = newToken();
  const service = await startService({ name: 'spark daemon', command: java, args: [...args, ...tokenArgs(token)], env: javaEnv(token), ready: { line: READY }, timeoutMs: spark.start_timeout_seconds * 1000, logFile, detached: true, code: 'SPARK_START_FAILED', hint: 'A slow machine: raise targets.local.spark.start_timeout_seconds.' });
  const next = { pid: service.pid, port: Number(service.match![1]), connectPort: Number(service.match![3]), lake };
  writeState(next, token);
  log(`spark: running on 127.0.0.1:${next.port} (pid ${next.pid}), log ${logFile}`);
  return next;
}

export async function stopDaemon(log: (l: string) => void): Promise<boolean> {
  const state = readState();
  if (!state) {
    log('spark: no shared server is running');
    return false;
  }
  await new SparkClient(state.port, state.token).shutdown();
  // Signal the process only if its pid still names the JVM that was started (command line and start time):
  // a pid reused by another process since is left alone.
  if (state.cmdline !== undefined && state.started !== undefined && sameProcess({ pid: state.pid, cmdline: state.cmdline, started: state.started })) {
    await terminateProcess({ pid: state.pid, cmdline: state.cmdline, started: state.started }, 10_000);
  } else if (state.cmdline === undefined) {
    log(`spark: the state file names pid ${state.pid} without its command line and start time; not signalling it`);
  }
  rmSync(stateFile(), { force: true });
  rmSync(tokenFile(), { force: true });
  log(`spark: stopped the server on port ${state.port}`);
  return true;
}
