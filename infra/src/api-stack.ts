// The ingestion API as the seed's clients know it (spec/wire.md): one REST API whose `/{proxy+}` ANY is an HTTP
// proxy to the Kafka REST proxy (through a VPC link to its internal NLB) and whose /streams routes are Kinesis
// integrations with the seed's mapping templates, through a role allowed those Kinesis actions on the three
// streams only. Clients change only the base URL: https://<api id>.execute-api.<region>.amazonaws.com/<stage>.
import { ArnFormat, CfnOutput, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import {
  AccessLogFormat, AuthorizationType, AwsIntegration, CfnAccount, ConnectionType, EndpointType, HttpIntegration, LogGroupLogDestination,
  MethodLoggingLevel, PassthroughBehavior, RestApi, VpcLink, type IResource, type Method,
} from 'aws-cdk-lib/aws-apigateway';
import type { INetworkLoadBalancer } from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { PolicyDocument, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IStream } from 'aws-cdk-lib/aws-kinesis';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { TableKey } from '../../src/config/index.ts';
import { KINESIS_MODELS, KINESIS_ROUTES, type KinesisRoute } from './kinesis-templates.ts';
import { acknowledgeWildcards } from './nag.ts';
import type { InfraSettings } from './settings.ts';

/** The stage's access log group: a fixed name, so that the account's CloudWatch role can be allowed it. */
export function accessLogGroupName(settings: InfraSettings): string {
  return `/aws/apigateway/pinpipe-${settings.uid}-access`;
}

export interface ApiStackProps extends StackProps {
  settings: InfraSettings;
  restProxy: { loadBalancer: INetworkLoadBalancer; port: number };
  streams: Record<TableKey, IStream>;
}

/** The Kinesis actions the integration role may call, on the three streams (ListStreams has no resource). */
export const KINESIS_STREAM_ACTIONS = ['kinesis:DescribeStream', 'kinesis:CreateStream', 'kinesis:DeleteStream', 'kinesis:PutRecord', 'kinesis:PutRecords'];

/**
 * Creating and deleting streams changes the pipeline's own streams (they are this app's resources): those two
 * routes take SigV4-signed requests of the account's principals only. The clients in the wild list, describe and
 * put, unsigned, as the seed's API let them.
 */
function authorizationOf(route: KinesisRoute): AuthorizationType {
  return route.action === 'CreateStream' || route.action === 'DeleteStream' ? AuthorizationType.IAM : AuthorizationType.NONE;
}

export class ApiStack extends Stack {
  readonly api: RestApi;
  readonly integrationRole: Role;

  constructor(scope: Construct, id: string, props: ApiStackProps) {
    super(scope, id, props);
    const { settings } = props;

    // Access logs go to a log group of a fixed name, so that a CloudWatch role can be allowed exactly that group.
    const accessLogs = new LogGroup(this, 'AccessLogs', {
      logGroupName: accessLogGroupName(settings),
      retention: RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // API Gateway writes both execution and access logs with the account's API Gateway CloudWatch role: one setting
    // per account and region, shared by every REST API there. Setting it replaces the account's current role, so
    // this app sets it only when told to (-c apiGatewayAccountRole=create; see infra/README.md).
    const account = settings.api.accountRole === 'create' ? this.accountLogsRole(accessLogGroupName(settings)) : undefined;

    this.api = new RestApi(this, 'Api', {
      restApiName: `pinpipe-${settings.uid}`,
      description: `pinpipe ingestion for ${settings.uid}: Kafka REST proxy v2 behind /{proxy+}, Kinesis behind /streams (spec/wire.md)`,
      endpointConfiguration: { types: [EndpointType.REGIONAL] },
      cloudWatchRole: false,
      deployOptions: {
        stageName: settings.api.stage,
        loggingLevel: MethodLoggingLevel.INFO,
        dataTraceEnabled: false, // request bodies are user data: kept out of the logs
        metricsEnabled: true,
        // Every method of the stage, the unsigned ones included (the account's limit is shared by all its APIs).
        throttlingRateLimit: settings.api.throttle.rate,
        throttlingBurstLimit: settings.api.throttle.burst,
        accessLogDestination: new LogGroupLogDestination(accessLogs),
        accessLogFormat: AccessLogFormat.jsonWithStandardFields(),
      },
    });
    if (account) this.api.deploymentStage.node.addDependency(account);
    Validations.of(this.api.deploymentStage).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason: `No WAF web ACL: the seed had none and a web ACL bills monthly per ACL and rule. The stage throttles every method to ${settings.api.throttle.rate} requests a second with bursts of ${settings.api.throttle.burst} (-c apiThrottleRate, apiThrottleBurst), and the REST proxy can only produce to the three topics.`,
    });
    // Path parameters, and the bodies of the two put routes against wire.md's shapes (see KINESIS_MODELS); a
    // method without a model has its body checked by its backend only.
    const validator = this.api.addRequestValidator('Requests', { validateRequestParameters: true, validateRequestBody: true });

    // Batch: everything but /streams goes to the Confluent REST proxy, path and method unchanged.
    const { loadBalancer, port } = props.restProxy;
    const link = new VpcLink(this, 'RestProxyLink', { targets: [loadBalancer], description: 'API Gateway to the REST proxy NLB' });
    const proxy = this.api.root.addResource('{proxy+}');
    const proxyMethod = proxy.addMethod(
      'ANY',
      new HttpIntegration(`http://${loadBalancer.loadBalancerDnsName}:${port}/{proxy}`, {
        httpMethod: 'ANY',
        proxy: true,
        options: {
          connectionType: ConnectionType.VPC_LINK,
          vpcLink: link,
          requestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
        },
      }),
      { authorizationType: AuthorizationType.NONE, requestParameters: { 'method.request.path.proxy': true }, requestValidator: validator },
    );
    this.openToClients(proxyMethod);

    // Stream: the Kinesis routes.
    const streamArns = Object.values(props.streams).map((s) => s.streamArn);
    this.integrationRole = new Role(this, 'KinesisIntegrationRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: `API Gateway Kinesis proxy of ${settings.uid}: the /streams routes on ${Object.values(settings.names.stream).join(', ')}`,
      inlinePolicies: {
        kinesis: new PolicyDocument({
          statements: [
            new PolicyStatement({ actions: ['kinesis:ListStreams'], resources: ['*'] }),
            new PolicyStatement({ actions: KINESIS_STREAM_ACTIONS, resources: streamArns }),
          ],
        }),
      },
    });
    acknowledgeWildcards(this.integrationRole, [['*', 'kinesis:ListStreams (GET /streams) supports no resource scope; every other action is limited to the three streams.']]);
    const resources = new Map<string, IResource>([['/', this.api.root]]);
    const resourceAt = (path: string): IResource => {
      const known = resources.get(path);
      if (known) return known;
      const cut = path.lastIndexOf('/');
      const made = resourceAt(path.slice(0, cut) || '/').addResource(path.slice(cut + 1));
      resources.set(path, made);
      return made;
    };
    for (const route of KINESIS_ROUTES) {
      const integration = new AwsIntegration({
        service: 'kinesis',
        action: route.action,
        integrationHttpMethod: 'POST',
        options: {
          credentialsRole: this.integrationRole,
          // Only the mapped content type reaches Kinesis; anything else is 415 (API Gateway takes a request
          // without Content-Type as application/json).
          passthroughBehavior: PassthroughBehavior.NEVER,
          requestParameters: { 'integration.request.header.Content-Type': "'application/x-amz-json-1.1'" },
          requestTemplates: { 'application/json': route.template },
          // Kinesis' refusals keep a failing status (the tutorial mapped everything to 200, and clients in
          // the wild treat any non-200 as failure).
          integrationResponses: [
            { statusCode: '200' },
            { statusCode: '400', selectionPattern: '4\\d{2}' },
            { statusCode: '500', selectionPattern: '5\\d{2}' },
          ],
        },
      });
      const withStream = route.path.includes('{stream-name}');
      const schema = KINESIS_MODELS[route.action];
      const method = resourceAt(route.path).addMethod(route.method, integration, {
        authorizationType: authorizationOf(route),
        requestValidator: validator,
        ...(withStream ? { requestParameters: { 'method.request.path.stream-name': true } } : {}),
        ...(schema ? { requestModels: { 'application/json': this.api.addModel(`${route.action}Body`, { contentType: 'application/json', modelName: `${route.action}Body`, schema }) } } : {}),
        methodResponses: [{ statusCode: '200' }, { statusCode: '400' }, { statusCode: '500' }],
      });
      if (authorizationOf(route) === AuthorizationType.NONE) this.openToClients(method);
      else {
        Validations.of(method).acknowledge({
          id: 'AwsSolutions-COG4',
          reason: `${route.method} ${route.path} is authorized by IAM (SigV4) for the account's principals: operators, not end users, create and delete streams; there is no user pool.`,
        });
      }
    }

    new CfnOutput(this, 'InvokeUrl', { value: this.api.url, description: 'The base URL clients post to ({base} of spec/wire.md)' });
    new CfnOutput(this, 'AccessLogGroup', { value: accessLogs.logGroupName, description: "The stage's access log (written with the account's API Gateway CloudWatch role)" });
  }

  /**
   * The account's API Gateway CloudWatch role and the account setting naming it. The role may write any API's
   * execution log groups (API Gateway names them) and this API's access log group. Both are retained on
   * `cdk destroy`: other APIs of the account may log through them by then.
   */
  private accountLogsRole(accessLogGroup: string): CfnAccount {
    const executionLogs = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: 'API-Gateway-Execution-Logs_*', arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    // The group itself (CreateLogStream, DescribeLogStreams) and its streams (PutLogEvents), whose names API Gateway chooses.
    const accessGroup = this.formatArn({ service: 'logs', resource: 'log-group', resourceName: accessLogGroup, arnFormat: ArnFormat.COLON_RESOURCE_NAME });
    const accessStreams = `${accessGroup}:*`;
    const role = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'API Gateway account setting: writes execution logs (API-Gateway-Execution-Logs_<api>/<stage>) and the pinpipe access log group',
      inlinePolicies: {
        logs: new PolicyDocument({
          statements: [
            new PolicyStatement({
              actions: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents', 'logs:GetLogEvents', 'logs:FilterLogEvents'],
              resources: [executionLogs],
            }),
            new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'], resources: [accessGroup, accessStreams] }),
            new PolicyStatement({ actions: ['logs:DescribeLogGroups'], resources: ['*'] }),
          ],
        }),
      },
    });
    role.applyRemovalPolicy(RemovalPolicy.RETAIN);
    acknowledgeWildcards(role, [
      [executionLogs, 'API Gateway names execution log groups API-Gateway-Execution-Logs_<api id>/<stage> when it first logs, and this account-wide setting serves every API of the account and region.'],
      [accessStreams, 'API Gateway names the log streams of the access log group itself; the grant covers the streams of that one group.'],
      ['*', 'logs:DescribeLogGroups supports no resource scope.'],
    ]);
    const account = new CfnAccount(this, 'Account', { cloudWatchRoleArn: role.roleArn });
    account.applyRemovalPolicy(RemovalPolicy.RETAIN);
    return account;
  }

  /** The seed's clients send no credentials; spec/wire.md requires they work with only the base URL changed. */
  private openToClients(method: Method): void {
    for (const id of ['AwsSolutions-APIG4', 'AwsSolutions-COG4']) {
      Validations.of(method).acknowledge({
        id,
        reason: `${method.httpMethod} ${method.resource.path} is called without credentials by the original posting clients (spec/wire.md: only the base URL changes); writes are limited by the backend's IAM role to the three topics or streams.`,
      });
    }
  }
}
