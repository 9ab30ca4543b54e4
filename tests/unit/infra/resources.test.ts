// Every resource of every stack, by type and count, written out by hand: a resource nobody meant to add (a security
// group, a role, a Lambda a construct brings along) fails here even when no other test looks at its type.
import { expect } from 'chai';
import { app, STACKS, type Built, type StackName } from './app.ts';

const EXPECTED: Record<StackName, Record<string, number>> = {
  storage: { 'AWS::S3::Bucket': 3, 'AWS::S3::BucketPolicy': 3 },
  network: {
    'AWS::EC2::VPC': 1, 'AWS::EC2::Subnet': 4, 'AWS::EC2::RouteTable': 4, 'AWS::EC2::SubnetRouteTableAssociation': 4, 'AWS::EC2::Route': 4,
    'AWS::EC2::EIP': 1, 'AWS::EC2::NatGateway': 1, 'AWS::EC2::InternetGateway': 1, 'AWS::EC2::VPCGatewayAttachment': 1, 'AWS::EC2::VPCEndpoint': 1,
    // The flow log's delivery role and its policy, and its log group.
    'AWS::IAM::Role': 1, 'AWS::IAM::Policy': 1, 'AWS::EC2::FlowLog': 1, 'AWS::Logs::LogGroup': 1,
  },
  streams: { 'AWS::Kinesis::Stream': 3 },
  kafka: {
    // Brokers, connector workers, REST proxy host; two ingress rules: the workers and the host to the brokers.
    'AWS::EC2::SecurityGroup': 3, 'AWS::EC2::SecurityGroupIngress': 2,
    // Broker logs, connector worker logs, the bootstrap lookup's logs.
    'AWS::Logs::LogGroup': 3,
    'AWS::MSK::Cluster': 1, 'AWS::MSK::Topic': 3,
    // Roles: bootstrap lookup, connector execution, REST proxy instance; the Policy is the lookup's GetBootstrapBrokers.
    'AWS::IAM::Role': 3, 'Custom::AWS': 1, 'AWS::IAM::Policy': 1, 'AWS::Lambda::Function': 1,
    'AWS::KafkaConnect::CustomPlugin': 1, 'AWS::KafkaConnect::Connector': 1,
    'AWS::IAM::InstanceProfile': 1, 'AWS::EC2::Instance': 1, 'AWS::EC2::LaunchTemplate': 1,
    'AWS::ElasticLoadBalancingV2::LoadBalancer': 1, 'AWS::ElasticLoadBalancingV2::Listener': 1, 'AWS::ElasticLoadBalancingV2::TargetGroup': 1,
  },
  api: {
    // The Kinesis integration role only: the account's CloudWatch role is made with -c apiGatewayAccountRole=create.
    'AWS::IAM::Role': 1, 'AWS::Logs::LogGroup': 1,
    'AWS::ApiGateway::RestApi': 1, 'AWS::ApiGateway::Deployment': 1, 'AWS::ApiGateway::Stage': 1,
    // /{proxy+}, /streams, /streams/{stream-name}, .../record, .../records; ANY /{proxy+} and the six stream routes.
    'AWS::ApiGateway::Resource': 5, 'AWS::ApiGateway::Method': 7,
    'AWS::ApiGateway::RequestValidator': 1, 'AWS::ApiGateway::Model': 2, 'AWS::ApiGateway::VpcLink': 1,
  },
  orchestration: { 'AWS::EC2::SecurityGroup': 1, 'AWS::EC2::SecurityGroupIngress': 1, 'AWS::IAM::Role': 1, 'AWS::MWAA::Environment': 1 },
};

function counts(built: Built, stack: StackName): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of Object.values(built.json(stack).Resources)) out[r.Type] = (out[r.Type] ?? 0) + 1;
  return out;
}

describe('infra: every resource', function () {
  this.timeout(120_000);

  for (const stack of STACKS) {
    it(`${stack}: exactly the resources of the table, by type and count`, () => {
      expect(counts(app(), stack)).to.deep.equal(EXPECTED[stack]);
    });
  }

  it('api with -c apiGatewayAccountRole=create: the account setting and its CloudWatch role besides', () => {
    expect(counts(app({ apiGatewayAccountRole: 'create' }), 'api')).to.deep.equal({ ...EXPECTED.api, 'AWS::IAM::Role': 2, 'AWS::ApiGateway::Account': 1 });
  });
});
