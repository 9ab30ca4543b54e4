// The three Kinesis streams of spec/wire.md (streaming-<uid>-pin|geo|user), created when missing, on any
// Kinesis API: kinesalite here, AWS or another endpoint by config.
import { CreateStreamCommand, DeleteStreamCommand, DescribeStreamSummaryCommand, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, ListStreamsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

/** Creates the streams that do not exist yet; returns the names it created. */
export async function ensureStreams(client: KinesisClient, names: string[], shards: number, log: (line: string) => void): Promise<string[]> {
  const existing = new Set<string>();
  let start: string | undefined;
  for (;;) {
    const page = await client.send(new ListStreamsCommand({ ...(start ? { ExclusiveStartStreamName: start } : {}), Limit: 100 }));
    for (const n of page.StreamNames ?? []) existing.add(n);
    if (!page.HasMoreStreams || !page.StreamNames?.length) break;
    start = page.StreamNames.at(-1);
  }
  const created: string[] = [];
  for (const name of names) {
    if (existing.has(name)) continue;
    await client.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
    log(`kinesis: created stream ${name} (${shards} shard${shards === 1 ? '' : 's'})`);
    created.push(name);
  }
  return created;
}

/** Deletes the streams (when they exist) and creates them empty: a fresh run of the streaming pipeline. */
export async function recreateStreams(client: KinesisClient, names: string[], shards: number, log: (line: string) => void): Promise<void> {
  for (const name of names) {
    try {
      await client.send(new DeleteStreamCommand({ StreamName: name }));
    } catch (e) {
      if ((e as { name?: string }).name !== 'ResourceNotFoundException') throw e;
    }
  }
  for (const name of names) {
    for (let i = 0; i < 200; i++) {
      try {
        await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      } catch (e) {
        if ((e as { name?: string }).name === 'ResourceNotFoundException') break;
        throw e;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  await ensureStreams(client, names, shards, log);
  await waitActive(client, names);
}

/** Waits until every stream is ACTIVE (a new stream is CREATING for a moment). */
export async function waitActive(client: KinesisClient, names: string[]): Promise<void> {
  for (const name of names) {
    for (let i = 0; i < 400; i++) {
      const s = await client.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      if (s.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

/** Every record of a stream, from TRIM_HORIZON to the tip of each shard (for reconciliation and checks). */
export async function readStream(client: KinesisClient, name: string): Promise<{ shardId: string; sequenceNumber: string; data: Buffer }[]> {
  const out: { shardId: string; sequenceNumber: string; data: Buffer }[] = [];
  const shards = (await client.send(new ListShardsCommand({ StreamName: name }))).Shards ?? [];
  for (const shard of shards) {
    let iterator = (await client.send(new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator;
    while (iterator) {
      const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10000 }));
      for (const r of page.Records ?? []) out.push({ shardId: shard.ShardId!, sequenceNumber: r.SequenceNumber!, data: Buffer.from(r.Data!) });
      if (!page.Records?.length && (page.MillisBehindLatest ?? 0) === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return out;
}
