// Topic administration on any Kafka (@platformatic/kafka's Admin): the three topics created when missing,
// recreated for a fresh pipeline run, partitions described for the REST routes, end offsets for lag and
// tests. Each call opens a client and closes it: these are rare calls, never on a hot path.
import { Admin } from '@platformatic/kafka';
import { clientOptions, type KafkaEndpoint } from './connection.ts';

export interface PartitionInfo {
  partitionId: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export interface TopicInfo {
  name: string;
  partitions: PartitionInfo[];
  /** The topic's max.message.bytes, when described. */
  maxMessageBytes?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function withAdmin<T>(endpoint: KafkaEndpoint, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(clientOptions(endpoint, 'pinpipe-admin'));
  try {
    return await fn(admin);
  } finally {
    await admin.close().catch(() => {});
  }
}

/** Topic names (internal ones left out). */
export function listTopics(admin: Admin): Promise<string[]> {
  return admin.listTopics({ includeInternals: false });
}

/** The partitions of these topics with their leaders and replicas. */
export async function describeTopics(admin: Admin, topics: string[]): Promise<TopicInfo[]> {
  if (!topics.length) return [];
  const meta = await admin.metadata({ topics, forceUpdate: true });
  return topics.flatMap((name) => {
    const t = meta.topics.get(name);
    if (!t) return [];
    return [{ name, partitions: t.partitions.map((p, partitionId) => ({ partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] })) }];
  });
}

/** Waits until every partition of the topics has a leader (a new topic takes a moment). */
async function waitForLeaders(admin: Admin, topics: string[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await describeTopics(admin, topics).then((d) => d.length === topics.length && d.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)), () => false);
    if (ready) return;
    if (Date.now() > deadline) throw new Error(`topics ${topics.join(', ')} have no leader after ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** Creates the topics that do not exist yet, with this many partitions, and waits for their leaders. */
export async function ensureTopics(options: KafkaEndpoint & { topics: string[]; partitions: number; log: (line: string) => void }): Promise<string[]> {
  return withAdmin(options, async (admin) => {
    const existing = new Set(await listTopics(admin));
    const missing = options.topics.filter((t) => !existing.has(t));
    if (missing.length) {
      await admin.createTopics({ topics: missing, partitions: options.partitions, replicas: 1 });
      await waitForLeaders(admin, missing);
      options.log(`kafka: created topics ${missing.join(', ')} (${options.partitions} partition${options.partitions === 1 ? '' : 's'} each)`);
    }
    return missing;
  });
}

/** Deletes the topics when they exist and creates them afresh (a pipeline run that counts only its own records). */
export async function recreateTopics(options: KafkaEndpoint & { topics: string[]; partitions: number; log: (line: string) => void }): Promise<void> {
  await withAdmin(options, async (admin) => {
    const existing = (await listTopics(admin)).filter((t) => options.topics.includes(t));
    if (existing.length) {
      await admin.deleteTopics({ topics: existing });
      for (let i = 0; i < 100 && (await listTopics(admin)).some((t) => existing.includes(t)); i++) await sleep(100);
    }
    // A topic just deleted may still be in the controller's way for a moment: retry the creation briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.createTopics({ topics: options.topics, partitions: options.partitions, replicas: 1 });
        break;
      } catch (e) {
        if (attempt >= 50) throw e;
        await sleep(200);
      }
    }
    await waitForLeaders(admin, options.topics);
  });
}

/** The end offset (high watermark) of each partition of a topic, by partition. */
export async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const out = new Map<number, bigint>();
  const [info] = await describeTopics(admin, [topic]);
  if (!info) return out;
  const listed = await admin.listOffsets({ topics: [{ name: topic, partitions: info.partitions.map((p) => ({ partitionIndex: p.partitionId, timestamp: -1n })) }] });
  for (const t of listed) for (const p of t.partitions) out.set(p.partitionIndex, p.offset);
  return out;
}
