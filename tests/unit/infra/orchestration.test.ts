// MWAA: private networking, the DAG bucket's dags/, the Databricks connection from Secrets Manager, and an
// execution role that reaches the DAG bucket, its own logs, metrics and queues, and that one secret.
import { expect } from 'chai';
import { Match } from 'aws-cdk-lib/assertions';
import { app, only, UID } from './app.ts';

describe('infra: orchestration stack', function () {
  this.timeout(120_000);

  it('runs MWAA privately in the two private subnets, reading DAGs from the DAG bucket, all logs on', () => {
    app().template('orchestration').hasResourceProperties('AWS::MWAA::Environment', {
      Name: `pinpipe-${UID}`,
      AirflowVersion: '2.10.3',
      EnvironmentClass: 'mw1.small',
      WebserverAccessMode: 'PRIVATE_ONLY',
      DagS3Path: 'dags',
      SourceBucketArn: { 'Fn::ImportValue': Match.stringLikeRegexp('storage:ExportsOutputFnGetAttDags') },
      NetworkConfiguration: { SubnetIds: [Match.anyValue(), Match.anyValue()], SecurityGroupIds: [Match.anyValue()] },
      MinWorkers: 1,
      MaxWorkers: 1,
      LoggingConfiguration: {
        DagProcessingLogs: { Enabled: true, LogLevel: 'WARNING' },
        SchedulerLogs: { Enabled: true, LogLevel: 'WARNING' },
        TaskLogs: { Enabled: true, LogLevel: 'INFO' },
        WebserverLogs: { Enabled: true, LogLevel: 'WARNING' },
        WorkerLogs: { Enabled: true, LogLevel: 'WARNING' },
      },
    });
    const env = only('orchestration', 'AWS::MWAA::Environment').props as { NetworkConfiguration: { SubnetIds: unknown[] } };
    expect(JSON.stringify(env.NetworkConfiguration.SubnetIds)).to.match(/privateSubnet1.*privateSubnet2/);
  });

  it("reads the Databricks connection, and no other, from Secrets Manager under airflow/connections; variables from Airflow's database", () => {
    const env = only('orchestration', 'AWS::MWAA::Environment').props;
    expect(env['AirflowConfigurationOptions']).to.deep.equal({
      'secrets.backend': 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend',
      'secrets.backend_kwargs': '{"connections_prefix":"airflow/connections","variables_prefix":null,"connections_lookup_pattern":"^databricks_default$"}',
    });
  });

  it('gives MWAA a security group that lets its components reach each other', () => {
    const t = app().template('orchestration');
    const sgs = t.findResources('AWS::EC2::SecurityGroupIngress');
    const self = Object.values(sgs).map((r) => (r as { Properties: Record<string, unknown> }).Properties)
      .filter((p) => JSON.stringify(p['GroupId']) === JSON.stringify(p['SourceSecurityGroupId']));
    expect(self).to.have.length(1);
    expect(self[0]).to.include({ IpProtocol: '-1' });
  });

  it('limits the execution role to the DAG bucket, its logs, metrics, queues and the connection secret', () => {
    const role = Object.entries(app().json('orchestration').Resources).find(([id]) => id.startsWith('ExecutionRole'))![1];
    const trust = (role.Properties!['AssumeRolePolicyDocument'] as { Statement: Array<{ Principal: { Service: string[] } }> }).Statement;
    expect(trust.flatMap((s) => s.Principal.Service).sort()).to.deep.equal(['airflow-env.amazonaws.com', 'airflow.amazonaws.com']);
    const statements = (role.Properties!['Policies'] as Array<{ PolicyDocument: { Statement: Array<Record<string, unknown>> } }>).flatMap((p) => p.PolicyDocument.Statement);
    const text = JSON.stringify(statements);
    expect(text).to.include(`:s3:::airflow-${UID}-`);
    expect(text).not.to.include(`user-${UID}-bucket`); // never the data
    expect(text).to.include(`log-group:airflow-pinpipe-${UID}-*`);
    expect(text).to.include(`:environment/pinpipe-${UID}`);
    const secret = statements.filter((s) => JSON.stringify(s['Action']).includes('secretsmanager'));
    expect(secret).to.have.length(1);
    expect([...(secret[0]!['Action'] as string[])].sort()).to.deep.equal(['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue']);
    expect(JSON.stringify(secret[0]!['Resource'])).to.include(':secret:airflow/connections/databricks_default-??????');
    const metrics = statements.filter((s) => JSON.stringify(s['Action']).includes('cloudwatch:'));
    expect(metrics).to.deep.equal([
      { Action: 'cloudwatch:PutMetricData', Effect: 'Allow', Resource: '*', Condition: { StringEquals: { 'cloudwatch:namespace': 'AmazonMWAA' } } },
    ]);
    const kms = statements.find((s) => JSON.stringify(s['Action']).includes('kms:'))!;
    expect(kms['Resource']).to.equal(undefined);
    expect(kms['Condition']).to.deep.equal({ StringLike: { 'kms:ViaService': ['sqs.us-east-1.amazonaws.com'] } });
  });
});
