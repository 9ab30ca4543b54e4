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
/** The broker refused records for good (too large, invalid): retrying the same request cannot help. */
export class RecordsRefused extends Error {
  constructor(readonly kafkaError: string, message: string) {
    super(message);
  }
}

/** Bytes a record costs in a record batch beyond its key and value (batch header 61, record varints). */
export const RECORD_OVERHEAD = 128;
/** The broker's default message.max.bytes (and a topic's max.message.bytes when it sets none). */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** Kafka errors that refuse records for good: no retry of the same records can succeed. */
const PERMANENT = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD', 'CORRUPT_MESSAGE', 'INVALID_REQUIRED_ACKS']);

/** The first Kafka protocol error id found in an error and the errors it carries. */
export function kafkaErrorId(e: unknown, depth = 0): string | null {
  if (!e || typeof e !== 'object' || depth > 5) return null;
  const id = (e as { apiId?: unknown }).apiId;
  if (typeof id === 'string') return id;
  for (const inner of [...((e as { errors?: unknown[] }).errors ?? []), (e as { cause?: unknown }).cause]) {
    const found = kafkaErrorId(inner, depth + 1);
    if (found) return found;
  }
  return null;
}

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
  /** The largest send (bytes) the topic's max.message.bytes admits for one partition's batch. */
  maxSendBytes: number;
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
      const limits = await this.maxMessageBytes(admin, names);
      const topics = new Map((await describeTopics(admin, names)).map((t) => [t.name, { ...t, maxMessageBytes: limits.get(t.name) ?? DEFAULT_MAX_MESSAGE_BYTES }]));
      this.topicsCache = { at: Date.now(), topics };
      return topics;
    } catch (e) {
      await this.reset();
      throw new BrokerUnavailable(e instanceof Error ? e.message : String(e));
    }
  }

  /** Each topic's max.message.bytes: the largest record batch the broker takes for it. */
  private async maxMessageBytes(admin: Admin, names: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (!names.length) return out;
    try {
      const described = await admin.describeConfigs({ resources: names.map((resourceName) => ({ resourceType: 2, resourceName, configurationKeys: ['max.message.bytes'] })) });
      for (const d of described) {
        const v = Number(d.configs.find((c) => c.name === 'max.message.bytes')?.value);
        if (Number.isFinite(v) && v > 0) out.set(d.resourceName, v);
      }
    } catch {
      // A broker that does not allow DescribeConfigs to this client: Kafka's default applies.
    }
    return out;
  }

  /** The largest record (key and value bytes) a topic takes: its max.message.bytes less a batch's overhead. */
  recordLimit(topic: TopicInfo): number {
    return (topic.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES) - RECORD_OVERHEAD;
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
        this.queue.push({ topic: topicName, maxSendBytes: Math.min(this.maxBatchBytes, this.recordLimit(topic)), records, partitions: assigned, bytes, resolve, reject });
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
    // Per request of the batch: its records' offsets so far, and how many are written (a request is answered
    // once all of its records are, and is dropped from offsets then).
    const offsets = new Map<Pending, RecordOffset[]>(batch.map((p) => [p, []]));
    const written = new Map<Pending, number>(batch.map((p) => [p, 0]));
    try {
      // Produce requests of at most maxBatchBytes each (a lone larger record goes alone), one after another, so
      // that no partition's record batch passes the broker's max.message.bytes however many records a
      // request carries. One record batch per partition per send: a record's offset is its batch's base
      // offset plus its position in it.
      const sends: { message: MessageToProduce; owner: Pending; index: number }[][] = [[]];
      let sendBytes = 0;
      let sendLimit = this.maxBatchBytes;
      for (const p of batch) {
        p.records.forEach((r, i) => {
          const size = r.value.length + (r.key?.length ?? 0) + RECORD_OVERHEAD;
          // The send's limit is the smallest max.message.bytes of the topics in it (and at most maxBatchBytes).
          const limit = Math.min(sendLimit, p.maxSendBytes);
          if (sends.at(-1)!.length && sendBytes + size > limit) { sends.push([]); sendBytes = 0; sendLimit = p.maxSendBytes; } else sendLimit = limit;
          sends.at(-1)!.push({ message: { topic: p.topic, partition: p.partitions[i]!, value: r.value, ...(r.key ? { key: r.key } : {}) }, owner: p, index: i });
          sendBytes += size;
        });
      }
      for (const send of sends) {
        const result = await this.client().producer.send({ messages: send.map((m) => m.message), acks: -1 });
        const next = new Map<string, bigint>();
        for (const o of result.offsets ?? []) next.set(`${o.topic}/${o.partition}`, o.offset);
        for (const { message, owner, index } of send) {
          const key = `${message.topic}/${message.partition}`;
          const offset = next.get(key);
          if (offset === undefined) throw new BrokerUnavailable(`the broker gave no offset for ${key}`);
          next.set(key, offset + 1n);
          offsets.get(owner)![index] = { partition: message.partition!, offset: Number(offset) };
          written.set(owner, written.get(owner)! + 1);
        }
        // A request whose records are all written is answered now: a later send's failure is not its failure.
        for (const p of batch) {
          if (written.get(p) === p.records.length && offsets.has(p)) {
            p.resolve(offsets.get(p)!);
            offsets.delete(p);
          }
        }
      }
    } catch (e) {
      const id = kafkaErrorId(e);
      const pending = batch.filter((p) => offsets.has(p));
      // A request part of whose records an earlier send wrote is told so, not "nothing was written".
      const partly = (p: Pending, message: string) => ((written.get(p) ?? 0) > 0 ? `${message}; ${written.get(p)} of its ${p.records.length} records were written before it` : message);
      if (id && PERMANENT.has(id)) {
        // A permanent refusal is the records' fault, not the broker's: the producer stays as it is.
        for (const p of pending) p.reject(new RecordsRefused(id, partly(p, `the broker refused the records (${id})`)));
      } else {
        const message = e instanceof Error ? e.message : String(e);
        for (const p of pending) p.reject(new BrokerUnavailable(partly(p, message)));
        await this.reset();
      }
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
