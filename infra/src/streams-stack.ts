// Stream ingestion's Kinesis side: streaming-<uid>-pin|geo|user (spec/wire.md), encrypted with the AWS managed
// key (no KMS grants for the gateway or Databricks), provisioned shards: one shard takes 1 MiB/s or 1,000
// records/s, far above the posting clients' rate, at the lowest hourly price.
import { Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Stream, StreamEncryption, StreamMode } from 'aws-cdk-lib/aws-kinesis';
import type { Construct } from 'constructs';
import { TABLES, type TableKey } from '../../src/config/index.ts';
import type { InfraSettings } from './settings.ts';

export interface StreamsStackProps extends StackProps {
  settings: InfraSettings;
}

export class StreamsStack extends Stack {
  readonly streams: Record<TableKey, Stream>;

  constructor(scope: Construct, id: string, props: StreamsStackProps) {
    super(scope, id, props);
    const { settings } = props;
    const entries = TABLES.map((table) => {
      const stream = new Stream(this, `Stream-${table}`, {
        streamName: settings.names.stream[table],
        streamMode: StreamMode.PROVISIONED,
        shardCount: settings.streams.shards,
        retentionPeriod: Duration.hours(24),
        encryption: StreamEncryption.MANAGED,
        // A stream is a 24-hour buffer in front of the Delta tables, and it bills by the hour: it goes with the stack.
        removalPolicy: RemovalPolicy.DESTROY,
      });
      return [table, stream] as const;
    });
    this.streams = Object.fromEntries(entries) as Record<TableKey, Stream>;
  }
}
