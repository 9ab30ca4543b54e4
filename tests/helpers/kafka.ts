// Kafka for the tests, on @platformatic/kafka (the project's client): topics, end offsets, reading a whole
// topic back, producers (idempotent, transactional), and moving a group's committed offset.
import { Admin, Consumer, Producer } from '@platformatic/kafka';
import { endOffsets, withAdmin } from '../../src/kafka/admin.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Creates topics (partitions each) and waits until every partition has a leader. */
export async function createTopics(bootstrap: string, topics: { topic: string; partitions: number }[]): Promise<void> {
  await withAdmin({ brokers: [bootstrap] }, async (admin) => {
    for (const t of topics) await admin.createTopics({ topics: [t.topic], partitions: t.partitions, replicas: 1 });
    for (let i = 0; i < 300; i++) {
      const meta = await admin.metadata({ topics: topics.map((t) => t.topic), forceUpdate: true });
      if (topics.every((t) => meta.topics.get(t.topic)?.partitions.every((p) => p.leader >= 0))) return;
      await sleep(100);
    }
    throw new Error('topics without a leader');
  });
}

/** The end offset of each partition of a topic, added up: the records (and markers) it holds. */
export async function recordsIn(bootstrap: string, topic: string): Promise<number> {
  const ends = await withAdmin({ brokers: [bootstrap] }, (admin) => endOffsets(admin, topic));
  return [...ends.values()].reduce((n, o) => n + Number(o), 0);
}

export interface ReadRecord {
  partition: number;
  offset: number;
  key: string | null;
  value: string;
}

/** Reads a topic from the beginning until `expected` records came (read committed), with a fresh group. */
export async function readTopic(bootstrap: string, topic: string, expected: number, timeoutMs = 60_000): Promise<ReadRecord[]> {
  const consumer = new Consumer({ clientId: 'pinpipe-test', bootstrapBrokers: [bootstrap], groupId: `test-${Date.now()}-${Math.random()}`, maxWaitTime: 200 });
  const out: ReadRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${out.length} of ${expected} records of ${topic} read`)), timeoutMs);
      stream.on('data', (m) => {
        out.push({ partition: m.partition, offset: Number(m.offset), key: m.key?.length ? m.key.toString() : null, value: m.value!.toString() });
        if (out.length >= expected) { clearTimeout(timer); resolve(); }
      });
      stream.on('error', (e) => { clearTimeout(timer); reject(e); });
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return out;
}

/** An idempotent producer (acks=all), as the API's. */
export function idempotentProducer(bootstrap: string): Producer {
  return new Producer({ clientId: 'pinpipe-test', bootstrapBrokers: [bootstrap], idempotent: true, acks: -1 });
}

/** A transactional producer. */
export function transactionalProducer(bootstrap: string, transactionalId: string): Producer {
  return new Producer({ clientId: 'pinpipe-test', bootstrapBrokers: [bootstrap], idempotent: true, acks: -1, transactionalId });
}

/** Text values as messages of a topic. */
export function messages(topic: string, values: string[], key?: (i: number) => string): { topic: string; value: Buffer; key?: Buffer }[] {
  return values.map((v, i) => ({ topic, value: Buffer.from(v), ...(key ? { key: Buffer.from(key(i)) } : {}) }));
}

/** Moves a consumer group's committed offset of one partition (the group must have no active member). */
export async function setCommittedOffset(bootstrap: string, groupId: string, topic: string, partition: number, offset: number): Promise<void> {
  await withAdmin({ brokers: [bootstrap] }, (admin: Admin) => admin.alterConsumerGroupOffsets({ groupId, topics: [{ name: topic, partitionOffsets: [{ partition, offset: BigInt(offset) }] }] }));
}
