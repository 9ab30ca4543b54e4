// Batch ingestion on AWS: MSK with IAM authentication and its topics, the S3 sink connector configured as the
// seed's (and landing spec/wire.md's layout), and the REST proxy host behind an internal NLB.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Match } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../../src/project.ts';
import { app, evaluate, only, UID } from './app.ts';

const WIRE = readFileSync(path.resolve(PROJECT_ROOT, '..', 'shared', 'spec', 'wire.md'), 'utf8');
const bootstrapServers = { 'Fn::GetAtt': [Match.stringLikeRegexp('^BootstrapBrokers'), 'BootstrapBrokerStringSaslIam'] };

/** A role's inline statements, whatever the policy they sit in. */
function statementsOf(roleId: string): Array<{ Action: string | string[]; Resource: unknown; Effect: string }> {
  const role = app().json('kafka').Resources[roleId]!;
  const policies = (role.Properties?.['Policies'] ?? []) as Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown; Effect: string }> } }>;
  return policies.flatMap((p) => p.PolicyDocument.Statement);
}

const actionsOf = (roleId: string) => statementsOf(roleId).flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort();

describe('infra: kafka stack', function () {
  this.timeout(120_000);

  it('runs a provisioned MSK cluster of two brokers that takes IAM-authenticated TLS clients only', () => {
    const t = app().template('kafka');
    t.resourceCountIs('AWS::MSK::Cluster', 1);
    t.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
    t.hasResourceProperties('AWS::MSK::Cluster', {
      ClusterName: `pinpipe-${UID}`,
      KafkaVersion: '3.8.x',
      NumberOfBrokerNodes: 2,
      BrokerNodeGroupInfo: Match.objectLike({ InstanceType: 'kafka.t3.small', ClientSubnets: [Match.anyValue(), Match.anyValue()], StorageInfo: { EBSStorageInfo: { VolumeSize: 10 } } }),
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } }, Unauthenticated: { Enabled: false } },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      LoggingInfo: { BrokerLogs: { CloudWatchLogs: { Enabled: true, LogGroup: Match.anyValue() } } },
    });
  });

  it('lets only the REST proxy host and the connector workers reach the brokers, on 9098 (IAM/TLS)', () => {
    const t = app().template('kafka');
    const cluster = only('kafka', 'AWS::MSK::Cluster').props as { BrokerNodeGroupInfo: { SecurityGroups: Array<{ 'Fn::GetAtt': [string, string] }> } };
    const brokerSg = cluster.BrokerNodeGroupInfo.SecurityGroups[0]!['Fn::GetAtt'][0];
    const ingress = Object.values(t.findResources('AWS::EC2::SecurityGroupIngress')).map((r) => (r as { Properties: Record<string, unknown> }).Properties)
      .filter((p) => (p['GroupId'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] === brokerSg);
    expect(ingress.map((p) => [p['FromPort'], p['ToPort'], p['IpProtocol']])).to.deep.equal([[9098, 9098, 'tcp'], [9098, 9098, 'tcp']]);
    const sources = ingress.map((p) => (p['SourceSecurityGroupId'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0]).sort();
    expect(sources).to.have.length(2);
    expect(sources[0]).to.match(/^RestProxySg/);
    expect(sources[1]).to.match(/^S3SinkWorkersSg/);
    const broker = t.findResources('AWS::EC2::SecurityGroup')[brokerSg] as { Properties: Record<string, unknown> };
    expect(broker.Properties['SecurityGroupIngress']).to.equal(undefined);
  });

  it('creates the topics <uid>.pin, <uid>.geo and <uid>.user, one partition each, replicated on both brokers', () => {
    const t = app().template('kafka');
    t.resourceCountIs('AWS::MSK::Topic', 3);
    for (const table of ['pin', 'geo', 'user']) {
      t.hasResourceProperties('AWS::MSK::Topic', { TopicName: `${UID}.${table}`, PartitionCount: 1, ReplicationFactor: 2, ClusterArn: { 'Fn::GetAtt': ['Cluster', 'Arn'] } });
    }
  });

  it("names topics and groups in IAM as AWS's format has it: arn:aws:kafka:<region>:<account>:topic|group/<cluster name>/<cluster uuid>/<name>", () => {
    const resources = app().json('kafka').Resources;
    const resourcesOf = (roleIdPrefix: string) => {
      const roleId = Object.keys(resources).find((id) => id.startsWith(roleIdPrefix) && resources[id]!.Type === 'AWS::IAM::Role')!;
      return statementsOf(roleId).flatMap((s) => ([] as unknown[]).concat(s.Resource));
    };
    // Written out by hand: the cluster's uuid is the third '/' part of its ARN (arn:aws:kafka:...:cluster/<name>/<uuid>).
    const uuid = { 'Fn::Select': [2, { 'Fn::Split': ['/', { 'Fn::GetAtt': ['Cluster', 'Arn'] }] }] };
    const pinTopic = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kafka:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:topic/pinpipe-${UID}/`, uuid, `/${UID}.pin`]],
    };
    const sinkGroup = {
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':kafka:', { Ref: 'AWS::Region' }, ':', { Ref: 'AWS::AccountId' }, `:group/pinpipe-${UID}/`, uuid, `/connect-${UID}-connector`]],
    };
    expect(resourcesOf('RestProxyInstanceRole')).to.deep.include(pinTopic);
    expect(resourcesOf('S3SinkServiceExecutionRole')).to.deep.include(pinTopic);
    expect(resourcesOf('S3SinkServiceExecutionRole')).to.deep.include(sinkGroup);
    // Evaluated for a cluster ARN of AWS's documented shape (the uuid carries a -<n> suffix).
    const cluster = { 'Cluster.Arn': `arn:aws:kafka:us-east-1:123456789012:cluster/pinpipe-${UID}/abcd1234-0123-abcd-5678-1234abcd5678-1` };
    expect(evaluate(pinTopic, resources, cluster)).to.equal(`arn:aws:kafka:us-east-1:123456789012:topic/pinpipe-${UID}/abcd1234-0123-abcd-5678-1234abcd5678-1/${UID}.pin`);
    expect(evaluate(sinkGroup, resources, cluster)).to.equal(`arn:aws:kafka:us-east-1:123456789012:group/pinpipe-${UID}/abcd1234-0123-abcd-5678-1234abcd5678-1/connect-${UID}-connector`);
  });

  it('reads the bootstrap brokers with MSK GetBootstrapBrokers, allowed on this cluster only', () => {
    const t = app().template('kafka');
    t.hasResourceProperties('Custom::AWS', {
      Create: { 'Fn::Join': ['', [Match.stringLikeRegexp('"service":"Kafka","action":"getBootstrapBrokers"'), { 'Fn::GetAtt': ['Cluster', 'Arn'] }, Match.stringLikeRegexp('BootstrapBrokerStringSaslIam')]] },
      InstallLatestAwsSdk: false,
    });
    t.hasResourceProperties('AWS::IAM::Policy', { PolicyDocument: { Statement: [{ Action: 'kafka:GetBootstrapBrokers', Effect: 'Allow', Resource: { 'Fn::GetAtt': ['Cluster', 'Arn'] } }] } });
  });

  it('registers the Confluent S3 sink zip from the context location as <uid>-plugin', () => {
    app().template('kafka').hasResourceProperties('AWS::KafkaConnect::CustomPlugin', {
      Name: `${UID}-plugin`,
      ContentType: 'ZIP',
      Location: { S3Location: { BucketArn: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, `:s3:::user-${UID}-bucket`]] }, FileKey: 'kafka-connect-s3/confluentinc-kafka-connect-s3-10.0.3.zip' } },
    });
  });

  it("configures <uid>-connector as the seed's S3 sink connector, on IAM and TLS", () => {
    const connector = only('kafka', 'AWS::KafkaConnect::Connector').props;
    // The seed's MSK Connect form, plus the partitioner settings spelt out (they are the defaults).
    expect(connector['ConnectorConfiguration']).to.deep.equal({
      'connector.class': 'io.confluent.connect.s3.S3SinkConnector',
      'tasks.max': '3',
      'topics.regex': `${UID}.*`,
      's3.region': 'us-east-1',
      's3.bucket.name': { 'Fn::ImportValue': (connector['ConnectorConfiguration'] as Record<string, { 'Fn::ImportValue': string }>)['s3.bucket.name']!['Fn::ImportValue'] },
      'flush.size': '1',
      'storage.class': 'io.confluent.connect.s3.storage.S3Storage',
      'format.class': 'io.confluent.connect.s3.format.json.JsonFormat',
      'partitioner.class': 'io.confluent.connect.storage.partitioner.DefaultPartitioner',
      'topics.dir': 'topics',
      'filename.offset.zero.pad.width': '10',
      'schema.compatibility': 'NONE',
      'key.converter': 'org.apache.kafka.connect.storage.StringConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    });
    // The bucket is the storage stack's landing bucket, by reference.
    const storage = app().json('storage').Resources;
    const landing = Object.entries(storage).find(([, r]) => r.Properties?.['BucketName'] === `user-${UID}-bucket`)![0];
    expect((connector['ConnectorConfiguration'] as Record<string, { 'Fn::ImportValue': string }>)['s3.bucket.name']!['Fn::ImportValue']).to.include(`ExportsOutputRef${landing}`);
    app().template('kafka').hasResourceProperties('AWS::KafkaConnect::Connector', {
      ConnectorName: `${UID}-connector`,
      KafkaConnectVersion: '3.7.x',
      Capacity: { ProvisionedCapacity: { McuCount: 1, WorkerCount: 1 } },
      KafkaCluster: { ApacheKafkaCluster: { BootstrapServers: bootstrapServers, Vpc: { SecurityGroups: [Match.anyValue()], Subnets: [Match.anyValue(), Match.anyValue()] } } },
      KafkaClusterClientAuthentication: { AuthenticationType: 'IAM' },
      KafkaClusterEncryptionInTransit: { EncryptionType: 'TLS' },
      Plugins: [{ CustomPlugin: { CustomPluginArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^S3SinkPlugin'), 'CustomPluginArn'] }, Revision: Match.anyValue() } }],
      ServiceExecutionRoleArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^S3SinkServiceExecutionRole'), 'Arn'] },
      LogDelivery: { WorkerLogDelivery: { CloudWatchLogs: { Enabled: true, LogGroup: Match.anyValue() } } },
    });
  });

  it("lands files in spec/wire.md's layout: topics/<topic>/partition=<p>/<topic>+<p>+<start offset, zero-padded>.json", () => {
    // wire.md: "Object keys: `topics/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json`, the start offset zero-padded to 10 digits"
    expect(WIRE).to.include('`topics/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json`');
    const width = /zero-padded\s+to (\d+) digits/.exec(WIRE)?.[1];
    const config = only('kafka', 'AWS::KafkaConnect::Connector').props['ConnectorConfiguration'] as Record<string, string>;
    // The DefaultPartitioner writes <topics.dir>/<topic>/partition=<p>/; the S3 sink names files <topic>+<p>+<offset>.<ext>.
    expect(config['partitioner.class']).to.equal('io.confluent.connect.storage.partitioner.DefaultPartitioner');
    expect(config['topics.dir']).to.equal('topics');
    expect(config['filename.offset.zero.pad.width']).to.equal(width);
    expect(config['format.class']).to.match(/\.json\.JsonFormat$/);
  });

  it("gives the connector's role the topics' read, MSK Connect's internal topics and groups, and writes under topics/ only", () => {
    const role = only('kafka', 'AWS::KafkaConnect::Connector').props['ServiceExecutionRoleArn'] as { 'Fn::GetAtt': string[] };
    const roleId = role['Fn::GetAtt'][0]!;
    const trust = (app().json('kafka').Resources[roleId]!.Properties!['AssumeRolePolicyDocument'] as { Statement: Array<{ Principal: unknown }> }).Statement;
    expect(trust.map((s) => s.Principal)).to.deep.equal([{ Service: 'kafkaconnect.amazonaws.com' }]);
    expect(actionsOf(roleId)).to.deep.equal([
      'kafka-cluster:AlterGroup', 'kafka-cluster:Connect', 'kafka-cluster:CreateTopic', 'kafka-cluster:DescribeCluster', 'kafka-cluster:DescribeGroup',
      'kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeTopic', 'kafka-cluster:ReadData', 'kafka-cluster:ReadData', 'kafka-cluster:WriteData',
      's3:AbortMultipartUpload', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket', 's3:ListBucketMultipartUploads', 's3:ListMultipartUploadParts', 's3:PutObject',
    ]);
    const text = JSON.stringify(statementsOf(roleId));
    for (const table of ['pin', 'geo', 'user']) expect(text).to.include(`/${UID}.${table}"`);
    expect(text).to.include(`:s3:::user-${UID}-bucket/topics/*`);
    expect(text).to.include(`/connect-${UID}-connector"`);
    // Writes go to MSK Connect's own topics only, never to the data topics.
    const writes = statementsOf(roleId).filter((s) => ([] as string[]).concat(s.Action).includes('kafka-cluster:WriteData'));
    expect(JSON.stringify(writes.map((s) => s.Resource))).to.match(/__amazon_msk_connect_\*/).and.not.match(/\.pin|\.geo|\.user/);
  });

  it('runs the REST proxy host in a private subnet with IMDSv2, an encrypted disk and a produce-only role', () => {
    const t = app().template('kafka');
    t.hasResourceProperties('AWS::EC2::Instance', {
      InstanceType: 't3.small',
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeSize: 16, VolumeType: 'gp3' } }],
      Monitoring: true,
      ImageId: { Ref: Match.stringLikeRegexp('al2023') },
    });
    t.hasResourceProperties('AWS::EC2::LaunchTemplate', { LaunchTemplateData: { MetadataOptions: { HttpTokens: 'required' } } });
    const instance = only('kafka', 'AWS::EC2::Instance').props;
    // A private subnet of the network stack, and no public address.
    expect(JSON.stringify(instance['SubnetId'])).to.match(/ExportsOutputRefVpcprivateSubnet1/);
    expect(instance['NetworkInterfaces']).to.equal(undefined);
    const roleId = Object.entries(app().json('kafka').Resources).find(([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('RestProxyInstanceRole'))![0];
    expect(actionsOf(roleId)).to.deep.equal([
      'kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeTopicDynamicConfiguration',
      'kafka-cluster:WriteData', 'kafka-cluster:WriteDataIdempotently',
    ]);
  });

  it("boots the Confluent REST proxy on 8082 with the seed's IAM client settings and the cluster's brokers", () => {
    const instance = only('kafka', 'AWS::EC2::Instance').props as { UserData: { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } } };
    const parts = instance.UserData['Fn::Base64']['Fn::Join'][1];
    const text = parts.map((p) => (typeof p === 'string' ? p : '<ref>')).join('');
    for (const line of [
      'listeners=http://0.0.0.0:8082',
      'bootstrap.servers=<ref>',
      'client.security.protocol=SASL_SSL',
      'client.sasl.mechanism=AWS_MSK_IAM',
      'client.sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;',
      'client.sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler',
      'producer.acks=all',
      'Environment=CLASSPATH=/opt/aws-msk-iam-auth.jar',
      'systemctl enable --now kafka-rest',
    ]) expect(text.split('\n')).to.include(line);
    expect(text).to.include('https://packages.confluent.io/archive/7.9/confluent-community-7.9.0.tar.gz');
    expect(text).to.include('https://github.com/aws/aws-msk-iam-auth/releases/download/v2.3.0/aws-msk-iam-auth-2.3.0-all.jar');
    expect(JSON.stringify(parts.filter((p) => typeof p !== 'string'))).to.match(/BootstrapBrokers.*BootstrapBrokerStringSaslIam/);
  });

  it('puts an internal NLB in front of the host: TCP 8082, health-checked on GET /', () => {
    const t = app().template('kafka');
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', { Type: 'network', Scheme: 'internal' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', { Port: 8082, Protocol: 'TCP' });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', {
      Port: 8082, Protocol: 'TCP', TargetType: 'instance', HealthCheckProtocol: 'HTTP', HealthCheckPath: '/',
      Targets: [{ Id: { Ref: Match.stringLikeRegexp('^RestProxyHost') }, Port: 8082 }],
    });
  });

  it("lets 8082 reach the host from the private subnets only (the NLB's nodes), not from the whole VPC", () => {
    const host = Object.values(app().json('kafka').Resources).find((r) => r.Type === 'AWS::EC2::SecurityGroup' && String(r.Properties?.['GroupDescription']).startsWith('REST proxy host'))!;
    const ingress = host.Properties!['SecurityGroupIngress'] as Array<Record<string, unknown>>;
    expect(ingress.map((r) => [r['CidrIp'], r['FromPort'], r['ToPort'], r['IpProtocol']])).to.deep.equal([
      ['10.20.16.0/20', 8082, 8082, 'tcp'],
      ['10.20.32.0/20', 8082, 8082, 'tcp'],
    ]);
    // ...which are the network stack's private subnets, where the NLB sits.
    const privateCidrs = Object.values(app().json('network').Resources)
      .filter((r) => r.Type === 'AWS::EC2::Subnet' && r.Properties?.['MapPublicIpOnLaunch'] === false).map((r) => r.Properties!['CidrBlock']);
    expect(privateCidrs).to.have.members(['10.20.16.0/20', '10.20.32.0/20']);
    const nlb = only('kafka', 'AWS::ElasticLoadBalancingV2::LoadBalancer').props;
    expect(JSON.stringify(nlb['Subnets'])).to.match(/privateSubnet1.*privateSubnet2/);
  });

  it('creates the connector after the three topics it subscribes to', () => {
    const resources = app().json('kafka').Resources;
    const topics = Object.entries(resources).filter(([, r]) => r.Type === 'AWS::MSK::Topic').map(([id]) => id);
    expect(topics).to.have.length(3);
    const connector = Object.values(resources).find((r) => r.Type === 'AWS::KafkaConnect::Connector')!;
    expect(connector.DependsOn ?? []).to.include.members(topics);
  });

  it('has a boot script bash can parse (bash -n), as the instance runs it', () => {
    const instance = only('kafka', 'AWS::EC2::Instance').props as { UserData: { 'Fn::Base64': { 'Fn::Join': [string, unknown[]] } } };
    // The bootstrap servers are a deploy-time value: a stand-in of their shape.
    const script = instance.UserData['Fn::Base64']['Fn::Join'][1]
      .map((p) => (typeof p === 'string' ? p : 'b-1.pinpipe.abc123.c2.kafka.us-east-1.amazonaws.com:9098,b-2.pinpipe.abc123.c2.kafka.us-east-1.amazonaws.com:9098')).join('');
    expect(script.startsWith('#!/bin/bash\n')).to.equal(true);
    const r = spawnSync('bash', ['-n'], { input: script, encoding: 'utf8' });
    expect(r.status, r.stderr).to.equal(0);
    // The checker sees a broken script for what it is.
    expect(spawnSync('bash', ['-n'], { input: `${script}\nif true; then\n`, encoding: 'utf8' }).status).to.not.equal(0);
  });
});
