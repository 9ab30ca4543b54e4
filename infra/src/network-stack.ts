// The VPC everything private lives in: MSK brokers, the MSK Connect workers, the REST proxy host behind an
// internal NLB, and MWAA. Two zones (MSK and MWAA both need two), private subnets with one NAT gateway (the
// REST proxy host downloads its packages, MWAA's workers call Databricks' API), an S3 gateway endpoint (the
// connector's writes stay off the NAT, as the seed's "VPC endpoint to S3" did) and flow logs.
import { RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { FlowLogDestination, FlowLogTrafficType, GatewayVpcEndpointAwsService, IpAddresses, SubnetType, Vpc } from 'aws-cdk-lib/aws-ec2';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { InfraSettings } from './settings.ts';

export interface NetworkStackProps extends StackProps {
  settings: InfraSettings;
}

export class NetworkStack extends Stack {
  readonly vpc: Vpc;

  constructor(scope: Construct, id: string, props: NetworkStackProps) {
    super(scope, id, props);
    this.vpc = new Vpc(this, 'Vpc', {
      ipAddresses: IpAddresses.cidr(props.settings.vpcCidr),
      // Named zones rather than a lookup: synth needs no AWS credentials.
      availabilityZones: [...props.settings.availabilityZones],
      // One NAT gateway, not one a zone: a zone outage stops egress, which this pipeline can wait out, at
      // half the NAT's hourly cost.
      natGateways: 1,
      subnetConfiguration: [
        { name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 20 },
      ],
      gatewayEndpoints: { S3: { service: GatewayVpcEndpointAwsService.S3 } },
      // Nothing is placed in the default security group; restricting it would take a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new LogGroup(this, 'FlowLogs', { retention: RetentionDays.ONE_MONTH, removalPolicy: RemovalPolicy.DESTROY });
    // Rejected flows: the ones that explain a connection that does not work, at a fraction of ALL's volume.
    this.vpc.addFlowLog('FlowLog', { destination: FlowLogDestination.toCloudWatchLogs(flowLogs), trafficType: FlowLogTrafficType.REJECT });
  }
}
