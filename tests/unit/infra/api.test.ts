// The ingestion API against spec/wire.md: the routes of its "Stream ingestion" section as Kinesis integrations
// with their mapping templates (written out here by hand, not taken from the code under test), /{proxy+}
// ANY to the REST proxy through the VPC link, and the integration role's Kinesis rights.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Match } from 'aws-cdk-lib/assertions';
import { PROJECT_ROOT } from '../../../src/project.ts';
import { ACCOUNT, app, evaluate, iamMatches, only, UID } from './app.ts';

const WIRE = readFileSync(path.resolve(PROJECT_ROOT, '..', 'shared', 'spec', 'wire.md'), 'utf8');

/** wire.md's stream routes: "`GET|POST|DELETE {base}/streams/{stream-name}`" → GET, POST and DELETE of that path. */
function wireStreamRoutes(): string[] {
  const section = WIRE.slice(WIRE.indexOf('## Stream ingestion'), WIRE.indexOf('\n## ', WIRE.indexOf('## Stream ingestion') + 1));
  const routes: string[] = [];
  for (const m of section.matchAll(/`((?:GET|POST|PUT|DELETE)(?:\|(?:GET|POST|PUT|DELETE))*) \{base\}(\/[^\s`]+)`/g)) {
    for (const method of m[1]!.split('|')) routes.push(`${method} ${m[2]}`);
  }
  return routes.sort();
}

interface MethodProps {
  HttpMethod: string;
  AuthorizationType: string;
  ResourceId: { Ref: string };
  Integration: Record<string, unknown>;
  RequestModels?: Record<string, { Ref: string }>;
  RequestParameters?: Record<string, boolean>;
  RequestValidatorId?: { Ref: string };
}

/** Every method of the API as "METHOD /path", from the template's resources (PathPart chained by ParentId). */
function methods(): Map<string, MethodProps> {
  const resources = app().json('api').Resources;
  const pathOf = (id: string): string => {
    const p = resources[id]!.Properties as { ParentId: { Ref?: string }; PathPart: string };
    return `${p.ParentId.Ref ? pathOf(p.ParentId.Ref) : ''}/${p.PathPart}`;
  };
  const out = new Map<string, MethodProps>();
  for (const r of Object.values(resources)) {
    if (r.Type !== 'AWS::ApiGateway::Method') continue;
    const p = r.Properties as unknown as MethodProps;
    out.set(`${p.HttpMethod} ${pathOf(p.ResourceId.Ref)}`, p);
  }
  return out;
}

// The templates of AWS's "API Gateway as a Kinesis proxy" tutorial, which the seed used, with this project's own
// choices where they differ (infra/README.md lists them): CreateStream takes the body's ShardCount, 1 when absent
// (the tutorial's template fixes 5); PutRecords stores each record's data as its JSON text,
// `$input.json("$.records[$foreach.index].data")`, where the tutorial's `$elem.data` would print a JSON object as a
// Java map. ListStreams, DescribeStream, DeleteStream and PutRecord are the tutorial's (PutRecord's `Data` is wire.md's).
const EXPECTED: Record<string, { action: string; template: string }> = {
  'GET /streams': { action: 'ListStreams', template: '{}' },
  'GET /streams/{stream-name}': { action: 'DescribeStream', template: `{\n    "StreamName": "$input.params('stream-name')"\n}` },
  'POST /streams/{stream-name}': {
    action: 'CreateStream',
    template: `{\n    "ShardCount": #if($input.path('$.ShardCount') == '') 1 #else $input.path('$.ShardCount') #end,\n    "StreamName": "$input.params('stream-name')"\n}`,
  },
  'DELETE /streams/{stream-name}': { action: 'DeleteStream', template: `{\n    "StreamName": "$input.params('stream-name')"\n}` },
  'PUT /streams/{stream-name}/record': {
    action: 'PutRecord',
    template: `{\n    "StreamName": "$input.params('stream-name')",\n    "Data": "$util.base64Encode($input.json('$.Data'))",\n    "PartitionKey": "$input.path('$.PartitionKey')"\n}`,
  },
  'PUT /streams/{stream-name}/records': {
    action: 'PutRecords',
    template: [
      '{',
      `    "StreamName": "$input.params('stream-name')",`,
      '    "Records": [',
      `        #foreach($elem in $input.path('$.records'))`,
      '        {',
      `            "Data": "$util.base64Encode($input.json("$.records[$foreach.index].data"))",`,
      '            "PartitionKey": "$elem.partition-key"',
      '        }#if($foreach.hasNext),#end',
      '        #end',
      '    ]',
      '}',
    ].join('\n'),
  },
};

describe('infra: api stack', function () {
  this.timeout(120_000);

  it("has exactly wire.md's stream routes and /{proxy+} ANY, nothing else", () => {
    const wire = wireStreamRoutes();
    expect(wire).to.deep.equal(Object.keys(EXPECTED).sort());
    expect([...methods().keys()].sort()).to.deep.equal(['ANY /{proxy+}', ...wire].sort());
  });

  it('maps each stream route to its Kinesis action with the mapping template, through the integration role', () => {
    const all = methods();
    for (const [route, { action, template }] of Object.entries(EXPECTED)) {
      const m = all.get(route)!;
      expect(m.Integration, route).to.deep.include({
        Type: 'AWS',
        IntegrationHttpMethod: 'POST',
        Uri: `arn:aws:apigateway:us-east-1:kinesis:action/${action}`,
        PassthroughBehavior: 'NEVER',
        RequestParameters: { 'integration.request.header.Content-Type': "'application/x-amz-json-1.1'" },
        RequestTemplates: { 'application/json': template },
      });
      expect((m.Integration['Credentials'] as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0], route).to.match(/^KinesisIntegrationRole/);
      // Kinesis' refusals are not 200s.
      expect(m.Integration['IntegrationResponses'], route).to.deep.equal([
        { StatusCode: '200' },
        { SelectionPattern: '4\\d{2}', StatusCode: '400' },
        { SelectionPattern: '5\\d{2}', StatusCode: '500' },
      ]);
      if (route.includes('{stream-name}')) expect(m.RequestParameters, route).to.deep.equal({ 'method.request.path.stream-name': true });
    }
  });

  it("stores Data as wire.md says the gateway does (base64 of $input.json('$.Data')), and each record's data alike", () => {
    const said = /base64-encodes `([^`]+)`/.exec(WIRE)?.[1];
    expect(said).to.equal("$input.json('$.Data')");
    const all = methods();
    const record = all.get('PUT /streams/{stream-name}/record')!.Integration['RequestTemplates'] as Record<string, string>;
    expect(record['application/json']).to.include(`"Data": "$util.base64Encode(${said})"`);
    const records = all.get('PUT /streams/{stream-name}/records')!.Integration['RequestTemplates'] as Record<string, string>;
    expect(records['application/json']).to.include('$util.base64Encode($input.json("$.records[$foreach.index].data"))');
  });

  it('checks the put bodies against the fields the templates read (Data and PartitionKey; records of data and partition-key)', () => {
    const resources = app().json('api').Resources;
    const all = methods();
    const schemaOf = (route: string) => {
      const ref = all.get(route)!.RequestModels!['application/json']!.Ref;
      return (resources[ref]!.Properties as { Schema: Record<string, unknown> }).Schema;
    };
    expect(schemaOf('PUT /streams/{stream-name}/record')).to.deep.include({ type: 'object', required: ['Data', 'PartitionKey'] });
    const records = schemaOf('PUT /streams/{stream-name}/records') as { required: string[]; properties: { records: Record<string, unknown> } };
    expect(records.required).to.deep.equal(['records']);
    expect(records.properties.records).to.deep.include({ type: 'array', minItems: 1, maxItems: 500 });
    expect(records.properties.records['items']).to.deep.include({ required: ['data', 'partition-key'] });
    app().template('api').hasResourceProperties('AWS::ApiGateway::RequestValidator', { ValidateRequestBody: true, ValidateRequestParameters: true });
  });

  it('proxies ANY /{proxy+} to the REST proxy NLB on 8082 through the VPC link, path unchanged', () => {
    const proxy = methods().get('ANY /{proxy+}')!;
    expect(proxy.AuthorizationType).to.equal('NONE');
    expect(proxy.RequestParameters).to.deep.equal({ 'method.request.path.proxy': true });
    expect(proxy.Integration).to.deep.include({
      Type: 'HTTP_PROXY',
      IntegrationHttpMethod: 'ANY',
      ConnectionType: 'VPC_LINK',
      RequestParameters: { 'integration.request.path.proxy': 'method.request.path.proxy' },
    });
    const uri = proxy.Integration['Uri'] as { 'Fn::Join': [string, unknown[]] };
    expect(uri['Fn::Join'][1][0]).to.equal('http://');
    expect(JSON.stringify(uri['Fn::Join'][1][1])).to.match(/kafka:ExportsOutputFnGetAttRestProxyNlb.*DNSName/);
    expect(uri['Fn::Join'][1][2]).to.equal(':8082/{proxy}');
    app().template('api').hasResourceProperties('AWS::ApiGateway::VpcLink', { TargetArns: [Match.objectLike({ 'Fn::ImportValue': Match.stringLikeRegexp('RestProxyNlb') })] });
  });

  it('lets clients list, describe and put unsigned; creating and deleting streams takes IAM', () => {
    const auth = Object.fromEntries([...methods()].map(([route, m]) => [route, m.AuthorizationType]));
    expect(auth).to.deep.equal({
      'ANY /{proxy+}': 'NONE',
      'GET /streams': 'NONE',
      'GET /streams/{stream-name}': 'NONE',
      'POST /streams/{stream-name}': 'AWS_IAM',
      'DELETE /streams/{stream-name}': 'AWS_IAM',
      'PUT /streams/{stream-name}/record': 'NONE',
      'PUT /streams/{stream-name}/records': 'NONE',
    });
  });

  it('allows the integration role those Kinesis actions on the three streams, and ListStreams (which takes no resource)', () => {
    const role = Object.entries(app().json('api').Resources).find(([id]) => id.startsWith('KinesisIntegrationRole'))![1];
    const trust = (role.Properties!['AssumeRolePolicyDocument'] as { Statement: Array<{ Principal: unknown }> }).Statement;
    expect(trust.map((s) => s.Principal)).to.deep.equal([{ Service: 'apigateway.amazonaws.com' }]);
    const statements = (role.Properties!['Policies'] as Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> } }>)
      .flatMap((p) => p.PolicyDocument.Statement);
    expect(statements).to.have.length(2);
    expect(statements[0]).to.deep.include({ Action: 'kinesis:ListStreams', Resource: '*' });
    expect([...(statements[1]!.Action as string[])].sort()).to.deep.equal(['kinesis:CreateStream', 'kinesis:DeleteStream', 'kinesis:DescribeStream', 'kinesis:PutRecord', 'kinesis:PutRecords']);
    const resources = statements[1]!.Resource as Array<{ 'Fn::ImportValue': string }>;
    expect(resources).to.have.length(3);
    const streams = app().json('streams').Resources;
    const ids = Object.entries(streams).filter(([, r]) => r.Type === 'AWS::Kinesis::Stream').map(([id]) => id);
    for (const id of ids) expect(resources.some((r) => r['Fn::ImportValue'].includes(`ExportsOutputFnGetAtt${id}Arn`)), id).to.equal(true);
  });

  it("deploys stage prod throttled to 50 requests/s (burst 100), with INFO execution logs, metrics and JSON access logs to /aws/apigateway/pinpipe-<uid>-access", () => {
    const t = app().template('api');
    const resources = app().json('api').Resources;
    t.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      MethodSettings: [{
        HttpMethod: '*', ResourcePath: '/*', LoggingLevel: 'INFO', MetricsEnabled: true, DataTraceEnabled: false, ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100,
      }],
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('"requestId":"\\$context.requestId"') },
    });
    t.hasResourceProperties('AWS::Logs::LogGroup', { LogGroupName: `/aws/apigateway/pinpipe-${UID}-access`, RetentionInDays: 30 });
    const stage = only('api', 'AWS::ApiGateway::Stage').props as { AccessLogSetting: { DestinationArn: unknown } };
    // API Gateway takes the log group's ARN, without the :* of CloudFormation's Arn attribute.
    expect(evaluate(stage.AccessLogSetting.DestinationArn, resources)).to.equal(`arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/apigateway/pinpipe-${UID}-access`);
    t.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: `pinpipe-${UID}`, EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  it('throttles every method of the stage as the context says (-c apiThrottleRate=, apiThrottleBurst=)', () => {
    const stage = only('api', 'AWS::ApiGateway::Stage', app({ apiThrottleRate: 7, apiThrottleBurst: 11 })).props as { MethodSettings: Array<Record<string, unknown>> };
    expect(stage.MethodSettings).to.have.length(1);
    expect(stage.MethodSettings[0]).to.include({ HttpMethod: '*', ResourcePath: '/*', ThrottlingRateLimit: 7, ThrottlingBurstLimit: 11 });
  });

  it("leaves the account's API Gateway CloudWatch role alone unless told to create one (-c apiGatewayAccountRole=create)", () => {
    expect(app().settings.api.accountRole).to.equal('existing');
    const t = app().template('api');
    t.resourceCountIs('AWS::ApiGateway::Account', 0);
    expect(Object.values(app().json('api').Resources).filter((r) => r.Type === 'AWS::IAM::Role')).to.have.length(1); // the Kinesis integration role
    const created = app({ apiGatewayAccountRole: 'create' });
    created.template('api').hasResource('AWS::ApiGateway::Account', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    const stage = only('api', 'AWS::ApiGateway::Stage', created);
    expect(created.json('api').Resources[stage.id]!.DependsOn).to.include(only('api', 'AWS::ApiGateway::Account', created).id);
  });

  it("lets the created CloudWatch role write the stage's access log group (its DestinationArn) and its streams", () => {
    const created = app({ apiGatewayAccountRole: 'create' });
    const resources = created.json('api').Resources;
    const account = only('api', 'AWS::ApiGateway::Account', created).props as { CloudWatchRoleArn: { 'Fn::GetAtt': [string, string] } };
    const role = resources[account.CloudWatchRoleArn['Fn::GetAtt'][0]]!;
    expect(role.DeletionPolicy).to.equal('Retain');
    const statements = (role.Properties!['Policies'] as Array<{ PolicyDocument: { Statement: Array<{ Effect: string; Action: string | string[]; Resource: unknown }> } }>)
      .flatMap((p) => p.PolicyDocument.Statement);
    const allowed = (action: string, arn: string) => statements.some((s) => s.Effect === 'Allow'
      && ([] as string[]).concat(s.Action).includes(action)
      && ([] as unknown[]).concat(s.Resource).some((r) => iamMatches(evaluate(r, resources), arn)));
    const stage = only('api', 'AWS::ApiGateway::Stage', created).props as { AccessLogSetting: { DestinationArn: unknown } };
    const group = evaluate(stage.AccessLogSetting.DestinationArn, resources);
    const stream = `${group}:log-stream:0123456789abcdef`;
    for (const action of ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents']) {
      expect(allowed(action, group), `${action} on ${group}`).to.equal(true);
      expect(allowed(action, `${group}:*`), `${action} on ${group}:*`).to.equal(true);
      expect(allowed(action, stream), `${action} on ${stream}`).to.equal(true);
    }
    // ...and still every API's execution logs, as API Gateway names them.
    expect(allowed('logs:PutLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:API-Gateway-Execution-Logs_abc123/prod:log-stream:x`)).to.equal(true);
    expect(allowed('logs:PutLogEvents', `arn:aws:logs:us-east-1:${ACCOUNT}:log-group:/aws/lambda/other`)).to.equal(false);
  });
});
