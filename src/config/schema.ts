// The shape of pinpipe.yaml, validated with zod: names of topics and tables derive from the user id
// unless given, and every key is checked with its path so an error can say exactly what is wrong.
import { z } from 'zod';

export const USER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

/** Whether the runtime's ICU knows the zone (what croner and the DAG's pendulum need: an IANA name). */
function isIanaZone(zone: string): boolean {
  if (!/^[A-Za-z0-9_+\-/]+$/.test(zone)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const tableName = z
  .string()
  .regex(/^[A-Za-z0-9_]+$/, 'a table name of letters, digits and underscores');

const sparkSchema = z
  .object({
    master: z.string().regex(/^local(\[(\*|\d+)\])?$/, 'local, local[N] or local[*]').default('local[*]'),
    memory: z.string().regex(/^\d+[mMgG]$/, 'a JVM heap size such as 2g or 1536m').default('3g'),
    shuffle_partitions: z.number().int().min(1).max(10000).default(64),
    start_timeout_seconds: z.number().int().min(5).max(3600).default(180),
  })
  .strict();

export const localTargetSchema = z
  .object({
    kind: z.literal('local'),
    spark: sparkSchema.prefault({}),
    /** The local workspace: a Databricks REST API on this machine that runs jobs on the local Spark. */
    workspace: z
      .object({
        port: z.number().int().min(0).max(65535).default(0),
        folder: z.string().regex(/^\//, 'an absolute workspace path such as /Shared/pinpipe').default('/Shared/pinpipe'),
        max_parallel_tasks: z.number().int().min(1).max(8).default(3),
      })
      .strict()
      .prefault({}),
    /** Development targets deploy the daily schedule paused. */
    development: z.boolean().default(true),
  })
  .strict();

const workspacePath = z.string().regex(/^\//, 'an absolute workspace path such as /Workspace/Users/me@example.com/pinpipe');
const sqlName = z.string().regex(/^[A-Za-z0-9_]+$/, 'a name of letters, digits and underscores');

export const databricksTargetSchema = z
  .object({
    kind: z.literal('databricks'),
    /** Workspace URL; DATABRICKS_HOST or the profile's host when absent. Never a token: auth is the SDK's chain. */
    host: z.url({ message: 'a workspace URL such as https://dbc-1234.cloud.databricks.com' }).optional(),
    profile: z.string().min(1, 'a profile name of ~/.databrickscfg').optional(),
    folder: workspacePath.default('/Shared/pinpipe'),
    catalog: sqlName.optional(),
    schema: sqlName.optional(),
    warehouse_id: z.string().regex(/^[A-Za-z0-9]+$/, 'a SQL warehouse id (letters and digits)').optional(),
    compute: z
      .object({
        serverless: z.boolean().optional(),
        existing_cluster_id: z.string().min(1, 'a cluster id').optional(),
        job_cluster: z.record(z.string(), z.unknown()).optional(),
      })
      .strict()
      .refine((c) => [c.serverless === true, c.existing_cluster_id !== undefined, c.job_cluster !== undefined].filter(Boolean).length === 1, {
        message: 'exactly one of serverless: true, existing_cluster_id or job_cluster',
      })
      .default({ serverless: true }),
    /** How the clean job reaches the landing data (its setup task). */
    access: z
      .object({
        /** external_location (Unity Catalog) by default: the one mode that runs on serverless compute. */
        mode: z.enum(['mount', 'external_location', 'secret_scope']).default('external_location'),
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name').optional(),
        mount_point: z.string().regex(/^\/mnt\/[A-Za-z0-9_.-]+$/, 'a mount point such as /mnt/pinpipe').optional(),
        credentials_table: z.string().min(1).default('authentication_credentials'),
        secret_scope: z.string().min(1).default('pinpipe'),
        access_key_secret: z.string().min(1).default('aws_access_key_id'),
        secret_key_secret: z.string().min(1).default('aws_secret_access_key'),
      })
      .strict()
      .prefault({}),
    /** Where the topics are landed; derived from access when absent (/mnt/<bucket> or s3://<bucket>). */
    landing_root: z.string().min(1).optional(),
    development: z.boolean().default(true),
  })
  .strict()
  .superRefine((t, ctx) => {
    // Combinations that cannot run: say what to choose instead.
    const mode = t.access.mode;
    if (t.compute.serverless && mode !== 'external_location') {
      ctx.addIssue({
        code: 'custom',
        path: ['access', 'mode'],
        message: mode === 'mount'
          ? 'external_location on serverless compute, which has no mounts (dbutils.fs.mount). Choose access.mode: external_location (a Unity Catalog external location over the bucket), or run on a cluster: compute.existing_cluster_id or compute.job_cluster'
          : 'external_location on serverless compute, which has no Hadoop configuration (sparkContext) to put the secret scope\'s keys in. Choose access.mode: external_location, or run on a cluster: compute.existing_cluster_id or compute.job_cluster',
      });
    }
    const root = t.landing_root;
    if (root === undefined) return;
    if (mode === 'mount') {
      const mountPoint = t.access.mount_point ?? `/mnt/${t.access.bucket ?? '<bucket>'}`;
      if (root !== mountPoint && !root.startsWith(`${mountPoint}/`)) {
        ctx.addIssue({ code: 'custom', path: ['landing_root'], message: `a path under the mount point ${mountPoint} (access.mode mount), or another access.mode for an s3:// landing` });
      }
    } else if (!/^s3a?:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(root) && !/^\/Volumes\/[^/]+\/[^/]+\/[^/]+(\/.*)?$/.test(root)) {
      ctx.addIssue({ code: 'custom', path: ['landing_root'], message: `an s3://bucket[/prefix] URL or a Unity Catalog volume path /Volumes/<catalog>/<schema>/<volume>[/...] (access.mode ${mode} reads the bucket itself; /mnt paths need access.mode mount on a cluster)` });
    }
  });

const targetSchema = z.discriminatedUnion('kind', [localTargetSchema, databricksTargetSchema], {
  error: () => 'a target with kind: local or kind: databricks',
});

export const jobsSchema = z
  .object({
    /** Quartz cron, evaluated in the timezone below (the original DAG ran daily). */
    schedule: z.string().regex(/^\S+([ \t]+\S+){5,6}$/, 'a quartz cron expression such as "0 0 6 * * ?"').default('0 0 6 * * ?'),
    /** Quartz cron of the maintain job (OPTIMIZE and VACUUM of the Delta tables): weekly, Sunday 03:00. */
    maintain_schedule: z.string().regex(/^\S+([ \t]+\S+){5,6}$/, 'a quartz cron expression such as "0 0 3 ? * SUN"').default('0 0 3 ? * SUN'),
    /** An IANA time zone (Europe/London); it is written into the DAG and read by croner, so nothing else. */
    timezone: z.string().min(1).refine(isIanaZone, 'an IANA time zone such as UTC or Europe/London').default('UTC'),
    max_retries: z.number().int().min(0).max(10).default(2),
    retry_interval_seconds: z.number().int().min(0).max(3600).default(60),
    task_timeout_seconds: z.number().int().min(0).max(86400).default(3600),
    job_timeout_seconds: z.number().int().min(0).max(172800).default(7200),
    notify_on_failure: z.array(z.email({ message: 'an email address' })).default([]),
  })
  .strict()
  .prefault({});

/**
 * The Airflow DAG generated from jobs/ (dags/<uid>_dag.py) and where `deploy-dag` puts it: the DAG runs the
 * daily jobs on Airflow (MWAA or any Airflow 2.4+/3) through its Databricks provider.
 */
export const dagSchema = z
  .object({
    /** The Airflow connection to the workspace (host and token); on MWAA the secret airflow/connections/<id>. */
    connection_id: z.string().regex(/^[A-Za-z0-9_.-]{1,250}$/, 'an Airflow connection id such as databricks_default').default('databricks_default'),
    owner: z.string().min(1).max(250).default('pinpipe'),
    /** Tags of the DAG in Airflow's UI (the user id is added). */
    tags: z.array(z.string().min(1).max(100)).default(['pinpipe']),
    /** Airflow's retries of a failed task, after retry_delay_seconds (on top of the Databricks job's own task retries). */
    retries: z.number().int().min(0).max(10).default(1),
    retry_delay_seconds: z.number().int().min(0).max(86400).default(300),
    /** How often the operators poll the run's state. */
    polling_period_seconds: z.number().int().min(1).max(3600).default(30),
    /** An Airflow schedule (cron of 5 fields, or a preset such as @daily); default: jobs.schedule converted. */
    schedule: z.string().regex(/^(@[a-z]+|\S+([ \t]+\S+){4})$/, 'an Airflow schedule: a cron of 5 fields such as "0 6 * * *", or a preset such as @daily').optional(),
    /** Which DAG deploy-dag uploads: run_now (the deployed job, by name) or submit (one run a notebook, as the original). */
    variant: z.enum(['run_now', 'submit']).default('run_now'),
    /** Where deploy-dag puts the DAG: a folder (an Airflow dags/ folder, relative to this file) or s3://bucket[/prefix] (MWAA's DAG bucket, e.g. s3://airflow-<uid>-<account>-<region>/dags). */
    deploy_to: z.string().min(1).optional(),
    /** An S3-compatible endpoint for deploy_to s3://... (a local S3 server); AWS S3 when absent. */
    s3_endpoint: z.url({ message: 'a URL such as http://127.0.0.1:4568' }).optional(),
    s3_region: z.string().min(1).default('us-east-1'),
  })
  .strict()
  .refine((d) => d.deploy_to === undefined || !d.deploy_to.startsWith('s3:') || /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/.test(d.deploy_to), {
    path: ['deploy_to'],
    message: 'a folder, or s3://bucket[/prefix] with an S3 bucket name',
  })
  .prefault({});

export const kafkaSchema = z
  .object({
    /** Empty: the local broker the project starts (Apache Kafka 4, KRaft). Otherwise any Kafka. */
    bootstrap_servers: z.array(z.string().regex(/^[^\s:]+:\d+$/, 'host:port')).default([]),
    partitions: z.number().int().min(1).max(1000).default(1),
    /** Client security for a remote Kafka: PLAINTEXT, SSL, SASL_SSL (PLAIN, SCRAM or AWS MSK IAM). */
    security: z
      .object({
        protocol: z.enum(['PLAINTEXT', 'SSL', 'SASL_SSL']).default('PLAINTEXT'),
        sasl_mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512', 'aws']).optional(),
        /** Region for MSK IAM (sasl_mechanism aws); AWS_REGION when absent. */
        aws_region: z.string().optional(),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .prefault({});

export const kinesisSchema = z
  .object({
    /** local: kinesalite started by the project; aws: Kinesis on AWS (credentials chain); endpoint: any Kinesis API. */
    mode: z.enum(['local', 'aws', 'endpoint']).default('local'),
    region: z.string().default('us-east-1'),
    endpoint: z.url({ message: 'a URL such as http://127.0.0.1:4567' }).optional(),
    shards: z.number().int().min(1).max(500).default(1),
  })
  .strict()
  .refine((k) => k.mode !== 'endpoint' || k.endpoint !== undefined, { message: 'kinesis.endpoint when kinesis.mode is endpoint' })
  .prefault({});

/** The Kinesis streaming notebook (notebooks/stream/kinesis.py) and the `stream` job. */
export const streamSchema = z
  .object({
    /**
     * Where the AWS keys for Kinesis come from: the Delta table authentication_credentials (table, as the
     * original), a secret scope, the cluster's instance profile, or a Unity Catalog service credential.
     */
    credentials: z.enum(['table', 'secret_scope', 'instance_profile', 'service_credential']).default('secret_scope'),
    credentials_table: z.string().min(1).default('authentication_credentials'),
    secret_scope: z.string().min(1).default('pinpipe'),
    access_key_secret: z.string().min(1).default('aws_access_key_id'),
    secret_key_secret: z.string().min(1).default('aws_secret_access_key'),
    service_credential: z.string().default(''),
    initial_position: z.enum(['trim_horizon', 'latest']).default('trim_horizon'),
    /**
     * continuous: a micro-batch every trigger_interval until stopped; available_now: what is in the streams,
     * then stop, run on stream.schedule; auto: available_now on serverless compute (which runs no other
     * trigger), continuous elsewhere.
     */
    trigger: z.enum(['auto', 'continuous', 'available_now']).default('auto'),
    /** With trigger available_now: when the stream job runs (quartz cron, in jobs.timezone). */
    schedule: z.string().regex(/^\S+([ \t]+\S+){5,6}$/, 'a quartz cron expression such as "0 0/15 * * * ?"').default('0 0/15 * * * ?'),
    trigger_interval: z.string().regex(/^\d+ (second|seconds|minute|minutes)$/, "'1 second', '10 seconds', '1 minute'").default('1 second'),
    max_records_per_fetch: z.number().int().min(1).max(10000).default(10000),
    /** Shuffle partitions of the micro-batches' SQL (small batches: few); 0 leaves the cluster's setting. */
    shuffle_partitions: z.number().int().min(0).max(10000).default(1),
    /** How often a shard is polled (GetRecords); Databricks' connector defaults to 1s. */
    shard_fetch_interval: z.string().regex(/^\d+(ms|s)$/, "'200ms' or '1s'").default('1s'),
    /** Checkpoints, one folder per stream: default <lake>/_checkpoints/stream locally, <landing root>/_checkpoints/stream on Databricks. */
    checkpoint_root: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((s, ctx) => {
    if (s.credentials === 'service_credential' && !s.service_credential) ctx.addIssue({ code: 'custom', path: ['service_credential'], message: 'the name of a Unity Catalog service credential when credentials is service_credential' });
  })
  .prefault({});

export const apiSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8082),
    /** Require one of these keys in x-api-key (from PINPIPE_API_KEYS, comma-separated; never in this file). */
    require_api_key: z.boolean().default(false),
    /** Requests a second per API key (or client address); 0: no limit. */
    rate_limit_rps: z.number().min(0).default(0),
    max_request_bytes: z.number().int().min(1024).default(10 * 1024 * 1024),
    /** Kafka's default message.max.bytes is about 1 MB; Kinesis takes records up to 1 MiB. */
    max_record_bytes: z.number().int().min(1024).max(16 * 1024 * 1024).default(1024 * 1024),
    /** Records waiting for the broker's acknowledgement; past this the API answers 429 with Retry-After (a request with more gets 413). */
    max_inflight_records: z.number().int().min(1).default(20000),
    /** Open client connections; one past this is answered 503 with Retry-After and closed. */
    max_connections: z.number().int().min(1).default(2048),
    /** Request body bytes being read or handled at once (declared or, when chunked, max_request_bytes); past this: 503. */
    max_inflight_bytes: z.number().int().min(1024).default(64 * 1024 * 1024),
    /** A request's headers must arrive within this (else the connection is closed), and its whole body within request_timeout_seconds (else 408). */
    headers_timeout_seconds: z.number().min(1).max(600).default(10),
    request_timeout_seconds: z.number().min(1).max(3600).default(30),
    /**
     * An API Gateway invoke URL ends in a stage (`.../dev/topics/<t>`): '*' accepts any one path segment before
     * topics/ or streams/ (the default), a name accepts that stage only, '' none.
     */
    stage: z.string().regex(/^(\*|[A-Za-z0-9_-]{0,128})$/, "'*' (any stage), a stage name of letters, digits, _ or -, or '' (none)").default('*'),
  })
  .strict()
  .prefault({});

export const sourceSchema = z
  .object({
    /** embedded: SQLite in the lake (default); mariadb: the MariaDB the project runs; mysql: a server by url. */
    engine: z.enum(['embedded', 'mariadb', 'mysql']).default('embedded'),
    /** For engine mysql: mysql://user@host:port/database; the password comes from PINPIPE_SOURCE_PASSWORD. */
    url: z.string().regex(/^(mysql|mariadb):\/\/[^:@\/]+@[^\/]+\/\w+$/, 'mysql://user@host:port/database (no password: it comes from PINPIPE_SOURCE_PASSWORD)').optional(),
  })
  .strict()
  .refine((s) => s.engine !== 'mysql' || s.url !== undefined, { message: 'source.url when source.engine is mysql' })
  .prefault({});

export const configSchema = z
  .object({
    user_id: z
      .string()
      .regex(USER_ID_PATTERN, 'letters, digits, _ or -, starting with a letter or digit (the original used 12 hex characters)')
      .default('0affe4008223'),
    lake_root: z.string().min(1, 'a folder path').default('./lake'),
    tables: z
      .object({ pin: tableName.optional(), geo: tableName.optional(), user: tableName.optional() })
      .strict()
      .prefault({}),
    default_target: z.string().default('local'),
    jobs: jobsSchema,
    kafka: kafkaSchema,
    kinesis: kinesisSchema,
    stream: streamSchema,
    source: sourceSchema,
    api: apiSchema,
    dag: dagSchema,
    targets: z.record(z.string(), z.preprocess((v) => (v && typeof v === 'object' && !('kind' in v) ? { ...v, kind: 'local' } : v), targetSchema)).prefault({ local: {} }),
  })
  .strict();

export type RawConfig = z.infer<typeof configSchema>;
export type LocalTarget = z.infer<typeof localTargetSchema>;
export type DatabricksTarget = z.infer<typeof databricksTargetSchema>;
export type Target = LocalTarget | DatabricksTarget;
export type SparkSettings = z.infer<typeof sparkSchema>;
export type JobsSettings = z.infer<typeof jobsSchema>;
export type DagSettings = z.infer<typeof dagSchema>;
export type KafkaSettings = z.infer<typeof kafkaSchema>;
export type ApiSettings = z.infer<typeof apiSchema>;
export type SourceSettings = z.infer<typeof sourceSchema>;
export type KinesisSettings = z.infer<typeof kinesisSchema>;
export type StreamSettings = z.infer<typeof streamSchema>;
