// Job payloads: golden files per target, the documented Jobs API 2.2 shapes, compile rules per target, the
// submit payload, and databricks.yml against jobs/ (current, and the same tasks, paths and parameters).
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import yaml from 'js-yaml';
import { z } from 'zod';
import type { jobs } from '@databricks/sdk-experimental';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { compileJob } from '../../src/job/index.ts';
import { renderBundle } from '../../src/job/bundle.ts';
import { databricksTargetSchema } from '../../src/config/schema.ts';
import { submitPayload } from '../../src/deploy/run.ts';
import { PROJECT_ROOT } from '../../src/project.ts';
import { notebookFiles } from '../../src/notebook/index.ts';
import { JOBS } from '../../jobs/index.ts';

const GOLDEN = path.join(PROJECT_ROOT, 'tests', 'golden', 'jobs');

function configFrom(yamlText: string, target?: string): Config {
  const dir = path.join(PROJECT_ROOT, '.pinpipe', 'test-config');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'pinpipe.yaml');
  writeFileSync(file, yamlText);
  return loadConfig({ configFile: file, env: {}, cwd: dir, target });
}

const LOCAL = configFrom('user_id: 0affe4008223\nlake_root: /srv/pinpipe/lake\n');
const DATABRICKS = configFrom(`
user_id: 0affe4008223
jobs:
  notify_on_failure: [data-eng@example.com]
targets:
  local: {}
  prod:
    kind: databricks
    host: https://dbc-12345678-9abc.cloud.databricks.com
    folder: /Workspace/Shared/pinpipe
    catalog: main
    schema: pinterest
    compute:
      job_cluster: {spark_version: 15.4.x-scala2.12, node_type_id: m5d.large, num_workers: 1}
    access: {mode: external_location, bucket: user-0affe4008223-bucket}
    development: false
`, 'prod');

// The Jobs API 2.2 fields pinpipe sends, as the API reference documents them; strict, so that a misspelt or
// undocumented field fails here rather than on a workspace.
const taskKey = z.string().regex(/^[\w-]{1,100}$/);
const documentedTask = z.object({
  task_key: taskKey,
  depends_on: z.array(z.object({ task_key: taskKey }).strict()).optional(),
  notebook_task: z.object({
    notebook_path: z.string().min(1),
    source: z.enum(['WORKSPACE', 'GIT']).optional(),
    base_parameters: z.record(z.string(), z.string()).optional(),
  }).strict(),
  existing_cluster_id: z.string().optional(),
  job_cluster_key: z.string().regex(/^[\w-]{1,100}$/).optional(),
  new_cluster: z.record(z.string(), z.unknown()).optional(),
  // Absent in a continuous job, whose runs Databricks restarts itself (task retries are refused there).
  max_retries: z.number().int().min(-1).optional(),
  min_retry_interval_millis: z.number().int().min(0).optional(),
  retry_on_timeout: z.boolean().optional(),
  timeout_seconds: z.number().int().min(0).optional(),
}).strict();
const documentedJob = z.object({
  name: z.string().min(1).max(4096),
  description: z.string().max(27700),
  tags: z.record(z.string(), z.string()).refine((t) => Object.keys(t).length <= 25, 'at most 25 tags'),
  parameters: z.array(z.object({ name: z.string().regex(/^[\w\-.]+$/), default: z.string() }).strict()),
  tasks: z.array(documentedTask).min(1).max(1000),
  job_clusters: z.array(z.object({ job_cluster_key: z.string(), new_cluster: z.record(z.string(), z.unknown()) }).strict()).optional(),
  max_concurrent_runs: z.number().int().min(1),
  timeout_seconds: z.number().int().min(0).optional(),
  continuous: z.object({ pause_status: z.enum(['PAUSED', 'UNPAUSED']) }).strict().optional(),
  queue: z.object({ enabled: z.boolean() }).strict(),
  email_notifications: z.object({ on_failure: z.array(z.email()), no_alert_for_skipped_runs: z.boolean() }).strict().optional(),
  schedule: z.object({
    quartz_cron_expression: z.string().regex(/^\S+(\s+\S+){5,6}$/),
    timezone_id: z.string(),
    pause_status: z.enum(['PAUSED', 'UNPAUSED']),
  }).strict().optional(),
}).strict();

describe('job payloads (Jobs API 2.2)', () => {
  for (const [targetName, cfg] of [['local', LOCAL], ['databricks', DATABRICKS]] as const) {
    for (const [name, spec] of Object.entries(JOBS)) {
      it(`${name} on the ${targetName} target equals its golden file and the documented shape`, () => {
        const payload = compileJob(spec, cfg);
        const file = path.join(GOLDEN, `${targetName}-${name}.json`);
        const text = `${JSON.stringify(payload, null, 2)}\n`;
        if (process.env['UPDATE_GOLDEN'] === '1') {
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(file, text);
        }
        expect(text).to.equal(readFileSync(file, 'utf8'));
        const parsed = documentedJob.refine((j) => !(j.continuous && j.schedule), 'a job is continuous or scheduled, not both')
          .refine((j) => !j.continuous || j.tasks.every((t) => t.max_retries === undefined && t.timeout_seconds === undefined), 'a continuous job has no task retries or timeouts')
          .refine((j) => j.continuous !== undefined || j.tasks.every((t) => t.max_retries !== undefined), 'a task of a triggered job has its retries').safeParse(payload);
        expect(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues)).to.equal(true);
      });
    }
  }

  it('gives the local target no setup task and the Databricks target one, first, that every cleaning task waits for', () => {
    const local = compileJob(JOBS['clean']!, LOCAL).tasks!;
    expect(local.map((t) => t.task_key)).to.deep.equal(['clean_pin', 'clean_geo', 'clean_user', 'queries']);
    expect(local.slice(0, 3).every((t) => !t.depends_on)).to.equal(true);
    const db = compileJob(JOBS['clean']!, DATABRICKS).tasks!;
    expect(db[0]!.task_key).to.equal('landing_access');
    expect(db[0]!.notebook_task!.notebook_path).to.equal('/Workspace/Shared/pinpipe/notebooks/setup/access');
    expect(db[0]!.notebook_task!.base_parameters).to.include({ access_mode: 'external_location', bucket: 'user-0affe4008223-bucket' });
    for (const t of db.slice(1, 4)) expect(t.depends_on).to.deep.equal([{ task_key: 'landing_access' }]);
    expect(db[4]!.depends_on!.map((d) => d.task_key)).to.deep.equal(['clean_pin', 'clean_geo', 'clean_user']);
  });

  it('qualifies tables by catalog and schema, reads s3:// for external locations, and pauses schedules on development targets only', () => {
    const db = compileJob(JOBS['clean']!, DATABRICKS);
    const p = Object.fromEntries(db.parameters!.map((x) => [x.name, x.default]));
    expect(p['pin_table']).to.equal('`main`.`pinterest`.`0affe4008223_pin_table`');
    expect(p['landing_root']).to.equal('s3://user-0affe4008223-bucket');
    expect(db.schedule!.pause_status).to.equal('UNPAUSED');
    expect(compileJob(JOBS['clean']!, LOCAL).schedule!.pause_status).to.equal('PAUSED');
    expect(compileJob(JOBS['queries']!, LOCAL).schedule).to.equal(undefined);
    expect(db.tasks!.every((t) => t.job_cluster_key === 'pinpipe')).to.equal(true);
  });

  it('submits once with the job parameters as notebook parameters and the job cluster inlined', () => {
    const s = submitPayload(JOBS['queries']!, DATABRICKS, { pin_table: '`x`' });
    const task = s.tasks![0]! as jobs.SubmitTask;
    expect(task.notebook_task!.base_parameters).to.include({ pin_table: '`x`', geo_table: '`main`.`pinterest`.`0affe4008223_geo_table`' });
    expect(task.new_cluster).to.deep.include({ spark_version: '15.4.x-scala2.12', num_workers: 1 });
    expect(task).to.not.have.property('job_cluster_key');
  });
});

describe('databricks.yml', () => {
  const text = readFileSync(path.join(PROJECT_ROOT, 'databricks.yml'), 'utf8');
  const bundle = yaml.load(text) as { resources: { jobs: Record<string, jobs.JobSettings> }; targets: Record<string, { mode: string }> };

  it('is what jobs/ renders to', () => {
    expect(text).to.equal(renderBundle(JOBS, notebookFiles().map((f) => `./${f.file}`)));
  });

  it('holds every job of jobs/ with the same tasks, dependencies, notebooks and parameters as the deployed payload', () => {
    expect(Object.keys(bundle.resources.jobs).sort()).to.deep.equal(Object.keys(JOBS).map((n) => `pinpipe_${n}`).sort());
    for (const [name, spec] of Object.entries(JOBS)) {
      const deployed = compileJob(spec, DATABRICKS);
      const b = bundle.resources.jobs[`pinpipe_${name}`]!;
      const shape = (s: jobs.JobSettings, nb: (p: string) => string) => s.tasks!.map((t) => ({
        key: t.task_key,
        deps: (t.depends_on ?? []).map((d) => d.task_key),
        notebook: nb(t.notebook_task!.notebook_path),
        base: Object.keys(t.notebook_task!.base_parameters ?? {}),
      }));
      expect(shape(b, (p) => p.replace(/^\.\/notebooks\//, '').replace(/\.(sql|py)$/, ''))).to.deep.equal(
        shape(deployed, (p) => p.replace('/Workspace/Shared/pinpipe/notebooks/', '')),
      );
      expect(b.parameters!.map((x) => x.name)).to.deep.equal(deployed.parameters!.map((x) => x.name));
      // Triggered the same way (a stream job is continuous on a cluster, scheduled on the bundle's serverless).
      expect(Boolean(b.schedule || b.continuous)).to.equal(Boolean(deployed.schedule || deployed.continuous));
      for (const t of b.tasks!) expect(existsSync(path.join(PROJECT_ROOT, t.notebook_task!.notebook_path)), t.notebook_task!.notebook_path).to.equal(true);
    }
    expect(bundle.targets['dev']!.mode).to.equal('development');
    expect(bundle.targets['prod']!.mode).to.equal('production');
  });

  it('defaults to a combination that runs: serverless compute with an external location and an s3:// landing, as config validation accepts', () => {
    const vars = (yaml.load(text) as { variables: Record<string, { default?: string }> }).variables;
    const usesServerless = Object.values(bundle.resources.jobs).every((j) => j.tasks!.every((t) => !t.existing_cluster_id && !t.job_cluster_key && !t.new_cluster));
    expect(usesServerless, 'the bundle runs on serverless compute').to.equal(true);
    const target = databricksTargetSchema.safeParse({
      kind: 'databricks', compute: { serverless: true },
      access: { mode: vars['access_mode']!.default, bucket: vars['bucket']!.default, mount_point: vars['mount_point']!.default },
      landing_root: vars['landing_root']!.default,
    });
    expect(target.success, target.success ? '' : JSON.stringify(target.error.issues)).to.equal(true);
  });
});
