// The CDK app: six stacks for one user id, in deploy order (storage, network, streams, kafka, api,
// orchestration; CDK orders them by their references), each named Pinpipe-<uid>-<part>.
import { App, Tags, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ApiStack } from './api-stack.ts';
import { KafkaStack } from './kafka-stack.ts';
import { NetworkStack } from './network-stack.ts';
import { OrchestrationStack } from './orchestration-stack.ts';
import type { InfraSettings } from './settings.ts';
import { StorageStack } from './storage-stack.ts';
import { StreamsStack } from './streams-stack.ts';

/**
 * Feature flags of aws-cdk-lib that change what these stacks synthesize (an app without cdk.json gets the
 * library's old defaults): access-log delivery by bucket policy rather than ACL, IMDSv2 launch templates with
 * unique names, literal partitions, AWS SDK v3 custom resources without a download at deploy time, and API
 * Gateway access-log destinations as the log group's ARN without the `:*` that CloudFormation's Arn attribute ends in.
 */
export const FEATURE_FLAGS: Record<string, boolean> = {
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
  '@aws-cdk/aws-ec2:uniqueImdsv2TemplateName': true,
  '@aws-cdk/core:enablePartitionLiterals': true,
  '@aws-cdk/customresources:installLatestAwsSdkDefault': false,
  '@aws-cdk/aws-iam:minimizePolicies': true,
  '@aws-cdk/aws-apigateway:disableCloudWatchRole': true,
  '@aws-cdk/aws-apigateway:logGroupDestinationArnWithoutWildcard': true,
};

export interface PinpipeApp {
  app: App;
  storage: StorageStack;
  network: NetworkStack;
  streams: StreamsStack;
  kafka: KafkaStack;
  api: ApiStack;
  orchestration: OrchestrationStack;
}

/** A new App with the feature flags above under the given context (CDK CLI context still arrives through its env). */
export function newApp(props: { outdir?: string; context?: Record<string, unknown> } = {}): App {
  return new App({ ...(props.outdir ? { outdir: props.outdir } : {}), context: { ...FEATURE_FLAGS, ...props.context } });
}

/**
 * Adds the stacks to the app, with cdk-nag's AwsSolutions rules as a validation plugin of the app's synth
 * (a finding not acknowledged fails the synth) unless `checks` is false (the tests run them on their own).
 */
export function buildPinpipe(app: App, settings: InfraSettings, options: { checks?: boolean } = {}): PinpipeApp {
  const env: Environment = settings.account ? { account: settings.account, region: settings.region } : { region: settings.region };
  // With an account, the VPC checks its zones against the account's, which CDK would look up (credentials, and
  // a dummy answer in a plain synth): the zones named by context are the answer.
  const zonesKey = `availability-zones:account=${settings.account}:region=${settings.region}`;
  if (settings.account && app.node.tryGetContext(zonesKey) === undefined) app.node.setContext(zonesKey, [...settings.availabilityZones]);
  const id = (part: string) => `Pinpipe-${settings.uid}-${part}`;
  const description = (what: string) => `pinpipe (${settings.uid}): ${what}`;
  const storage = new StorageStack(app, id('storage'), { env, settings, description: description('landing bucket, DAG bucket, access logs') });
  const network = new NetworkStack(app, id('network'), { env, settings, description: description('VPC, NAT gateway, S3 endpoint, flow logs') });
  const streams = new StreamsStack(app, id('streams'), { env, settings, description: description('Kinesis streams') });
  const kafka = new KafkaStack(app, id('kafka'), { env, settings, vpc: network.vpc, bucket: storage.bucket, description: description('MSK, topics, S3 sink connector, REST proxy host') });
  const api = new ApiStack(app, id('api'), {
    env, settings, description: description('API Gateway: Kafka REST proxy and Kinesis routes'),
    restProxy: { loadBalancer: kafka.restProxy.loadBalancer, port: settings.restProxy.port },
    streams: streams.streams,
  });
  const orchestration = new OrchestrationStack(app, id('orchestration'), { env, settings, vpc: network.vpc, dags: storage.dags, description: description('MWAA') });
  for (const stack of [storage, network, streams, kafka, api, orchestration]) {
    Tags.of(stack).add('project', 'pinpipe');
    Tags.of(stack).add('pinpipe:uid', settings.uid);
  }
  if (options.checks !== false) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, storage, network, streams, kafka, api, orchestration };
}
