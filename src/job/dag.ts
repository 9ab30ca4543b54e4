// The Airflow DAGs generated from jobs/ (pure): dags/<uid>_dag.py runs the daily jobs deployed on the
// workspace by name (DatabricksRunNowOperator), dags/<uid>_submit_dag.py runs their notebooks one run each
// (DatabricksSubmitRunOperator), as the original DAG did, for users without deployed jobs. Both on the
// daily schedule (jobs.schedule converted to Airflow's cron, in jobs.timezone), catchup off, Airflow retries
// with a delay, owner and tags. Every value is written by pyLiteral, and every header line by pyComment
// (python.ts). The Python imports the DAG class from airflow.sdk (Airflow 3) or airflow (Airflow 2): the same
// file runs on MWAA's 2.10 and on 3.x.
import type { Config } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import { compileJob, jobName } from './compile.ts';
import type { JobSpec } from './model.ts';
import { PyCode, pyComment, pyKwargs, pyLiteral, Template, type PyValue } from './python.ts';

export type DagVariant = 'run_now' | 'submit';
export const DAG_VARIANTS: readonly DagVariant[] = ['run_now', 'submit'];

export function dagId(config: Config, variant: DagVariant): string {
  return variant === 'run_now' ? `${config.userId}_dag` : `${config.userId}_submit_dag`;
}

/** The DAG's file under dags/ (the original's name, <uid>_dag.py, for the run-now DAG). */
export function dagFile(config: Config, variant: DagVariant): string {
  return `dags/${dagId(config, variant)}.py`;
}

const QUARTZ_FIELDS = ['second', 'minute', 'hour', 'day-of-month', 'month', 'day-of-week', 'year'] as const;
const CRON_MAX: Record<string, number> = { minute: 59, hour: 23, 'day-of-month': 31, month: 12 };

/**
 * A Quartz cron (Databricks' schedule) as Airflow's 5-field cron: the seconds must be 0 and the year any
 * (Airflow schedules by the minute), `?` is `*`, Quartz's weekdays 1-7 (Sunday 1) become 0-6, `a/b` steps
 * become `a-max/b`. L, W and # are refused (set dag.schedule instead). `0 0 * * *` is Airflow's @daily.
 */
export function airflowSchedule(quartz: string): string {
  const fields = quartz.trim().split(/\s+/);
  const refuse = (why: string): never => {
    throw new PinpipeError('CONFIG_INVALID', `dag: the schedule "${quartz}" (jobs.schedule) has no Airflow cron: ${why} (CONFIG_INVALID). Set dag.schedule to an Airflow schedule (a cron of 5 fields or a preset such as @daily).`);
  };
  if (fields.length < 6 || fields.length > 7) refuse('a Quartz cron has 6 or 7 fields');
  const [sec, ...rest] = fields as [string, ...string[]];
  if (sec !== '0') refuse('Airflow schedules by the minute, so the seconds field must be 0');
  if (fields[6] !== undefined && fields[6] !== '*') refuse('Airflow has no year field');
  const out = rest.slice(0, 5).map((f, i) => {
    const name = QUARTZ_FIELDS[i + 1]!;
    // L, W and # outside month and weekday names (JUL, WED) are Quartz's last, weekday and nth.
    if (/[LW#]/.test(f.toUpperCase().replace(/[A-Z]{3}/g, '_'))) refuse(`the ${name} field "${f}" uses L, W or #`);
    if (f === '?') return '*';
    return f.split(',').map((part) => {
      const step = /^(\d+)\/(\d+)$/.exec(part);
      if (step) {
        if (name === 'day-of-week') refuse(`the day-of-week step "${part}"`);
        return `${step[1]}-${CRON_MAX[name]}/${step[2]}`;
      }
      if (name !== 'day-of-week') return part;
      // Quartz counts weekdays from Sunday = 1, cron from Sunday = 0; names are the same in both.
      return part.replace(/\d+/g, (d) => {
        const n = Number(d);
        if (n < 1 || n > 7) refuse(`the weekday ${d} (Quartz weekdays are 1-7, Sunday 1)`);
        return String(n - 1);
      });
    }).join(',');
  });
  const cron = out.join(' ');
  return cron === '0 0 * * *' ? '@daily' : cron;
}

/** The jobs a DAG runs: the daily ones of jobs/. */
function dailyJobs(jobs: Record<string, JobSpec>): JobSpec[] {
  const daily = Object.values(jobs).filter((j) => j.daily);
  if (!daily.length) throw new PinpipeError('CONFIG_INVALID', 'dag: no job of jobs/ is daily (CONFIG_INVALID). The DAG runs the daily jobs: give one a daily schedule.');
  return daily;
}

/** One task of the DAG: its id, the operator and its arguments, and the tasks it follows. */
interface DagTask {
  id: string;
  operator: 'DatabricksRunNowOperator' | 'DatabricksSubmitRunOperator';
  args: Record<string, PyValue | PyCode | undefined>;
  after: string[];
}

/** The template fields of each operator (as the provider declares them): their strings must not read as templates. */
const TEMPLATED: Record<DagTask['operator'], readonly string[]> = {
  DatabricksRunNowOperator: ['job_name', 'job_parameters', 'databricks_conn_id'],
  DatabricksSubmitRunOperator: ['notebook_task', 'new_cluster', 'existing_cluster_id', 'run_name', 'timeout_seconds', 'databricks_conn_id'],
};

function runNowTasks(jobs: JobSpec[], config: Config): DagTask[] {
  return jobs.map((spec) => ({
    id: spec.name,
    operator: 'DatabricksRunNowOperator',
    args: {
      task_id: spec.name,
      databricks_conn_id: config.dag.connection_id,
      // Found by name (jobs/list?name=), as deploy-jobs names it: no job id to copy into the DAG.
      job_name: jobName(spec, config),
      polling_period_seconds: config.dag.polling_period_seconds,
    },
    after: [],
  }));
}

/** The compiled job parameters a notebook run gets from the DAG: the job's run id becomes Airflow's. */
function submitParameters(base: Record<string, string> | undefined): Record<string, PyValue> {
  // The notebooks' other widgets default to the target's values (deploy-notebooks sets them), as the
  // original's did; the run id keys the cleaning reports, one a DAG run.
  return { ...(base ?? {}), run_id: new Template('{{ run_id }}') };
}

function submitTasks(jobs: JobSpec[], config: Config): DagTask[] {
  const out: DagTask[] = [];
  for (const spec of jobs) {
    const settings = compileJob(spec, config);
    const cluster = settings.job_clusters?.[0]?.new_cluster;
    for (const t of settings.tasks ?? []) {
      const id = jobs.length > 1 ? `${spec.name}.${t.task_key}` : t.task_key;
      const nb = t.notebook_task!;
      out.push({
        id,
        operator: 'DatabricksSubmitRunOperator',
        args: {
          task_id: id,
          databricks_conn_id: config.dag.connection_id,
          run_name: `${jobName(spec, config)} ${t.task_key}`,
          notebook_task: { notebook_path: nb.notebook_path, source: nb.source ?? 'WORKSPACE', base_parameters: submitParameters(nb.base_parameters) },
          // The target's compute: an existing cluster, a new cluster of the job cluster's spec, or none
          // (serverless, and the local workspace).
          existing_cluster_id: t.existing_cluster_id,
          new_cluster: t.job_cluster_key && cluster ? (cluster as unknown as PyValue) : undefined,
          timeout_seconds: t.timeout_seconds,
          polling_period_seconds: config.dag.polling_period_seconds,
        },
        after: (t.depends_on ?? []).map((d) => (jobs.length > 1 ? `${spec.name}.${d.task_key}` : d.task_key)),
      });
    }
  }
  return out;
}

/** The Python source of a DAG for a target's configuration. */
export function renderDag(jobs: Record<string, JobSpec>, config: Config, variant: DagVariant): string {
  const daily = dailyJobs(jobs);
  const d = config.dag;
  const id = dagId(config, variant);
  const schedule = d.schedule ?? airflowSchedule(config.jobs.schedule);
  const tasks = variant === 'run_now' ? runNowTasks(daily, config) : submitTasks(daily, config);
  const names = daily.map((j) => jobName(j, config));
  const what = variant === 'run_now'
    ? `runs the Databricks job${names.length > 1 ? 's' : ''} ${names.map((n) => `"${n}"`).join(', ')} (jobs/) by name`
    : `runs the notebooks of ${names.map((n) => `"${n}"`).join(', ')} (jobs/), one Databricks run each`;
  const header = [
    `Airflow DAG ${id}: ${what}, on ${schedule} (${config.jobs.timezone}).`,
    'Generated from jobs/ and pinpipe.yaml by `npm run build-notebooks`: do not edit. `npm run deploy-dag` deploys it.',
    `Needs the Airflow connection "${d.connection_id}" to the workspace (host, and a token as its password)${variant === 'run_now' ? ' and the job deployed there (npm run deploy-jobs)' : ' and the notebooks deployed there (npm run deploy-notebooks)'}.`,
    'For Airflow 2.4+ (MWAA 2.10) and Airflow 3, with apache-airflow-providers-databricks.',
    ...(variant === 'run_now' ? ['Keep the job\'s own Databricks schedule paused (a development target deploys it paused), or it also runs there.'] : []),
    ...(variant === 'submit' && config.target.kind === 'databricks' && config.target.access.mode === 'secret_scope' && config.target.compute.job_cluster
      ? ['access.mode secret_scope sets keys on the cluster, and each submitted run here gets a new cluster: use the run-now DAG, or compute.existing_cluster_id.']
      : []),
  ].map(pyComment);
  const dagArgs = pyKwargs({
    dag_id: id,
    description: daily.map((j) => j.description).join('; '),
    schedule,
    start_date: new PyCode(`pendulum.datetime(2024, 1, 1, tz=${pyLiteral(config.jobs.timezone)})`),
    catchup: false,
    max_active_runs: 1,
    default_args: new PyCode(`{"owner": ${pyLiteral(d.owner)}, "retries": ${pyLiteral(d.retries)}, "retry_delay": timedelta(seconds=${pyLiteral(d.retry_delay_seconds)})}`),
    tags: [...new Set([...d.tags, config.userId])],
  }, '    ', { where: `DAG ${id}` });
  const lines = [
    ...header,
    'from __future__ import annotations',
    '',
    'from datetime import timedelta',
    '',
    'import pendulum',
    `from airflow.providers.databricks.operators.databricks import ${[...new Set(tasks.map((t) => t.operator))].join(', ')}`,
    '',
    'try:  # Airflow 3',
    '    from airflow.sdk import DAG',
    'except ImportError:  # Airflow 2',
    '    from airflow import DAG',
    '',
    'with DAG(',
    dagArgs,
    ') as dag:',
    '    tasks = {}',
  ];
  const known = new Set<string>();
  for (const t of tasks) {
    if (known.has(t.id)) throw new PinpipeError('CONFIG_INVALID', `dag: two tasks are named ${t.id} (CONFIG_INVALID). Give the jobs' tasks distinct keys.`);
    known.add(t.id);
    lines.push(`    tasks[${pyLiteral(t.id)}] = ${t.operator}(`, pyKwargs(t.args, '        ', { templated: TEMPLATED[t.operator], where: `task ${t.id}` }), '    )');
  }
  for (const t of tasks) {
    for (const a of t.after) {
      if (!known.has(a)) throw new PinpipeError('CONFIG_INVALID', `dag: task ${t.id} follows ${a}, which is not a task of the DAG (CONFIG_INVALID). Fix its depends_on in jobs/.`);
      lines.push(`    tasks[${pyLiteral(a)}] >> tasks[${pyLiteral(t.id)}]`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Every DAG file for a configuration: path and content. */
export function renderDags(jobs: Record<string, JobSpec>, config: Config): { path: string; content: string }[] {
  return DAG_VARIANTS.map((v) => ({ path: dagFile(config, v), content: renderDag(jobs, config, v) }));
}
