// MSK Connect: the Confluent S3 sink connector as the seed configured it (`<uid>-plugin`, `<uid>-connector`),
// landing every `<uid>.*` topic in user-<uid>-bucket under topics/<topic>/partition=<p>/<topic>+<p>+<offset>.json
// (spec/wire.md's landing layout is the DefaultPartitioner's), with a service execution role of its own.
import { Aws, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { SecurityGroup, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnConnector, CfnCustomPlugin } from 'aws-cdk-lib/aws-kafkaconnect';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { KafkaArns } from './kafka-arns.ts';
import { acknowledgeWildcards } from './nag.ts';
import type { InfraSettings } from './settings.ts';

export interface S3SinkProps {
  settings: InfraSettings;
  vpc: IVpc;
  subnets: SubnetSelection;
  bootstrapServers: string;
  arns: KafkaArns;
  bucket: IBucket;
  pluginBucketArn: string;
}

/** The connector's configuration, as the seed's MSK Connect console form had it (values are strings). */
export function s3SinkConfiguration(settings: InfraSettings, bucketName: string): Record<string, string> {
  return {
    'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
    // Three topics of one partition each: a task apiece.
    'tasks.max': String(settings.connect.tasksMax),
    'topics.regex': `${settings.uid}.*`,
    's3.region': settings.region,
    's3.bucket.name': bucketName,
    // The original landed one record a file; a larger flush.size writes the same format (spec/wire.md).
    'flush.size': String(settings.connect.flushSize),
    'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
    'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
    // topics/<topic>/partition=<p>/<topic>+<p>+<start offset, 10 digits>.json: the landing layout.
    'partitioner.class': 'io.confluent.connect.storage.partitioner.DefaultPartitioner',
    'topics.dir': 'topics',
    'filename.offset.zero.pad.width': '10',
    'schema.compatibility': 'NONE',
    'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter.schemas.enable': 'false',
  };
}

export class S3Sink extends Construct {
  readonly securityGroup: SecurityGroup;
  readonly role: Role;
  readonly connector: CfnConnector;

  constructor(scope: Construct, id: string, props: S3SinkProps) {
    super(scope, id);
    const { settings, arns, bucket } = props;
    const stack = Stack.of(this);
    const connectorName = `${settings.uid}-connector`;

    this.securityGroup = new SecurityGroup(this, 'WorkersSg', {
      vpc: props.vpc,
      description: 'MSK Connect S3 sink workers: out to the brokers (9098) and to S3 through the gateway endpoint',
      allowAllOutbound: true,
    });

    // By name, not by reference: a wildcard resource must resolve within this stack (see nag.ts).
    const bucketArn = `arn:${Aws.PARTITION}:s3:::${settings.names.bucket}`;
    const landing = `${bucketArn}/topics/*`;
    // Internal topics and groups of MSK Connect carry an id it chooses when the connector is created.
    const internalTopics = arns.topic('__amazon_msk_connect_*');
    const internalGroups = arns.group('__amazon_msk_connect_*');
    this.role = new Role(this, 'ServiceExecutionRole', {
      assumedBy: new ServicePrincipal('kafkaconnect.amazonaws.com', { conditions: { StringEquals: { 'aws:SourceAccount': stack.account } } }),
      description: `MSK Connect ${connectorName}: reads the ${settings.uid} topics by IAM, writes topics/ of ${settings.names.bucket}`,
      inlinePolicies: {
        kafka: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'], resources: [arns.clusterArn] }),
            new PolicyStatement({
              actions: ['kafka-cluster:ReadData', 'kafka-cluster:DescribeTopic'],
              resources: Object.values(settings.names.topic).map((t) => arns.topic(t)),
            }),
            new PolicyStatement({
              actions: ['kafka-cluster:CreateTopic', 'kafka-cluster:WriteData', 'kafka-cluster:ReadData', 'kafka-cluster:DescribeTopic'],
              resources: [internalTopics],
            }),
            new PolicyStatement({
              actions: ['kafka-cluster:AlterGroup', 'kafka-cluster:DescribeGroup'],
              // connect-<connector name>: the sink's consumer group, exactly.
              resources: [internalGroups, arns.group(`connect-${connectorName}`)],
            }),
          ],
        }),
        landing: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketMultipartUploads'], resources: [bucketArn] }),
            new PolicyStatement({
              actions: ['s3:PutObject', 's3:GetObject', 's3:AbortMultipartUpload', 's3:ListMultipartUploadParts'],
              resources: [landing],
            }),
          ],
        }),
      },
    });
    const plugin = new CfnCustomPlugin(this, 'Plugin', {
      name: `${settings.uid}-plugin`,
      description: 'Confluent S3 sink connector (confluentinc-kafka-connect-s3), uploaded before deploy (see infra/README.md)',
      contentType: 'ZIP',
      location: { s3Location: { bucketArn: props.pluginBucketArn, fileKey: settings.connect.pluginKey } },
    });

    const logs = new LogGroup(this, 'WorkerLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.connector = new CfnConnector(this, 'Connector', {
      connectorName,
      connectorDescription: `Lands the ${settings.uid}.* topics in ${settings.names.bucket} (topics/<topic>/partition=<p>/)`,
      kafkaConnectVersion: settings.connect.workerVersion,
      // One worker of one MCU (1 vCPU, 4 GiB) carries three single-partition topics; the cheapest capacity.
      capacity: { provisionedCapacity: { mcuCount: 1, workerCount: 1 } },
      connectorConfiguration: s3SinkConfiguration(settings, bucket.bucketName),
      kafkaCluster: {
        apacheKafkaCluster: {
          bootstrapServers: props.bootstrapServers,
          vpc: { securityGroups: [this.securityGroup.securityGroupId], subnets: props.vpc.selectSubnets(props.subnets).subnetIds },
        },
      },
      kafkaClusterClientAuthentication: { authenticationType: 'IAM' },
      kafkaClusterEncryptionInTransit: { encryptionType: 'TLS' },
      plugins: [{ customPlugin: { customPluginArn: plugin.attrCustomPluginArn, revision: plugin.attrRevision } }],
      serviceExecutionRoleArn: this.role.roleArn,
      logDelivery: { workerLogDelivery: { cloudWatchLogs: { enabled: true, logGroup: logs.logGroupName } } },
    });
    acknowledgeWildcards(this.role, [
      [internalTopics, 'MSK Connect keeps its offsets, configs and status in internal topics __amazon_msk_connect_<kind>_<connector>_<id>, the id chosen by MSK Connect when it creates the connector.'],
      [internalGroups, 'MSK Connect\'s workers coordinate in consumer groups __amazon_msk_connect_<...>_<id>, the id chosen by MSK Connect at creation.'],
      [landing, 'The connector names each object topics/<topic>/partition=<p>/<topic>+<p>+<offset>.json as it writes; it may write nowhere else in the bucket.'],
    ]);
  }
}
