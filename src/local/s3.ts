// The local S3-compatible storage: s3rver (an implementation of the S3 REST API, from npm) in a process of
// its own, with its data in a folder; reached with the AWS SDK's S3 client (path-style), exactly as S3 is.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { allocatePort } from './ports.ts';
import { startService } from './service.ts';

export interface LocalS3 {
  endpoint: string;
  stop(): Promise<void>;
}

/** Keys of the local s3rver (it takes these and no others). */
export const S3RVER_KEYS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * An S3 client: for an endpoint (s3rver here, or any S3-compatible store) path-style with the keys given
 * (s3rver's by default); without an endpoint, AWS with its credentials chain.
 */
export function s3Client(endpoint: string | undefined, region = 'us-east-1', keys: { accessKeyId: string; secretAccessKey: string } = S3RVER_KEYS): S3Client {
  return new S3Client({
    region,
    ...(endpoint ? { endpoint, forcePathStyle: true, credentials: keys } : {}),
    requestHandler: new NodeHttpHandler({ connectionTimeout: 3000, requestTimeout: 60000 }),
  });
}

export async function startS3(options: { dataDir: string; buckets: string[]; port?: number; log?: (l: string) => void }): Promise<LocalS3> {
  const dir = path.resolve(options.dataDir);
  mkdirSync(dir, { recursive: true });
  const port = options.port || (await allocatePort());
  const require = createRequire(import.meta.url);
  const bin = path.join(path.dirname(require.resolve('s3rver/package.json')), 'bin', 's3rver.js');
  const service = await startService({
    name: 's3rver',
    command: process.execPath,
    args: [bin, '-d', dir, '-a', '127.0.0.1', '-p', String(port), '--silent', ...options.buckets.flatMap((b) => ['--configure-bucket', b])],
    ready: { port },
    timeoutMs: 30_000,
    logFile: path.join(dir, '..', `s3rver-${port}.log`),
  });
  options.log?.(`s3: s3rver ready on 127.0.0.1:${port} (data ${dir}, buckets ${options.buckets.join(', ')})`);
  return { endpoint: `http://127.0.0.1:${port}`, stop: () => service.stop() };
}
