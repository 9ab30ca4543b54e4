// The Kafka client host of the seed: an EC2 instance running the Confluent REST Proxy (the Kafka REST v2
// contract of spec/wire.md is that proxy's) against MSK with IAM authentication through its instance profile,
// in a private subnet behind an internal Network Load Balancer that API Gateway reaches through a VPC link.
// The seed exposed the instance's public DNS name on port 8082 instead: anyone could bypass the gateway.
import { Duration, Validations } from 'aws-cdk-lib';
import {
  BlockDeviceVolume, EbsDeviceVolumeType, Instance, InstanceType, MachineImage, Peer, Port, SecurityGroup, UserData,
  type IVpc, type SubnetSelection,
} from 'aws-cdk-lib/aws-ec2';
import { NetworkLoadBalancer, Protocol } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { InstanceTarget } from 'aws-cdk-lib/aws-elasticloadbalancingv2-targets';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { KafkaArns } from './kafka-arns.ts';
import type { InfraSettings } from './settings.ts';

export interface RestProxyProps {
  settings: InfraSettings;
  vpc: IVpc;
  subnets: SubnetSelection;
  bootstrapServers: string;
  arns: KafkaArns;
}

/**
 * The boot script: Java, the Confluent Community REST Proxy and the MSK IAM login module, kafka-rest.properties
 * as the seed wrote it (SASL_SSL, AWS_MSK_IAM; credentials from the instance profile instead of a role ARN),
 * and a systemd unit that restarts the proxy when it dies.
 */
export function restProxyBootScript(settings: InfraSettings, bootstrapServers: string): string[] {
  const { confluentVersion: cp, mskIamAuthVersion: iam, port } = settings.restProxy;
  const line = cp.split('.').slice(0, 2).join('.');
  return [
    'set -euxo pipefail',
    'dnf install -y java-17-amazon-corretto-headless',
    'useradd --system --no-create-home --shell /sbin/nologin kafkarest || true',
    `curl -fsSL --retry 5 -o /tmp/confluent.tar.gz https://packages.confluent.io/archive/${line}/confluent-community-${cp}.tar.gz`,
    'tar -xzf /tmp/confluent.tar.gz -C /opt && rm /tmp/confluent.tar.gz',
    `ln -sfn /opt/confluent-${cp} /opt/confluent`,
    `curl -fsSL --retry 5 -o /opt/aws-msk-iam-auth.jar https://github.com/aws/aws-msk-iam-auth/releases/download/v${iam}/aws-msk-iam-auth-${iam}-all.jar`,
    'install -d -o kafkarest -g kafkarest /var/log/kafka-rest',
    "cat > /opt/confluent/etc/kafka-rest/kafka-rest.properties <<'EOF'",
    `listeners=http://0.0.0.0:${port}`,
    `bootstrap.servers=${bootstrapServers}`,
    'client.security.protocol=SASL_SSL',
    'client.sasl.mechanism=AWS_MSK_IAM',
    'client.sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;',
    'client.sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler',
    // 200 only once every replica has the record (spec/wire.md: clients treat 200 as landed).
    'producer.acks=all',
    'EOF',
    "cat > /etc/systemd/system/kafka-rest.service <<'EOF'",
    '[Unit]',
    'Description=Confluent REST Proxy in front of MSK (pinpipe)',
    'After=network-online.target',
    'Wants=network-online.target',
    '[Service]',
    'User=kafkarest',
    'Environment=CLASSPATH=/opt/aws-msk-iam-auth.jar',
    'Environment=LOG_DIR=/var/log/kafka-rest',
    `Environment=AWS_REGION=${settings.region}`,
    'ExecStart=/opt/confluent/bin/kafka-rest-start /opt/confluent/etc/kafka-rest/kafka-rest.properties',
    'Restart=always',
    'RestartSec=5',
    '[Install]',
    'WantedBy=multi-user.target',
    'EOF',
    'systemctl daemon-reload',
    'systemctl enable --now kafka-rest',
  ];
}

export class RestProxy extends Construct {
  readonly instance: Instance;
  readonly securityGroup: SecurityGroup;
  readonly loadBalancer: NetworkLoadBalancer;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: RestProxyProps) {
    super(scope, id);
    const { settings, vpc, arns } = props;
    const { port } = settings.restProxy;
    const topics = Object.values(settings.names.topic).map((t) => arns.topic(t));

    this.role = new Role(this, 'InstanceRole', {
      assumedBy: new ServicePrincipal('ec2.amazonaws.com'),
      description: `REST proxy host of ${settings.uid}: produces to the ${settings.uid} topics by IAM, nothing else`,
      inlinePolicies: {
        kafka: new PolicyDocument({
          statements: [
            // The proxy's producer is idempotent (Kafka's default since 3.0), which is a cluster-level right.
            new PolicyStatement({ actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster', 'kafka-cluster:WriteDataIdempotently'], resources: [arns.clusterArn] }),
            // GET /topics and /topics/{topic} describe; POST /topics/{topic} writes. No read, create or delete:
            // the proxy's consumer and admin routes are reachable through /{proxy+} and must find nothing.
            new PolicyStatement({ actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:DescribeTopicDynamicConfiguration', 'kafka-cluster:WriteData'], resources: topics }),
          ],
        }),
      },
    });

    this.securityGroup = new SecurityGroup(this, 'Sg', {
      vpc,
      description: `REST proxy host: ${port} from the private subnets (the internal NLB nodes); out to MSK, package downloads through NAT`,
      allowAllOutbound: true,
    });
    // The NLB has no security group of its own. Traffic from API Gateway's VPC link arrives through PrivateLink,
    // which gives the NLB node's own address as the source (client IP preservation does not apply to it), and the
    // health checks come from the nodes too: the subnets the NLB sits in, and nothing else of the VPC.
    for (const subnet of vpc.selectSubnets(props.subnets).subnets) {
      this.securityGroup.addIngressRule(Peer.ipv4(subnet.ipv4CidrBlock), Port.tcp(port), `REST proxy from the internal NLB's nodes in ${subnet.availabilityZone} (API Gateway VPC link, health checks)`);
    }

    const userData = UserData.forLinux();
    userData.addCommands(...restProxyBootScript(settings, props.bootstrapServers));
    this.instance = new Instance(this, 'Host', {
      vpc,
      vpcSubnets: props.subnets,
      instanceType: new InstanceType(settings.restProxy.instanceType),
      machineImage: MachineImage.latestAmazonLinux2023(),
      securityGroup: this.securityGroup,
      role: this.role,
      userData,
      // A new configuration (brokers, versions) is a new host: it holds no state.
      userDataCausesReplacement: true,
      requireImdsv2: true,
      detailedMonitoring: true,
      blockDevices: [{ deviceName: '/dev/xvda', volume: BlockDeviceVolume.ebs(16, { encrypted: true, volumeType: EbsDeviceVolumeType.GP3 }) }],
    });
    Validations.of(this.instance).acknowledge({
      id: 'CloudFormation-Validate::W3010',
      reason: 'The zones are named by context (-c azs=..., default <region>a,b) so that synth needs no AWS lookup; the instance sits in the first private subnet\'s zone.',
    });
    Validations.of(this.instance).acknowledge({
      id: 'AwsSolutions-EC29',
      reason: 'The host keeps no state (rebuilt from its boot script on replacement) and `cdk destroy` must be able to remove it; termination protection would block teardown.',
    });

    this.loadBalancer = new NetworkLoadBalancer(this, 'Nlb', { vpc, internetFacing: false, vpcSubnets: props.subnets, crossZoneEnabled: true });
    const listener = this.loadBalancer.addListener('Rest', { port, protocol: Protocol.TCP });
    listener.addTargets('Host', {
      port,
      protocol: Protocol.TCP,
      targets: [new InstanceTarget(this.instance, port)],
      // The proxy answers GET / with {} once it is up.
      healthCheck: { protocol: Protocol.HTTP, path: '/', healthyHttpCodes: '200', interval: Duration.seconds(30) },
    });
    Validations.of(this.loadBalancer).acknowledge({
      id: 'AwsSolutions-ELB2',
      reason: "A Network Load Balancer writes access logs only for TLS listeners; this one forwards TCP inside the VPC, so the logs would stay empty. Requests reach it only through API Gateway, whose stage writes an access log of every request (its group /aws/apigateway/pinpipe-<uid>-access, through the account's API Gateway CloudWatch role: infra/README.md), and the VPC's flow logs record rejected connections.",
    });
  }
}
