// `npm run deploy-dag`: puts the Airflow DAG rendered for the target (the run-now or the submit variant) into
// an Airflow DAG folder or MWAA's DAG bucket (S3), idempotently: an unchanged file is not written again, a
// changed one is replaced whole (a folder: written beside it, then renamed, so Airflow never parses half a
// file), and the other variant's file, when there, is removed (both would run the job). Where the file goes is
// a DagStore, made by the caller (a folder, or S3 through the AWS SDK).
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { DAG_VARIANTS, dagId, renderDag, type DagVariant } from '../job/index.ts';
import type { JobSpec } from '../job/index.ts';

/** Where DAG files go: a folder or an S3 prefix; names are file names (no folders). */
export interface DagStore {
  /** The destination, in messages: a folder path or s3://bucket/prefix/. */
  describe(): string;
  /** The file's bytes, or null when there is none. */
  get(name: string): Promise<Buffer | null>;
  put(name: string, bytes: Buffer): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface DagDeployResult {
  file: string;
  destination: string;
  action: 'created' | 'updated' | 'unchanged';
  removed: string[];
}

/** Wraps a store's failure once, with the file and destination and what to do. */
async function step<T>(store: DagStore, what: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof PinpipeError) throw e;
    const err = e as { name?: string; code?: string; message?: string; $metadata?: { httpStatusCode?: number } };
    const status = err.$metadata?.httpStatusCode;
    const reason = `${err.name ?? err.code ?? 'Error'}: ${err.message ?? String(e)}`;
    if (status === 403 || err.name === 'AccessDenied' || err.name === 'InvalidAccessKeyId' || err.name === 'SignatureDoesNotMatch' || err.name === 'CredentialsProviderError') {
      throw new PinpipeError('AUTH_FAILED', `dag: ${what} in ${store.describe()} was refused (AUTH_FAILED): ${reason}. Check the AWS credentials (profile, AWS_* variables, or PINPIPE_S3_ACCESS_KEY/SECRET_KEY for an endpoint) and that they may write the bucket.`, { cause: e });
    }
    if (err.name === 'NoSuchBucket') {
      throw new PinpipeError('DEPLOY_FAILED', `dag: the bucket of ${store.describe()} does not exist (DEPLOY_FAILED). Check dag.deploy_to (MWAA's DAG bucket is the orchestration stack's DagBucket output).`, { cause: e });
    }
    if (['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', 'EHOSTUNREACH', 'TimeoutError'].includes(err.code ?? err.name ?? '')) {
      throw new PinpipeError('HOST_UNREACHABLE', `dag: ${store.describe()} could not be reached while ${what} (HOST_UNREACHABLE): ${reason}. Check dag.s3_endpoint or the network.`, { cause: e });
    }
    throw new PinpipeError('DEPLOY_FAILED', `dag: ${what} in ${store.describe()} failed (DEPLOY_FAILED): ${reason}. Run the command again once fixed; it is idempotent.`, { cause: e });
  }
}

export async function deployDag(
  config: Config,
  jobs: Record<string, JobSpec>,
  store: DagStore,
  options: { variant: DagVariant; dryRun?: boolean; log: (l: string) => void },
): Promise<DagDeployResult> {
  const { variant, log } = options;
  const file = `${dagId(config, variant)}.py`;
  const content = Buffer.from(renderDag(jobs, config, variant));
  const destination = store.describe();
  log(`dag: ${variant.replace('_', '-')} DAG ${file} for target ${config.targetName} -> ${destination}`);
  const current = await step(store, `reading ${file}`, () => store.get(file));
  const action: DagDeployResult['action'] = current === null ? 'created' : current.equals(content) ? 'unchanged' : 'updated';
  if (action === 'unchanged') log(`dag: ${file} unchanged`);
  else if (options.dryRun) log(`dag: would ${action === 'created' ? 'create' : 'update'} ${file} (${content.length} bytes)`);
  else {
    await step(store, `writing ${file}`, () => store.put(file, content));
    log(`dag: ${action} ${file} (${content.length} bytes)`);
  }
  const removed: string[] = [];
  for (const other of DAG_VARIANTS.filter((v) => v !== variant)) {
    const name = `${dagId(config, other)}.py`;
    if ((await step(store, `reading ${name}`, () => store.get(name))) === null) continue;
    if (options.dryRun) log(`dag: would remove ${name} (the ${other.replace('_', '-')} DAG: both would run the job)`);
    else {
      await step(store, `removing ${name}`, () => store.delete(name));
      log(`dag: removed ${name} (the ${other.replace('_', '-')} DAG: both would run the job)`);
    }
    removed.push(name);
  }
  if (!options.dryRun) log(`dag: done; Airflow picks it up at its next parse of ${destination} (MWAA: within a minute or so)`);
  return { file, destination, action, removed };
}

/** An Airflow DAG folder (created when missing). */
export class FolderDagStore implements DagStore {
  constructor(readonly dir: string) {}

  describe(): string {
    return this.dir;
  }

  async get(name: string): Promise<Buffer | null> {
    const file = path.join(this.dir, name);
    return existsSync(file) ? readFileSync(file) : null;
  }

  async put(name: string, bytes: Buffer): Promise<void> {
    mkdirSync(this.dir, { recursive: true });
    // A hidden name without .py, which Airflow does not parse, then one rename into place.
    const tmp = path.join(this.dir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, path.join(this.dir, name));
  }

  async delete(name: string): Promise<void> {
    rmSync(path.join(this.dir, name), { force: true });
  }
}

/** A prefix of an S3 bucket (MWAA reads DAGs from s3://<DAG bucket>/dags/). */
export class S3DagStore implements DagStore {
  constructor(
    private readonly client: S3Client,
    readonly bucket: string,
    readonly prefix: string,
  ) {}

  describe(): string {
    return `s3://${this.bucket}/${this.prefix}`;
  }

  async get(name: string): Promise<Buffer | null> {
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${name}` }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (e) {
      const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
      if (err.name === 'NoSuchKey' || (err.$metadata?.httpStatusCode === 404 && err.name !== 'NoSuchBucket')) return null;
      throw e;
    }
  }

  async put(name: string, bytes: Buffer): Promise<void> {
    const { PutObjectCommand } = await import('@aws-sdk/client-s3');
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${name}`, Body: bytes, ContentType: 'text/x-python' }));
  }

  async delete(name: string): Promise<void> {
    const { DeleteObjectCommand } = await import('@aws-sdk/client-s3');
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: `${this.prefix}${name}` }));
  }
}

/** s3://bucket[/prefix] as bucket and prefix (ending in / when not empty), or null when it is not one. */
export function parseS3Url(url: string): { bucket: string; prefix: string } | null {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!m) return null;
  const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
  return { bucket: m[1]!, prefix: prefix ? `${prefix}/` : '' };
}
