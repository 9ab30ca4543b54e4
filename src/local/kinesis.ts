// The local Kinesis: kinesalite (an implementation of the Kinesis API, from npm) in a process of its own,
// backed by LevelDB in a data folder so that acknowledged records survive a restart. The API's Kinesis
// routes and the tests reach it with the AWS SDK, exactly as they would reach AWS.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { allocatePort } from './ports.ts';
import { startService } from './service.ts';

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
  const port = options.port || (existsSync(portFile) ? (JSON.parse(readFileSync(portFile, 'utf8')) as { port: number }).port : await allocatePort());
  writeFileSync(portFile, JSON.stringify({ port }));
  const require = createRequire(import.meta.url);
  const index = require.resolve('kinesalite');
  // kinesalite's own CLI listens on every interface; its server is started here on 127.0.0.1 only, with the
  // options the CLI would pass.
  const options_ = { path: path.join(dir, 'db'), createStreamMs: 50, deleteStreamMs: 50, updateStreamMs: 50, shardLimit: 100 };
  const main = `const s = require(${JSON.stringify(index)})(${JSON.stringify(options_)}).listen(${port}, '127.0.0.1', () => console.log('Listening at http://127.0.0.1:' + s.address().port));`;
  const service = await startService({
    name: 'kinesalite',
    command: process.execPath,
    args: ['-e', main],
    ready: { port },
    timeoutMs: 30_000,
    logFile: path.join(dir, 'kinesalite.log'),
  });
  options.log?.(`kinesis: kinesalite ready on 127.0.0.1:${port} (data ${dir})`);
  return { endpoint: `http://127.0.0.1:${port}`, port, pid: service.pid, stop: () => service.stop(), kill: () => service.kill() };
}

/** The endpoint of the lake's kinesalite (its port is kept in <lake>/_kinesis/port.json once chosen), or null. */
export function localKinesisEndpoint(lake: string): string | null {
  try {
    const { port } = JSON.parse(readFileSync(path.join(lake, '_kinesis', 'port.json'), 'utf8')) as { port: number };
    return `http://127.0.0.1:${port}`;
  } catch {
    return null;
  }
}
