// The request mapping templates of the API Gateway Kinesis proxy (spec/wire.md "Stream ingestion"), from AWS's
// "API Gateway as a Kinesis proxy" tutorial as the seed used it, with two choices of this project's own (CreateStream's
// shard count, PutRecords' data; see infra/README.md): each turns the client's request into
// the Kinesis action's JSON body; the stream comes from the path, so a body's StreamName is not needed.
// `Data` is stored as its JSON text, base64-encoded as Kinesis' JSON protocol wants it; PutRecords does the same
// for each record's `data` (the tutorial's `$elem.data` would print a JSON object as a Java map), which is also
// what the local API stores (src/api/kinesis-routes.ts).

import { JsonSchemaType, JsonSchemaVersion, type JsonSchema } from 'aws-cdk-lib/aws-apigateway';

export type KinesisAction = 'ListStreams' | 'DescribeStream' | 'CreateStream' | 'DeleteStream' | 'PutRecord' | 'PutRecords';

export interface KinesisRoute {
  /** The resource path under the API's root. */
  path: string;
  method: 'GET' | 'POST' | 'DELETE' | 'PUT';
  action: KinesisAction;
  template: string;
}

const streamFromPath = `"StreamName": "$input.params('stream-name')"`;

export const KINESIS_TEMPLATES: Record<KinesisAction, string> = {
  ListStreams: '{}',
  DescribeStream: `{\n    ${streamFromPath}\n}`,
  // The body's ShardCount, 1 without one as the local API does (the tutorial's template always asks for 5).
  CreateStream: [
    '{',
    `    "ShardCount": #if($input.path('$.ShardCount') == '') 1 #else $input.path('$.ShardCount') #end,`,
    `    ${streamFromPath}`,
    '}',
  ].join('\n'),
  DeleteStream: `{\n    ${streamFromPath}\n}`,
  PutRecord: [
    '{',
    `    ${streamFromPath},`,
    `    "Data": "$util.base64Encode($input.json('$.Data'))",`,
    `    "PartitionKey": "$input.path('$.PartitionKey')"`,
    '}',
  ].join('\n'),
  PutRecords: [
    '{',
    `    ${streamFromPath},`,
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
};

const route = (path: string, method: KinesisRoute['method'], action: KinesisAction): KinesisRoute => ({ path, method, action, template: KINESIS_TEMPLATES[action] });

/** The routes of spec/wire.md's stream ingestion section, each with its Kinesis action. */
export const KINESIS_ROUTES: readonly KinesisRoute[] = [
  route('/streams', 'GET', 'ListStreams'),
  route('/streams/{stream-name}', 'GET', 'DescribeStream'),
  route('/streams/{stream-name}', 'POST', 'CreateStream'),
  route('/streams/{stream-name}', 'DELETE', 'DeleteStream'),
  route('/streams/{stream-name}/record', 'PUT', 'PutRecord'),
  route('/streams/{stream-name}/records', 'PUT', 'PutRecords'),
];

const partitionKey: JsonSchema = { type: JsonSchemaType.STRING, minLength: 1, maxLength: 256 };

/**
 * Body models the gateway checks before calling Kinesis (400 naming the field, instead of a Kinesis error): the
 * fields the templates read, with Kinesis' limits (a partition key of 1 to 256 characters, 1 to 500 records).
 * `Data` may be any JSON value, as the template takes its JSON text.
 */
export const KINESIS_MODELS: Partial<Record<KinesisAction, JsonSchema>> = {
  PutRecord: {
    schema: JsonSchemaVersion.DRAFT4,
    type: JsonSchemaType.OBJECT,
    required: ['Data', 'PartitionKey'],
    properties: { StreamName: { type: JsonSchemaType.STRING }, Data: {}, PartitionKey: partitionKey },
  },
  PutRecords: {
    schema: JsonSchemaVersion.DRAFT4,
    type: JsonSchemaType.OBJECT,
    required: ['records'],
    properties: {
      records: {
        type: JsonSchemaType.ARRAY,
        minItems: 1,
        maxItems: 500,
        items: { type: JsonSchemaType.OBJECT, required: ['data', 'partition-key'], properties: { data: {}, 'partition-key': partitionKey } },
      },
    },
  },
};
