import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { PinpipeError } from '../../src/errors.ts';

function dirWith(yaml: string | null): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-config-'));
  if (yaml !== null) writeFileSync(path.join(dir, 'pinpipe.yaml'), yaml);
  return dir;
}

function errorOf(fn: () => unknown): PinpipeError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PinpipeError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('config', () => {
  it('uses the defaults of spec/wire.md when there is no file', () => {
    const cwd = dirWith(null);
    const c = loadConfig({ cwd, env: {} });
    expect(c.file).to.equal(null);
    expect(c.userId).to.equal('0affe4008223');
    expect(c.names.topic.pin).to.equal('0affe4008223.pin');
    expect(c.names.table.geo).to.equal('0affe4008223_geo_table');
    expect(c.names.stream.user).to.equal('streaming-0affe4008223-user');
    expect(c.names.bucket).to.equal('user-0affe4008223-bucket');
    expect(c.lakeRoot).to.equal(path.join(cwd, 'lake'));
  });

  it('applies defaults < YAML < environment < flags for the lake root', () => {
    const cwd = dirWith('lake_root: ./from-yaml\n');
    expect(loadConfig({ cwd, env: {} }).lakeRoot).to.equal(path.join(cwd, 'from-yaml'));
    expect(loadConfig({ cwd, env: { PINPIPE_LAKE_ROOT: '/env/lake' } }).lakeRoot).to.equal('/env/lake');
    expect(loadConfig({ cwd, env: { PINPIPE_LAKE_ROOT: '/env/lake' }, lake: '/flag/lake' }).lakeRoot).to.equal('/flag/lake');
  });

  it('names the file, the key path, the bad value and what is allowed', () => {
    const cwd = dirWith('user_id: "bad id!"\ntargets:\n  local:\n    spark:\n      memory: lots\n');
    const err = errorOf(() => loadConfig({ cwd, env: {} }));
    expect(err.code).to.equal('CONFIG_INVALID');
    expect(err.message).to.include('pinpipe.yaml');
    expect(err.message).to.include('key "user_id" has "bad id!"');
    expect(err.message).to.include('key "targets.local.spark.memory" has "lots"; expected a JVM heap size');
  });

  it('rejects unknown keys and invalid YAML', () => {
    expect(errorOf(() => loadConfig({ cwd: dirWith('lake_rot: x\n'), env: {} })).message).to.include('unknown key "lake_rot"');
    expect(errorOf(() => loadConfig({ cwd: dirWith('user_id: [\n'), env: {} })).message).to.include('not valid YAML');
  });

  it('refuses an unknown target', () => {
    const err = errorOf(() => loadConfig({ cwd: dirWith(null), env: {}, target: 'prod' }));
    expect(err.message).to.include('target "prod" is not defined');
  });

  it('defaults a Databricks target to what runs on a Unity Catalog workspace: serverless, an external location, an s3:// landing', () => {
    const c = loadConfig({ cwd: dirWith('targets:\n  dev:\n    kind: databricks\n'), env: {}, target: 'dev' });
    if (c.target.kind !== 'databricks') throw new Error('not a Databricks target');
    expect(c.target.compute).to.deep.equal({ serverless: true });
    expect(c.target.access.mode).to.equal('external_location');
    expect(c.landingRoot).to.equal('s3://user-0affe4008223-bucket');
  });

  it('refuses combinations that cannot run, saying what to choose', () => {
    const load = (yaml: string) => errorOf(() => loadConfig({ cwd: dirWith(`targets:\n  dev:\n    kind: databricks\n${yaml}`), env: {}, target: 'dev' })).message;
    expect(load('    access: {mode: mount}\n')).to.include('key "targets.dev.access.mode" has "mount"; expected external_location on serverless compute, which has no mounts')
      .and.include('compute.existing_cluster_id or compute.job_cluster');
    expect(load('    compute: {serverless: true}\n    access: {mode: secret_scope}\n')).to.include('key "targets.dev.access.mode" has "secret_scope"; expected external_location on serverless compute, which has no Hadoop configuration');
    expect(load('    landing_root: /mnt/pinpipe\n')).to.include('key "targets.dev.landing_root" has "/mnt/pinpipe"; expected an s3://bucket[/prefix] URL');
    expect(load('    compute: {existing_cluster_id: abc}\n    access: {mode: mount, bucket: my-bucket}\n    landing_root: /mnt/pinpipe\n'))
      .to.include('key "targets.dev.landing_root" has "/mnt/pinpipe"; expected a path under the mount point /mnt/my-bucket');
    // What can run loads: a mount on a cluster, with the landing under it.
    const ok = loadConfig({ cwd: dirWith('targets:\n  dev:\n    kind: databricks\n    compute: {existing_cluster_id: abc}\n    access: {mode: mount, mount_point: /mnt/pinpipe}\n    landing_root: /mnt/pinpipe/landing\n'), env: {}, target: 'dev' });
    expect(ok.landingRoot).to.equal('/mnt/pinpipe/landing');
  });
});
