// The VPC: two zones named by context, public and private subnets, one NAT gateway, the S3 gateway endpoint,
// rejected flows logged.
import { Match } from 'aws-cdk-lib/assertions';
import { app } from './app.ts';

describe('infra: network stack', function () {
  this.timeout(120_000);

  it('is one VPC of 10.20.0.0/16 over us-east-1a and us-east-1b, two public and two private subnets', () => {
    const t = app().template('network');
    t.resourceCountIs('AWS::EC2::VPC', 1);
    t.hasResourceProperties('AWS::EC2::VPC', { CidrBlock: '10.20.0.0/16', EnableDnsHostnames: true, EnableDnsSupport: true });
    t.resourceCountIs('AWS::EC2::Subnet', 4);
    for (const az of ['us-east-1a', 'us-east-1b']) {
      t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: az, MapPublicIpOnLaunch: true });
      t.hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: az, MapPublicIpOnLaunch: false });
    }
  });

  it('has one NAT gateway, an S3 gateway endpoint and a flow log of rejected traffic', () => {
    const t = app().template('network');
    t.resourceCountIs('AWS::EC2::NatGateway', 1);
    t.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['.s3'])] }),
    });
    t.hasResourceProperties('AWS::EC2::FlowLog', { ResourceType: 'VPC', TrafficType: 'REJECT', LogDestinationType: 'cloud-watch-logs' });
  });
});
