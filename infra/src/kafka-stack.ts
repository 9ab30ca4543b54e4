// Batch ingestion's AWS side: the MSK cluster with IAM authentication, the three topics <uid>.pin|geo|user,
// the S3 sink connector that lands them in the bucket, and the REST proxy host that API Gateway's /{proxy+}
// forwards to.
//
// Provisioned MSK, not Serverless: two kafka.t3.small brokers ($0.091 an hour) cost about an eighth of a Serverless
// cluster's hourly fee ($0.75) for this load (see infra/README.md), the topics can be CloudFormation resources (MSK's topic API
// is for provisioned clusters only; the seed created them by hand on the client host), and the seed's cluster
// was provisioned too.
import { Aws, CfnOutput, RemovalPolicy, Stack, type CfnResource, type StackProps } from 'aws-cdk-lib';
import { Port, SecurityGroup, SubnetType, type IVpc, type SubnetSelection } from 'aws-cdk-lib/aws-ec2';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnCluster, CfnTopic } from 'aws-cdk-lib/aws-msk';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';
import { TABLES } from '../../src/config/index.ts';
import { KafkaArns } from './kafka-arns.ts';
import { RestProxy } from './rest-proxy.ts';
import { S3Sink } from './s3-sink.ts';
import type { InfraSettings } from './settings.ts';

export interface KafkaStackProps extends StackProps {
  settings: InfraSettings;
  vpc: IVpc;
  bucket: IBucket;
}

/** The port of IAM-authenticated TLS clients on MSK brokers. */
export const MSK_IAM_PORT = 9098;

export class KafkaStack extends Stack {
  readonly cluster: CfnCluster;
  readonly restProxy: RestProxy;
  readonly sink: S3Sink;
  readonly bootstrapServers: string;

  constructor(scope: Construct, id: string, props: KafkaStackProps) {
    super(scope, id, props);
    const { settings, vpc } = props;
    const subnets: SubnetSelection = { subnetType: SubnetType.PRIVATE_WITH_EGRESS };
    const clusterName = `pinpipe-${settings.uid}`;

    const brokerSg = new SecurityGroup(this, 'BrokerSg', {
      vpc,
      description: `MSK brokers of ${clusterName}: IAM-authenticated TLS (${MSK_IAM_PORT}) from the REST proxy host and the S3 sink workers only`,
      allowAllOutbound: false,
    });
    const brokerLogs = new LogGroup(this, 'BrokerLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    this.cluster = new CfnCluster(this, 'Cluster', {
      clusterName,
      kafkaVersion: settings.kafka.version,
      numberOfBrokerNodes: settings.kafka.brokers,
      brokerNodeGroupInfo: {
        instanceType: settings.kafka.brokerInstanceType,
        clientSubnets: vpc.selectSubnets(subnets).subnetIds,
        securityGroups: [brokerSg.securityGroupId],
        storageInfo: { ebsStorageInfo: { volumeSize: settings.kafka.volumeGiB } },
      },
      // IAM only: no unauthenticated, SCRAM or mTLS clients; TLS between clients and brokers and among brokers.
      clientAuthentication: { sasl: { iam: { enabled: true } }, unauthenticated: { enabled: false } },
      encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
      loggingInfo: { brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } } },
      enhancedMonitoring: 'DEFAULT',
    });
    const arns = new KafkaArns(this.cluster.attrArn, clusterName);

    // One partition a topic, as the seed's landing (partition=0) and the local broker have them.
    const topics = TABLES.map((table) =>
      new CfnTopic(this, `Topic-${table}`, {
        clusterArn: this.cluster.attrArn,
        topicName: settings.names.topic[table],
        partitionCount: settings.kafka.partitions,
        replicationFactor: Math.min(settings.kafka.brokers, 3),
      }));

    // CloudFormation does not return an MSK cluster's bootstrap brokers; MSK's GetBootstrapBrokers does.
    // Its Lambda gets a role of its own (the default one carries the AWS managed basic-execution policy):
    // writing to its own log group and the one read below.
    const lookupLogs = new LogGroup(this, 'BootstrapLookupLogs', { retention: RetentionDays.ONE_WEEK, removalPolicy: RemovalPolicy.DESTROY });
    const lookupRole = new Role(this, 'BootstrapLookupRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Reads the bootstrap brokers of ${clusterName} at deploy time`,
      inlinePolicies: {
        logs: new PolicyDocument({
          statements: [new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [lookupLogs.logGroupArn] })],
        }),
      },
    });
    const getBrokers = {
      service: 'Kafka',
      action: 'getBootstrapBrokers',
      parameters: { ClusterArn: this.cluster.attrArn },
      physicalResourceId: PhysicalResourceId.of(`${clusterName}-bootstrap`),
      outputPaths: ['BootstrapBrokerStringSaslIam'],
    };
    const bootstrap = new AwsCustomResource(this, 'BootstrapBrokers', {
      // Again on update: a replaced cluster has new brokers.
      onCreate: getBrokers,
      onUpdate: getBrokers,
      policy: AwsCustomResourcePolicy.fromSdkCalls({ resources: [this.cluster.attrArn] }),
      role: lookupRole,
      logGroup: lookupLogs,
      installLatestAwsSdk: false,
    });
    this.bootstrapServers = bootstrap.getResponseField('BootstrapBrokerStringSaslIam');
    // The provider Lambda (CDK's) repeats as DependsOn the role it already references: harmless, told to cfn-lint.
    const provider = this.node.findChild(`AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`).node.defaultChild as CfnResource;
    provider.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });

    this.sink = new S3Sink(this, 'S3Sink', {
      settings, vpc, subnets, arns, bucket: props.bucket,
      bootstrapServers: this.bootstrapServers,
      pluginBucketArn: `arn:${Aws.PARTITION}:s3:::${settings.connect.pluginBucket}`,
    });
    // The connector subscribes by pattern (topics.regex): its tasks start on topics that exist, not on a later
    // metadata refresh.
    for (const topic of topics) this.sink.connector.node.addDependency(topic);
    this.restProxy = new RestProxy(this, 'RestProxy', { settings, vpc, subnets, arns, bootstrapServers: this.bootstrapServers });
    for (const client of [this.sink.securityGroup, this.restProxy.securityGroup]) {
      brokerSg.addIngressRule(client, Port.tcp(MSK_IAM_PORT), `IAM/TLS clients: ${client.node.path}`);
    }

    new CfnOutput(this, 'ClusterArn', { value: this.cluster.attrArn });
    new CfnOutput(this, 'BootstrapServers', { value: this.bootstrapServers, description: 'SASL/IAM bootstrap brokers (port 9098)' });
    new CfnOutput(this, 'RestProxyInstanceId', { value: this.restProxy.instance.instanceId });
  }
}
