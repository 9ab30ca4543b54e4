// The API's side of Kafka: an idempotent producer (acks=all) whose send resolves only once the broker
// acknowledged every record, with each record's partition and offset; topic metadata for the REST routes;
// a bound on records waiting for acknowledgement, so a slow broker is answered with 429, never buffered
// without end.
import { Kafka, logLevel, Partitioners, type Admin, type ITopicMetadata, type Producer } from 'kafkajs';
import type { KafkaConnection } from '../kafka/connection.ts';

export interface OutRecord {
  key: Buffer | null;
  value: Buffer;
  partition?: number;
}

export interface RecordOffset {
  partition: number;
  offset: number;
}

export class BrokerUnavailable extends Error {}
export class TopicNotFound extends Error {}
export class PartitionNotFound extends Error {
  constructor(readonly partition: number) {
    super(`partition ${partition} not found`);
  }
}
export class Overloaded extends Error {}

export class KafkaGateway {
  private readonly kafka: Kafka;
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private connecting: Promise<void> | null = null;
  private topicsCache: { at: number; topics: Map<string, ITopicMetadata> } | null = null;
  private roundRobin = 0;
  private readonly partitioner = Partitioners.DefaultPartitioner();
  inflight = 0;

  constructor(brokers: string[], private readonly maxInflight: number, connection: KafkaConnection = {}) {
    this.kafka = new Kafka({
      clientId: 'pinpipe-api',
      brokers,
      ...connection,
      logLevel: logLevel.NOTHING,
      connectionTimeout: 3000,
      requestTimeout: 10000,
      retry: { retries: 3, initialRetryTime: 200, maxRetryTime: 2000 },
    });
  }

  private async connect(): Promise<void> {
    if (this.producer && this.admin) return;
    this.connecting ??= (async () => {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 5, allowAutoTopicCreation: false });
      const admin = this.kafka.admin();
      try {
        await producer.connect();
        await admin.connect();
      } catch (e) {
        await producer.disconnect().catch(() => {});
        await admin.disconnect().catch(() => {});
        throw new BrokerUnavailable(e instanceof Error ? e.message : String(e));
      }
      this.producer = producer;
      this.admin = admin;
    })().finally(() => { this.connecting = null; });
    await this.connecting;
  }

  async topics(fresh = false): Promise<Map<string, ITopicMetadata>> {
    if (!fresh && this.topicsCache && Date.now() - this.topicsCache.at < 5000) return this.topicsCache.topics;
    await this.connect();
    try {
      const names = (await this.admin!.listTopics()).filter((t) => !t.startsWith('__'));
      const meta = names.length ? await this.admin!.fetchTopicMetadata({ topics: names }) : { topics: [] };
      const topics = new Map(meta.topics.map((t) => [t.name, t]));
      this.topicsCache = { at: Date.now(), topics };
      return topics;
    } catch (e) {
      await this.reset();
      throw new BrokerUnavailable(e instanceof Error ? e.message : String(e));
    }
  }

  async topic(name: string): Promise<ITopicMetadata> {
    let t = (await this.topics()).get(name);
    if (!t) t = (await this.topics(true)).get(name);
    if (!t) throw new TopicNotFound(name);
    return t;
  }

  async healthy(): Promise<boolean> {
    try {
      await this.topics(true);
      return true;
    } catch {
      return false;
    }
  }

  /** Sends the records of one request; resolves with each record's partition and offset, in order. */
  async produce(topicName: string, records: OutRecord[]): Promise<RecordOffset[]> {
    const topic = await this.topic(topicName);
    const partitions = topic.partitions.map((p) => p.partitionId).sort((a, b) => a - b);
    if (this.inflight + records.length > this.maxInflight) throw new Overloaded(`${this.inflight} records wait for the broker`);
    const assigned = records.map((r) => {
      if (r.partition !== undefined) {
        if (!partitions.includes(r.partition)) throw new PartitionNotFound(r.partition);
        return r.partition;
      }
      if (r.key) return this.partitioner({ topic: topicName, partitionMetadata: topic.partitions, message: { key: r.key, value: r.value } });
      return partitions[this.roundRobin++ % partitions.length]!;
    });
    this.inflight += records.length;
    try {
      await this.connect();
      const meta = await this.producer!.send({
        topic: topicName,
        acks: -1,
        timeout: 10000,
        messages: records.map((r, i) => ({ key: r.key, value: r.value, partition: assigned[i]! })),
      });
      const base = new Map(meta.map((m) => [m.partition, Number(m.baseOffset ?? m.offset ?? 0)]));
      const seen = new Map<number, number>();
      return assigned.map((p) => {
        const n = seen.get(p) ?? 0;
        seen.set(p, n + 1);
        return { partition: p, offset: base.get(p)! + n };
      });
    } catch (e) {
      if (e instanceof PartitionNotFound || e instanceof TopicNotFound) throw e;
      await this.reset();
      throw new BrokerUnavailable(e instanceof Error ? e.message : String(e));
    } finally {
      this.inflight -= records.length;
    }
  }

  /** Drops the clients after a broker failure, so that the next request connects afresh. */
  private async reset(): Promise<void> {
    const [p, a] = [this.producer, this.admin];
    this.producer = null;
    this.admin = null;
    this.topicsCache = null;
    await p?.disconnect().catch(() => {});
    await a?.disconnect().catch(() => {});
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => {});
    await this.admin?.disconnect().catch(() => {});
  }
}
