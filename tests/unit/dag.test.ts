// The Airflow DAGs generated from jobs/: golden files per target and variant, the Quartz-to-Airflow schedule,
// the one quoting function (hostile values read back by Python itself as the same values), values Airflow
// would render as templates refused, and the dag section of pinpipe.yaml.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { airflowSchedule, DAG_VARIANTS, dagFile, renderDag } from '../../src/job/index.ts';
import { pyLiteral, Template, type PyValue } from '../../src/job/python.ts';
import { PROJECT_ROOT } from '../../src/project.ts';
import { JOBS } from '../../jobs/index.ts';

const GOLDEN = path.join(PROJECT_ROOT, 'tests', 'golden', 'dags');

function configFrom(yamlText: string, target?: string, env: NodeJS.ProcessEnv = {}): Config {
  const dir = path.join(PROJECT_ROOT, '.pinpipe', 'test-config-dag');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'pinpipe.yaml');
  writeFileSync(file, yamlText);
  return loadConfig({ configFile: file, env, cwd: dir, target });
}

const CONFIGS: Record<string, Config> = {
  local: configFrom('user_id: 0affe4008223\nlake_root: /srv/pinpipe/lake\n'),
  // A Databricks target on a job cluster, mounts (the setup task's parameters), an Airflow schedule of its own.
  databricks: configFrom(`
user_id: a1b2c3d4e5f6
jobs: {schedule: "0 30 5 ? * MON-FRI", timezone: Europe/London, task_timeout_seconds: 1800}
dag: {connection_id: databricks_prod, owner: data-eng, tags: [pinterest, batch], retries: 3, retry_delay_seconds: 120, polling_period_seconds: 15}
targets:
  local: {}
  prod:
    kind: databricks
    folder: /Workspace/Shared/pinpipe
    compute:
      job_cluster: {spark_version: 15.4.x-scala2.12, node_type_id: m5d.large, num_workers: 1}
    access: {mode: mount, bucket: user-a1b2c3d4e5f6-bucket}
    development: false
`, 'prod'),
  existing_cluster: configFrom(`
user_id: 0affe4008223
dag: {schedule: "@daily"}
targets:
  local: {}
  dev:
    kind: databricks
    compute: {existing_cluster_id: 1108-162752-8okw8dgg}
    access: {mode: secret_scope}
`, 'dev'),
};

/** What Python reads each literal as (ast.literal_eval, one literal a line), as JSON. */
function pythonReads(literals: string[]): unknown[] {
  const code = 'import ast, json, sys; print(json.dumps([ast.literal_eval(l) for l in sys.stdin.read().split("\\n") if l]))';
  const r = spawnSync('python3', ['-c', code], { input: literals.join('\n'), encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`python3 could not read the literals: ${r.stderr}`);
  return JSON.parse(r.stdout) as unknown[];
}

describe('Airflow DAGs', () => {
  for (const [name, config] of Object.entries(CONFIGS)) {
    for (const variant of DAG_VARIANTS) {
      it(`renders the ${variant} DAG of a ${name} target as its golden file`, () => {
        const text = renderDag(JOBS, config, variant);
        const file = path.join(GOLDEN, `${name}-${variant}.py`);
        if (process.env['UPDATE_GOLDEN'] === '1') {
          mkdirSync(GOLDEN, { recursive: true });
          writeFileSync(file, text);
        }
        expect(existsSync(file), `${file} missing: run UPDATE_GOLDEN=1 npm run test:unit`).to.equal(true);
        expect(text).to.equal(readFileSync(file, 'utf8'));
        expect(renderDag(JOBS, config, variant), 'deterministic').to.equal(text);
      });
    }
  }

  it('names the files as the original did (<uid>_dag.py) and builds the run-now DAG on the clean job by name', () => {
    expect(dagFile(CONFIGS['local']!, 'run_now')).to.equal('dags/0affe4008223_dag.py');
    expect(dagFile(CONFIGS['local']!, 'submit')).to.equal('dags/0affe4008223_submit_dag.py');
    const text = renderDag(JOBS, CONFIGS['databricks']!, 'run_now');
    expect(text).to.include('job_name="pinpipe clean (a1b2c3d4e5f6)"');
    expect(text).to.include('catchup=False');
    expect(text).to.include('schedule="30 5 * * MON-FRI"');
    expect(text).to.include('start_date=pendulum.datetime(2024, 1, 1, tz="Europe/London")');
    const submit = renderDag(JOBS, CONFIGS['databricks']!, 'submit');
    // The setup task first (mounts need it), the cleaning tasks after it, the queries last; a job cluster's spec.
    expect(submit).to.include('tasks["landing_access"] >> tasks["clean_pin"]');
    expect(submit).to.include('tasks["clean_user"] >> tasks["queries"]');
    expect(submit).to.include('new_cluster={"spark_version": "15.4.x-scala2.12"');
    expect(renderDag(JOBS, CONFIGS['existing_cluster']!, 'submit')).to.include('existing_cluster_id="1108-162752-8okw8dgg"');
  });

  it('converts Quartz schedules to Airflow crons, and refuses what Airflow cannot schedule', () => {
    const cases: [string, string][] = [
      ['0 0 6 * * ?', '0 6 * * *'],
      ['0 0 0 * * ?', '@daily'],
      ['0 0 3 ? * SUN', '0 3 * * SUN'],
      ['0 30 2 ? * 1,7', '30 2 * * 0,6'],
      ['0 0 6 ? * 2-6', '0 6 * * 1-5'],
      ['0 0/15 * * * ?', '0-59/15 * * * *'],
      ['0 0 6 ? * WED', '0 6 * * WED'],
      ['0 0 6 1 JUL ?', '0 6 1 JUL *'],
      ['0 0 6 * * ? *', '0 6 * * *'],
    ];
    for (const [quartz, cron] of cases) expect(airflowSchedule(quartz), quartz).to.equal(cron);
    for (const quartz of ['30 0 6 * * ?', '0 0 6 L * ?', '0 0 6 ? * 6#3', '0 0 6 ? * 6L', '0 0 6 15W * ?', '0 0 6 * * ? 2030', '0 6 * * *', '0 0 6 ? * 8']) {
      expect(() => airflowSchedule(quartz), quartz).to.throw(/CONFIG_INVALID[\s\S]*dag\.schedule/);
    }
  });

  it('writes every value as a Python literal that Python reads back as the same value', () => {
    const hostile: PyValue[] = [
      'plain', '', 'quote " and \' and """ and \'\'\'', 'back\\slash\\', 'new\nline\r\ttab', 'nul\u0000', '\u2028\u2029',
      'ünïcödé', '日本', '😀 emoji', 'a"); import os; os.system("x"); ("', '\\x41\\u0041', '{{ not a template here }}',
      12, -3, 0.5, true, false, null, [1, 'two', [null]], { 'key "q"': { nested: ['v\n'] } },
    ];
    const literals = hostile.map((v) => pyLiteral(v));
    for (const literal of literals) expect(/^[\x20-\x7e]*$/.test(literal), `ASCII only: ${literal}`).to.equal(true);
    expect(pythonReads(literals)).to.deep.equal(hostile);
    expect(() => pyLiteral(Number.NaN)).to.throw(/no Python literal/);
  });

  it('refuses a schedule or time zone that would add a line to the DAG, and writes header values as comments only', () => {
    expect(() => configFrom('jobs: {timezone: "UTC\\nimport os"}\n')).to.throw(/key "jobs\.timezone"[\s\S]*IANA time zone/);
    expect(() => configFrom('jobs: {timezone: Mars/Olympus}\n')).to.throw(/key "jobs\.timezone"/);
    expect(() => configFrom('jobs: {schedule: "0 0 6 * * ?\\nimport os"}\n')).to.throw(/key "jobs\.schedule"/);
    expect(() => configFrom('jobs: {maintain_schedule: "0 0 3 ? * SUN\\nimport os"}\n')).to.throw(/key "jobs\.maintain_schedule"/);
    expect(() => configFrom('dag: {schedule: "0 6 * * *\\nimport os"}\n')).to.throw(/key "dag\.schedule"/);
    expect(configFrom('jobs: {timezone: America/New_York}\n').jobs.timezone).to.equal('America/New_York');
    // The renderer itself, given hostile strings past the schema (a caller that skipped it): comments only.
    const base = CONFIGS['databricks']!;
    const hostile = {
      ...base,
      jobs: { ...base.jobs, timezone: 'UTC)\nimport os\r\u2028os.system("x")' },
      dag: { ...base.dag, schedule: '0 6 * * *\nimport os #', connection_id: 'c\nimport sys' },
    } as Config;
    for (const variant of DAG_VARIANTS) {
      const source = renderDag(JOBS, hostile, variant);
      const header = source.split('\n').slice(0, source.split('\n').indexOf('from __future__ import annotations'));
      expect(header.length).to.be.greaterThan(3);
      for (const line of header) expect(/^# [\x20-\x7e]*$/.test(line), line).to.equal(true);
      expect(header[0]).to.include('0 6 * * *\\x0aimport os #').and.include('UTC)\\x0aimport os\\x0d\\u2028os.system');
      expect(source).not.to.match(/^import (os|sys)/m);
    }
  });

  it('keeps a configured value with Jinja delimiters literal in a template field ({% raw %}), refuses what raw cannot keep, our own templates pass', () => {
    expect(pyLiteral(new Template('{{ run_id }}'), { templated: true })).to.equal('"{{ run_id }}"');
    // A Databricks secret reference in a job cluster's spark_conf is a normal value: written raw, not refused.
    expect(pyLiteral({ 'spark.hadoop.fs.s3a.secret.key': '{{secrets/pinpipe/aws_secret}}' }, { templated: true }))
      .to.equal('{"spark.hadoop.fs.s3a.secret.key": "{% raw %}{{secrets/pinpipe/aws_secret}}{% endraw %}"}');
    for (const raw of ['a{{ b }}', 'a{% if %}', 'a{# c #}']) expect(pyLiteral(raw, { templated: true })).to.equal(`"{% raw %}${raw}{% endraw %}"`);
    expect(pyLiteral('a{{ b }}')).to.equal('"a{{ b }}"');
    for (const bad of ['{% endraw %}{{ x }}', 'endraw', 'x.json-tpl']) {
      expect(() => pyLiteral({ k: bad }, { templated: true, where: 'task t notebook_task' }), bad).to.throw(/task t notebook_task\.k would be read by Airflow as a Jinja template/);
    }
    const config = configFrom('user_id: 0affe4008223\ntargets:\n  local:\n    workspace: {folder: "/Shared/{{ var.value.x }}"}\n');
    expect(renderDag(JOBS, config, 'submit')).to.include('"{% raw %}/Shared/{{ var.value.x }}/');
    expect(renderDag(JOBS, config, 'run_now')).to.include('dag_id="0affe4008223_dag"');
  });

  it('reads the dag section of pinpipe.yaml: defaults, a folder made absolute, PINPIPE_DAG_DEPLOY_TO, bad values named', () => {
    const d = CONFIGS['local']!.dag;
    expect(d).to.include({ connection_id: 'databricks_default', owner: 'pinpipe', retries: 1, retry_delay_seconds: 300, variant: 'run_now' });
    expect(d.deploy_to).to.equal(undefined);
    const folder = configFrom('dag: {deploy_to: airflow/dags}\n');
    expect(folder.dag.deploy_to).to.equal(path.join(PROJECT_ROOT, '.pinpipe', 'test-config-dag', 'airflow', 'dags'));
    expect(configFrom('dag: {deploy_to: airflow/dags}\n', undefined, { PINPIPE_DAG_DEPLOY_TO: 's3://airflow-x-1-us-east-1/dags' }).dag.deploy_to).to.equal('s3://airflow-x-1-us-east-1/dags');
    expect(() => configFrom('dag: {deploy_to: "s3://Bad_Bucket/dags"}\n')).to.throw(/key "dag\.deploy_to"[\s\S]*s3:\/\/bucket/);
    expect(() => configFrom('dag: {schedule: "0 6 * *"}\n')).to.throw(/key "dag\.schedule"/);
    expect(() => configFrom('dag: {connection_id: "a b"}\n')).to.throw(/key "dag\.connection_id"/);
  });
});
