// MWAA, where the seed's Airflow DAG <uid>_dag ran the Databricks notebooks daily: the environment in the VPC's
// private subnets with a private web server, reading DAGs from the DAG bucket's dags/, and an execution role
// limited to that bucket, the environment's own logs and metrics, its Celery queues, and the one Secrets Manager
// secret holding the Databricks connection (Airflow's secrets backend reads it; it is never in code or config).
import { ArnFormat, Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import { Port, SecurityGroup, SubnetType, type IVpc } from 'aws-cdk-lib/aws-ec2';
import { CompositePrincipal, PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { CfnEnvironment } from 'aws-cdk-lib/aws-mwaa';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { acknowledgeWildcards } from './nag.ts';
import { dagBucketName, type InfraSettings } from './settings.ts';

export interface OrchestrationStackProps extends StackProps {
  settings: InfraSettings;
  vpc: IVpc;
  dags: IBucket;
}

/** Where Airflow's Secrets Manager backend looks for connections: <prefix>/<connection id>. */
export const CONNECTIONS_PREFIX = 'airflow/connections';

export class OrchestrationStack extends Stack {
  readonly airflow: CfnEnvironment;
  readonly executionRole: Role;

  constructor(scope: Construct, id: string, props: OrchestrationStackProps) {
    super(scope, id, props);
    const { settings, vpc, dags } = props;
    const name = `pinpipe-${settings.uid}`;

    const sg = new SecurityGroup(this, 'Sg', {
      vpc,
      description: `MWAA ${name}: its web server, scheduler and workers reach each other; out to Databricks and AWS APIs through NAT`,
      allowAllOutbound: true,
    });
    sg.addIngressRule(sg, Port.allTraffic(), 'MWAA components among themselves (MWAA requires a self-referencing rule)');

    // By name, not by reference: a wildcard resource must resolve within this stack (see nag.ts).
    const dagBucket = `arn:${Aws.PARTITION}:s3:::${dagBucketName(settings, this.account, this.region)}`;
    const dagObjects = `${dagBucket}/*`;
    const celeryQueues = `arn:${Aws.PARTITION}:sqs:${this.region}:*:airflow-celery-*`;
    const logGroups = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: `airflow-${name}-*`, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // Secrets Manager appends six random characters to a secret's name in its ARN.
    const connectionSecret = this.formatArn({
      service: 'secretsmanager', resource: 'secret', resourceName: `${CONNECTIONS_PREFIX}/${settings.mwaa.connectionId}-??????`, arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // AWS's documented MWAA execution policy, with its wildcard actions (s3:GetObject*, s3:GetBucket*,
    // s3:List*, kms:GenerateDataKey*) spelt out as the actions MWAA uses.
    this.executionRole = new Role(this, 'ExecutionRole', {
      assumedBy: new CompositePrincipal(new ServicePrincipal('airflow.amazonaws.com'), new ServicePrincipal('airflow-env.amazonaws.com')),
      description: `MWAA ${name}: DAG bucket, own logs, metrics and queues, the Databricks connection secret`,
      inlinePolicies: {
        mwaa: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: ['airflow:PublishMetrics'], resources: [this.formatArn({ service: 'airflow', resource: 'environment', resourceName: name })] }),
            new PolicyStatement({
              actions: [
                's3:GetObject', 's3:GetObjectVersion', 's3:ListBucket', 's3:ListBucketVersions', 's3:GetBucketLocation', 's3:GetBucketVersioning',
                's3:GetBucketPublicAccessBlock', 's3:GetBucketPolicyStatus', 's3:GetBucketAcl', 's3:GetEncryptionConfiguration',
              ],
              resources: [dagBucket, dagObjects],
            }),
            // MWAA refuses a bucket that could be public, and checks the account's setting too.
            new PolicyStatement({ actions: ['s3:GetAccountPublicAccessBlock'], resources: ['*'] }),
            new PolicyStatement({
              actions: ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:GetLogRecord', 'logs:GetLogGroupFields', 'logs:GetQueryResults'],
              resources: [logGroups],
            }),
            new PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
            // No resource scope exists for it; the condition keeps it to MWAA's own metrics namespace.
            new PolicyStatement({ actions: ['cloudwatch:PutMetricData'], resources: ['*'], conditions: { StringEquals: { 'cloudwatch:namespace': 'AmazonMWAA' } } }),
            // The Celery queues live in an account of MWAA's own.
            new PolicyStatement({
              actions: ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'],
              resources: [celeryQueues],
            }),
            // ...encrypted with an AWS owned key: any key outside this account, used through SQS only.
            new PolicyStatement({
              actions: ['kms:Decrypt', 'kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Encrypt'],
              notResources: [`arn:${Aws.PARTITION}:kms:*:${this.account}:key/*`],
              conditions: { StringLike: { 'kms:ViaService': [`sqs.${this.region}.amazonaws.com`] } },
            }),
            new PolicyStatement({ actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'], resources: [connectionSecret] }),
          ],
        }),
      },
    });
    acknowledgeWildcards(this.executionRole, [
      [dagObjects, 'MWAA reads every DAG, plugin and requirements file of its bucket; the bucket holds nothing else.'],
      [logGroups, 'MWAA creates its log groups airflow-<environment>-<component> (DAGProcessing, Scheduler, Task, WebServer, Worker) itself.'],
      [celeryQueues, "MWAA's Celery queues airflow-celery-<id> live in an account of MWAA's own, unknown before the environment exists."],
      [connectionSecret, 'Secrets Manager appends six random characters to the name in the ARN; ?????? matches exactly those, for the one connection secret.'],
      ['*', 's3:GetAccountPublicAccessBlock, logs:DescribeLogGroups and cloudwatch:PutMetricData support no resource scope (MWAA checks the account\'s public access block and publishes its metrics, which a condition keeps to the AmazonMWAA namespace).'],
    ]);

    const micro = settings.mwaa.environmentClass === 'mw1.micro';
    this.airflow = new CfnEnvironment(this, 'Environment', {
      name,
      airflowVersion: settings.mwaa.airflowVersion,
      environmentClass: settings.mwaa.environmentClass,
      executionRoleArn: this.executionRole.roleArn,
      sourceBucketArn: dags.bucketArn,
      dagS3Path: 'dags',
      networkConfiguration: { subnetIds: vpc.selectSubnets({ subnetType: SubnetType.PRIVATE_WITH_EGRESS }).subnetIds, securityGroupIds: [sg.securityGroupId] },
      webserverAccessMode: 'PRIVATE_ONLY',
      // The DAG runs two notebook tasks a day, one after the other: one worker (mw1.micro has exactly one).
      ...(micro ? {} : { minWorkers: 1, maxWorkers: 1 }),
      loggingConfiguration: {
        dagProcessingLogs: { enabled: true, logLevel: 'WARNING' },
        schedulerLogs: { enabled: true, logLevel: 'WARNING' },
        taskLogs: { enabled: true, logLevel: 'INFO' },
        webserverLogs: { enabled: true, logLevel: 'WARNING' },
        workerLogs: { enabled: true, logLevel: 'WARNING' },
      },
      airflowConfigurationOptions: {
        'secrets.backend': 'airflow.providers.amazon.aws.secrets.secrets_manager.SecretsManagerBackend',
        // Connections only: variables stay in Airflow's database (the role may read no other secret). Only the
        // Databricks connection is looked up in Secrets Manager: Airflow's other connection lookups (its own
        // defaults) would each be an AccessDenied call, logged and billed.
        'secrets.backend_kwargs': JSON.stringify({ connections_prefix: CONNECTIONS_PREFIX, variables_prefix: null, connections_lookup_pattern: `^${settings.mwaa.connectionId}$` }),
      },
      weeklyMaintenanceWindowStart: 'SUN:03:00',
    });

    new CfnOutput(this, 'EnvironmentName', { value: name });
    new CfnOutput(this, 'DagBucket', { value: dagBucketName(settings, this.account, this.region), description: 'Upload the DAG to s3://<this>/dags/' });
    new CfnOutput(this, 'ConnectionSecretName', { value: `${CONNECTIONS_PREFIX}/${settings.mwaa.connectionId}`, description: 'Create this secret with the Databricks connection (infra/README.md)' });
  }
}
