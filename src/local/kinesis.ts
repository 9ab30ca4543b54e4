// The local Kinesis: kinesalite (an implementation of the Kinesis API, from npm) in a process of its own,
// backed by LevelDB in a data folder so that acknowledged records survive a restart. The API's Kinesis
// routes and the tests reach it with the AWS SDK, exactly as they would reach AWS.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { PinpipeError } from '../errors.ts';
import { freePort, portOpen } from './runtime/process.ts';

export interface LocalKinesis {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

/** A Kinesis client for an endpoint (kinesalite here, AWS when endpoint is undefined and the chain has credentials). */
export function kinesisClient(endpoint: string | undefined, region = 'us-east-1'): KinesisClient {
  return new KinesisClient({
    region,
    ...(endpoint
      ? { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
      : {}),
    maxAttempts: endpoint ? 2 : 3,
    // The SDK speaks HTTP/2 to Kinesis by default (for SubscribeToShard); kinesalite and the calls we make
    // are HTTP/1.1.
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 30000 }),
  });
}

export async function startKinesis(options: { dataDir: string; port?: number; log?: (l: string) => void }): Promise<LocalKinesis> {
  const dir = path.resolve(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const portFile = path.join(dir, 'port.json');
  const port = options.port || (existsSync(portFile) ? (JSON.parse(readFileSync(portFile, 'utf8')) as { port: number }).port : await freePort());
  writeFileSync(portFile, JSON.stringify({ port }));
  const require = createRequire(import.meta.url);
  const cli = path.join(path.dirname(require.resolve('kinesalite/package.json')), 'cli.js');
  const out = openSync(path.join(dir, 'kinesalite.log'), 'a');
  const child: ChildProcess = spawn(process.execPath, [cli, '--port', String(port), '--path', path.join(dir, 'db'),
    '--createStreamMs', '50', '--deleteStreamMs', '50', '--updateStreamMs', '50', '--shardLimit', '100'], { stdio: ['ignore', out, out] });
  const killOnExit = () => child.kill('SIGKILL');
  process.on('exit', killOnExit);
  const deadline = Date.now() + 30_000;
  while (!(await portOpen(port))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new PinpipeError('IO_FAILED', `kinesis: kinesalite did not start on port ${port} (IO_FAILED); see ${path.join(dir, 'kinesalite.log')}.`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  options.log?.(`kinesis: kinesalite ready on 127.0.0.1:${port} (data ${dir})`);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    process.off('exit', killOnExit);
  };
  return { endpoint: `http://127.0.0.1:${port}`, port, pid: child.pid!, stop: () => end('SIGTERM'), kill: () => end('SIGKILL') };
}
