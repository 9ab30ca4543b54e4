// The deployment's parameters, from CDK context (`-c key=value`) over defaults, the user id defaulting to
// pinpipe.yaml's `user_id`. Validated with zod so a bad value is named with its key and what is allowed; no
// secret is ever a parameter (the Databricks token lives in Secrets Manager, see README).
import { z } from 'zod';
import { formatConfigIssues, namesFor, type Names } from '../../src/config/index.ts';
import { PinpipeError } from '../../src/errors.ts';

/**
 * Every context key the app reads (infra/bin/synth.ts refuses any other -c key, and warns of one under the CDK CLI:
 * a misspelt one would be ignored).
 */
const schema = z
  .object({
    // Bucket names hold the user id (user-<uid>-bucket, airflow-<uid>-...), so it must be a valid bucket
    // name part: lower-case letters, digits and hyphens; 24 characters keep every bucket name under 63.
    uid: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,22}[a-z0-9])?$/, 'lower-case letters, digits and inner hyphens, at most 24 (it is part of bucket names)'),
    // The seed worked in us-east-1 throughout.
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1').default('us-east-1'),
    account: z.string().regex(/^\d{12}$/, 'a 12-digit AWS account id').optional(),
    // Named, not looked up, so that synth needs no credentials: two zones of the region. MSK takes no client subnet
    // in the zone whose id is use1-az3, and each account maps zone names to ids its own way, so a deploy names two
    // zones from `aws ec2 describe-availability-zones --region us-east-1
    // --query "AvailabilityZones[?ZoneId!='use1-az3'].ZoneName"` (infra/README.md, Order).
    azs: z.string().regex(/^[a-z0-9-]+,[a-z0-9-]+$/, 'two availability zones separated by a comma, e.g. us-east-1a,us-east-1b').optional(),
    kafkaVersion: z.string().regex(/^\d+\.\d+\.(\d+|x)$/, 'an MSK Kafka version such as 3.8.x').default('3.8.x'),
    brokerInstanceType: z.string().regex(/^kafka\.[a-z0-9]+\.[a-z0-9]+$/, 'an MSK broker type such as kafka.t3.small').default('kafka.t3.small'),
    brokerVolumeGiB: z.coerce.number().int().min(1).max(16384).default(10),
    pluginBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'a bucket name').optional(),
    pluginKey: z.string().min(1).default('kafka-connect-s3/confluentinc-kafka-connect-s3-10.0.3.zip'),
    connectorFlushSize: z.coerce.number().int().min(1).max(1_000_000).default(1),
    restProxyInstanceType: z.string().regex(/^[a-z][a-z0-9-]*\.[a-z0-9]+$/, 'an EC2 instance type such as t3.small').default('t3.small'),
    confluentVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'a Confluent Platform version such as 7.9.0').default('7.9.0'),
    mskIamAuthVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'an aws-msk-iam-auth release such as 2.3.0').default('2.3.0'),
    apiStage: z.string().regex(/^[A-Za-z0-9_]{1,64}$/, 'a stage name of letters, digits and underscores').default('prod'),
    // API Gateway's CloudWatch role is one setting per account and region, shared by every REST API there:
    // `existing` uses the one the account has (see infra/README.md: aws apigateway get-account), `create` makes
    // one and sets it, replacing whatever role the account had.
    apiGatewayAccountRole: z.enum(['create', 'existing']).default('existing'),
    // The stage takes unsigned requests: a steady rate (requests a second) and a burst bound what anyone can make
    // the proxy and Kinesis do (and bill); the posting clients send one record a request, far below.
    apiThrottleRate: z.coerce.number().min(1).max(10_000).default(50),
    apiThrottleBurst: z.coerce.number().int().min(1).max(5_000).default(100),
    streamShards: z.coerce.number().int().min(1).max(64).default(1),
    mwaaEnvironmentClass: z.enum(['mw1.micro', 'mw1.small', 'mw1.medium', 'mw1.large', 'mw1.xlarge', 'mw1.2xlarge']).default('mw1.small'),
    airflowVersion: z.string().regex(/^\d+\.\d+\.\d+$/, 'an MWAA Airflow version such as 2.10.3').default('2.10.3'),
    databricksConnectionId: z.string().regex(/^[A-Za-z0-9_]{1,100}$/, 'an Airflow connection id').default('databricks_default'),
  })
  .strict();

export type InfraContext = z.input<typeof schema>;

export interface InfraSettings {
  uid: string;
  region: string;
  account: string | undefined;
  availabilityZones: [string, string];
  /** The VPC's range (its subnets' ranges follow from it: CDK computes them at synth). */
  vpcCidr: string;
  names: Names;
  kafka: { version: string; brokerInstanceType: string; brokers: number; volumeGiB: number; partitions: number };
  connect: { pluginBucket: string; pluginKey: string; workerVersion: string; flushSize: number; tasksMax: number };
  restProxy: { instanceType: string; confluentVersion: string; mskIamAuthVersion: string; port: number };
  api: { stage: string; accountRole: 'create' | 'existing'; throttle: { rate: number; burst: number } };
  streams: { shards: number };
  mwaa: { environmentClass: string; airflowVersion: string; connectionId: string };
}

/** The context keys the app reads, for the README and for callers that copy CDK context through. */
export const CONTEXT_KEYS: readonly string[] = Object.keys(schema.shape);

/** Settings from CDK context values (the keys above) and the user id of pinpipe.yaml when the context names none. */
export function infraSettings(context: Record<string, unknown>, defaultUid: string): InfraSettings {
  const parsed = schema.safeParse({ uid: defaultUid, ...context });
  if (!parsed.success) {
    throw new PinpipeError('CONFIG_INVALID', formatConfigIssues('CDK context (-c key=value)', { uid: defaultUid, ...context }, parsed.error).replace(/^config:/, 'infra:'));
  }
  const c = parsed.data;
  const [az1, az2] = (c.azs ?? `${c.region}a,${c.region}b`).split(',') as [string, string];
  if (!az1.startsWith(c.region) || !az2.startsWith(c.region) || az1 === az2) {
    throw new PinpipeError('CONFIG_INVALID', `infra: context "azs" (${az1},${az2}) must name two different zones of ${c.region} (CONFIG_INVALID). Pass -c azs=${c.region}a,${c.region}b.`);
  }
  const names = namesFor(c.uid);
  // MSK places brokers evenly over the client subnets: one a zone, two zones.
  const brokers = 2;
  return {
    uid: c.uid,
    region: c.region,
    account: c.account,
    availabilityZones: [az1, az2],
    vpcCidr: '10.20.0.0/16',
    names,
    kafka: { version: c.kafkaVersion, brokerInstanceType: c.brokerInstanceType, brokers, volumeGiB: c.brokerVolumeGiB, partitions: 1 },
    // The seed's plugin zip lay in the user bucket; MSK Connect's 3.7.x workers are its current runtime.
    connect: { pluginBucket: c.pluginBucket ?? names.bucket, pluginKey: c.pluginKey, workerVersion: '3.7.x', flushSize: c.connectorFlushSize, tasksMax: 3 },
    restProxy: { instanceType: c.restProxyInstanceType, confluentVersion: c.confluentVersion, mskIamAuthVersion: c.mskIamAuthVersion, port: 8082 },
    api: { stage: c.apiStage, accountRole: c.apiGatewayAccountRole, throttle: { rate: c.apiThrottleRate, burst: c.apiThrottleBurst } },
    streams: { shards: c.streamShards },
    mwaa: { environmentClass: c.mwaaEnvironmentClass, airflowVersion: c.airflowVersion, connectionId: c.databricksConnectionId },
  };
}

/** MWAA's DAG bucket: bucket names are global, so the account and region make it unique. */
export function dagBucketName(settings: InfraSettings, account: string, region: string): string {
  return `airflow-${settings.uid}-${account}-${region}`;
}
