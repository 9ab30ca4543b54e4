// `pinpipe deploy dag` into an S3 bucket on s3rver (the local S3 server), as into MWAA's DAG bucket: the DAG
// lands under dags/ with the rendered bytes, a second deploy writes nothing, the other variant is removed, a
// missing bucket is named. No Spark, no Airflow: seconds.
import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { main } from '../../src/cli/main.ts';
import { loadConfig } from '../../src/config/index.ts';
import { renderDag } from '../../src/job/index.ts';
import { s3Client, startS3, type LocalS3 } from '../../src/local/s3.ts';
import { JOBS } from '../../jobs/index.ts';

describe('deploy dag into S3 (s3rver)', function () {
  this.timeout(60_000);
  let dir: string;
  let s3: LocalS3;
  const bucket = 'airflow-0affe4008223-123456789012-us-east-1';

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-dag-s3-'));
    s3 = await startS3({ dataDir: path.join(dir, 's3'), buckets: [bucket] });
    writeFileSync(path.join(dir, 'pinpipe.yaml'), `user_id: 0affe4008223\ndag:\n  deploy_to: s3://${bucket}/dags\n  s3_endpoint: ${s3.endpoint}\n`);
  });

  after(async () => {
    await s3?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = async (...args: string[]) => {
    let err = '';
    const write = process.stderr.write;
    process.stderr.write = ((c: string | Uint8Array) => { err += String(c); return true; }) as typeof process.stderr.write;
    try {
      return { code: await main(['deploy', 'dag', ...args], { PINPIPE_CONFIG: path.join(dir, 'pinpipe.yaml') } as NodeJS.ProcessEnv), err };
    } finally {
      process.stderr.write = write;
    }
  };
  const keys = async () => ((await s3Client(s3.endpoint).send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key).sort();

  it('uploads the DAG to dags/, writes nothing the second time, swaps variants', async () => {
    const first = await run();
    expect(first.code, first.err).to.equal(0);
    expect(first.err).to.match(/dag: created 0affe4008223_dag\.py/);
    expect(await keys()).to.deep.equal(['dags/0affe4008223_dag.py']);
    const body = await (await s3Client(s3.endpoint).send(new GetObjectCommand({ Bucket: bucket, Key: 'dags/0affe4008223_dag.py' }))).Body!.transformToString();
    const config = loadConfig({ configFile: path.join(dir, 'pinpipe.yaml'), env: {}, cwd: dir });
    expect(body).to.equal(renderDag(JOBS, config, 'run_now'));
    const second = await run();
    expect(second.err).to.match(/dag: 0affe4008223_dag\.py unchanged/);
    const swap = await run('--variant', 'submit');
    expect(swap.err).to.match(/removed 0affe4008223_dag\.py/);
    expect(await keys()).to.deep.equal(['dags/0affe4008223_submit_dag.py']);
  });

  it('names a bucket that does not exist (exit 1, DEPLOY_FAILED)', async () => {
    const res = await run('--to', 's3://no-such-bucket-here/dags');
    expect(res.code).to.equal(1);
    expect(res.err).to.match(/s3:\/\/no-such-bucket-here\/dags\/[\s\S]*DEPLOY_FAILED|DEPLOY_FAILED[\s\S]*no-such-bucket-here/);
  });
});
