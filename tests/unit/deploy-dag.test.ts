// deploy-dag: the DAG rendered for the target goes to a folder or an S3 prefix, idempotently (unchanged: not
// written), replaced whole when changed, the other variant's file removed, nothing written on --dry-run; S3
// errors come back as the project's errors with the destination and what to do. The S3 client is a stand-in
// holding objects in memory and failing as the AWS SDK does; tests/integration/deploy-dag.test.ts runs s3rver.
import { expect } from 'chai';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadConfig } from '../../src/config/index.ts';
import { deployDag, FolderDagStore, parseS3Url, S3DagStore } from '../../src/deploy/dag.ts';
import { PinpipeError } from '../../src/errors.ts';
import { renderDag } from '../../src/job/index.ts';
import { main } from '../../src/cli/main.ts';
import { JOBS } from '../../jobs/index.ts';

/** An S3Client stand-in: objects in a map; a command fails as the SDK's does when `fail` says so. */
function fakeS3(objects: Map<string, Buffer>, fail?: (command: string) => Error | undefined): S3Client {
  const sdkError = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  return {
    send: async (cmd: { constructor: { name: string }; input: { Bucket: string; Key: string; Body?: Buffer } }) => {
      const name = cmd.constructor.name;
      const failure = fail?.(name);
      if (failure) throw failure;
      const key = `${cmd.input.Bucket}/${cmd.input.Key}`;
      if (name === 'GetObjectCommand') {
        const body = objects.get(key);
        if (!body) throw sdkError('NoSuchKey', 404);
        return { Body: { transformToByteArray: async () => new Uint8Array(body) } };
      }
      if (name === 'PutObjectCommand') objects.set(key, Buffer.from(cmd.input.Body!));
      if (name === 'DeleteObjectCommand') objects.delete(key);
      return {};
    },
  } as unknown as S3Client;
}

describe('deploy-dag', () => {
  let dir: string;
  const logs: string[] = [];
  const log = (l: string) => logs.push(l);

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-dag-'));
    logs.length = 0;
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const config = (yamlText = 'user_id: 0affe4008223\n') => {
    writeFileSync(path.join(dir, 'pinpipe.yaml'), yamlText);
    return loadConfig({ configFile: path.join(dir, 'pinpipe.yaml'), env: {}, cwd: dir });
  };

  it('writes the DAG into a folder once, leaves it unchanged after, replaces it when the configuration changes', async () => {
    const dags = path.join(dir, 'airflow', 'dags');
    const store = new FolderDagStore(dags);
    const first = await deployDag(config(), JOBS, store, { variant: 'run_now', log });
    expect(first).to.deep.include({ file: '0affe4008223_dag.py', action: 'created', removed: [] });
    expect(readFileSync(path.join(dags, '0affe4008223_dag.py'), 'utf8')).to.equal(renderDag(JOBS, config(), 'run_now'));
    expect((await deployDag(config(), JOBS, store, { variant: 'run_now', log })).action).to.equal('unchanged');
    const changed = config('user_id: 0affe4008223\ndag: {retries: 4}\n');
    expect((await deployDag(changed, JOBS, store, { variant: 'run_now', log })).action).to.equal('updated');
    expect(readFileSync(path.join(dags, '0affe4008223_dag.py'), 'utf8')).to.include('"retries": 4');
    expect(readdirSync(dags), 'no temporary file left').to.deep.equal(['0affe4008223_dag.py']);
    expect(logs.some((l) => /dag: created 0affe4008223_dag\.py \(\d+ bytes\)/.test(l))).to.equal(true);
  });

  it('removes the other variant\'s file (both would run the job), and changes nothing on a dry run', async () => {
    const store = new FolderDagStore(dir);
    await deployDag(config(), JOBS, store, { variant: 'run_now', log });
    const dry = await deployDag(config(), JOBS, store, { variant: 'submit', dryRun: true, log });
    expect(dry).to.deep.include({ action: 'created', removed: ['0affe4008223_dag.py'] });
    expect(existsSync(path.join(dir, '0affe4008223_submit_dag.py'))).to.equal(false);
    expect(existsSync(path.join(dir, '0affe4008223_dag.py'))).to.equal(true);
    await deployDag(config(), JOBS, store, { variant: 'submit', log });
    expect(readdirSync(dir).filter((f) => f.endsWith('.py'))).to.deep.equal(['0affe4008223_submit_dag.py']);
  });

  it('puts the DAG under an S3 prefix (MWAA\'s dags/), idempotently', async () => {
    const objects = new Map<string, Buffer>();
    const store = new S3DagStore(fakeS3(objects), 'airflow-0affe4008223-123456789012-us-east-1', 'dags/');
    expect(store.describe()).to.equal('s3://airflow-0affe4008223-123456789012-us-east-1/dags/');
    expect((await deployDag(config(), JOBS, store, { variant: 'run_now', log })).action).to.equal('created');
    expect([...objects.keys()]).to.deep.equal(['airflow-0affe4008223-123456789012-us-east-1/dags/0affe4008223_dag.py']);
    expect((await deployDag(config(), JOBS, store, { variant: 'run_now', log })).action).to.equal('unchanged');
    expect(parseS3Url('s3://airflow-x/dags')).to.deep.equal({ bucket: 'airflow-x', prefix: 'dags/' });
    expect(parseS3Url('s3://airflow-x')).to.deep.equal({ bucket: 'airflow-x', prefix: '' });
    expect(parseS3Url('s3://Bad_Bucket/dags')).to.equal(null);
  });

  it('names the destination and what to do when S3 refuses, has no bucket, or cannot be reached', async () => {
    const cases: [Error, string][] = [
      [Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }), 'AUTH_FAILED'],
      [Object.assign(new Error('The specified bucket does not exist'), { name: 'NoSuchBucket', $metadata: { httpStatusCode: 404 } }), 'DEPLOY_FAILED'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'HOST_UNREACHABLE'],
      [Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } }), 'DEPLOY_FAILED'],
    ];
    for (const [error, code] of cases) {
      const store = new S3DagStore(fakeS3(new Map(), (c) => (c === 'PutObjectCommand' || error.name !== 'InternalError' ? error : undefined)), 'airflow-x', 'dags/');
      const err = await deployDag(config(), JOBS, store, { variant: 'run_now', log }).then(() => null, (e: unknown) => e);
      expect(err, code).to.be.instanceOf(PinpipeError);
      expect((err as PinpipeError).code, error.name).to.equal(code);
      expect((err as PinpipeError).message).to.include('s3://airflow-x/dags/');
    }
  });

  it('runs as `pinpipe deploy dag` with --to and --variant, and says how to set a destination when there is none', async () => {
    mkdirSync(path.join(dir, 'out'));
    writeFileSync(path.join(dir, 'pinpipe.yaml'), 'user_id: 0affe4008223\n');
    const env = { PINPIPE_CONFIG: path.join(dir, 'pinpipe.yaml') } as NodeJS.ProcessEnv;
    const quiet = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main(['deploy', 'dag', '--to', path.join(dir, 'out'), '--variant', 'submit'], env)).to.equal(0);
      expect(readdirSync(path.join(dir, 'out'))).to.deep.equal(['0affe4008223_submit_dag.py']);
      expect(await main(['deploy', 'dag'], env)).to.equal(2);
      expect(await main(['deploy', 'dag', '--to', 's3://Bad_Bucket'], env)).to.equal(2);
    } finally {
      process.stderr.write = quiet;
    }
  });
});
