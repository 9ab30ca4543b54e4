// databricks.yml, generated from jobs/: a Databricks Asset Bundle with the same notebooks and jobs as
// `npm run deploy`, for users of the Databricks CLI (`databricks bundle deploy -t dev|prod`). The jobs are
// the compiled Jobs API settings of a Databricks target whose values are bundle variables; notebook paths
// are the project's files, which the bundle uploads as notebooks.
import yaml from 'js-yaml';
import type { Config } from '../config/index.ts';
import { namesFor } from '../config/index.ts';
import { apiSchema, dagSchema, jobsSchema, kafkaSchema, kinesisSchema, sourceSchema, streamSchema, localTargetSchema, type DatabricksTarget } from '../config/schema.ts';
import type { JobSpec } from './model.ts';
import { compileJob } from './compile.ts';

/** The AI/BI dashboard definition the bundle deploys (generated with the notebooks). */
export const DASHBOARD_FILE = 'dashboards/pinpipe.lvdash.json';

export const BUNDLE_VARIABLES: Record<string, { description: string; default?: string; lookup?: Record<string, string> }> = {
  user_id: { description: 'The user id in every name: topics <uid>.pin, tables <uid>_pin_table', default: '0affe4008223' },
  catalog: { description: 'Unity Catalog catalog of the Delta tables (main, or your workspace catalog)', default: 'main' },
  schema: { description: 'Schema of the Delta tables', default: 'default' },
  landing_root: { description: 'Where the topics are landed (topics/<topic>/partition=<p>/*.json), readable through a Unity Catalog external location', default: 's3://user-0affe4008223-bucket' },
  access_mode: { description: 'How the clean job reaches the landing data: external_location (serverless); mount or secret_scope need a cluster', default: 'external_location' },
  bucket: { description: 'The S3 bucket of the landing data', default: 'user-0affe4008223-bucket' },
  mount_point: { description: 'Mount point of the bucket (access_mode mount)', default: '/mnt/user-0affe4008223-bucket' },
  warehouse_id: { description: 'SQL warehouse of the dashboard', lookup: { warehouse: 'Serverless Starter Warehouse' } },
};

/** A Databricks target whose values are the bundle's variables. */
export function bundleConfig(): Config {
  const target = {
    kind: 'databricks',
    folder: '.',
    catalog: '${var.catalog}',
    schema: '${var.schema}',
    compute: { serverless: true },
    access: {
      mode: '${var.access_mode}',
      bucket: '${var.bucket}',
      mount_point: '${var.mount_point}',
      credentials_table: 'authentication_credentials',
      secret_scope: 'pinpipe',
      access_key_secret: 'aws_access_key_id',
      secret_key_secret: 'aws_secret_access_key',
    },
    // Schedules are UNPAUSED in the resource; the dev target's development mode pauses them.
    development: false,
  } as unknown as DatabricksTarget;
  return {
    file: null,
    userId: '${var.user_id}',
    lakeRoot: '',
    names: namesFor('${var.user_id}'),
    targetName: 'bundle',
    target,
    landingRoot: '${var.landing_root}',
    spark: localTargetSchema.parse({ kind: 'local' }).spark,
    jobs: jobsSchema.parse({}),
    dag: dagSchema.parse({}),
    kafka: kafkaSchema.parse({}),
    api: apiSchema.parse({}),
    apiKeys: [],
    source: sourceSchema.parse({}),
    kinesis: kinesisSchema.parse({}),
    stream: streamSchema.parse({}),
    sourcePassword: undefined,
  };
}

/** The notebook file of a task's notebook path (`notebooks/clean/pin` -> `notebooks/clean/pin.sql`), from the files given. */
function notebookFile(notebookPath: string, files: readonly string[]): string {
  const file = files.find((f) => f === `${notebookPath}.sql` || f === `${notebookPath}.py`);
  if (!file) throw new Error(`bundle: no notebook file for ${notebookPath} among ${files.length} notebooks`);
  return file;
}

/** The bundle's jobs; `files` are the project's notebook files (notebooks/...), relative to the bundle root. */
export function bundleJobs(jobs: Record<string, JobSpec>, files: readonly string[]): Record<string, unknown> {
  const cfg = bundleConfig();
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(jobs)) {
    const settings = compileJob(spec, cfg);
    out[`pinpipe_${name}`] = {
      ...settings,
      tasks: settings.tasks!.map((t) => ({ ...t, notebook_task: { ...t.notebook_task!, notebook_path: notebookFile(t.notebook_task!.notebook_path, files) } })),
    };
  }
  return out;
}

export function renderBundle(jobs: Record<string, JobSpec>, files: readonly string[]): string {
  const doc = {
    bundle: { name: 'pinpipe' },
    variables: BUNDLE_VARIABLES,
    resources: {
      jobs: bundleJobs(jobs, files),
      dashboards: {
        pinpipe_analytics: {
          display_name: 'pinpipe analytics',
          file_path: `./${DASHBOARD_FILE}`,
          warehouse_id: '${var.warehouse_id}',
          dataset_catalog: '${var.catalog}',
          dataset_schema: '${var.schema}',
        },
      },
    },
    targets: {
      dev: { mode: 'development', default: true },
      prod: { mode: 'production' },
    },
  };
  const header = [
    '# Databricks Asset Bundle for pinpipe, generated from jobs/ by `npm run build-notebooks`: do not edit.',
    '# The same notebooks and jobs as `npm run deploy`; with the Databricks CLI: `databricks bundle deploy -t dev`.',
    '# Set the variables with --var or in targets (user_id, catalog, schema, landing_root, access_mode, bucket, mount_point, warehouse_id).',
    '',
  ].join('\n');
  return `${header}${yaml.dump(doc, { lineWidth: 140, noRefs: true, sortKeys: false })}`;
}
