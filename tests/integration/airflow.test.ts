// The generated DAGs on real Apache Airflow, standalone (SQLite, no web server), against the local workspace
// through Airflow's own Databricks provider and a connection to the workspace's URL and token: Airflow 3.3.2
// (provider 7.23, Jobs API 2.2) and MWAA's Airflow 2.10.3 (provider 6.12, Jobs API 2.1), each installed once
// into .pinpipe/ from a pinned requirements file (about a minute each).
//  - Airflow's DagBag imports the committed dags/ and every golden DAG with no error, and reads the committed
//    ones' owner, tags, schedule, retries and delay as pinpipe.yaml sets them (no Spark);
//  - Airflow's templating renders the submit DAG's payload with the run's id, a configured value holding Jinja
//    delimiters kept as written (no Spark);
//  - a failing task (the job's notebook missing) is retried once and the DAG run reported failed (no Spark);
//  - `airflow dags test` of the run-now DAG runs the real clean job to SUCCESS (local Spark);
//  - the submit DAG (Airflow 3) and an original-style DAG (two DatabricksSubmitRunOperator tasks with the
//    single-task payload, Airflow 2: it uses schedule_interval, which Airflow 3 removed) run their notebooks
//    to SUCCESS, the original unchanged but for the connection (local Spark).
// The Spark-free tests alone: npx mocha --exit --timeout 900000 tests/integration/airflow.test.ts --grep 'imports|renders|retries'
import { expect } from 'chai';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Config as SdkConfig, WorkspaceClient, type jobs } from '@databricks/sdk-experimental';
import { loadConfig, type Config } from '../../src/config/index.ts';
import type { Workspace } from '../../src/databricks/client.ts';
import { deployJobs } from '../../src/deploy/jobs.ts';
import { deployNotebooks } from '../../src/deploy/notebooks.ts';
import { jobName, renderDag, type DagVariant } from '../../src/job/index.ts';
import { installAirflow, type AirflowMajor } from '../../src/local/airflow/install.ts';
import { installSpark } from '../../src/local/spark/index.ts';
import { generateToken, startWorkspaceServer, type WorkspaceServer } from '../../src/local/workspace/server.ts';
import { PROJECT_ROOT } from '../../src/project.ts';
import { clearTopic, PartitionWriter } from '../../src/sink/landing.ts';
import { JOBS } from '../../jobs/index.ts';
import { hand, type TableKey } from '../fixtures/index.ts';
import { airflowCli, airflowFor, pythonOf, runIn, type Airflow } from '../helpers/airflow.ts';

const quiet = () => {};
const FIXTURES = path.join(PROJECT_ROOT, 'tests', 'fixtures', 'airflow');
/** The user id of the failing job: its notebooks are never deployed. */
const FAILING_UID = 'f0a1ed000000';

describe('the generated DAGs on real Apache Airflow', function () {
  this.timeout(1_800_000);
  let dir: string;
  let lake: string;
  let server: WorkspaceServer;
  let token: string;
  let config: Config;
  let ws: Workspace;
  let deployed = false;

  const api = async <T>(url: string): Promise<T> => {
    const res = await fetch(`${server.url}${url}`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as T;
    if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const runsOf = async (name: string): Promise<jobs.Run[]> => {
    const found = await api<{ jobs?: { job_id: number }[] }>(`/api/2.2/jobs/list?name=${encodeURIComponent(name)}`);
    const jobId = found.jobs?.[0]?.job_id;
    if (jobId === undefined) return [];
    return (await api<{ runs?: jobs.Run[] }>(`/api/2.2/jobs/runs/list?job_id=${jobId}&expand_tasks=true&limit=25`)).runs ?? [];
  };
  /** The DAG of a variant rendered for a configuration, alone in a fresh DAG folder. */
  const dagFolder = (name: string, cfg: Config, variant: DagVariant) => {
    const folder = path.join(dir, `dags-${name}`);
    rmSync(folder, { recursive: true, force: true });
    mkdirSync(folder, { recursive: true });
    writeFileSync(path.join(folder, `${name}.py`), renderDag(JOBS, cfg, variant));
    return folder;
  };
  /** The notebooks and jobs deployed to the local workspace, the hand fixture landed (once, before the first Spark test). */
  const deploy = async () => {
    if (deployed) return;
    installSpark(quiet);
    for (const t of ['pin', 'geo', 'user'] as TableKey[]) {
      clearTopic(lake, config.names.topic[t]);
      const w = new PartitionWriter(lake, config.names.topic[t], 0, 3);
      for (const l of hand.landed[t]) w.write(l);
      w.flush();
    }
    await deployNotebooks(config, ws, { log: quiet });
    await deployJobs(config, ws, Object.values(JOBS), { log: quiet });
    deployed = true;
  };

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-airflow-'));
    lake = path.join(dir, 'lake');
    token = generateToken();
    config = loadConfig({ lake, env: {}, cwd: dir });
    // Airflow polls every 5 s and does not retry a job that ran (the job retries its own tasks).
    config = { ...config, jobs: { ...config.jobs, retry_interval_seconds: 0 }, dag: { ...config.dag, polling_period_seconds: 5, retries: 0 } };
    server = await startWorkspaceServer({ stateDir: path.join(lake, '_workspace'), lakeRoot: lake, spark: { ...config.spark, memory: '2g' }, token, maxParallelTasks: 3 });
    ws = { client: new WorkspaceClient(new SdkConfig({ host: server.url, token, authType: 'pat' })), host: server.url, local: true, identity: `local:${lake}` };
    // The failing job: the clean job's name for another user id, its notebook nowhere.
    const failing = await fetch(`${server.url}/api/2.2/jobs/create`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: JSON.stringify({ name: jobName(JOBS['clean']!, { ...config, userId: FAILING_UID }), tasks: [{ task_key: 'clean_pin', notebook_task: { notebook_path: '/Shared/failing/notebooks/clean/pin' } }] }),
    });
    expect(failing.status).to.equal(200);
  });

  after(async () => {
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  for (const major of [3, 2] as AirflowMajor[]) {
    describe(major === 3 ? 'Airflow 3.3.2, Databricks provider 7.23 (Jobs API 2.2)' : 'Airflow 2.10.3 as on MWAA, Databricks provider 6.12 (Jobs API 2.1)', () => {
      let airflow: (dags: string) => Airflow;

      before(async () => {
        const bin = installAirflow(major, (l) => console.log(`      ${l}`));
        const home = path.join(dir, `airflow${major}`);
        airflow = (dags) => airflowFor(bin, home, dags, { url: server.url, token });
        const migrated = await airflowCli(airflow(path.join(dir, 'no-dags')), 'db', 'migrate');
        expect(migrated.code, migrated.output.slice(-2000)).to.equal(0);
      });

      it('imports the committed DAGs and every golden DAG with no errors (DagBag)', async () => {
        const folders = [path.join(PROJECT_ROOT, 'dags')];
        const project = loadConfig({ env: {}, cwd: PROJECT_ROOT });
        // One golden file a folder: the goldens of two targets share DAG ids.
        for (const f of readdirSync(path.join(PROJECT_ROOT, 'tests', 'golden', 'dags'))) {
          const folder = path.join(dir, `golden-${major}-${f}`);
          mkdirSync(folder, { recursive: true });
          copyFileSync(path.join(PROJECT_ROOT, 'tests', 'golden', 'dags', f), path.join(folder, f));
          folders.push(folder);
        }
        for (const folder of folders) {
          const a = airflow(folder);
          const res = await runIn(a, pythonOf(a), [path.join(FIXTURES, 'dagbag.py'), folder]);
          expect(res.code, res.output.slice(-3000)).to.equal(0);
          const bag = JSON.parse(res.output.trim().split('\n').at(-1)!) as { errors: Record<string, string>; dags: Record<string, { tasks: Record<string, string[]>; catchup: boolean; tags: string[]; owner: string; schedule: string | null; max_active_runs: number; retries: Record<string, [string, number, number]> }> };
          expect(bag.errors, folder).to.deep.equal({});
          expect(Object.keys(bag.dags).length, folder).to.be.greaterThan(0);
          for (const [id, dag] of Object.entries(bag.dags)) {
            expect(dag.catchup, id).to.equal(false);
            expect(dag.max_active_runs, id).to.equal(1);
            if (folder === folders[0]) {
              // The committed DAGs: the project's pinpipe.yaml as Airflow read it (owner, tags, retries and
              // delay on every task, the job's Quartz schedule 0 0 6 * * ? as Airflow's cron).
              const d = project.dag;
              expect(dag.owner, id).to.equal(d.owner);
              expect(dag.tags, id).to.deep.equal([...new Set([...d.tags, project.userId])].sort());
              expect(dag.schedule, id).to.equal('0 6 * * *');
              for (const [task, r] of Object.entries(dag.retries)) expect(r, `${id}.${task}`).to.deep.equal([d.owner, d.retries, d.retry_delay_seconds]);
            }
            if (id.endsWith('_submit_dag')) expect(dag.tasks['queries'], id).to.include.members(['clean_pin', 'clean_geo', 'clean_user']);
            else expect(Object.keys(dag.tasks), id).to.deep.equal(['clean']);
          }
        }
      });

      it('renders the payload as Airflow does before a run: {{ run_id }} from the run, a configured value with Jinja delimiters kept literal', async () => {
        // A workspace folder that reads as a template ({% raw %} in the generated DAG keeps it as written).
        const target = config.target.kind === 'local' ? { ...config.target, workspace: { ...config.target.workspace, folder: '/Shared/{{ var.value.x }}' } } : config.target;
        const folder = dagFolder(`${config.userId}_submit_dag`, { ...config, target }, 'submit');
        const a = airflow(folder);
        const res = await runIn(a, pythonOf(a), [path.join(FIXTURES, 'render.py'), folder, 'scheduled__2026-12-01T06:00:00+00:00']);
        expect(res.code, res.output.slice(-3000)).to.equal(0);
        type NotebookTask = { notebook_path: string; base_parameters: Record<string, string> };
        const rendered = JSON.parse(res.output.trim().split('\n').at(-1)!) as Record<string, Record<string, { notebook_task?: NotebookTask; json?: { notebook_task?: NotebookTask } }>>;
        const tasks = rendered[`${config.userId}_submit_dag`]!;
        expect(Object.keys(tasks).sort()).to.deep.equal(['clean_geo', 'clean_pin', 'clean_user', 'queries']);
        // Provider 7 templates notebook_task itself; provider 6 the json payload that holds it.
        const notebookTask = (task: string) => tasks[task]!.notebook_task ?? tasks[task]!.json!.notebook_task!;
        expect(notebookTask('clean_pin').notebook_path).to.equal('/Shared/{{ var.value.x }}/notebooks/clean/pin');
        expect(notebookTask('queries').base_parameters['run_id']).to.equal('scheduled__2026-12-01T06:00:00+00:00');
      });

      it('retries a failing task and reports the DAG run failed', async () => {
        const name = jobName(JOBS['clean']!, { ...config, userId: FAILING_UID });
        const before = (await runsOf(name)).length;
        const cfg: Config = { ...config, userId: FAILING_UID, dag: { ...config.dag, retries: 1, retry_delay_seconds: 1, polling_period_seconds: 2 } };
        const res = await airflowCli(airflow(dagFolder(`${FAILING_UID}_dag`, cfg, 'run_now')), 'dags', 'test', `${FAILING_UID}_dag`, '2026-12-01');
        expect(res.code, res.output.slice(-3000)).to.not.equal(0);
        expect(res.output).to.match(/DagRun failed|state=failed/);
        expect(res.output).to.match(/UP_FOR_RETRY|up_for_retry/);
        expect(res.output, 'the task run\'s error from runs/get-output').to.include('Unable to access the notebook "/Shared/failing/notebooks/clean/pin"');
        const runs = (await runsOf(name)).slice(0, (await runsOf(name)).length - before);
        expect(runs.map((r) => r.state?.result_state), 'one run, then its retry').to.deep.equal(['FAILED', 'FAILED']);
      });

      it('runs the real clean job to SUCCESS with `airflow dags test` of the run-now DAG (local Spark)', async () => {
        await deploy();
        const name = jobName(JOBS['clean']!, config);
        const before = (await runsOf(name)).length;
        const res = await airflowCli(airflow(dagFolder(`${config.userId}_dag`, config, 'run_now')), 'dags', 'test', `${config.userId}_dag`, '2026-12-01');
        expect(res.code, res.output.slice(-4000)).to.equal(0);
        const runs = await runsOf(name);
        expect(runs.length - before, 'one run of the job').to.equal(1);
        const run = runs[0]!;
        expect(run.state, JSON.stringify(run.state)).to.deep.include({ life_cycle_state: 'TERMINATED', result_state: 'SUCCESS' });
        expect(run.tasks!.map((t) => [t.task_key, t.state?.result_state]).sort()).to.deep.equal([['clean_geo', 'SUCCESS'], ['clean_pin', 'SUCCESS'], ['clean_user', 'SUCCESS'], ['queries', 'SUCCESS']]);
      });

      if (major === 3) {
        it('runs every notebook to SUCCESS with the submit DAG, one run each in dependency order (local Spark)', async () => {
          await deploy();
          const res = await airflowCli(airflow(dagFolder(`${config.userId}_submit_dag`, config, 'submit')), 'dags', 'test', `${config.userId}_submit_dag`, '2026-12-01');
          expect(res.code, res.output.slice(-4000)).to.equal(0);
          const submitted = (await api<{ runs?: jobs.Run[] }>('/api/2.2/jobs/runs/list?limit=25')).runs!.filter((r) => r.run_type === 'SUBMIT_RUN' && r.run_name?.startsWith(jobName(JOBS['clean']!, config)));
          const last = submitted.slice(0, 4);
          expect(last.map((r) => r.run_name!.split(' ').at(-1)).sort()).to.deep.equal(['clean_geo', 'clean_pin', 'clean_user', 'queries']);
          for (const r of last) expect(r.state?.result_state, r.run_name).to.equal('SUCCESS');
          const queries = last.find((r) => r.run_name!.endsWith('queries'))!;
          for (const r of last.filter((x) => x !== queries)) expect(r.end_time!, 'queries ran after the cleaning').to.be.at.most(queries.start_time!);
        });
      } else {
        it('runs an original-style DAG (two DatabricksSubmitRunOperator tasks, single-task payload on 2.1) unchanged but for the connection (local Spark)', async () => {
          await deploy();
          const folder = path.join(dir, 'dags-original');
          mkdirSync(folder, { recursive: true });
          copyFileSync(path.join(FIXTURES, 'original_dag.py'), path.join(folder, 'original_dag.py'));
          const res = await airflowCli(airflow(folder), 'dags', 'test', '0affe4008223_original_dag', '2026-12-01');
          expect(res.code, res.output.slice(-4000)).to.equal(0);
          const runs = (await api<{ runs?: jobs.Run[] }>('/api/2.1/jobs/runs/list?limit=25')).runs!.filter((r) => r.run_name === 'clean_run' || r.run_name === 'queries_run');
          expect(runs.slice(0, 2).map((r) => [r.run_name, r.run_type, r.state?.result_state])).to.deep.equal([['queries_run', 'SUBMIT_RUN', 'SUCCESS'], ['clean_run', 'SUBMIT_RUN', 'SUCCESS']]);
        });
      }
    });
  }
});
