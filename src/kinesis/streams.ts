// The three Kinesis streams of spec/wire.md (streaming-<uid>-pin|geo|user), created when missing, on any
// Kinesis API: kinesalite here, AWS or another endpoint by config.
import { CreateStreamCommand, ListStreamsCommand, type KinesisClient } from '@aws-sdk/client-kinesis';

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
