// The API's side of Kafka: an idempotent producer (acks=all) that batches the records of concurrent requests
// into one produce request and answers each request only once the broker acknowledged its own records, with
// each record's partition and offset. While a produce request is in flight, the records of new requests
// wait, then go together as soon as it is acknowledged; when the broker is idle, the records of the
// requests of one turn of the event loop go at once (a linger of 0 ms by default). So one record a request
// from many clients costs one round trip per batch, not per record, and a lone client waits for nothing. A bound on records waiting
// for acknowledgement answers a slow broker with 429, never an unbounded buffer. A failed produce fails
// exactly the requests of that batch (the client retries them), and the next batch connects afresh.
import { Admin, compatibilityPartitioner, Producer, type MessageToProduce } from '@platformatic/kafka';
import { describeTopics, listTopics, type TopicInfo } from './admin.ts';
import { clientOptions, type KafkaEndpoint } from './connection.ts';

export interface OutRecord {
  key: Buffer | null;
  value: Buffer;
  partition?: number;
}

export interface RecordOffset {
  partition: number;
  offset: number;
}

export type { TopicInfo } from './admin.ts';

export class BrokerUnavailable extends Error {}
export class TopicNotFound extends Error {}
export class PartitionNotFound extends Error {
  constructor(readonly partition: number) {
    super(`partition ${partition} not found`);
  }
}
export class Overloaded extends Error {}

export interface GatewayOptions {
  /** Records waiting for acknowledgement before new requests get 429. */
  maxInflight: number;
  /** How long the first record of a batch waits for others when no produce request is in flight (0: the next turn of the event loop). */
  lingerMs?: number;
  /** Records a produce request carries at most. */
  maxBatchRecords?: number;
  /** Bytes a produce request carries at most (the broker's message.max.bytes is about 1 MiB a batch). */
  maxBatchBytes?: number;
}

interface Pending {
  topic: string;
  records: OutRecord[];
  partitions: number[];
  bytes: number;
  resolve: (offsets: RecordOffset[]) => void;
  reject: (e: Error) => void;
}

export class KafkaGateway {
  private producer: Producer | null = null;
  private admin: Admin | null = null;
  private topicsCache: { at: number; topics: Map<string, TopicInfo> } | null = null;
  private roundRobin = 0;
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private sending = false;
  private closed = false;
  private readonly lingerMs: number;
  private readonly maxBatchRecords: number;
  private readonly maxBatchBytes: number;
  /** Records accepted and not yet acknowledged (or failed). */
  inflight = 0;

  constructor(private readonly endpoint: KafkaEndpoint, private readonly options: GatewayOptions) {
    this.lingerMs = options.lingerMs ?? 0;
    this.maxBatchRecords = options.maxBatchRecords ?? 5000;
    this.maxBatchBytes = options.maxBatchBytes ?? 900 * 1024;
  }

  private client(): { producer: Producer; admin: Admin } {
    this.producer ??= new Producer({ ...clientOptions(this.endpoint, 'pinpipe-api'), idempotent: true, acks: -1, retries: 3, retryDelay: 200, autocreateTopics: false });
    this.admin ??= new Admin({ ...clientOptions(this.endpoint, 'pinpipe-api-admin'), retries: 1 });
    return { producer: this.producer, admin: this.admin };
  }

  async topics(fresh = false): Promise<Map<string, TopicInfo>> {
    if (!fresh && this.topicsCache && Date.now() - this.topicsCache.at < 5000) return this.topicsCache.topics;
    try {
      const { admin } = this.client();
      const names = (await listTopics(admin)).filter((t) => !t.startsWith('__'));
      const topics = new Map((await describeTopics(admin, names)).map((t) => [t.name, t]));
      this.topicsCache = { at: Date.now(), topics };
      return topics;
    } catch (e) {
      await this.reset();
      throw new BrokerUnavailable(e instanceof Error ? e.message : String(e));
    }
  }

  async topic(name: string): Promise<TopicInfo> {
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
    if (this.inflight + records.length > this.options.maxInflight) throw new Overloaded(`${this.inflight} records wait for the broker`);
    const assigned = records.map((r) => {
      if (r.partition !== undefined) {
        if (!partitions.includes(r.partition)) throw new PartitionNotFound(r.partition);
        return r.partition;
      }
      // Keyed records go where the Java client would put them (murmur2, positive, modulo the partitions).
      if (r.key) return compatibilityPartitioner({ topic: topicName }, r.key) % partitions.length;
      return partitions[this.roundRobin++ % partitions.length]!;
    });
    const bytes = records.reduce((n, r) => n + r.value.length + (r.key?.length ?? 0) + 64, 0);
    this.inflight += records.length;
    try {
      return await new Promise<RecordOffset[]>((resolve, reject) => {
        this.queue.push({ topic: topicName, records, partitions: assigned, bytes, resolve, reject });
        this.schedule();
      });
    } finally {
      this.inflight -= records.length;
    }
  }

  private schedule(): void {
    if (this.sending || this.closed) return;
    const queued = this.queue.reduce((n, p) => n + p.records.length, 0);
    if (queued >= this.maxBatchRecords) {
      if (this.timer) clearTimeout(this.timer);
      if (this.immediate) clearImmediate(this.immediate);
      this.timer = null;
      this.immediate = null;
      void this.flush();
    } else if (!this.timer && !this.immediate) {
      // A linger of 0 is the next turn of the event loop (setImmediate: setTimeout waits at least 1 ms).
      if (this.lingerMs > 0) this.timer = setTimeout(() => { this.timer = null; void this.flush(); }, this.lingerMs);
      else this.immediate = setImmediate(() => { this.immediate = null; void this.flush(); });
    }
  }

  /** Takes requests off the queue up to the batch limits (always at least one) and sends them as one produce. */
  private async flush(): Promise<void> {
    if (this.sending || !this.queue.length) return;
    const batch: Pending[] = [];
    let records = 0;
    let bytes = 0;
    while (this.queue.length) {
      const next = this.queue[0]!;
      if (batch.length && (records + next.records.length > this.maxBatchRecords || bytes + next.bytes > this.maxBatchBytes)) break;
      batch.push(this.queue.shift()!);
      records += next.records.length;
      bytes += next.bytes;
    }
    this.sending = true;
    try {
      const messages: MessageToProduce[] = batch.flatMap((p) => p.records.map((r, i) => ({
        topic: p.topic, partition: p.partitions[i]!, value: r.value, ...(r.key ? { key: r.key } : {}),
      })));
      const result = await this.client().producer.send({ messages, acks: -1 });
      // One record batch per partition: a record's offset is the batch's base offset plus its position.
      const next = new Map<string, bigint>();
      for (const o of result.offsets ?? []) next.set(`${o.topic}/${o.partition}`, o.offset);
      for (const p of batch) {
        const offsets = p.partitions.map((partition) => {
          const key = `${p.topic}/${partition}`;
          const offset = next.get(key);
          if (offset === undefined) throw new BrokerUnavailable(`the broker gave no offset for ${key}`);
          next.set(key, offset + 1n);
          return { partition, offset: Number(offset) };
        });
        p.resolve(offsets);
      }
    } catch (e) {
      const failure = e instanceof BrokerUnavailable ? e : new BrokerUnavailable(e instanceof Error ? e.message : String(e));
      for (const p of batch) p.reject(failure);
      await this.reset();
    } finally {
      this.sending = false;
      // Requests that came while this batch was in flight go at once: they have waited long enough.
      if (this.queue.length && !this.closed) void this.flush();
    }
  }

  /** Drops the clients after a broker failure, so that the next request connects afresh. */
  private async reset(): Promise<void> {
    const [p, a] = [this.producer, this.admin];
    this.producer = null;
    this.admin = null;
    this.topicsCache = null;
    await p?.close(true).catch(() => {});
    await a?.close().catch(() => {});
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    for (const p of this.queue.splice(0)) p.reject(new BrokerUnavailable('the API is stopping'));
    await this.reset();
  }
}
